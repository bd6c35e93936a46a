//! `time.duration` (starlark-go `lib/time.Duration`): a signed count of nanoseconds (Go's
//! `time.Duration`), printed and parsed exactly as Go does.

use std::cmp::Ordering;
use std::fmt;
use std::hash::Hash;

use allocative::Allocative;
use serde::Serialize;
use serde::ser::SerializeMap;
use starlark::any::ProvidesStaticType;
use starlark::collections::StarlarkHasher;
use starlark::starlark_simple_value;
use starlark::values::Heap;
use starlark::values::StarlarkPagable;
use starlark::values::StarlarkValue;
use starlark::values::UnpackValue;
use starlark::values::Value;
use starlark::values::ValueError;
use starlark::values::ValueLike;
use starlark::values::float::StarlarkFloat;
use starlark::values::starlark_value;

use super::go_quote_time;
use super::timeval::TimeValue;

pub(crate) const NANOSECOND: i64 = 1;
pub(crate) const MICROSECOND: i64 = 1_000;
pub(crate) const MILLISECOND: i64 = 1_000_000;
pub(crate) const SECOND: i64 = 1_000_000_000;
pub(crate) const MINUTE: i64 = 60 * SECOND;
pub(crate) const HOUR: i64 = 60 * MINUTE;

/// The attributes of a duration, in starlark-go's `AttrNames` order.
const ATTRS: [&str; 6] = [
    "hours",
    "minutes",
    "seconds",
    "milliseconds",
    "microseconds",
    "nanoseconds",
];

/// A starlark-go `time.duration`: nanoseconds as Go's `time.Duration` (an `int64`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, ProvidesStaticType, Allocative, StarlarkPagable,
)]
pub struct Duration(pub i64);

starlark_simple_value!(Duration);

impl fmt::Display for Duration {
    /// Go's `time.Duration.String()`: `1h0m0s`, `1m30s`, `1.5s`, `500ms`, `0s`, `-2µs`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_duration(self.0))
    }
}

/// One attribute value of a duration.
enum AttrValue {
    Float(f64),
    Int(i64),
}

impl Duration {
    fn attr(self, name: &str) -> Option<AttrValue> {
        let d = self.0;
        Some(match name {
            // Go: float64(d / unit) + float64(d % unit) / unit, avoiding precision loss.
            "hours" => AttrValue::Float((d / HOUR) as f64 + (d % HOUR) as f64 / HOUR as f64),
            "minutes" => {
                AttrValue::Float((d / MINUTE) as f64 + (d % MINUTE) as f64 / MINUTE as f64)
            }
            "seconds" => {
                AttrValue::Float((d / SECOND) as f64 + (d % SECOND) as f64 / SECOND as f64)
            }
            "milliseconds" => AttrValue::Int(d / MILLISECOND),
            "microseconds" => AttrValue::Int(d / MICROSECOND),
            "nanoseconds" => AttrValue::Int(d),
            _ => return None,
        })
    }

    /// The attributes sorted by name with their values, as `json.encode` renders them.
    pub(crate) fn sorted_attrs(self) -> Vec<(&'static str, Result<i64, f64>)> {
        let mut names = ATTRS.to_vec();
        names.sort_unstable();
        names
            .into_iter()
            .filter_map(|name| {
                self.attr(name).map(|value| {
                    (
                        name,
                        match value {
                            AttrValue::Float(f) => Err(f),
                            AttrValue::Int(i) => Ok(i),
                        },
                    )
                })
            })
            .collect()
    }
}

impl Serialize for Duration {
    /// The object `json.encode` produces: the attributes sorted by name.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let attrs = self.sorted_attrs();
        let mut map = serializer.serialize_map(Some(attrs.len()))?;
        for (name, value) in attrs {
            match value {
                Ok(i) => map.serialize_entry(name, &i)?,
                Err(f) => map.serialize_entry(name, &f)?,
            }
        }
        map.end()
    }
}

/// The `int` operand of `d * i` / `d / i` as Go's `int64`, or `None` when `v` is no int.
fn int_operand<'v>(v: Value<'v>) -> Option<starlark::Result<i64>> {
    if v.get_type() != "int" {
        return None;
    }
    Some(match i64::unpack_value(v) {
        Ok(Some(i)) => Ok(i),
        _ => Err(starlark::Error::new_other(anyhow::anyhow!(
            "int value out of range (want signed 64-bit value)"
        ))),
    })
}

fn division_by_zero<T>() -> starlark::Result<T> {
    Err(starlark::Error::new_other(anyhow::anyhow!(
        "time.duration division by zero"
    )))
}

/// Go's conversion of a float64 to int64 on amd64: out-of-range and NaN give `MinInt64`.
fn go_f64_to_i64(f: f64) -> i64 {
    if (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&f) {
        f as i64
    } else {
        i64::MIN
    }
}

#[starlark_value(type = "time.duration")]
impl<'v> StarlarkValue<'v> for Duration {
    type Canonical = Self;

    fn collect_repr(&self, collector: &mut String) {
        collector.push_str(&format_duration(self.0));
    }

    fn to_bool(&self) -> bool {
        self.0 != 0
    }

    fn write_hash(&self, hasher: &mut StarlarkHasher) -> starlark::Result<()> {
        self.0.hash(hasher);
        Ok(())
    }

    fn equals(&self, other: Value<'v>) -> starlark::Result<bool> {
        Ok(other
            .downcast_ref::<Duration>()
            .is_some_and(|o| o.0 == self.0))
    }

    fn compare(&self, other: Value<'v>) -> starlark::Result<Ordering> {
        match other.downcast_ref::<Duration>() {
            Some(o) => Ok(self.0.cmp(&o.0)),
            None => ValueError::unsupported_with(self, "compare", other),
        }
    }

    fn get_attr(&self, attribute: &str, heap: Heap<'v>) -> Option<Value<'v>> {
        Some(match self.attr(attribute)? {
            AttrValue::Float(f) => heap.alloc(f),
            AttrValue::Int(i) => heap.alloc(i),
        })
    }

    fn has_attr(&self, attribute: &str, _heap: Heap<'v>) -> bool {
        ATTRS.contains(&attribute)
    }

    fn dir_attr(&self) -> Vec<String> {
        ATTRS.iter().map(|s| (*s).to_owned()).collect()
    }

    /// `d + d` → duration, `d + t` → time.
    fn add(&self, rhs: Value<'v>, heap: Heap<'v>) -> Option<starlark::Result<Value<'v>>> {
        if let Some(other) = rhs.downcast_ref::<Duration>() {
            return Some(Ok(heap.alloc(Duration(self.0.wrapping_add(other.0)))));
        }
        if let Some(t) = rhs.downcast_ref::<TimeValue>() {
            return Some(Ok(heap.alloc(t.add_duration(self.0))));
        }
        None
    }

    /// `d - d` → duration. starlark-go also evaluates `d - t` as `t - d` (its `Time.Binary`
    /// ignores the operand side); that is reproduced.
    fn sub(&self, other: Value<'v>, heap: Heap<'v>) -> starlark::Result<Value<'v>> {
        if let Some(o) = other.downcast_ref::<Duration>() {
            return Ok(heap.alloc(Duration(self.0.wrapping_sub(o.0))));
        }
        if let Some(t) = other.downcast_ref::<TimeValue>() {
            return Ok(heap.alloc(t.add_duration(self.0.wrapping_neg())));
        }
        ValueError::unsupported_with(self, "-", other)
    }

    /// `d * i` → duration (Go wraps on overflow).
    fn mul(&self, rhs: Value<'v>, heap: Heap<'v>) -> Option<starlark::Result<Value<'v>>> {
        let i = int_operand(rhs)?;
        Some(i.map(|i| heap.alloc(Duration(self.0.wrapping_mul(i)))))
    }

    /// `i * d` → duration.
    fn rmul(&self, lhs: Value<'v>, heap: Heap<'v>) -> Option<starlark::Result<Value<'v>>> {
        self.mul(lhs, heap)
    }

    /// `d / d` → float, `d / i` and `d / f` → duration.
    fn div(&self, other: Value<'v>, heap: Heap<'v>) -> starlark::Result<Value<'v>> {
        if let Some(o) = other.downcast_ref::<Duration>() {
            if o.0 == 0 {
                return division_by_zero();
            }
            return Ok(heap.alloc(self.0 as f64 / o.0 as f64));
        }
        if let Some(i) = int_operand(other) {
            let i = i?;
            if i == 0 {
                return division_by_zero();
            }
            return Ok(heap.alloc(Duration(self.0.wrapping_div(i))));
        }
        if let Some(f) = other.downcast_ref::<StarlarkFloat>() {
            if f.0 == 0.0 {
                return division_by_zero();
            }
            return Ok(heap.alloc(Duration(go_f64_to_i64(self.0 as f64 / f.0))));
        }
        ValueError::unsupported_with(self, "/", other)
    }

    /// `d // d` → int (Go's truncating integer division).
    fn floor_div(&self, other: Value<'v>, heap: Heap<'v>) -> starlark::Result<Value<'v>> {
        if let Some(o) = other.downcast_ref::<Duration>() {
            if o.0 == 0 {
                return division_by_zero();
            }
            return Ok(heap.alloc(self.0.wrapping_div(o.0)));
        }
        ValueError::unsupported_with(self, "//", other)
    }
}

/// Go's `time.Duration.String()`.
pub fn format_duration(d: i64) -> String {
    let neg = d < 0;
    let mut u = d.unsigned_abs();
    // Built backwards, like Go.
    let mut buf: Vec<u8> = Vec::with_capacity(32);
    const SEC: u64 = 1_000_000_000;
    if u < SEC {
        if u == 0 {
            return "0s".to_owned();
        }
        buf.push(b's');
        let prec = if u < 1_000 {
            buf.push(b'n');
            0
        } else if u < 1_000_000 {
            // "µ" reversed (U+00B5 is 0xC2 0xB5).
            buf.push(0xB5);
            buf.push(0xC2);
            3
        } else {
            buf.push(b'm');
            6
        };
        u = fmt_frac(&mut buf, u, prec);
        fmt_int(&mut buf, u);
    } else {
        buf.push(b's');
        u = fmt_frac(&mut buf, u, 9);
        fmt_int(&mut buf, u % 60);
        u /= 60;
        if u > 0 {
            buf.push(b'm');
            fmt_int(&mut buf, u % 60);
            u /= 60;
            if u > 0 {
                buf.push(b'h');
                fmt_int(&mut buf, u);
            }
        }
    }
    if neg {
        buf.push(b'-');
    }
    buf.reverse();
    String::from_utf8_lossy(&buf).into_owned()
}

/// Go's `fmtFrac` (reversed output): the fraction of `v / 10^prec` without trailing zeros, and
/// no point when the fraction is zero. Returns `v / 10^prec`.
fn fmt_frac(buf: &mut Vec<u8>, mut v: u64, prec: usize) -> u64 {
    let mut printed = false;
    for _ in 0..prec {
        let digit = v % 10;
        printed = printed || digit != 0;
        if printed {
            buf.push(b'0' + digit as u8);
        }
        v /= 10;
    }
    if printed {
        buf.push(b'.');
    }
    v
}

/// Go's `fmtInt` (reversed output).
fn fmt_int(buf: &mut Vec<u8>, mut v: u64) {
    if v == 0 {
        buf.push(b'0');
        return;
    }
    while v > 0 {
        buf.push(b'0' + (v % 10) as u8);
        v /= 10;
    }
}

/// Go's `time.ParseDuration`, with its error texts (`time: invalid duration "x"`,
/// `time: missing unit in duration "1"`, `time: unknown unit "x" in duration "1x"`).
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let orig = text.as_bytes();
    let invalid = || format!("time: invalid duration {}", go_quote_time(orig));
    let mut s = orig;
    let mut d: u64 = 0;
    let mut neg = false;
    if let Some(&c @ (b'-' | b'+')) = s.first() {
        neg = c == b'-';
        s = &s[1..];
    }
    if s == b"0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    while let Some(&first) = s.first() {
        if !(first == b'.' || first.is_ascii_digit()) {
            return Err(invalid());
        }
        let before = s.len();
        let (mut v, rest) = leading_int(s).ok_or_else(invalid)?;
        s = rest;
        let pre = before != s.len();
        let mut post = false;
        let mut f: u64 = 0;
        let mut scale: f64 = 1.0;
        if s.first() == Some(&b'.') {
            s = &s[1..];
            let before = s.len();
            let (frac, frac_scale, rest) = leading_fraction(s);
            f = frac;
            scale = frac_scale;
            s = rest;
            post = before != s.len();
        }
        if !pre && !post {
            return Err(invalid());
        }
        let unit_len = s
            .iter()
            .position(|&c| c == b'.' || c.is_ascii_digit())
            .unwrap_or(s.len());
        if unit_len == 0 {
            return Err(format!(
                "time: missing unit in duration {}",
                go_quote_time(orig)
            ));
        }
        let (unit_text, rest) = s.split_at(unit_len);
        s = rest;
        let unit: u64 = match unit_text {
            b"ns" => 1,
            b"us" => 1_000,
            b"\xC2\xB5s" | b"\xCE\xBCs" => 1_000,
            b"ms" => 1_000_000,
            b"s" => 1_000_000_000,
            b"m" => 60_000_000_000,
            b"h" => 3_600_000_000_000,
            _ => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    go_quote_time(unit_text),
                    go_quote_time(orig)
                ));
            }
        };
        if v > (1u64 << 63) / unit {
            return Err(invalid());
        }
        v *= unit;
        if f > 0 {
            v = v.wrapping_add((f as f64 * (unit as f64 / scale)) as u64);
            if v > 1u64 << 63 {
                return Err(invalid());
            }
        }
        d = d.wrapping_add(v);
        if d > 1u64 << 63 {
            return Err(invalid());
        }
    }
    if neg {
        return Ok((d as i64).wrapping_neg());
    }
    if d > (1u64 << 63) - 1 {
        return Err(invalid());
    }
    Ok(d as i64)
}

/// Go's `leadingInt`: the leading `[0-9]*` and the rest; `None` on overflow.
pub(crate) fn leading_int(s: &[u8]) -> Option<(u64, &[u8])> {
    let mut x: u64 = 0;
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        if !c.is_ascii_digit() {
            break;
        }
        if x > (1u64 << 63) / 10 {
            return None;
        }
        x = x * 10 + u64::from(c - b'0');
        if x > 1u64 << 63 {
            return None;
        }
        i += 1;
    }
    Some((x, &s[i..]))
}

/// Go's `leadingFraction`: digits accumulated until they would overflow.
fn leading_fraction(s: &[u8]) -> (u64, f64, &[u8]) {
    let mut x: u64 = 0;
    let mut scale = 1.0;
    let mut overflow = false;
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        if !c.is_ascii_digit() {
            break;
        }
        i += 1;
        if overflow {
            continue;
        }
        if x > ((1u64 << 63) - 1) / 10 {
            overflow = true;
            continue;
        }
        let y = x * 10 + u64::from(c - b'0');
        if y > 1u64 << 63 {
            overflow = true;
            continue;
        }
        x = y;
        scale *= 10.0;
    }
    (x, scale, &s[i..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_go() {
        for (nanos, text) in [
            (0, "0s"),
            (1, "1ns"),
            (1_100, "1.1µs"),
            (2_200_000, "2.2ms"),
            (3_300_000_000, "3.3s"),
            (4 * MINUTE + 5 * SECOND, "4m5s"),
            (4 * MINUTE + 5_001 * MILLISECOND, "4m5.001s"),
            (5 * HOUR + 6 * MINUTE + 7_001 * MILLISECOND, "5h6m7.001s"),
            (8 * MINUTE + 1, "8m0.000000001s"),
            (HOUR, "1h0m0s"),
            (90 * SECOND, "1m30s"),
            (-1500 * MILLISECOND, "-1.5s"),
            (i64::MAX, "2562047h47m16.854775807s"),
            (i64::MIN, "-2562047h47m16.854775808s"),
        ] {
            assert_eq!(format_duration(nanos), text, "{nanos}");
        }
    }

    #[test]
    fn parses_like_go() {
        for (text, nanos) in [
            ("0", 0),
            ("5s", 5 * SECOND),
            ("30s", 30 * SECOND),
            ("1478s", 1478 * SECOND),
            ("-5s", -5 * SECOND),
            ("+5s", 5 * SECOND),
            ("-0", 0),
            ("5.0s", 5 * SECOND),
            ("5.6s", 5 * SECOND + 600 * MILLISECOND),
            (".5s", 500 * MILLISECOND),
            ("1.s", SECOND),
            ("1.004s", SECOND + 4 * MILLISECOND),
            ("100.00100s", 100 * SECOND + MILLISECOND),
            ("10ns", 10),
            ("11us", 11 * MICROSECOND),
            ("12µs", 12 * MICROSECOND),
            ("12μs", 12 * MICROSECOND),
            ("13ms", 13 * MILLISECOND),
            ("14s", 14 * SECOND),
            ("15m", 15 * MINUTE),
            ("16h", 16 * HOUR),
            ("3h30m", 3 * HOUR + 30 * MINUTE),
            ("10.5s4m", 4 * MINUTE + 10 * SECOND + 500 * MILLISECOND),
            ("-2m3.4s", -(2 * MINUTE + 3 * SECOND + 400 * MILLISECOND)),
            (
                "1h2m3s4ms5us6ns",
                HOUR + 2 * MINUTE + 3 * SECOND + 4 * MILLISECOND + 5 * MICROSECOND + 6,
            ),
            (
                "39h9m14.425s",
                39 * HOUR + 9 * MINUTE + 14 * SECOND + 425 * MILLISECOND,
            ),
            ("52763797000ns", 52763797000),
            ("0.3333333333333333333h", 20 * MINUTE),
            ("9007199254740993ns", (1 << 53) + 1),
            ("9223372036854775807ns", i64::MAX),
            ("9223372036854775.807us", i64::MAX),
            ("9223372036s854ms775us807ns", i64::MAX),
            ("-9223372036854775808ns", i64::MIN),
            ("-9223372036854775.808us", i64::MIN),
            ("0.100000000000000000000h", 6 * MINUTE),
            (
                "0.830103483285477580700h",
                49 * MINUTE + 48 * SECOND + 372539827,
            ),
        ] {
            assert_eq!(parse_duration(text), Ok(nanos), "{text}");
        }
    }

    #[test]
    fn parse_errors_match_go() {
        assert_eq!(
            parse_duration("").unwrap_err(),
            "time: invalid duration \"\""
        );
        assert_eq!(
            parse_duration("3").unwrap_err(),
            "time: missing unit in duration \"3\""
        );
        assert_eq!(
            parse_duration("-").unwrap_err(),
            "time: invalid duration \"-\""
        );
        assert_eq!(
            parse_duration("s").unwrap_err(),
            "time: invalid duration \"s\""
        );
        assert_eq!(
            parse_duration(".").unwrap_err(),
            "time: invalid duration \".\""
        );
        assert_eq!(
            parse_duration("-.").unwrap_err(),
            "time: invalid duration \"-.\""
        );
        assert_eq!(
            parse_duration(".s").unwrap_err(),
            "time: invalid duration \".s\""
        );
        assert_eq!(
            parse_duration("+.s").unwrap_err(),
            "time: invalid duration \"+.s\""
        );
        assert_eq!(
            parse_duration("1d").unwrap_err(),
            "time: unknown unit \"d\" in duration \"1d\""
        );
        assert_eq!(
            parse_duration("1µ").unwrap_err(),
            "time: unknown unit \"\\xc2\\xb5\" in duration \"1\\xc2\\xb5\""
        );
        assert_eq!(
            parse_duration("9223372036854775810ns").unwrap_err(),
            "time: invalid duration \"9223372036854775810ns\""
        );
        assert_eq!(
            parse_duration("9223372036854775808ns").unwrap_err(),
            "time: invalid duration \"9223372036854775808ns\""
        );
        assert!(parse_duration("3000000h").is_err());
        assert!(parse_duration("9223372036854775.808us").is_err());
        assert!(parse_duration("9223372036854ms775us808ns").is_err());
    }
}
