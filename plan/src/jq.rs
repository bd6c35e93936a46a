//! jq extractors (`extract=` on recipes, starlark-api.md §6.5), on jaq.
//!
//! Owns compiling (with a per-thread cache: loading jaq's standard definitions is slow) and
//! running extractor programs, and converting their results to typed JSON values the way
//! Kurtosis converts gojq results to Starlark values.

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{Compiler, Ctx, Vars, data, unwrap_valr};
use jaq_json::Val;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// An extractor that failed to parse or to run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct JqError(pub String);

type JqFilter = jaq_core::Filter<data::JustLut<Val>>;

thread_local! {
    static CACHE: RefCell<HashMap<String, Rc<JqFilter>>> = RefCell::new(HashMap::new());
}

fn compile(program: &str) -> Result<Rc<JqFilter>, JqError> {
    if let Some(found) = CACHE.with(|c| c.borrow().get(program).cloned()) {
        return Ok(found);
    }
    let defs = jaq_core::defs()
        .chain(jaq_std::defs())
        .chain(jaq_json::defs());
    let funs = jaq_core::funs()
        .chain(jaq_std::funs())
        .chain(jaq_json::funs());
    let loader = Loader::new(defs);
    let arena = Arena::default();
    let file = File {
        code: program,
        path: (),
    };
    let modules = loader.load(&arena, file).map_err(|errs| {
        JqError(format!(
            "an error occurred when parsing field extractor `{program}`: {}",
            describe_errors(&errs)
        ))
    })?;
    let filter = Compiler::default()
        .with_funs(funs)
        .compile(modules)
        .map_err(|errs| {
            JqError(format!(
                "an error occurred when compiling field extractor `{program}`: {}",
                describe_errors(&errs)
            ))
        })?;
    let filter = Rc::new(filter);
    CACHE.with(|c| {
        c.borrow_mut()
            .insert(program.to_owned(), Rc::clone(&filter))
    });
    Ok(filter)
}

fn describe_errors<T: std::fmt::Debug>(errs: &T) -> String {
    format!("{errs:?}")
}

/// Checks that `program` parses and compiles.
pub fn compile_check(program: &str) -> Result<(), JqError> {
    compile(program).map(|_| ())
}

/// Runs `program` on `input` with Kurtosis rules: outputs are collected, errors and nulls
/// skipped; none left is an error, one is returned as is, several become a list.
pub fn extract(program: &str, input: serde_json::Value) -> Result<serde_json::Value, JqError> {
    let filter = compile(program)?;
    let input_text = input.to_string();
    let val = jaq_json::read::parse_single(input_text.as_bytes())
        .map_err(|e| JqError(format!("cannot read extractor input as JSON: {e:?}")))?;
    let ctx = Ctx::<data::JustLut<Val>>::new(&filter.lut, Vars::new([]));
    let mut results: Vec<serde_json::Value> = filter
        .id
        .run((ctx, val))
        .map(unwrap_valr)
        .filter_map(Result::ok)
        .map(|v| to_json(&v))
        .filter(|v| !v.is_null())
        .collect();
    match results.len() {
        0 => Err(JqError(format!(
            "No field '{program}' was found on input '{input_text}'"
        ))),
        1 => Ok(results.remove(0)),
        _ => Ok(serde_json::Value::Array(results)),
    }
}

/// A double becomes an int when it survives a round trip through a 64-bit int.
fn number_from_f64(f: f64) -> serde_json::Value {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0; // 2^63
    if f.is_finite() && f.fract() == 0.0 && f > -LIMIT && f < LIMIT {
        #[expect(clippy::cast_possible_truncation, reason = "range checked above")]
        let i = f as i64;
        serde_json::Value::from(i)
    } else {
        serde_json::Number::from_f64(f).map_or(serde_json::Value::Null, serde_json::Value::Number)
    }
}

fn to_json(v: &Val) -> serde_json::Value {
    use jaq_json::Num;
    match v {
        Val::Null => serde_json::Value::Null,
        Val::Bool(b) => serde_json::Value::Bool(*b),
        Val::Num(Num::Int(i)) => i64::try_from(*i).map_or_else(
            |_| serde_json::Value::String(i.to_string()),
            serde_json::Value::from,
        ),
        Val::Num(Num::BigInt(b)) => serde_json::Value::String(b.to_string()),
        Val::Num(Num::Float(f)) => number_from_f64(*f),
        Val::Num(Num::Dec(text)) => match text.parse::<f64>() {
            Ok(f) => number_from_f64(f),
            Err(_) => serde_json::Value::String(text.to_string()),
        },
        Val::TStr(bytes) | Val::BStr(bytes) => {
            let raw: &[u8] = bytes;
            serde_json::Value::String(String::from_utf8_lossy(raw).into_owned())
        }
        Val::Arr(items) => serde_json::Value::Array(items.iter().map(to_json).collect()),
        Val::Obj(map) => serde_json::Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let key = match to_json(k) {
                        serde_json::Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body() -> serde_json::Value {
        serde_json::from_str(
            r#"{"result": {"foo": ["hello/world/welcome"], "n": 2.0, "f": 1.5}, "url": "posts/1", "big": 1e20}"#,
        )
        .unwrap()
    }

    #[test]
    fn http_examples() {
        assert_eq!(
            extract(r#".result.foo | .[0] | split("/") | .[1]"#, body()).unwrap(),
            json!("world")
        );
        assert_eq!(
            extract(r#".url | split("/") | .[1]"#, body()).unwrap(),
            json!("1")
        );
        assert_eq!(
            extract(r#".url | split("/") | .[1] | tonumber"#, body()).unwrap(),
            json!(1)
        );
        let err = extract(".missing", body()).unwrap_err();
        assert!(
            err.0.starts_with("No field '.missing' was found on input"),
            "{err}"
        );
        assert_eq!(
            extract(r#".result.foo[] , "x""#, body()).unwrap(),
            json!(["hello/world/welcome", "x"])
        );
    }

    #[test]
    fn number_conversion() {
        assert_eq!(extract(".result.n", body()).unwrap(), json!(2));
        assert_eq!(extract(".result.f", body()).unwrap().to_string(), "1.5");
        assert!(extract(".big", body()).unwrap().is_f64());
        assert_eq!(extract("length", json!("hello\n")).unwrap(), json!(6));
    }

    #[test]
    fn exec_output_is_a_string() {
        assert_eq!(extract(".", json!("hello\n")).unwrap(), json!("hello\n"));
        assert_eq!(
            extract("fromjson | .key", json!("{\"key\": \"v\"}")).unwrap(),
            json!("v")
        );
        // Errors are skipped like nulls.
        assert!(extract(".a", json!("text")).is_err());
    }

    #[test]
    fn compile_errors() {
        assert!(compile_check(".a | ").is_err());
        assert!(compile_check("nosuchfn(1)").is_err());
        assert!(compile_check(".a.b[0]").is_ok());
    }
}
