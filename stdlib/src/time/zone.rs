//! Go's `*time.Location` over jiff's bundled copy of the IANA time zone database (the same
//! answers on every machine, whatever tzdata the host has).

use std::sync::OnceLock;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use jiff::tz::TimeZoneDatabase;

/// A time zone as Go's `*time.Location`.
#[derive(Debug, Clone, Default)]
pub(crate) enum Location {
    /// `time.UTC` (also `""` and Go's `Local`: the Kurtosis engine runs in UTC).
    #[default]
    Utc,
    /// Go's `time.FixedZone(name, offset)`, made by parsing a numeric offset or an unknown
    /// zone abbreviation.
    Fixed { name: String, offset: i32 },
    /// A zone loaded from the time zone database.
    Zone(TimeZone),
}

fn database() -> &'static TimeZoneDatabase {
    static DB: OnceLock<TimeZoneDatabase> = OnceLock::new();
    DB.get_or_init(TimeZoneDatabase::bundled)
}

/// The instant `unix` as a jiff timestamp, clamped to jiff's range (years -9999..=9999);
/// zone rules beyond it are those at its edge.
fn clamp_timestamp(unix: i64) -> Timestamp {
    let lo = Timestamp::MIN.as_second();
    let hi = Timestamp::MAX.as_second();
    Timestamp::from_second(unix.clamp(lo, hi)).unwrap_or(Timestamp::UNIX_EPOCH)
}

impl Location {
    /// Go's `time.LoadLocation(name)`, with its error texts.
    pub(crate) fn load(name: &str) -> Result<Location, String> {
        if name.is_empty() || name == "UTC" || name == "Local" {
            return Ok(Location::Utc);
        }
        if name.contains("..") || name.starts_with('/') || name.starts_with('\\') {
            return Err("time: invalid location name".to_owned());
        }
        let unknown = || format!("unknown time zone {name}");
        let tz = database().get(name).map_err(|_| unknown())?;
        // The database is case-insensitive; Go's lookup (a file name) is not.
        if tz.iana_name() != Some(name) {
            return Err(unknown());
        }
        Ok(Location::Zone(tz))
    }

    /// Go's `Location.lookup(unix)`: the zone abbreviation and offset (seconds east of UTC)
    /// in effect at the instant.
    pub(crate) fn lookup(&self, unix: i64) -> (String, i32) {
        match self {
            Location::Utc => ("UTC".to_owned(), 0),
            Location::Fixed { name, offset } => (name.clone(), *offset),
            Location::Zone(tz) => {
                let info = tz.to_offset_info(clamp_timestamp(unix));
                (info.abbreviation().to_owned(), info.offset().seconds())
            }
        }
    }

    /// Go's `Location.lookupName(name, unix)`: the offset of a zone abbreviation used by this
    /// location, preferring the one in effect around `unix`.
    pub(crate) fn lookup_name(&self, name: &str, unix: i64) -> Option<i32> {
        let zones: Vec<(String, i32)> = match self {
            // Go's UTC location has no zone table.
            Location::Utc => return None,
            Location::Fixed { name, offset } => vec![(name.clone(), *offset)],
            Location::Zone(tz) => {
                let ts = clamp_timestamp(unix);
                let mut zones = vec![self.lookup(unix)];
                for transition in tz.preceding(ts).take(2000) {
                    zones.push((
                        transition.abbreviation().to_owned(),
                        transition.offset().seconds(),
                    ));
                }
                for transition in tz.following(ts).take(8) {
                    zones.push((
                        transition.abbreviation().to_owned(),
                        transition.offset().seconds(),
                    ));
                }
                zones
            }
        };
        for (zone_name, zone_offset) in &zones {
            if zone_name == name {
                let (actual_name, actual_offset) =
                    self.lookup(unix.wrapping_sub(i64::from(*zone_offset)));
                if actual_name == *zone_name {
                    return Some(actual_offset);
                }
            }
        }
        zones
            .iter()
            .find(|(zone_name, _)| zone_name == name)
            .map(|(_, offset)| *offset)
    }

    /// Go's `time.Date` conversion of a local wall-clock time (seconds since the Unix epoch as
    /// if the location were UTC) to a Unix instant; in a gap or an overlap Go picks the offset
    /// this reproduces.
    pub(crate) fn local_to_unix(&self, local: i64) -> i64 {
        let (_, offset) = self.lookup(local);
        let mut unix = local.wrapping_sub(i64::from(offset));
        if offset != 0 {
            // Go checks whether `unix` is still inside the zone period found above; if it is
            // not, it uses the offset in effect at `unix`.
            let (_, actual) = self.lookup(unix);
            if actual != offset {
                unix = local.wrapping_sub(i64::from(actual));
            }
        }
        unix
    }
}
