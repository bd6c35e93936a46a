//! Go's time layouts (`time.Format` / `time.Parse`), ported from Go's `time/format.go`: the
//! reference time `Mon Jan 2 15:04:05 MST 2006` spelled in the wanted form.

use super::go_quote_time;
use super::timeval::TimeValue;
use super::zone::Location;

/// Go's `time.RFC3339`, the default layout of `parse_time`.
pub(crate) const RFC3339: &str = "2006-01-02T15:04:05Z07:00";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Std {
    LongMonth,
    Month,
    NumMonth,
    ZeroMonth,
    LongWeekDay,
    WeekDay,
    Day,
    UnderDay,
    ZeroDay,
    UnderYearDay,
    ZeroYearDay,
    Hour,
    Hour12,
    ZeroHour12,
    Minute,
    ZeroMinute,
    Second,
    ZeroSecond,
    LongYear,
    Year,
    PmUpper,
    PmLower,
    Tz,
    Iso8601Tz,
    Iso8601SecondsTz,
    Iso8601ShortTz,
    Iso8601ColonTz,
    Iso8601ColonSecondsTz,
    NumTz,
    NumSecondsTz,
    NumShortTz,
    NumColonTz,
    NumColonSecondsTz,
    /// `.000`: fixed number of digits; the separator is `.` or `,`.
    FracSecond0 {
        digits: usize,
        sep: u8,
    },
    /// `.999`: trailing zeros dropped.
    FracSecond9 {
        digits: usize,
        sep: u8,
    },
}

impl Std {
    fn is_iso_tz(self) -> bool {
        matches!(
            self,
            Std::Iso8601Tz
                | Std::Iso8601SecondsTz
                | Std::Iso8601ShortTz
                | Std::Iso8601ColonTz
                | Std::Iso8601ColonSecondsTz
        )
    }
}

const LONG_DAY_NAMES: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const SHORT_DAY_NAMES: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const SHORT_MONTH_NAMES: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const LONG_MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
/// Days before each month in a non-leap year (index 0 = before January; 12 = the year).
const DAYS_BEFORE: [i64; 13] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365];

fn starts_with_lower(s: &[u8]) -> bool {
    s.first().is_some_and(u8::is_ascii_lowercase)
}

fn is_digit(s: &[u8], i: usize) -> bool {
    s.get(i).is_some_and(u8::is_ascii_digit)
}

/// Go's `nextStdChunk`: the text before the first layout element, the element, and the rest.
fn next_std_chunk(layout: &[u8]) -> (&[u8], Option<Std>, &[u8]) {
    let n = layout.len();
    let has = |i: usize, s: &[u8]| layout.get(i..i + s.len()) == Some(s);
    for i in 0..n {
        let at = |std: Std, len: usize| (&layout[..i], Some(std), &layout[i + len..]);
        match layout[i] {
            b'J' if has(i, b"Jan") => {
                if has(i, b"January") {
                    return at(Std::LongMonth, 7);
                }
                if !starts_with_lower(&layout[i + 3..]) {
                    return at(Std::Month, 3);
                }
            }
            b'M' => {
                if has(i, b"Mon") {
                    if has(i, b"Monday") {
                        return at(Std::LongWeekDay, 6);
                    }
                    if !starts_with_lower(&layout[i + 3..]) {
                        return at(Std::WeekDay, 3);
                    }
                }
                if has(i, b"MST") {
                    return at(Std::Tz, 3);
                }
            }
            b'0' => {
                if let Some(&c) = layout.get(i + 1) {
                    let std = match c {
                        b'1' => Some(Std::ZeroMonth),
                        b'2' => Some(Std::ZeroDay),
                        b'3' => Some(Std::ZeroHour12),
                        b'4' => Some(Std::ZeroMinute),
                        b'5' => Some(Std::ZeroSecond),
                        b'6' => Some(Std::Year),
                        _ => None,
                    };
                    if let Some(std) = std {
                        return at(std, 2);
                    }
                }
                if has(i, b"002") {
                    return at(Std::ZeroYearDay, 3);
                }
            }
            b'1' => {
                if has(i, b"15") {
                    return at(Std::Hour, 2);
                }
                return at(Std::NumMonth, 1);
            }
            b'2' => {
                if has(i, b"2006") {
                    return at(Std::LongYear, 4);
                }
                return at(Std::Day, 1);
            }
            b'_' => {
                if layout.get(i + 1) == Some(&b'2') {
                    // `_2006` is a literal `_` followed by the long year.
                    if has(i + 1, b"2006") {
                        return (&layout[..=i], Some(Std::LongYear), &layout[i + 5..]);
                    }
                    return at(Std::UnderDay, 2);
                }
                if has(i, b"__2") {
                    return at(Std::UnderYearDay, 3);
                }
            }
            b'3' => return at(Std::Hour12, 1),
            b'4' => return at(Std::Minute, 1),
            b'5' => return at(Std::Second, 1),
            b'P' if layout.get(i + 1) == Some(&b'M') => return at(Std::PmUpper, 2),
            b'p' if layout.get(i + 1) == Some(&b'm') => return at(Std::PmLower, 2),
            b'-' => {
                if has(i, b"-070000") {
                    return at(Std::NumSecondsTz, 7);
                }
                if has(i, b"-07:00:00") {
                    return at(Std::NumColonSecondsTz, 9);
                }
                if has(i, b"-0700") {
                    return at(Std::NumTz, 5);
                }
                if has(i, b"-07:00") {
                    return at(Std::NumColonTz, 6);
                }
                if has(i, b"-07") {
                    return at(Std::NumShortTz, 3);
                }
            }
            b'Z' => {
                if has(i, b"Z070000") {
                    return at(Std::Iso8601SecondsTz, 7);
                }
                if has(i, b"Z07:00:00") {
                    return at(Std::Iso8601ColonSecondsTz, 9);
                }
                if has(i, b"Z0700") {
                    return at(Std::Iso8601Tz, 5);
                }
                if has(i, b"Z07:00") {
                    return at(Std::Iso8601ColonTz, 6);
                }
                if has(i, b"Z07") {
                    return at(Std::Iso8601ShortTz, 3);
                }
            }
            sep @ (b'.' | b',') => {
                if let Some(&ch @ (b'0' | b'9')) = layout.get(i + 1) {
                    let mut j = i + 1;
                    while layout.get(j) == Some(&ch) {
                        j += 1;
                    }
                    // The run of digits must end here: only a fractional second is all digits.
                    if !is_digit(layout, j) {
                        let digits = (j - (i + 1)) & 0xfff;
                        let std = if ch == b'0' {
                            Std::FracSecond0 { digits, sep }
                        } else {
                            Std::FracSecond9 { digits, sep }
                        };
                        return (&layout[..i], Some(std), &layout[j..]);
                    }
                }
            }
            _ => {}
        }
    }
    (layout, None, &[])
}

/// Go's `appendInt`: decimal, zero-padded to `width` digits (after a `-` sign).
fn append_int(b: &mut Vec<u8>, x: i64, width: usize) {
    if x < 0 {
        b.push(b'-');
    }
    let digits = x.unsigned_abs().to_string();
    for _ in digits.len()..width {
        b.push(b'0');
    }
    b.extend_from_slice(digits.as_bytes());
}

/// Go's `appendNano`.
fn append_nano(b: &mut Vec<u8>, nanosec: u32, digits: usize, sep: u8, trim: bool) {
    if trim && (digits == 0 || nanosec == 0) {
        return;
    }
    b.push(sep);
    let start = b.len();
    append_int(b, i64::from(nanosec), 9);
    if digits < 9 {
        b.truncate(start + digits);
    }
    if trim {
        while b.last() == Some(&b'0') {
            b.pop();
        }
        if b.last() == Some(&sep) {
            b.pop();
        }
    }
}

/// Go's `Time.Format(layout)`.
pub(crate) fn format(t: &TimeValue, layout: &str) -> String {
    let (name, offset) = t.zone();
    let fields = t.fields();
    let mut b: Vec<u8> = Vec::with_capacity(layout.len() + 10);
    let mut layout = layout.as_bytes();
    while !layout.is_empty() {
        let (prefix, std, suffix) = next_std_chunk(layout);
        b.extend_from_slice(prefix);
        let Some(std) = std else {
            break;
        };
        layout = suffix;
        let hour12 = || {
            let hr = fields.hour % 12;
            i64::from(if hr == 0 { 12 } else { hr })
        };
        match std {
            Std::Year => append_int(&mut b, (fields.year.unsigned_abs() % 100) as i64, 2),
            Std::LongYear => append_int(&mut b, fields.year, 4),
            Std::Month => {
                let m = LONG_MONTH_NAMES[(fields.month as usize + 11) % 12];
                b.extend_from_slice(&m.as_bytes()[..3]);
            }
            Std::LongMonth => {
                b.extend_from_slice(LONG_MONTH_NAMES[(fields.month as usize + 11) % 12].as_bytes());
            }
            Std::NumMonth => append_int(&mut b, i64::from(fields.month), 0),
            Std::ZeroMonth => append_int(&mut b, i64::from(fields.month), 2),
            Std::WeekDay => {
                b.extend_from_slice(SHORT_DAY_NAMES[fields.weekday as usize % 7].as_bytes())
            }
            Std::LongWeekDay => {
                b.extend_from_slice(LONG_DAY_NAMES[fields.weekday as usize % 7].as_bytes());
            }
            Std::Day => append_int(&mut b, i64::from(fields.day), 0),
            Std::UnderDay => {
                if fields.day < 10 {
                    b.push(b' ');
                }
                append_int(&mut b, i64::from(fields.day), 0);
            }
            Std::ZeroDay => append_int(&mut b, i64::from(fields.day), 2),
            Std::UnderYearDay => {
                if fields.yday < 100 {
                    b.push(b' ');
                    if fields.yday < 10 {
                        b.push(b' ');
                    }
                }
                append_int(&mut b, i64::from(fields.yday), 0);
            }
            Std::ZeroYearDay => append_int(&mut b, i64::from(fields.yday), 3),
            Std::Hour => append_int(&mut b, i64::from(fields.hour), 2),
            Std::Hour12 => append_int(&mut b, hour12(), 0),
            Std::ZeroHour12 => append_int(&mut b, hour12(), 2),
            Std::Minute => append_int(&mut b, i64::from(fields.minute), 0),
            Std::ZeroMinute => append_int(&mut b, i64::from(fields.minute), 2),
            Std::Second => append_int(&mut b, i64::from(fields.second), 0),
            Std::ZeroSecond => append_int(&mut b, i64::from(fields.second), 2),
            Std::PmUpper => b.extend_from_slice(if fields.hour >= 12 { b"PM" } else { b"AM" }),
            Std::PmLower => b.extend_from_slice(if fields.hour >= 12 { b"pm" } else { b"am" }),
            Std::Iso8601Tz
            | Std::Iso8601ColonTz
            | Std::Iso8601SecondsTz
            | Std::Iso8601ShortTz
            | Std::Iso8601ColonSecondsTz
            | Std::NumTz
            | Std::NumColonTz
            | Std::NumSecondsTz
            | Std::NumShortTz
            | Std::NumColonSecondsTz => {
                if offset == 0 && std.is_iso_tz() {
                    b.push(b'Z');
                    continue;
                }
                let mut zone = offset / 60;
                let mut absoffset = offset;
                if zone < 0 {
                    b.push(b'-');
                    zone = -zone;
                    absoffset = -absoffset;
                } else {
                    b.push(b'+');
                }
                append_int(&mut b, i64::from(zone / 60), 2);
                if matches!(
                    std,
                    Std::Iso8601ColonTz
                        | Std::NumColonTz
                        | Std::Iso8601ColonSecondsTz
                        | Std::NumColonSecondsTz
                ) {
                    b.push(b':');
                }
                if !matches!(std, Std::NumShortTz | Std::Iso8601ShortTz) {
                    append_int(&mut b, i64::from(zone % 60), 2);
                }
                if matches!(
                    std,
                    Std::Iso8601SecondsTz
                        | Std::NumSecondsTz
                        | Std::NumColonSecondsTz
                        | Std::Iso8601ColonSecondsTz
                ) {
                    if matches!(std, Std::NumColonSecondsTz | Std::Iso8601ColonSecondsTz) {
                        b.push(b':');
                    }
                    append_int(&mut b, i64::from(absoffset % 60), 2);
                }
            }
            Std::Tz => {
                if !name.is_empty() {
                    b.extend_from_slice(name.as_bytes());
                    continue;
                }
                // No zone name known: print the offset as -0700.
                let mut zone = offset / 60;
                if zone < 0 {
                    b.push(b'-');
                    zone = -zone;
                } else {
                    b.push(b'+');
                }
                append_int(&mut b, i64::from(zone / 60), 2);
                append_int(&mut b, i64::from(zone % 60), 2);
            }
            Std::FracSecond0 { digits, sep } => append_nano(&mut b, t.nsec, digits, sep, false),
            Std::FracSecond9 { digits, sep } => append_nano(&mut b, t.nsec, digits, sep, true),
        }
    }
    String::from_utf8_lossy(&b).into_owned()
}

/// Go's case-insensitive ASCII comparison of two equally long strings.
fn match_ignore_case(s1: &[u8], s2: &[u8]) -> bool {
    s1.iter().zip(s2).all(|(&c1, &c2)| {
        if c1 == c2 {
            return true;
        }
        let (c1, c2) = (c1 | 0x20, c2 | 0x20);
        c1 == c2 && c1.is_ascii_lowercase()
    })
}

/// Go's `lookup`: which name of `table` starts `val` (ignoring case).
fn lookup<'a>(table: &[&str], val: &'a [u8]) -> Result<(usize, &'a [u8]), ()> {
    for (i, v) in table.iter().enumerate() {
        let v = v.as_bytes();
        if val.len() >= v.len() && match_ignore_case(&val[..v.len()], v) {
            return Ok((i, &val[v.len()..]));
        }
    }
    Err(())
}

/// Go's `getnum`: one or two digits (exactly two when `fixed`).
fn getnum(s: &[u8], fixed: bool) -> Result<(i64, &[u8]), ()> {
    if !is_digit(s, 0) {
        return Err(());
    }
    if !is_digit(s, 1) {
        if fixed {
            return Err(());
        }
        return Ok((i64::from(s[0] - b'0'), &s[1..]));
    }
    Ok((
        i64::from(s[0] - b'0') * 10 + i64::from(s[1] - b'0'),
        &s[2..],
    ))
}

/// Go's `getnum3`: one to three digits (exactly three when `fixed`).
fn getnum3(s: &[u8], fixed: bool) -> Result<(i64, &[u8]), ()> {
    let mut n = 0;
    let mut i = 0;
    while i < 3 && is_digit(s, i) {
        n = n * 10 + i64::from(s[i] - b'0');
        i += 1;
    }
    if i == 0 || (fixed && i != 3) {
        return Err(());
    }
    Ok((n, &s[i..]))
}

/// Go's `atoi`: an optionally signed decimal integer that must use all of `s`.
fn atoi(s: &[u8]) -> Result<i64, ()> {
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (q, rem) = super::duration::leading_int(digits).ok_or(())?;
    if !rem.is_empty() {
        return Err(());
    }
    let x = q as i64;
    Ok(if neg { x.wrapping_neg() } else { x })
}

/// Go's `skip`: removes `prefix` from `value`, runs of spaces matching runs of spaces.
fn skip<'a>(mut value: &'a [u8], mut prefix: &[u8]) -> Result<&'a [u8], &'a [u8]> {
    fn cutspace(s: &[u8]) -> &[u8] {
        let n = s.iter().take_while(|&&c| c == b' ').count();
        &s[n..]
    }
    while let Some(&p) = prefix.first() {
        if p == b' ' {
            if value.first().is_some_and(|&c| c != b' ') {
                return Err(value);
            }
            prefix = cutspace(prefix);
            value = cutspace(value);
            continue;
        }
        if value.first() != Some(&p) {
            return Err(value);
        }
        prefix = &prefix[1..];
        value = &value[1..];
    }
    Ok(value)
}

fn comma_or_period(b: u8) -> bool {
    b == b'.' || b == b','
}

/// Go's `parseNanoseconds`: `value[..nbytes]` is a separator and digits.
fn parse_nanoseconds(value: &[u8], nbytes: usize) -> Result<i64, ParseFail> {
    if !value.first().is_some_and(|&c| comma_or_period(c)) {
        return Err(ParseFail::Bad);
    }
    let nbytes = nbytes.min(10).min(value.len());
    let mut ns = atoi(&value[1..nbytes]).map_err(|()| ParseFail::Bad)?;
    if ns < 0 {
        return Err(ParseFail::Range("fractional second"));
    }
    for _ in 0..10 - nbytes {
        ns *= 10;
    }
    Ok(ns)
}

/// Go's `parseTimeZone`: the length of a zone abbreviation at the start of `value`.
fn parse_time_zone(value: &[u8]) -> Option<usize> {
    if value.len() < 3 {
        return None;
    }
    if value.starts_with(b"ChST") || value.starts_with(b"MeST") {
        return Some(4);
    }
    if value.starts_with(b"GMT") {
        return Some(parse_gmt(value));
    }
    if value[0] == b'+' || value[0] == b'-' {
        let length = parse_signed_offset(value);
        return (length > 0).then_some(length);
    }
    let n_upper = value
        .iter()
        .take(6)
        .take_while(|c| c.is_ascii_uppercase())
        .count();
    match n_upper {
        5 if value[4] == b'T' => Some(5),
        4 if value[3] == b'T' || value.starts_with(b"WITA") => Some(4),
        3 => Some(3),
        _ => None,
    }
}

/// Go's `parseGMT`.
fn parse_gmt(value: &[u8]) -> usize {
    let rest = &value[3..];
    if rest.is_empty() {
        return 3;
    }
    3 + parse_signed_offset(rest)
}

/// Go's `parseSignedOffset`: `+N`/`-N` with `N <= 23`, or 0.
fn parse_signed_offset(value: &[u8]) -> usize {
    let Some(&sign) = value.first() else {
        return 0;
    };
    if sign != b'-' && sign != b'+' {
        return 0;
    }
    match super::duration::leading_int(&value[1..]) {
        Some((x, rem)) if rem.len() != value.len() - 1 && x <= 23 => value.len() - rem.len(),
        _ => 0,
    }
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in(month: i64, year: i64) -> i64 {
    if month == 2 && is_leap(year) {
        return 29;
    }
    let m = usize::try_from(month).unwrap_or(1).clamp(1, 12);
    DAYS_BEFORE[m] - DAYS_BEFORE[m - 1]
}

enum ParseFail {
    Bad,
    Range(&'static str),
}

/// Go's `ParseError.Error()`.
fn parse_error(layout: &[u8], value: &[u8], layout_elem: &[u8], value_elem: &[u8]) -> String {
    format!(
        "parsing time {} as {}: cannot parse {} as {}",
        go_quote_time(value),
        go_quote_time(layout),
        go_quote_time(value_elem),
        go_quote_time(layout_elem)
    )
}

fn parse_error_message(value: &[u8], message: &str) -> String {
    format!("parsing time {}{message}", go_quote_time(value))
}

/// Go's `time.Parse` (`local` = UTC, the engine's zone) and `time.ParseInLocation`
/// (`default_loc` = `local` = the location): the layout's elements are read from `value`.
pub(crate) fn parse(
    layout: &str,
    value: &str,
    default_loc: &Location,
    local: &Location,
) -> Result<TimeValue, String> {
    let alayout = layout.as_bytes();
    let avalue = value.as_bytes();
    let mut layout = alayout;
    let mut value = avalue;
    let mut am_set = false;
    let mut pm_set = false;

    let mut year: i64 = 0;
    let mut month: i64 = -1;
    let mut day: i64 = -1;
    let mut yday: i64 = -1;
    let mut hour: i64 = 0;
    let mut min: i64 = 0;
    let mut sec: i64 = 0;
    let mut nsec: i64 = 0;
    let mut z: Option<Location> = None;
    let mut zone_offset: i64 = -1;
    let mut zone_name: Vec<u8> = Vec::new();

    loop {
        let (prefix, std, suffix) = next_std_chunk(layout);
        let stdstr = &layout[prefix.len()..layout.len() - suffix.len()];
        value = match skip(value, prefix) {
            Ok(v) => v,
            Err(v) => return Err(parse_error(alayout, avalue, prefix, v)),
        };
        let Some(std) = std else {
            if !value.is_empty() {
                return Err(parse_error_message(
                    avalue,
                    &format!(": extra text: {}", go_quote_time(value)),
                ));
            }
            break;
        };
        layout = suffix;
        let hold = value;
        let mut range_err: Option<&'static str> = None;
        let result: Result<(), ()> = (|| {
            match std {
                Std::Year => {
                    if value.len() < 2 {
                        return Err(());
                    }
                    let p = &value[..2];
                    value = &value[2..];
                    year = atoi(p)?;
                    year += if year >= 69 { 1900 } else { 2000 };
                }
                Std::LongYear => {
                    if value.len() < 4 || !is_digit(value, 0) {
                        return Err(());
                    }
                    let p = &value[..4];
                    value = &value[4..];
                    year = atoi(p)?;
                }
                Std::Month | Std::LongMonth => {
                    let table: &[&str] = if std == Std::Month {
                        &SHORT_MONTH_NAMES
                    } else {
                        &LONG_MONTH_NAMES
                    };
                    let (m, rest) = lookup(table, value)?;
                    month = m as i64 + 1;
                    value = rest;
                }
                Std::NumMonth | Std::ZeroMonth => {
                    let (m, rest) = getnum(value, std == Std::ZeroMonth)?;
                    month = m;
                    value = rest;
                    if month <= 0 || 12 < month {
                        range_err = Some("month");
                    }
                }
                Std::WeekDay => {
                    value = lookup(&SHORT_DAY_NAMES, value)?.1;
                }
                Std::LongWeekDay => {
                    value = lookup(&LONG_DAY_NAMES, value)?.1;
                }
                Std::Day | Std::UnderDay | Std::ZeroDay => {
                    if std == Std::UnderDay && value.first() == Some(&b' ') {
                        value = &value[1..];
                    }
                    let (d, rest) = getnum(value, std == Std::ZeroDay)?;
                    day = d;
                    value = rest;
                }
                Std::UnderYearDay | Std::ZeroYearDay => {
                    for _ in 0..2 {
                        if std == Std::UnderYearDay && value.first() == Some(&b' ') {
                            value = &value[1..];
                        }
                    }
                    let (d, rest) = getnum3(value, std == Std::ZeroYearDay)?;
                    yday = d;
                    value = rest;
                }
                Std::Hour => {
                    let (h, rest) = getnum(value, false)?;
                    hour = h;
                    value = rest;
                    if !(0..24).contains(&hour) {
                        range_err = Some("hour");
                    }
                }
                Std::Hour12 | Std::ZeroHour12 => {
                    let (h, rest) = getnum(value, std == Std::ZeroHour12)?;
                    hour = h;
                    value = rest;
                    if !(0..=12).contains(&hour) {
                        range_err = Some("hour");
                    }
                }
                Std::Minute | Std::ZeroMinute => {
                    let (m, rest) = getnum(value, std == Std::ZeroMinute)?;
                    min = m;
                    value = rest;
                    if !(0..60).contains(&min) {
                        range_err = Some("minute");
                    }
                }
                Std::Second | Std::ZeroSecond => {
                    let (s, rest) = getnum(value, std == Std::ZeroSecond)?;
                    sec = s;
                    value = rest;
                    if !(0..60).contains(&sec) {
                        range_err = Some("second");
                        return Ok(());
                    }
                    // A fractional second in the value without one in the layout.
                    if value.len() >= 2 && comma_or_period(value[0]) && is_digit(value, 1) {
                        let (_, next, _) = next_std_chunk(layout);
                        if matches!(
                            next,
                            Some(Std::FracSecond0 { .. } | Std::FracSecond9 { .. })
                        ) {
                            return Ok(());
                        }
                        let mut n = 2;
                        while n < value.len() && is_digit(value, n) {
                            n += 1;
                        }
                        let parsed = parse_nanoseconds(value, n);
                        value = &value[n..];
                        match parsed {
                            Ok(ns) => nsec = ns,
                            Err(ParseFail::Range(what)) => range_err = Some(what),
                            Err(ParseFail::Bad) => return Err(()),
                        }
                    }
                }
                Std::PmUpper | Std::PmLower => {
                    if value.len() < 2 {
                        return Err(());
                    }
                    let p = &value[..2];
                    value = &value[2..];
                    let (pm, am): (&[u8], &[u8]) = if std == Std::PmUpper {
                        (b"PM", b"AM")
                    } else {
                        (b"pm", b"am")
                    };
                    if p == pm {
                        pm_set = true;
                    } else if p == am {
                        am_set = true;
                    } else {
                        return Err(());
                    }
                }
                Std::Iso8601Tz
                | Std::Iso8601ShortTz
                | Std::Iso8601ColonTz
                | Std::Iso8601SecondsTz
                | Std::Iso8601ColonSecondsTz
                | Std::NumTz
                | Std::NumShortTz
                | Std::NumColonTz
                | Std::NumSecondsTz
                | Std::NumColonSecondsTz => {
                    if std.is_iso_tz() && value.first() == Some(&b'Z') {
                        value = &value[1..];
                        z = Some(Location::Utc);
                        return Ok(());
                    }
                    let (sign, hh, mm, ss): (u8, &[u8], &[u8], &[u8]);
                    match std {
                        Std::Iso8601ColonTz | Std::NumColonTz => {
                            if value.len() < 6 || value[3] != b':' {
                                return Err(());
                            }
                            (sign, hh, mm, ss) = (value[0], &value[1..3], &value[4..6], b"00");
                            value = &value[6..];
                        }
                        Std::NumShortTz | Std::Iso8601ShortTz => {
                            if value.len() < 3 {
                                return Err(());
                            }
                            (sign, hh, mm, ss) = (value[0], &value[1..3], b"00", b"00");
                            value = &value[3..];
                        }
                        Std::Iso8601ColonSecondsTz | Std::NumColonSecondsTz => {
                            if value.len() < 9 || value[3] != b':' || value[6] != b':' {
                                return Err(());
                            }
                            (sign, hh, mm, ss) =
                                (value[0], &value[1..3], &value[4..6], &value[7..9]);
                            value = &value[9..];
                        }
                        Std::Iso8601SecondsTz | Std::NumSecondsTz => {
                            if value.len() < 7 {
                                return Err(());
                            }
                            (sign, hh, mm, ss) =
                                (value[0], &value[1..3], &value[3..5], &value[5..7]);
                            value = &value[7..];
                        }
                        _ => {
                            if value.len() < 5 {
                                return Err(());
                            }
                            (sign, hh, mm, ss) = (value[0], &value[1..3], &value[3..5], b"00");
                            value = &value[5..];
                        }
                    }
                    let hr = getnum(hh, true);
                    let mm = hr.and_then(|_| getnum(mm, true));
                    let ss = mm.and_then(|_| getnum(ss, true));
                    let hr = hr.map(|v| v.0).unwrap_or(0);
                    let mmv = mm.map(|v| v.0).unwrap_or(0);
                    let ssv = ss.map(|v| v.0).unwrap_or(0);
                    if hr > 24 {
                        range_err = Some("time zone offset hour");
                    }
                    if mmv > 60 {
                        range_err = Some("time zone offset minute");
                    }
                    if ssv > 60 {
                        range_err = Some("time zone offset second");
                    }
                    zone_offset = (hr * 60 + mmv) * 60 + ssv;
                    let digits_ok = ss.is_ok();
                    match sign {
                        b'+' => {}
                        b'-' => zone_offset = -zone_offset,
                        _ => return Err(()),
                    }
                    if !digits_ok {
                        return Err(());
                    }
                }
                Std::Tz => {
                    if value.starts_with(b"UTC") {
                        z = Some(Location::Utc);
                        value = &value[3..];
                        return Ok(());
                    }
                    let n = parse_time_zone(value).ok_or(())?;
                    zone_name = value[..n].to_vec();
                    value = &value[n..];
                }
                Std::FracSecond0 { digits, .. } => {
                    let ndigit = 1 + digits;
                    if value.len() < ndigit {
                        return Err(());
                    }
                    let parsed = parse_nanoseconds(value, ndigit);
                    value = &value[ndigit..];
                    match parsed {
                        Ok(ns) => nsec = ns,
                        Err(ParseFail::Range(what)) => range_err = Some(what),
                        Err(ParseFail::Bad) => return Err(()),
                    }
                }
                Std::FracSecond9 { .. } => {
                    if value.len() < 2 || !comma_or_period(value[0]) || !is_digit(value, 1) {
                        // Fractional second omitted.
                        return Ok(());
                    }
                    let mut i = 0;
                    while i + 1 < value.len() && is_digit(value, i + 1) {
                        i += 1;
                    }
                    let parsed = parse_nanoseconds(value, 1 + i);
                    value = &value[1 + i..];
                    match parsed {
                        Ok(ns) => nsec = ns,
                        Err(ParseFail::Range(what)) => range_err = Some(what),
                        Err(ParseFail::Bad) => return Err(()),
                    }
                }
            }
            Ok(())
        })();
        if let Some(what) = range_err {
            return Err(parse_error_message(
                avalue,
                &format!(": {what} out of range"),
            ));
        }
        if result.is_err() {
            return Err(parse_error(alayout, avalue, stdstr, hold));
        }
    }
    if pm_set && hour < 12 {
        hour += 12;
    } else if am_set && hour == 12 {
        hour = 0;
    }

    // Convert the day of the year to month and day.
    if yday >= 0 {
        let mut d: i64 = 0;
        let mut m: i64 = 0;
        if is_leap(year) {
            if yday == 31 + 29 {
                m = 2;
                d = 29;
            } else if yday > 31 + 29 {
                yday -= 1;
            }
        }
        if !(1..=365).contains(&yday) {
            return Err(parse_error_message(avalue, ": day-of-year out of range"));
        }
        if m == 0 {
            m = (yday - 1) / 31 + 1;
            if DAYS_BEFORE[m as usize] < yday {
                m += 1;
            }
            d = yday - DAYS_BEFORE[(m - 1) as usize];
        }
        if month >= 0 && month != m {
            return Err(parse_error_message(
                avalue,
                ": day-of-year does not match month",
            ));
        }
        month = m;
        if day >= 0 && day != d {
            return Err(parse_error_message(
                avalue,
                ": day-of-year does not match day",
            ));
        }
        day = d;
    } else {
        if month < 0 {
            month = 1;
        }
        if day < 0 {
            day = 1;
        }
    }

    if day < 1 || day > days_in(month, year) {
        return Err(parse_error_message(avalue, ": day out of range"));
    }

    if let Some(z) = z {
        return Ok(TimeValue::date(year, month, day, hour, min, sec, nsec, z));
    }

    if zone_offset != -1 {
        let mut t = TimeValue::date(year, month, day, hour, min, sec, nsec, Location::Utc);
        t.unix = t.unix.wrapping_sub(zone_offset);
        // Use the local zone when it has this offset at that time.
        let (name, offset) = local.lookup(t.unix);
        if i64::from(offset) == zone_offset
            && (zone_name.is_empty() || name.as_bytes() == zone_name.as_slice())
        {
            t.loc = local.clone();
            return Ok(t);
        }
        t.loc = Location::Fixed {
            name: String::from_utf8_lossy(&zone_name).into_owned(),
            offset: i32::try_from(zone_offset).unwrap_or(0),
        };
        return Ok(t);
    }

    if !zone_name.is_empty() {
        let name = String::from_utf8_lossy(&zone_name).into_owned();
        let mut t = TimeValue::date(year, month, day, hour, min, sec, nsec, Location::Utc);
        if let Some(offset) = local.lookup_name(&name, t.unix) {
            t.unix = t.unix.wrapping_sub(i64::from(offset));
            t.loc = local.clone();
            return Ok(t);
        }
        // An unknown abbreviation: a fabricated zone (GMT+N has that offset).
        let mut offset: i64 = 0;
        if name.len() > 3 && name.starts_with("GMT") {
            offset = atoi(&zone_name[3..]).unwrap_or(0) * 3600;
        }
        t.loc = Location::Fixed {
            name,
            offset: i32::try_from(offset).unwrap_or(0),
        };
        return Ok(t);
    }

    Ok(TimeValue::date(
        year,
        month,
        day,
        hour,
        min,
        sec,
        nsec,
        default_loc.clone(),
    ))
}
