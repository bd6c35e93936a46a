//! Runtime values and their Starlark-like semantics: future-reference substitution (text
//! and whole-value, starlark-api.md §6.3), Starlark `repr`, typed comparisons for `verify`,
//! `wait` and readiness (§4.7), Go slice text and the tab-indented run output.

use super::{Failure, Step};
use crate::state::RuntimeValues;
use hortus_plan::Assertion;
use hortus_plan::future_ref::{self, RuntimeRef};
use serde_json::Value;
use std::cmp::Ordering;

fn lookup<'v>(values: &'v RuntimeValues, r: &RuntimeRef) -> Step<&'v Value> {
    let fields = values
        .get(&r.id)
        .ok_or_else(|| Failure::new(format!("Runtime UUID '{}' was found, but not set", r.id)))?;
    fields.get(&r.field).ok_or_else(|| {
        Failure::new(format!(
            "field `{}` of runtime value `{}` was not set",
            r.field, r.id
        ))
    })
}

/// Text substitution: every placeholder replaced by its value (a str raw, anything else
/// as its Starlark repr).
pub fn substitute(values: &RuntimeValues, text: &str) -> Step<String> {
    future_ref::substitute(text, |r| lookup(values, r).map(to_str))
}

/// Whole-value resolution: exactly one placeholder gives the typed value, anything else a
/// substituted str.
pub fn resolve_whole(values: &RuntimeValues, text: &str) -> Step<Value> {
    match future_ref::whole(text) {
        Some(r) => lookup(values, &r).cloned(),
        None => substitute(values, text).map(Value::String),
    }
}

/// Substitutes placeholders inside every string of a JSON tree (keys included).
pub fn substitute_json(values: &RuntimeValues, value: &Value) -> Step<Value> {
    Ok(match value {
        Value::String(s) => Value::String(substitute(values, s)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| substitute_json(values, v))
                .collect::<Step<_>>()?,
        ),
        Value::Object(map) => {
            let mut out = serde_json::Map::new();
            for (k, v) in map {
                out.insert(substitute(values, k)?, substitute_json(values, v)?);
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

/// JSON text with tab indentation.
pub fn to_tab_json(value: &Value) -> String {
    use serde::Serialize;
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"\t");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
    match value.serialize(&mut ser) {
        Ok(()) => String::from_utf8_lossy(&out).into_owned(),
        Err(_) => value.to_string(),
    }
}

/// `str()`: strings raw, anything else its repr.
pub fn to_str(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => repr(other),
    }
}

fn is_float(n: &serde_json::Number) -> bool {
    let text = n.to_string();
    text.contains(['.', 'e', 'E']) || text == "NaN" || text.contains("inf")
}

fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Starlark `repr`.
pub fn repr(value: &Value) -> String {
    match value {
        Value::Null => "None".to_owned(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::Number(n) => {
            let text = n.to_string();
            if is_float(n) {
                match text.parse::<f64>() {
                    Ok(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e16 => {
                        format!("{f:.1}")
                    }
                    Ok(f) if f.is_finite() => format!("{f}"),
                    _ => text,
                }
            } else {
                text
            }
        }
        Value::String(s) => quote(s),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(repr).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{}: {}", quote(k), repr(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Starlark `type()`.
pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if is_float(n) => "float",
        Value::Number(_) => "int",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

fn number_cmp(a: &serde_json::Number, b: &serde_json::Number) -> Option<Ordering> {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return Some(x.cmp(&y));
    }
    let x: f64 = a.to_string().parse().ok()?;
    let y: f64 = b.to_string().parse().ok()?;
    x.partial_cmp(&y)
}

fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => number_cmp(x, y) == Some(Ordering::Equal),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| equal(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter().all(|(k, v)| {
                    y.get(k)
                        .is_some_and(|w| type_name(v) == type_name(w) && equal(v, w))
                })
        }
        _ => a == b,
    }
}

fn order(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => number_cmp(x, y),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::Array(x), Value::Array(y)) => {
            for (p, q) in x.iter().zip(y) {
                if !equal(p, q) {
                    return order(p, q);
                }
            }
            Some(x.len().cmp(&y.len()))
        }
        _ => None,
    }
}

/// Checks `value <assertion> target` with Kurtosis typing rules; `Err` carries the
/// failure message.
pub fn check_assertion(value: &Value, assertion: Assertion, target: &Value) -> Result<(), String> {
    let failed = || {
        format!(
            "Verification failed '{}' '{}' '{}'",
            repr(value),
            assertion.token(),
            repr(target)
        )
    };
    match assertion {
        Assertion::In | Assertion::NotIn => {
            let items: Vec<Value> = match target {
                Value::Array(items) => items.clone(),
                Value::Object(map) => map.keys().cloned().map(Value::String).collect(),
                _ => {
                    return Err(format!(
                        "Verification failed, expected an iterable object but got '{}'",
                        type_name(target)
                    ));
                }
            };
            let found = items
                .iter()
                .any(|item| type_name(item) == type_name(value) && equal(item, value));
            if found == (assertion == Assertion::In) {
                Ok(())
            } else {
                Err(failed())
            }
        }
        _ => {
            if type_name(value) != type_name(target) {
                return Err(format!(
                    "Verify failed because '{}' is type '{}' and '{}' is type '{}'",
                    repr(value),
                    type_name(value),
                    repr(target),
                    type_name(target)
                ));
            }
            let ok = match assertion {
                Assertion::Eq => equal(value, target),
                Assertion::Ne => !equal(value, target),
                _ => {
                    let ord = order(value, target).ok_or_else(|| {
                        format!(
                            "values of type '{}' cannot be compared with '{}'",
                            type_name(value),
                            assertion.token()
                        )
                    })?;
                    match assertion {
                        Assertion::Ge => ord != Ordering::Less,
                        Assertion::Gt => ord == Ordering::Greater,
                        Assertion::Le => ord != Ordering::Greater,
                        _ => ord == Ordering::Less,
                    }
                }
            };
            if ok { Ok(()) } else { Err(failed()) }
        }
    }
}

/// Go slice text of integers: `[0 1]`.
pub fn go_int_list(codes: &[i64]) -> String {
    format!(
        "[{}]",
        codes
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    )
}

/// The `exec` result text (§4.8).
pub fn exec_result_text(code: i64, output: &str) -> String {
    if output.is_empty() {
        format!("Command returned with exit code '{code}' with no output")
    } else if output.contains('\n') {
        format!(
            "Command returned with exit code '{code}' and the following output:\n--------------------\n{output}\n--------------------"
        )
    } else {
        format!("Command returned with exit code '{code}' and the following output: {output}")
    }
}

/// The repr of `output`, each line indented by two spaces (code-check failures).
pub fn indented_repr(output: &str) -> String {
    repr(&Value::String(output.to_owned()))
        .lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn values() -> RuntimeValues {
        let mut v = RuntimeValues::new();
        let fields = v
            .entry("0123456789abcdef0123456789abcdef".into())
            .or_default();
        fields.insert("code".into(), json!(200));
        fields.insert("body".into(), json!("ok"));
        fields.insert("list".into(), json!(["a", "b"]));
        v
    }

    fn fr(field: &str) -> String {
        future_ref::format("0123456789abcdef0123456789abcdef", field)
    }

    #[test]
    fn text_and_whole_value_resolution() {
        let v = values();
        assert_eq!(
            substitute(&v, &format!("code={} body={}", fr("code"), fr("body"))).unwrap(),
            "code=200 body=ok"
        );
        assert_eq!(
            substitute(&v, &format!("l={}", fr("list"))).unwrap(),
            r#"l=["a", "b"]"#
        );
        assert_eq!(resolve_whole(&v, &fr("code")).unwrap(), json!(200));
        assert_eq!(
            resolve_whole(&v, &format!("My code {}", fr("code"))).unwrap(),
            json!("My code 200")
        );
        let missing = future_ref::format("ffffffffffffffffffffffffffffffff", "code");
        assert_eq!(
            substitute(&v, &missing).unwrap_err().message,
            "Runtime UUID 'ffffffffffffffffffffffffffffffff' was found, but not set"
        );
    }

    #[test]
    fn typed_assertions() {
        assert!(check_assertion(&json!(200), Assertion::Eq, &json!(200)).is_ok());
        let err = check_assertion(&json!(0), Assertion::Eq, &json!("0")).unwrap_err();
        assert_eq!(
            err,
            "Verify failed because '0' is type 'int' and '\"0\"' is type 'string'"
        );
        assert!(check_assertion(&json!(3), Assertion::Lt, &json!(4)).is_ok());
        assert!(check_assertion(&json!("b"), Assertion::Ge, &json!("a")).is_ok());
        assert!(check_assertion(&json!(1.5), Assertion::Gt, &json!(1)).is_err());
        assert!(check_assertion(&json!(1), Assertion::In, &json!([1, 2])).is_ok());
        assert!(check_assertion(&json!(1), Assertion::In, &json!(["1"])).is_err());
        assert!(check_assertion(&json!("k"), Assertion::In, &json!({"k": 1})).is_ok());
        assert!(check_assertion(&json!(3), Assertion::NotIn, &json!([1, 2])).is_ok());
        assert_eq!(
            check_assertion(&json!(5), Assertion::Ne, &json!(5)).unwrap_err(),
            "Verification failed '5' '!=' '5'"
        );
    }

    #[test]
    fn reprs_and_texts() {
        assert_eq!(
            repr(&json!({"k": [1, true, null]})),
            r#"{"k": [1, True, None]}"#
        );
        assert_eq!(repr(&json!("a\"b\n")), r#""a\"b\n""#);
        assert_eq!(go_int_list(&[0, 1]), "[0 1]");
        assert_eq!(
            exec_result_text(0, ""),
            "Command returned with exit code '0' with no output"
        );
        assert_eq!(
            exec_result_text(1, "x"),
            "Command returned with exit code '1' and the following output: x"
        );
        assert_eq!(
            exec_result_text(0, "a\n"),
            "Command returned with exit code '0' and the following output:\n--------------------\na\n\n--------------------"
        );
        assert_eq!(
            to_tab_json(&json!({"a": [1]})),
            "{\n\t\"a\": [\n\t\t1\n\t]\n}"
        );
    }
}
