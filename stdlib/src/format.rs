//! Go-compatible text rendering: floats as Go's `strconv.FormatFloat(f, 'g', -1, 64)` and
//! starlark-go's `str(float)`, strings as Go's `strconv.Quote`, and the `str()`/`repr()` of
//! values as starlark-go prints them (recursively through lists, tuples, dicts and structs).
//!
//! Values this module does not know (Kurtosis values, functions, ...) fall back to
//! starlark-rust's own rendering.

use std::fmt::Write;

use starlark::values::Value;
use starlark::values::ValueIdentity;
use starlark::values::ValueLike;
use starlark::values::dict::DictRef;
use starlark::values::float::StarlarkFloat;
use starlark::values::list::ListRef;
use starlark::values::tuple::TupleRef;

use crate::structs::GoStruct;

/// Deepest nesting rendered before giving up with `...` (protects the native stack).
const MAX_DEPTH: usize = 512;

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)`: shortest digits that round-trip, exponent form
/// when the decimal exponent is below -4 or at least 6 (`1e+06`, `1.5e-05`), no forced `.0`.
///
/// Non-finite values render as Go does: `NaN`, `+Inf`, `-Inf`.
pub fn go_float_g(f: f64) -> String {
    let mut out = String::new();
    write_go_float_g(&mut out, f);
    out
}

/// starlark-go's `str()` of a float: [`go_float_g`] plus `.0` when the text has neither a `.`
/// nor an exponent (`1.0`, `123456.0`, `1e+06`, `1.2345678e+07`); `+inf`, `-inf`, `nan`.
pub fn go_float_str(f: f64) -> String {
    let mut out = String::new();
    write_go_float_str(&mut out, f);
    out
}

/// Appends starlark-go's `str()` of a float to `out`.
pub(crate) fn write_go_float_str(out: &mut String, f: f64) {
    if f.is_nan() {
        out.push_str("nan");
        return;
    }
    if f.is_infinite() {
        out.push_str(if f > 0.0 { "+inf" } else { "-inf" });
        return;
    }
    let start = out.len();
    write_go_float_g(out, f);
    let written = out.get(start..).unwrap_or_default();
    if !written.contains(['.', 'e']) {
        out.push_str(".0");
    }
}

/// Appends Go's `%g` (shortest) rendering of `f` to `out`.
pub(crate) fn write_go_float_g(out: &mut String, f: f64) {
    if f.is_nan() {
        out.push_str("NaN");
        return;
    }
    if f.is_infinite() {
        out.push_str(if f > 0.0 { "+Inf" } else { "-Inf" });
        return;
    }
    if f.is_sign_negative() {
        out.push('-');
    }
    if f == 0.0 {
        out.push('0');
        return;
    }
    // Rust's `{:e}` prints the shortest round-tripping digits, like Go's shortest mode:
    // `d[.ddd]e<exp>`.
    let sci = format!("{:e}", f.abs());
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exponent: i64 = exponent.parse().unwrap_or(0);
    let digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    let (first, rest) = digits.split_first().unwrap_or((&b'0', &[]));
    if !(-4..6).contains(&exponent) {
        out.push(char::from(*first));
        if !rest.is_empty() {
            out.push('.');
            rest.iter().for_each(|d| out.push(char::from(*d)));
        }
        out.push('e');
        out.push(if exponent < 0 { '-' } else { '+' });
        let magnitude = exponent.unsigned_abs();
        if magnitude < 10 {
            out.push('0');
        }
        let _ = write!(out, "{magnitude}");
        return;
    }
    // Fixed notation: `exponent + 1` digits before the decimal point.
    let point = exponent + 1;
    if point <= 0 {
        out.push_str("0.");
        for _ in 0..point.unsigned_abs() {
            out.push('0');
        }
        digits.iter().for_each(|d| out.push(char::from(*d)));
        return;
    }
    let point = usize::try_from(point).unwrap_or(usize::MAX);
    for (index, digit) in digits.iter().enumerate() {
        if index == point {
            out.push('.');
        }
        out.push(char::from(*digit));
    }
    for _ in digits.len()..point {
        out.push('0');
    }
}

/// Go's `strconv.Quote` (also starlark-go's string `repr`): double quotes, `\"` and `\\`,
/// `\a \b \f \n \r \t \v`, other control characters as `\x1b`, non-printable runes as `\u00a0`
/// or `\U000e0001`; printable Unicode is kept (`"é"`, `"😀"`).
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    write_go_quote(&mut out, s);
    out
}

/// Appends the Go-quoted form of `s` to `out`.
pub fn write_go_quote(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    let mut rest = s;
    while !rest.is_empty() {
        // Printable ASCII other than `"` and `\` is copied as it is, a run at a time.
        let plain = rest
            .bytes()
            .position(|b| !(0x20..0x7f).contains(&b) || b == b'"' || b == b'\\')
            .unwrap_or(rest.len());
        out.push_str(&rest[..plain]);
        rest = &rest[plain..];
        let Some(c) = rest.chars().next() else {
            break;
        };
        rest = &rest[c.len_utf8()..];
        write_go_quoted_char(out, c);
    }
    out.push('"');
}

/// Appends the quoted form of one character (Go's `strconv.Quote` rules).
fn write_go_quoted_char(out: &mut String, c: char) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        c if is_go_print(c) => out.push(c),
        '\u{07}' => out.push_str("\\a"),
        '\u{08}' => out.push_str("\\b"),
        '\u{0c}' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{0b}' => out.push_str("\\v"),
        c => {
            let code = u32::from(c);
            if code < 0x20 || code == 0x7f {
                let _ = write!(out, "\\x{code:02x}");
            } else if code < 0x10000 {
                let _ = write!(out, "\\u{code:04x}");
            } else {
                let _ = write!(out, "\\U{code:08x}");
            }
        }
    }
}

/// Approximates Go's `strconv.IsPrint`: letters, marks, numbers, punctuation, symbols and the
/// ASCII space. Controls, non-ASCII spaces, format characters, surrogates, private-use and
/// noncharacters are not printable. (Unassigned code points are treated as printable.)
fn is_go_print(c: char) -> bool {
    let code = u32::from(c);
    if code < 0x80 {
        return (0x20..0x7f).contains(&code);
    }
    if c.is_control() {
        return false;
    }
    !matches!(
        code,
        0xA0 | 0xAD
            | 0x600..=0x605
            | 0x61C
            | 0x6DD
            | 0x70F
            | 0x8E2
            | 0x1680
            | 0x180E
            | 0x2000..=0x200F
            | 0x2028..=0x202F
            | 0x205F..=0x2064
            | 0x2066..=0x206F
            | 0x3000
            | 0xE000..=0xF8FF
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0xFFFE..=0xFFFF
            | 0x110BD
            | 0x110CD
            | 0x1D173..=0x1D17A
            | 0xE0001
            | 0xE0020..=0xE007F
            | 0xF0000..=0x10FFFF
    )
}

/// starlark-go's `repr(v)`: Go float and string rendering, recursively inside lists, tuples,
/// dicts and structs; other values use starlark-rust's `repr`.
pub fn go_repr<'v>(v: Value<'v>) -> String {
    let mut out = String::new();
    write_repr(&mut out, v, &mut Vec::new());
    out
}

/// starlark-go's `str(v)`: a string is itself, everything else is rendered as by [`go_repr`]
/// (values unknown to this crate use starlark-rust's `str`).
pub fn go_str<'v>(v: Value<'v>) -> String {
    if let Some(s) = v.unpack_str() {
        return s.to_owned();
    }
    let mut out = String::new();
    write_str(&mut out, v);
    out
}

/// Appends starlark-go's `str(v)` to `out`.
pub(crate) fn write_str<'v>(out: &mut String, v: Value<'v>) {
    if let Some(s) = v.unpack_str() {
        out.push_str(s);
    } else if is_go_rendered(v) {
        write_repr(out, v, &mut Vec::new());
    } else {
        v.collect_str(out);
    }
}

/// Whether this crate renders `v` itself (as opposed to starlark-rust's rendering).
fn is_go_rendered<'v>(v: Value<'v>) -> bool {
    v.downcast_ref::<StarlarkFloat>().is_some()
        || ListRef::from_value(v).is_some()
        || TupleRef::from_value(v).is_some()
        || DictRef::from_value(v).is_some()
        || GoStruct::from_value(v).is_some()
}

/// Appends starlark-go's `repr(v)` to `out`; `stack` holds the containers being rendered, to
/// print cycles as `[...]` / `{...}` the way starlark-go does.
pub(crate) fn write_repr<'v>(out: &mut String, v: Value<'v>, stack: &mut Vec<ValueIdentity<'v>>) {
    if let Some(s) = v.unpack_str() {
        write_go_quote(out, s);
        return;
    }
    if let Some(i) = v.unpack_i32() {
        let _ = write!(out, "{i}");
        return;
    }
    if let Some(f) = v.downcast_ref::<StarlarkFloat>() {
        write_go_float_str(out, f.0);
        return;
    }
    if let Some(list) = ListRef::from_value(v) {
        if enter(out, v, stack, "[...]") {
            out.push('[');
            write_items(out, list.content(), stack);
            out.push(']');
            stack.pop();
        }
        return;
    }
    if let Some(tuple) = TupleRef::from_value(v) {
        if enter(out, v, stack, "(...)") {
            out.push('(');
            write_items(out, tuple.content(), stack);
            if tuple.len() == 1 {
                out.push(',');
            }
            out.push(')');
            stack.pop();
        }
        return;
    }
    if let Some(dict) = DictRef::from_value(v) {
        if enter(out, v, stack, "{...}") {
            out.push('{');
            for (index, (key, value)) in dict.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                write_repr(out, key, stack);
                out.push_str(": ");
                write_repr(out, value, stack);
            }
            out.push('}');
            stack.pop();
        }
        return;
    }
    if let Some(s) = GoStruct::from_value(v) {
        if enter(out, v, stack, "struct(...)") {
            s.write_go(out, stack);
            stack.pop();
        }
        return;
    }
    v.collect_repr(out);
}

/// Pushes `v` on the rendering stack; on a cycle (or too deep nesting) writes `cycle` instead
/// and returns false.
fn enter<'v>(
    out: &mut String,
    v: Value<'v>,
    stack: &mut Vec<ValueIdentity<'v>>,
    cycle: &str,
) -> bool {
    let identity = v.identity();
    if stack.len() >= MAX_DEPTH || stack.contains(&identity) {
        out.push_str(cycle);
        return false;
    }
    stack.push(identity);
    true
}

fn write_items<'v>(out: &mut String, items: &[Value<'v>], stack: &mut Vec<ValueIdentity<'v>>) {
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            out.push_str(", ");
        }
        write_repr(out, *item, stack);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_g_matches_go() {
        let cases = [
            (1.0, "1"),
            (2.5, "2.5"),
            (1e6, "1e+06"),
            (123456.0, "123456"),
            (1231231243.43, "1.23123124343e+09"),
            (12345678.0, "1.2345678e+07"),
            (1.5e-7, "1.5e-07"),
            (1e21, "1e+21"),
            (-0.0, "-0"),
            (0.0, "0"),
            (0.00001, "1e-05"),
            (0.0001, "0.0001"),
            (0.00001234, "1.234e-05"),
            (1e100, "1e+100"),
            (5e-324, "5e-324"),
            (-2.75, "-2.75"),
            (100.5, "100.5"),
            (0.1, "0.1"),
        ];
        for (f, want) in cases {
            assert_eq!(go_float_g(f), want, "{f}");
        }
        assert_eq!(go_float_g(f64::NAN), "NaN");
        assert_eq!(go_float_g(f64::NEG_INFINITY), "-Inf");
    }

    #[test]
    fn float_str_matches_starlark_go() {
        let cases = [
            (1.0, "1.0"),
            (123456.0, "123456.0"),
            (1e6, "1e+06"),
            (12345678.0, "1.2345678e+07"),
            (1.5e-5, "1.5e-05"),
            ((1u64 << 60) as f64, "1.152921504606847e+18"),
            (123456789.123, "1.23456789123e+08"),
            (-0.0, "-0.0"),
            (3.25, "3.25"),
        ];
        for (f, want) in cases {
            assert_eq!(go_float_str(f), want, "{f}");
        }
        assert_eq!(go_float_str(f64::INFINITY), "+inf");
        assert_eq!(go_float_str(f64::NAN), "nan");
    }

    #[test]
    fn quote_keeps_printable_unicode() {
        assert_eq!(go_quote("é"), "\"é\"");
        assert_eq!(go_quote("\u{1F600}"), "\"\u{1F600}\"");
        assert_eq!(go_quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(go_quote("\n\t\u{1b}\u{7f}"), "\"\\n\\t\\x1b\\x7f\"");
        assert_eq!(go_quote("\u{a0}\u{feff}"), "\"\\u00a0\\ufeff\"");
        assert_eq!(go_quote("\u{e0001}"), "\"\\U000e0001\"");
    }

    #[test]
    fn quote_mixes_plain_runs_and_escapes() {
        assert_eq!(go_quote(""), "\"\"");
        assert_eq!(
            go_quote("plain text \"q\" a\\b\u{a0}é\nend"),
            "\"plain text \\\"q\\\" a\\\\b\\u00a0é\\nend\""
        );
        let mut out = String::from("x=");
        write_go_quote(&mut out, "{{.Name}}\t");
        assert_eq!(out, "x=\"{{.Name}}\\t\"");
    }
}
