//! `time.time` (starlark-go `lib/time.Time`): an instant with a location, as Go's `time.Time`.

use std::cmp::Ordering;
use std::fmt;
use std::hash::Hash;

use allocative::Allocative;
use starlark::any::ProvidesStaticType;
use starlark::collections::StarlarkHasher;
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
use starlark::values::ValueError;
use starlark::values::ValueLike;
use starlark::values::starlark_value;

use super::duration::Duration;
use super::layout;
use super::zone::Location;

/// Seconds from 0001-01-01 to 1970-01-01 (Go's zero `Time` is year 1).
const ZERO_TIME_UNIX: i64 = -62_135_596_800;

/// The data attributes of a time, in starlark-go's `AttrNames` order.
const ATTRS: [&str; 9] = [
    "year",
    "month",
    "day",
    "hour",
    "minute",
    "second",
    "nanosecond",
    "unix",
    "unix_nano",
];

/// A starlark-go `time.time`: Unix seconds, nanoseconds within the second, and a location.
#[derive(Debug, Clone, ProvidesStaticType, NoSerialize, Allocative, StarlarkPagable)]
pub struct TimeValue {
    /// Seconds since 1970-01-01T00:00:00Z.
    pub(crate) unix: i64,
    /// Nanoseconds within the second, `0..1_000_000_000`.
    pub(crate) nsec: u32,
    #[allocative(skip)]
    #[starlark_pagable(skip)]
    pub(crate) loc: Location,
}

starlark_simple_value!(TimeValue);

impl fmt::Display for TimeValue {
    /// Go's `Time.String()`: `2006-01-02 15:04:05.999999999 -0700 MST`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.format("2006-01-02 15:04:05.999999999 -0700 MST"))
    }
}

/// The calendar fields of an instant in its location.
pub(crate) struct Fields {
    pub(crate) year: i64,
    pub(crate) month: u32,
    pub(crate) day: u32,
    pub(crate) yday: u32,
    /// 0 = Sunday.
    pub(crate) weekday: u32,
    pub(crate) hour: u32,
    pub(crate) minute: u32,
    pub(crate) second: u32,
}

impl TimeValue {
    /// Go's `time.Unix(sec, nsec)` (in UTC, the Kurtosis engine's local zone).
    pub(crate) fn from_unix(sec: i64, nsec: i64) -> TimeValue {
        let mut sec = sec;
        let mut nsec = nsec;
        if !(0..1_000_000_000).contains(&nsec) {
            let n = nsec / 1_000_000_000;
            sec = sec.wrapping_add(n);
            nsec -= n * 1_000_000_000;
            if nsec < 0 {
                nsec += 1_000_000_000;
                sec = sec.wrapping_sub(1);
            }
        }
        TimeValue {
            unix: sec,
            nsec: u32::try_from(nsec).unwrap_or(0),
            loc: Location::Utc,
        }
    }

    /// Go's `time.Date(year, month, day, hour, min, sec, nsec, loc)`: out-of-range fields are
    /// normalised (month 13 is January of the next year, day 0 the last day of the previous
    /// month, ...).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn date(
        year: i64,
        month: i64,
        day: i64,
        hour: i64,
        minute: i64,
        second: i64,
        nsec: i64,
        loc: Location,
    ) -> TimeValue {
        let (year, month) = norm(i128::from(year), i128::from(month) - 1, 12);
        let (second, nsec) = norm(i128::from(second), i128::from(nsec), 1_000_000_000);
        let (minute, second) = norm(i128::from(minute), second, 60);
        let (hour, minute) = norm(i128::from(hour), minute, 60);
        let (day, hour) = norm(i128::from(day), hour, 24);
        let days = days_from_civil(year, month + 1, 1) + day - 1;
        let local = days * 86_400 + hour * 3_600 + minute * 60 + second;
        // Go's arithmetic wraps silently far outside the representable range.
        let local = local as i64;
        let unix = loc.local_to_unix(local);
        TimeValue {
            unix,
            nsec: u32::try_from(nsec).unwrap_or(0),
            loc,
        }
    }

    /// Offset (seconds east of UTC) and zone abbreviation at this instant.
    pub(crate) fn zone(&self) -> (String, i32) {
        self.loc.lookup(self.unix)
    }

    /// Calendar fields in this time's location.
    pub(crate) fn fields(&self) -> Fields {
        let (_, offset) = self.zone();
        let local = i128::from(self.unix) + i128::from(offset);
        let days = local.div_euclid(86_400);
        let secs = local.rem_euclid(86_400) as u32;
        let (year, month, day) = civil_from_days(days);
        let yday = (days - days_from_civil(year, 1, 1) + 1) as u32;
        Fields {
            year: year as i64,
            month: month as u32,
            day: day as u32,
            yday,
            weekday: (days + 4).rem_euclid(7) as u32,
            hour: secs / 3_600,
            minute: secs / 60 % 60,
            second: secs % 60,
        }
    }

    /// Go's `Time.Format(layout)`.
    pub(crate) fn format(&self, layout: &str) -> String {
        layout::format(self, layout)
    }

    /// Go's `Time.Add(d)` (saturating far outside the representable range).
    pub(crate) fn add_duration(&self, d: i64) -> TimeValue {
        let mut dsec = d / 1_000_000_000;
        let mut nsec = i64::from(self.nsec) + d % 1_000_000_000;
        if nsec >= 1_000_000_000 {
            dsec += 1;
            nsec -= 1_000_000_000;
        } else if nsec < 0 {
            dsec -= 1;
            nsec += 1_000_000_000;
        }
        TimeValue {
            unix: self.unix.saturating_add(dsec),
            nsec: u32::try_from(nsec).unwrap_or(0),
            loc: self.loc.clone(),
        }
    }

    /// Go's `Time.Sub(u)`: saturates at the minimum and maximum durations.
    pub(crate) fn sub_time(&self, other: &TimeValue) -> i64 {
        let d = (i128::from(self.unix) - i128::from(other.unix)) * 1_000_000_000
            + (i128::from(self.nsec) - i128::from(other.nsec));
        d.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    }

    /// Go's `Time.UnixNano()` (wraps outside years 1678..2262, as Go does).
    pub(crate) fn unix_nano(&self) -> i64 {
        self.unix
            .wrapping_mul(1_000_000_000)
            .wrapping_add(i64::from(self.nsec))
    }

    fn instant(&self) -> (i64, u32) {
        (self.unix, self.nsec)
    }

    fn attr_int(&self, name: &str) -> Option<i64> {
        Some(match name {
            "unix" => self.unix,
            "unix_nano" => self.unix_nano(),
            "nanosecond" => i64::from(self.nsec),
            _ => {
                let f = self.fields();
                match name {
                    "year" => f.year,
                    "month" => i64::from(f.month),
                    "day" => i64::from(f.day),
                    "hour" => i64::from(f.hour),
                    "minute" => i64::from(f.minute),
                    "second" => i64::from(f.second),
                    _ => return None,
                }
            }
        })
    }
}

/// Go's `norm(hi, lo, base)`: moves whole multiples of `base` from `lo` into `hi` so that
/// `0 <= lo < base`.
fn norm(hi: i128, lo: i128, base: i128) -> (i128, i128) {
    (hi + lo.div_euclid(base), lo.rem_euclid(base))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (`month` 1..=12).
pub(crate) fn days_from_civil(year: i128, month: i128, day: i128) -> i128 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day number (days since 1970-01-01).
pub(crate) fn civil_from_days(days: i128) -> (i128, i128, i128) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[starlark_value(type = "time.time")]
impl<'v> StarlarkValue<'v> for TimeValue {
    type Canonical = Self;

    fn get_methods() -> Option<&'static Methods> {
        static RES: MethodsStatic = MethodsStatic::new("hortus_stdlib::time::Time", time_methods);
        Some(RES.methods())
    }

    fn collect_repr(&self, collector: &mut String) {
        collector.push_str(&self.to_string());
    }

    /// False only for Go's zero time (0001-01-01 00:00:00 UTC).
    fn to_bool(&self) -> bool {
        !(self.unix == ZERO_TIME_UNIX && self.nsec == 0)
    }

    fn write_hash(&self, hasher: &mut StarlarkHasher) -> starlark::Result<()> {
        self.instant().hash(hasher);
        Ok(())
    }

    fn equals(&self, other: Value<'v>) -> starlark::Result<bool> {
        Ok(other
            .downcast_ref::<TimeValue>()
            .is_some_and(|o| o.instant() == self.instant()))
    }

    fn compare(&self, other: Value<'v>) -> starlark::Result<Ordering> {
        match other.downcast_ref::<TimeValue>() {
            Some(o) => Ok(self.instant().cmp(&o.instant())),
            None => ValueError::unsupported_with(self, "compare", other),
        }
    }

    fn get_attr(&self, attribute: &str, heap: Heap<'v>) -> Option<Value<'v>> {
        self.attr_int(attribute).map(|i| heap.alloc(i))
    }

    fn has_attr(&self, attribute: &str, _heap: Heap<'v>) -> bool {
        ATTRS.contains(&attribute)
    }

    fn dir_attr(&self) -> Vec<String> {
        ATTRS.iter().map(|s| (*s).to_owned()).collect()
    }

    /// `t + d` → time.
    fn add(&self, rhs: Value<'v>, heap: Heap<'v>) -> Option<starlark::Result<Value<'v>>> {
        let d = rhs.downcast_ref::<Duration>()?;
        Some(Ok(heap.alloc(self.add_duration(d.0))))
    }

    /// `t - d` → time, `t - t` → duration.
    fn sub(&self, other: Value<'v>, heap: Heap<'v>) -> starlark::Result<Value<'v>> {
        if let Some(d) = other.downcast_ref::<Duration>() {
            return Ok(heap.alloc(self.add_duration(d.0.wrapping_neg())));
        }
        if let Some(t) = other.downcast_ref::<TimeValue>() {
            return Ok(heap.alloc(Duration(self.sub_time(t))));
        }
        ValueError::unsupported_with(self, "-", other)
    }
}

#[starlark_module]
fn time_methods(builder: &mut MethodsBuilder) {
    /// Formats the time with a Go layout (reference time `Mon Jan 2 15:04:05 MST 2006`).
    ///
    /// ```python
    /// time.from_timestamp(0).format("2006-01-02T15:04:05Z07:00")  # "1970-01-01T00:00:00Z"
    /// ```
    fn format<'v>(
        #[starlark(this)] this: &'v TimeValue,
        #[starlark(require = pos)] x: &str,
    ) -> anyhow::Result<String> {
        Ok(this.format(x))
    }

    /// The same instant in another time zone (an IANA name such as `"Europe/Paris"`).
    ///
    /// ```python
    /// time.from_timestamp(0).in_location("America/New_York").hour  # 19
    /// ```
    fn in_location<'v>(
        #[starlark(this)] this: &'v TimeValue,
        #[starlark(require = pos)] x: &str,
    ) -> anyhow::Result<TimeValue> {
        let loc = Location::load(x).map_err(|e| anyhow::anyhow!(e))?;
        Ok(TimeValue {
            unix: this.unix,
            nsec: this.nsec,
            loc,
        })
    }
}
