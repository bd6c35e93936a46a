//! The `json` module with starlark-go (`go.starlark.net/lib/json`) semantics: `encode` sorts
//! object keys, prints floats with Go's `%g`, rejects non-finite floats and non-string keys,
//! turns any iterable into an array and any value with attributes into an object; `decode`
//! keeps key order and big integers; `indent` is Go's `json.Indent`.

use std::fmt::Write;
use std::str::FromStr;

use allocative::Allocative;
use anyhow::Context;
use anyhow::bail;
use num_bigint::BigInt;
use starlark::any::ProvidesStaticType;
use starlark::environment::Methods;
use starlark::environment::MethodsBuilder;
use starlark::environment::MethodsStatic;
use starlark::starlark_module;
use starlark::starlark_simple_value;
use starlark::values::Heap;
use starlark::values::NoSerialize;
use starlark::values::StarlarkPagable;
use starlark::values::StarlarkValue;
use starlark::values::Value;
use starlark::values::ValueIdentity;
use starlark::values::ValueLike;
use starlark::values::dict::AllocDict;
use starlark::values::dict::DictRef;
use starlark::values::float::StarlarkFloat;
use starlark::values::list::AllocList;
use starlark::values::list::ListRef;
use starlark::values::none::NoneType;
use starlark::values::starlark_value;
use starlark::values::tuple::TupleRef;

use crate::format::go_float_str;
use crate::format::write_go_float_g;
use crate::format::write_go_quote;
use crate::structs::GoStruct;

/// Deepest nesting encoded before reporting an error (protects the native stack).
const MAX_DEPTH: usize = 1000;

/// `json.encode(v)` without access to a heap: every value kind is supported except iterables
/// other than lists/tuples/dicts (e.g. `range`) and attribute values without a serde encoding;
/// prefer [`encode_value_in`] when a heap is at hand.
pub fn encode_value<'v>(v: Value<'v>) -> anyhow::Result<String> {
    let mut encoder = Encoder::new(None);
    encoder.emit(v)?;
    Ok(encoder.out)
}

/// `json.encode(v)` exactly as the builtin does it (any iterable → array, any value with
/// attributes → object sorted by attribute name).
pub fn encode_value_in<'v>(v: Value<'v>, heap: Heap<'v>) -> anyhow::Result<String> {
    let mut encoder = Encoder::new(Some(heap));
    encoder.emit(v)?;
    Ok(encoder.out)
}

/// The value `json.encode(v)` denotes, as a serde value (keys sorted, `1.0` is the number `1`,
/// big integers exact).
pub fn to_json<'v>(v: Value<'v>) -> anyhow::Result<serde_json::Value> {
    let text = encode_value(v)?;
    serde_json::from_str(&text).context("internal error: json.encode produced invalid JSON")
}

/// Like [`to_json`], with a heap so that every value kind `json.encode` accepts is supported.
pub fn to_json_in<'v>(v: Value<'v>, heap: Heap<'v>) -> anyhow::Result<serde_json::Value> {
    let text = encode_value_in(v, heap)?;
    serde_json::from_str(&text).context("internal error: json.encode produced invalid JSON")
}

/// Converts a serde value to Starlark: objects → dicts in key order, arrays → lists, numbers
/// containing `.`, `e` or `E` → float, other numbers → int of any size.
///
/// A float literal out of the `f64` range becomes an infinite float; [`decode`] rejects it.
pub fn from_json<'v>(heap: Heap<'v>, v: &serde_json::Value) -> Value<'v> {
    from_json_impl(heap, v, false).unwrap_or_else(|_| heap.alloc(NoneType))
}

/// `json.decode(text)`: parses JSON text into Starlark values (see [`from_json`]); invalid
/// JSON and out-of-range numbers (`1e400`) are errors.
pub fn decode<'v>(heap: Heap<'v>, text: &str) -> anyhow::Result<Value<'v>> {
    let parsed: serde_json::Value =
        serde_json::from_str(text).map_err(|e| anyhow::anyhow!("json.decode: {e}"))?;
    from_json_impl(heap, &parsed, true).map_err(|e| anyhow::anyhow!("json.decode: {e}"))
}

fn from_json_impl<'v>(
    heap: Heap<'v>,
    v: &serde_json::Value,
    strict: bool,
) -> anyhow::Result<Value<'v>> {
    Ok(match v {
        serde_json::Value::Null => heap.alloc(NoneType),
        serde_json::Value::Bool(b) => heap.alloc(*b),
        serde_json::Value::Number(n) => {
            let text = n.to_string();
            if text.contains(['.', 'e', 'E']) {
                let f: f64 = text
                    .parse()
                    .map_err(|_| anyhow::anyhow!("invalid number: {text}"))?;
                if strict && !f.is_finite() {
                    bail!("invalid number: {text}");
                }
                heap.alloc(f)
            } else if let Ok(i) = text.parse::<i32>() {
                heap.alloc(i)
            } else {
                let big = BigInt::from_str(&text)
                    .map_err(|_| anyhow::anyhow!("invalid number: {text}"))?;
                heap.alloc(big)
            }
        }
        serde_json::Value::String(s) => heap.alloc_str(s).to_value(),
        serde_json::Value::Array(items) => {
            let mut values = Vec::with_capacity(items.len());
            for item in items {
                values.push(from_json_impl(heap, item, strict)?);
            }
            heap.alloc(AllocList(values))
        }
        serde_json::Value::Object(map) => {
            let mut entries = Vec::with_capacity(map.len());
            for (key, value) in map {
                entries.push((
                    heap.alloc_str(key).to_value(),
                    from_json_impl(heap, value, strict)?,
                ));
            }
            heap.alloc(AllocDict(entries))
        }
    })
}

/// Go's `json.Indent(dst, text, prefix, indent)`: one element per line, `indent` repeated per
/// nesting level after `prefix` on every new line, `": "` after keys, empty `{}`/`[]` kept;
/// leading whitespace of the input is dropped, trailing whitespace kept.
pub fn indent(text: &str, prefix: &str, indent: &str) -> anyhow::Result<String> {
    serde_json::from_str::<serde::de::IgnoredAny>(text)
        .map_err(|e| anyhow::anyhow!("json.indent: {e}"))?;
    let is_space = |c: char| matches!(c, ' ' | '\t' | '\n' | '\r');
    let body = text.trim_matches(is_space);
    let trailing = text
        .trim_start_matches(is_space)
        .get(body.len()..)
        .unwrap_or("");
    let mut out = String::with_capacity(text.len() * 2);
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(prefix);
        for _ in 0..depth {
            out.push_str(indent);
        }
    };
    let mut depth = 0usize;
    let mut need_indent = false;
    let mut in_string = false;
    let mut escaped = false;
    for c in body.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        if is_space(c) {
            continue;
        }
        if need_indent && c != '}' && c != ']' {
            need_indent = false;
            depth += 1;
            newline(&mut out, depth);
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                need_indent = true;
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            '}' | ']' => {
                if need_indent {
                    need_indent = false;
                } else {
                    depth = depth.saturating_sub(1);
                    newline(&mut out, depth);
                }
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push_str(trailing);
    Ok(out)
}

/// Appends `s` as a JSON string the way starlark-go does: printable ASCII is Go-quoted (only
/// `"` and `\` escaped), anything else goes through Go's `json.Marshal` (HTML-escaping `<`,
/// `>`, `&`, escaping control characters and U+2028/U+2029).
pub(crate) fn write_json_string(out: &mut String, s: &str) {
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        write_go_quote(out, s);
        return;
    }
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

struct Encoder<'v> {
    out: String,
    stack: Vec<ValueIdentity<'v>>,
    heap: Option<Heap<'v>>,
}

impl<'v> Encoder<'v> {
    fn new(heap: Option<Heap<'v>>) -> Self {
        Encoder {
            out: String::new(),
            stack: Vec::new(),
            heap,
        }
    }

    fn emit(&mut self, v: Value<'v>) -> anyhow::Result<()> {
        if v.is_none() {
            self.out.push_str("null");
            return Ok(());
        }
        if let Some(b) = v.unpack_bool() {
            self.out.push_str(if b { "true" } else { "false" });
            return Ok(());
        }
        if let Some(i) = v.unpack_i32() {
            let _ = write!(self.out, "{i}");
            return Ok(());
        }
        if v.get_type() == "int" {
            v.collect_repr(&mut self.out);
            return Ok(());
        }
        if let Some(f) = v.downcast_ref::<StarlarkFloat>() {
            if !f.0.is_finite() {
                bail!("cannot encode non-finite float {}", go_float_str(f.0));
            }
            write_go_float_g(&mut self.out, f.0);
            return Ok(());
        }
        if let Some(s) = v.unpack_str() {
            write_json_string(&mut self.out, s);
            return Ok(());
        }
        self.enter(v)?;
        let result = self.emit_compound(v);
        self.stack.pop();
        result
    }

    fn enter(&mut self, v: Value<'v>) -> anyhow::Result<()> {
        let identity = v.identity();
        if self.stack.contains(&identity) {
            bail!("cycle in JSON structure");
        }
        if self.stack.len() >= MAX_DEPTH {
            bail!("nesting too deep to encode as JSON");
        }
        self.stack.push(identity);
        Ok(())
    }

    fn emit_compound(&mut self, v: Value<'v>) -> anyhow::Result<()> {
        if let Some(dict) = DictRef::from_value(v) {
            let mut entries = Vec::with_capacity(dict.len());
            for (key, value) in dict.iter() {
                let Some(key) = key.unpack_str() else {
                    bail!("dict has {} key, want string", key.get_type());
                };
                entries.push((key, value));
            }
            drop(dict);
            entries.sort_by(|a, b| a.0.cmp(b.0));
            return self.emit_object(
                entries.into_iter().map(|(k, v)| (k.to_owned(), v)),
                |key, e| e.context(format!("in dict key {}", crate::format::go_quote(key))),
            );
        }
        if let Some(list) = ListRef::from_value(v) {
            return self.emit_array("list", list.content().iter().copied());
        }
        if let Some(tuple) = TupleRef::from_value(v) {
            return self.emit_array("tuple", tuple.content().iter().copied());
        }
        if let Some(d) = v.downcast_ref::<crate::time::Duration>() {
            // starlark-go encodes a duration through its attributes, sorted by name.
            self.out.push('{');
            for (index, (name, value)) in d.sorted_attrs().into_iter().enumerate() {
                if index > 0 {
                    self.out.push(',');
                }
                write_json_string(&mut self.out, name);
                self.out.push(':');
                match value {
                    Ok(i) => {
                        let _ = write!(self.out, "{i}");
                    }
                    Err(f) => write_go_float_g(&mut self.out, f),
                }
            }
            self.out.push('}');
            return Ok(());
        }
        if v.downcast_ref::<crate::time::TimeValue>().is_some() {
            // starlark-go walks the attributes in name order and fails on the first method.
            bail!("in field .format: cannot encode builtin_function_or_method as JSON");
        }
        if let Some(s) = GoStruct::from_value(v) {
            let fields: Vec<(String, Value<'v>)> =
                s.fields().map(|(k, v)| (k.to_owned(), v)).collect();
            return self.emit_object(fields.into_iter(), |name, e| {
                e.context(format!("in field .{name}"))
            });
        }
        if let Some(heap) = self.heap {
            if let Ok(iter) = v.iterate(heap) {
                let items: Vec<Value<'v>> = iter.collect();
                return self.emit_array(v.get_type(), items.into_iter());
            }
            let names = v.dir_attr();
            if !names.is_empty() {
                let mut fields = Vec::with_capacity(names.len());
                for name in names {
                    if let Some(attr) = v.get_attr(&name, heap).ok().flatten() {
                        // Methods are not data: starlark-go's `AttrNames` lists only fields
                        // for the values json.encode meets.
                        if attr.get_type() == "function" {
                            continue;
                        }
                        fields.push((name, attr));
                    }
                }
                return self.emit_object(fields.into_iter(), |name, e| {
                    e.context(format!("in field .{name}"))
                });
            }
            bail!("cannot encode {} as JSON", v.get_type());
        }
        // No heap: fall back on the value's serde encoding, normalised to Go's rules.
        match v.to_json_value() {
            Ok(json) => {
                write_serde_go(&mut self.out, &json)?;
                Ok(())
            }
            Err(_) => bail!("cannot encode {} as JSON", v.get_type()),
        }
    }

    fn emit_array(
        &mut self,
        kind: &str,
        items: impl Iterator<Item = Value<'v>>,
    ) -> anyhow::Result<()> {
        self.out.push('[');
        for (index, item) in items.enumerate() {
            if index > 0 {
                self.out.push(',');
            }
            self.emit(item)
                .with_context(|| format!("at {kind} index {index}"))?;
        }
        self.out.push(']');
        Ok(())
    }

    fn emit_object(
        &mut self,
        entries: impl Iterator<Item = (String, Value<'v>)>,
        context: impl Fn(&str, anyhow::Error) -> anyhow::Error,
    ) -> anyhow::Result<()> {
        self.out.push('{');
        for (index, (key, value)) in entries.enumerate() {
            if index > 0 {
                self.out.push(',');
            }
            write_json_string(&mut self.out, &key);
            self.out.push(':');
            if let Err(e) = self.emit(value) {
                return Err(context(&key, e));
            }
        }
        self.out.push('}');
        Ok(())
    }
}

/// Writes a serde value with Go's rules: keys sorted, floats in `%g`, strings quoted as
/// starlark-go does.
fn write_serde_go(out: &mut String, v: &serde_json::Value) -> anyhow::Result<()> {
    match v {
        serde_json::Value::Null => out.push_str("null"),
        serde_json::Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        serde_json::Value::Number(n) => {
            let text = n.to_string();
            if text.contains(['.', 'e', 'E']) {
                let f: f64 = text
                    .parse()
                    .map_err(|_| anyhow::anyhow!("invalid number `{text}`"))?;
                if !f.is_finite() {
                    bail!("cannot encode non-finite float {}", go_float_str(f));
                }
                write_go_float_g(out, f);
            } else {
                out.push_str(&text);
            }
        }
        serde_json::Value::String(s) => write_json_string(out, s),
        serde_json::Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_serde_go(out, item)?;
            }
            out.push(']');
        }
        serde_json::Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (index, (key, value)) in entries.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_json_string(out, key);
                out.push(':');
                write_serde_go(out, value)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

/// The `json` module value: `type(json) == "module"`, `str(json) == '<module "json">'`.
#[derive(Debug, ProvidesStaticType, NoSerialize, Allocative, StarlarkPagable)]
pub struct JsonModule;

starlark_simple_value!(JsonModule);

impl std::fmt::Display for JsonModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<module \"json\">")
    }
}

#[starlark_value(type = "module")]
impl<'v> StarlarkValue<'v> for JsonModule {
    fn get_methods() -> Option<&'static Methods> {
        static RES: MethodsStatic = MethodsStatic::new("hortus_stdlib::json", json_methods);
        Some(RES.methods())
    }
}

#[starlark_module]
fn json_methods(builder: &mut MethodsBuilder) {
    /// Encodes a value as compact JSON with keys sorted (starlark-go `json.encode`).
    ///
    /// ```python
    /// json.encode({"b": 1, "a": [1.0, "x"]})  # '{"a":[1,"x"],"b":1}'
    /// ```
    fn encode<'v>(
        #[starlark(this)] _this: Value<'v>,
        #[starlark(require = pos)] x: Value<'v>,
        heap: Heap<'v>,
    ) -> anyhow::Result<String> {
        encode_value_in(x, heap).map_err(|e| anyhow::anyhow!("json.encode: {e:#}"))
    }

    /// Decodes JSON text: objects become dicts in document order, integers stay exact.
    ///
    /// ```python
    /// json.decode('{"z": 1, "a": 2.5}')  # {"z": 1, "a": 2.5}
    /// ```
    fn decode<'v>(
        #[starlark(this)] _this: Value<'v>,
        #[starlark(require = pos)] x: &str,
        heap: Heap<'v>,
    ) -> anyhow::Result<Value<'v>> {
        crate::json::decode(heap, x)
    }

    /// Re-indents JSON text (Go `json.Indent`).
    ///
    /// ```python
    /// json.indent('{"a":1}', indent = "  ")  # '{\n  "a": 1\n}'
    /// ```
    fn indent<'v>(
        #[starlark(this)] _this: Value<'v>,
        #[starlark(require = pos)] s: &str,
        #[starlark(require = named, default = "")] prefix: &str,
        #[starlark(require = named, default = "\t")] indent: &str,
    ) -> anyhow::Result<String> {
        crate::json::indent(s, prefix, indent)
    }
}

#[cfg(test)]
mod tests {
    use starlark::values::Heap;

    use crate::testing::err;
    use crate::testing::ok;

    #[test]
    fn encode_sorts_keys_recursively() {
        assert_eq!(ok(r#"json.encode({"b": 1, "a": 2})"#), r#"{"a":2,"b":1}"#);
        assert_eq!(
            ok(r#"json.encode({"z": {"y": 1, "x": [{"d": 1, "c": 2}]}})"#),
            r#"{"z":{"x":[{"c":2,"d":1}],"y":1}}"#
        );
        assert_eq!(
            ok(r#"json.encode(struct(b = 1, a = 2))"#),
            r#"{"a":2,"b":1}"#
        );
    }

    #[test]
    fn encode_floats_with_go_g() {
        assert_eq!(ok("json.encode(1.0)"), "1");
        assert_eq!(ok(r#"json.encode({"slot": 12.0})"#), r#"{"slot":12}"#);
        assert_eq!(ok("json.encode([1.0, 2])"), "[1,2]");
        assert_eq!(ok("json.encode(1e6)"), "1e+06");
        assert_eq!(ok("json.encode(12345678.0)"), "1.2345678e+07");
        assert_eq!(ok("json.encode(1.5e-7)"), "1.5e-07");
        assert_eq!(ok("json.encode(1e21)"), "1e+21");
        assert_eq!(ok("json.encode(-0.0)"), "-0");
        assert_eq!(ok("json.encode(0.00001)"), "1e-05");
        assert_eq!(ok("json.encode(1231231243.43)"), "1.23123124343e+09");
        assert_eq!(ok("json.encode(1 << 70)"), "1180591620717411303424");
    }

    #[test]
    fn encode_quotes_strings_like_starlark_go() {
        assert_eq!(ok(r#"json.encode("<a&b>")"#), r#""<a&b>""#);
        assert_eq!(ok(r#"json.encode("é<>&")"#), r#""é\u003c\u003e\u0026""#);
        assert_eq!(ok(r#"json.encode("a\nb")"#), r#""a\nb""#);
        assert_eq!(ok(r#"json.encode("q\"b\\")"#), r#""q\"b\\""#);
        assert_eq!(ok(r#"json.encode("\x01é")"#), r#""\u0001é""#);
    }

    #[test]
    fn encode_rejects_bad_values() {
        assert!(err(r#"json.encode({1: 2})"#).contains("int key, want string"));
        assert!(err(r#"json.encode(float("nan"))"#).contains("non-finite"));
        assert!(err(r#"json.encode(float("inf"))"#).contains("non-finite"));
        assert!(err("json.encode(len)").contains("cannot encode"));
        let e = err(r#"json.encode({"a": [1, len]})"#);
        assert!(e.contains("in dict key \"a\""), "{e}");
        assert!(e.contains("at list index 1"), "{e}");
    }

    #[test]
    fn encode_cycle_is_an_error() {
        let e = err("def f():\n    l = []\n    l.append(l)\n    return json.encode(l)\nf()");
        assert!(e.contains("cycle"), "{e}");
    }

    #[test]
    fn encode_accepts_any_iterable() {
        assert_eq!(ok("json.encode(range(3))"), "[0,1,2]");
        assert_eq!(ok("json.encode((1, None, True))"), "[1,null,true]");
    }

    #[test]
    fn decode_keeps_order_and_big_ints() {
        assert_eq!(ok(r#"json.decode('{"z":1,"a":2}')"#), r#"{"z": 1, "a": 2}"#);
        assert_eq!(
            ok(r#"json.decode('12345678901234567890123')"#),
            "12345678901234567890123"
        );
        assert_eq!(ok(r#"type(json.decode('12345678901234567890123'))"#), "int");
        assert_eq!(ok(r#"json.decode('1e2')"#), "100.0");
        assert_eq!(ok(r#"type(json.decode('1.5'))"#), "float");
        assert_eq!(ok("json.decode(json.encode(1.0))"), "1");
        assert_eq!(
            ok(r#"json.decode('[null, true, "x"]')"#),
            r#"[None, True, "x"]"#
        );
    }

    #[test]
    fn decode_errors_instead_of_panicking() {
        assert!(err("json.decode('1e400')").contains("invalid number"));
        assert!(err("json.decode('{')").contains("json.decode"));
        assert!(err("json.decode('[1] x')").contains("json.decode"));
    }

    #[test]
    fn indent_matches_go() {
        assert_eq!(
            ok(r#"json.indent('{"a":1,"b":[1,2]}')"#),
            "{\n\t\"a\": 1,\n\t\"b\": [\n\t\t1,\n\t\t2\n\t]\n}"
        );
        assert_eq!(
            ok(r#"json.indent('{"a":{}, "b": [ ]}', indent = "  ", prefix = "> ")"#),
            "{\n>   \"a\": {},\n>   \"b\": []\n> }"
        );
        assert_eq!(
            super::indent("  [1, \"a , b\"]  ", "", " ").ok(),
            Some("[\n 1,\n \"a , b\"\n]  ".to_owned())
        );
        assert!(err("json.indent('{')").contains("json.indent"));
    }

    #[test]
    fn rust_api_round_trips() {
        Heap::temp(|heap| {
            let json: serde_json::Value =
                serde_json::from_str(r#"{"b": [1, 2.5, "x"], "a": 123456789012345678901234}"#)
                    .unwrap();
            let value = super::from_json(heap, &json);
            assert_eq!(
                crate::go_repr(value),
                r#"{"b": [1, 2.5, "x"], "a": 123456789012345678901234}"#
            );
            let back = super::to_json(value).unwrap();
            assert_eq!(
                back.to_string(),
                r#"{"a":123456789012345678901234,"b":[1,2.5,"x"]}"#
            );
            let one = super::to_json(heap.alloc(1.0)).unwrap();
            assert_eq!(one.to_string(), "1");
            assert_eq!(super::encode_value(heap.alloc(1e6)).unwrap(), "1e+06");
        });
    }
}
