//! The `time` module (starlark-go `go.starlark.net/lib/time`) with `now()` disabled, as
//! Kurtosis predeclares it: `time.duration` and `time.time` values, `from_timestamp`,
//! `is_valid_timezone`, `parse_duration`, `parse_time`, `time`, and the duration constants.
//!
//! Go's local zone is taken to be UTC (the Kurtosis engine runs in UTC). Time zones come from
//! jiff's bundled IANA database, so answers do not depend on the host's tzdata.

mod duration;
mod layout;
mod timeval;
mod zone;

use allocative::Allocative;
use starlark::any::ProvidesStaticType;
use starlark::environment::Methods;
use starlark::environment::MethodsBuilder;
use starlark::environment::MethodsStatic;
use starlark::starlark_module;
use starlark::starlark_simple_value;
use starlark::values::NoSerialize;
use starlark::values::StarlarkPagable;
use starlark::values::StarlarkValue;
use starlark::values::Value;
use starlark::values::ValueLike;
use starlark::values::none::NoneType;
use starlark::values::starlark_value;
use starlark::values::tuple::UnpackTuple;

pub use self::duration::Duration;
pub use self::duration::format_duration;
pub use self::duration::parse_duration as parse_go_duration;
pub use self::timeval::TimeValue;

use self::zone::Location;

/// The duration in nanoseconds when `value` is a `time.duration`.
pub fn as_duration(value: Value<'_>) -> Option<i64> {
    value.downcast_ref::<Duration>().map(|d| d.0)
}

/// `(unix seconds, nanoseconds within the second)` when `value` is a `time.time`.
pub fn as_time(value: Value<'_>) -> Option<(i64, u32)> {
    value.downcast_ref::<TimeValue>().map(|t| (t.unix, t.nsec))
}

/// Go's `quote` from package `time` (used in its error texts): double quotes, `"` and `\`
/// escaped, bytes outside printable ASCII as `\xNN`.
pub(crate) fn go_quote_time(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for &b in s {
        if !(b' '..0x80).contains(&b) {
            out.push_str(&format!("\\x{b:02x}"));
        } else {
            if b == b'"' || b == b'\\' {
                out.push('\\');
            }
            out.push(char::from(b));
        }
    }
    out.push('"');
    out
}

/// The `time` module value.
#[derive(Debug, ProvidesStaticType, NoSerialize, Allocative, StarlarkPagable)]
pub struct TimeModule;

starlark_simple_value!(TimeModule);

impl std::fmt::Display for TimeModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<module \"time\">")
    }
}

/// The duration constants of the module.
const CONSTANTS: [(&str, i64); 6] = [
    ("nanosecond", duration::NANOSECOND),
    ("microsecond", duration::MICROSECOND),
    ("millisecond", duration::MILLISECOND),
    ("second", duration::SECOND),
    ("minute", duration::MINUTE),
    ("hour", duration::HOUR),
];

#[starlark_value(type = "module")]
impl<'v> StarlarkValue<'v> for TimeModule {
    fn get_attr(&self, attribute: &str, heap: starlark::values::Heap<'v>) -> Option<Value<'v>> {
        CONSTANTS
            .iter()
            .find(|(name, _)| *name == attribute)
            .map(|(_, nanos)| heap.alloc(Duration(*nanos)))
    }

    fn has_attr(&self, attribute: &str, _heap: starlark::values::Heap<'v>) -> bool {
        CONSTANTS.iter().any(|(name, _)| *name == attribute)
    }

    fn dir_attr(&self) -> Vec<String> {
        CONSTANTS
            .iter()
            .map(|(name, _)| (*name).to_owned())
            .collect()
    }

    fn get_methods() -> Option<&'static Methods> {
        static RES: MethodsStatic = MethodsStatic::new("hortus_stdlib::time", time_module_methods);
        Some(RES.methods())
    }
}

fn load_location(name: &str) -> anyhow::Result<Location> {
    Location::load(name).map_err(|e| anyhow::anyhow!(e))
}

#[starlark_module]
fn time_module_methods(builder: &mut MethodsBuilder) {
    /// Not supported in Kurtosis (interpretation must be deterministic): always fails.
    fn now<'v>(#[starlark(this)] _this: Value<'v>) -> anyhow::Result<NoneType> {
        Err(anyhow::anyhow!(crate::TIME_NOW_NOT_SUPPORTED))
    }

    /// The time `sec` seconds (plus `nsec` nanoseconds) after 1970-01-01T00:00:00Z, in UTC
    /// (Go's `time.Unix`).
    ///
    /// ```python
    /// time.from_timestamp(1593193116)  # 2020-06-26 17:38:36 +0000 UTC
    /// ```
    fn from_timestamp<'v>(
        #[starlark(this)] _this: Value<'v>,
        #[starlark(require = pos)] sec: i64,
        #[starlark(require = pos, default = 0)] nsec: i64,
    ) -> anyhow::Result<TimeValue> {
        Ok(TimeValue::from_unix(sec, nsec))
    }

    /// Whether `loc` names a time zone (`"UTC"`, `"Europe/Paris"`, ...).
    ///
    /// ```python
    /// time.is_valid_timezone("Asia/Tokyo")  # True
    /// ```
    fn is_valid_timezone<'v>(
        #[starlark(this)] _this: Value<'v>,
        #[starlark(require = pos)] loc: &str,
    ) -> anyhow::Result<bool> {
        Ok(Location::load(loc).is_ok())
    }

    /// Parses a Go duration (`"10s"`, `"1m30s"`, `"-1.5h"`, `"500ms"`); a duration is
    /// returned as is.
    ///
    /// ```python
    /// timeout = time.parse_duration("2m")  # 2m0s
    /// ```
    fn parse_duration<'v>(
        #[starlark(this)] _this: Value<'v>,
        #[starlark(require = pos)] d: Value<'v>,
    ) -> anyhow::Result<Duration> {
        if let Some(d) = d.downcast_ref::<Duration>() {
            return Ok(*d);
        }
        let Some(text) = d.unpack_str() else {
            anyhow::bail!(
                "parse_duration: for parameter 1: got {}, want a duration, string, or int",
                d.get_type()
            );
        };
        duration::parse_duration(text)
            .map(Duration)
            .map_err(|e| anyhow::anyhow!("parse_duration: for parameter 1: {e}"))
    }

    /// Parses a time with a Go layout (default RFC 3339) in a location (default UTC).
    ///
    /// ```python
    /// time.parse_time("2021-03-22T23:20:50Z")
    /// time.parse_time("22/03/2021 23:20", format = "02/01/2006 15:04", location = "Europe/Paris")
    /// ```
    fn parse_time<'v>(
        #[starlark(this)] _this: Value<'v>,
        x: &str,
        #[starlark(default = layout::RFC3339)] format: &str,
        #[starlark(default = "UTC")] location: &str,
    ) -> anyhow::Result<TimeValue> {
        let loc = if location == "UTC" {
            Location::Utc
        } else {
            load_location(location)?
        };
        layout::parse(format, x, &loc, &loc).map_err(|e| anyhow::anyhow!(e))
    }

    /// The time `year-month-day hour:minute:second + nanosecond` in `location` (Go's
    /// `time.Date`; out-of-range values are normalised). Keyword arguments only.
    ///
    /// ```python
    /// time.time(year = 2009, month = 11, day = 10, hour = 23)  # 2009-11-10 23:00:00 +0000 UTC
    /// ```
    #[allow(clippy::too_many_arguments)]
    fn time<'v>(
        #[starlark(this)] _this: Value<'v>,
        #[starlark(args)] args: UnpackTuple<Value<'v>>,
        #[starlark(require = named, default = 0)] year: i64,
        #[starlark(require = named, default = 0)] month: i64,
        #[starlark(require = named, default = 0)] day: i64,
        #[starlark(require = named, default = 0)] hour: i64,
        #[starlark(require = named, default = 0)] minute: i64,
        #[starlark(require = named, default = 0)] second: i64,
        #[starlark(require = named, default = 0)] nanosecond: i64,
        #[starlark(require = named, default = "")] location: &str,
    ) -> anyhow::Result<TimeValue> {
        if !args.items.is_empty() {
            anyhow::bail!("time: unexpected positional arguments");
        }
        let loc = load_location(location)?;
        Ok(TimeValue::date(
            year, month, day, hour, minute, second, nanosecond, loc,
        ))
    }
}

#[cfg(test)]
mod tests;
