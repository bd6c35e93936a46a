//! Go `time.Duration` values: parsed from Go duration text (`"10s"`, `"1m30s"`, `"500ms"`)
//! and printed the way Go prints them (`10s`, `2m0s`, `1m30s`, `500ms`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::time::Duration;

/// A duration with Go's parsing and printing rules. Serialises as its Go text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct GoDuration {
    /// Nanoseconds (negative durations are rejected by every Kurtosis argument).
    pub nanos: u64,
}

/// Why a duration string did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("time: invalid duration `{0}`")]
pub struct DurationError(pub String);

impl GoDuration {
    pub const fn from_secs(secs: u64) -> Self {
        Self {
            nanos: secs * 1_000_000_000,
        }
    }

    pub const fn from_millis(ms: u64) -> Self {
        Self {
            nanos: ms * 1_000_000,
        }
    }

    pub fn as_std(self) -> Duration {
        Duration::from_nanos(self.nanos)
    }

    /// Parses Go duration syntax: a sequence of decimal numbers, each with an optional
    /// fraction and a unit (`ns`, `us`, `µs`, `ms`, `s`, `m`, `h`). `"0"` alone is allowed.
    pub fn parse(text: &str) -> Result<Self, DurationError> {
        let err = || DurationError(text.to_owned());
        let mut s = text;
        if let Some(rest) = s.strip_prefix('+') {
            s = rest;
        }
        if s.starts_with('-') {
            return Err(err());
        }
        if s == "0" {
            return Ok(Self { nanos: 0 });
        }
        if s.is_empty() {
            return Err(err());
        }
        let mut total: f64 = 0.0;
        while !s.is_empty() {
            let num_end = s
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .ok_or_else(err)?;
            let (num, rest) = s.split_at(num_end);
            if num.is_empty() || num == "." {
                return Err(err());
            }
            let value: f64 = num.parse().map_err(|_| err())?;
            let unit_end = rest
                .find(|c: char| c.is_ascii_digit() || c == '.')
                .unwrap_or(rest.len());
            let (unit, rest) = rest.split_at(unit_end);
            let scale: f64 = match unit {
                "ns" => 1.0,
                "us" | "µs" | "μs" => 1e3,
                "ms" => 1e6,
                "s" => 1e9,
                "m" => 60e9,
                "h" => 3600e9,
                _ => return Err(err()),
            };
            total += value * scale;
            s = rest;
        }
        if !total.is_finite() || total > u64::MAX as f64 {
            return Err(err());
        }
        Ok(Self {
            nanos: total.round() as u64,
        })
    }
}

impl fmt::Display for GoDuration {
    /// Go's `Duration.String()`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.nanos;
        if d == 0 {
            return f.write_str("0s");
        }
        if d < 1_000_000_000 {
            // Sub-second: ns, µs or ms with a fraction.
            let (unit, div) = if d < 1_000 {
                ("ns", 1)
            } else if d < 1_000_000 {
                ("µs", 1_000)
            } else {
                ("ms", 1_000_000)
            };
            return write!(f, "{}{}", frac(d, div), unit);
        }
        let hours = d / 3_600_000_000_000;
        let rem = d % 3_600_000_000_000;
        let minutes = rem / 60_000_000_000;
        let secs_nanos = rem % 60_000_000_000;
        let secs = frac(secs_nanos, 1_000_000_000);
        if hours > 0 {
            write!(f, "{hours}h{minutes}m{secs}s")
        } else if minutes > 0 {
            write!(f, "{minutes}m{secs}s")
        } else {
            write!(f, "{secs}s")
        }
    }
}

/// `value / div` printed with the fraction trimmed of trailing zeros.
fn frac(value: u64, div: u64) -> String {
    let whole = value / div;
    let rest = value % div;
    if rest == 0 {
        return whole.to_string();
    }
    let width = div.to_string().len() - 1;
    let digits = format!("{rest:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

impl Serialize for GoDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for GoDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        GoDuration::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_like_go() {
        for (input, printed) in [
            ("10s", "10s"),
            ("2m", "2m0s"),
            ("1m30s", "1m30s"),
            ("500ms", "500ms"),
            ("1h", "1h0m0s"),
            ("1.5s", "1.5s"),
            ("180s", "3m0s"),
            ("0", "0s"),
            ("15m", "15m0s"),
            ("100us", "100µs"),
        ] {
            assert_eq!(
                GoDuration::parse(input).unwrap().to_string(),
                printed,
                "{input}"
            );
        }
    }

    #[test]
    fn rejects_bad_durations() {
        for input in ["", "10", "abc", "-1s", "1x", "s"] {
            assert!(GoDuration::parse(input).is_err(), "{input}");
        }
    }
}
