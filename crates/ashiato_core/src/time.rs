//! Time as the domain sees it: UTC milliseconds, with days counted in the service's zone.
//!
//! Stored as a plain 64-bit integer so that both database backends hold the same value with the
//! same precision (PostgreSQL keeps microseconds, SQLite seconds; epoch milliseconds avoid the
//! difference).

use serde::{Deserialize, Serialize};

/// Milliseconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

/// Milliseconds in a minute, hour and day.
pub const MINUTE_MS: i64 = 60_000;
/// Milliseconds in an hour.
pub const HOUR_MS: i64 = 60 * MINUTE_MS;
/// Milliseconds in a day.
pub const DAY_MS: i64 = 24 * HOUR_MS;

/// Japan Standard Time, the default zone for "today" (footsteps per day, birthdays).
pub const JST_OFFSET_MINUTES: i32 = 9 * 60;

impl Timestamp {
    /// The timestamp as milliseconds.
    pub fn millis(self) -> i64 {
        self.0
    }

    /// This instant plus `ms` milliseconds (saturating).
    #[must_use]
    pub fn plus_millis(self, ms: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(ms))
    }

    /// The day number (days since 1970-01-01) of this instant in a zone `offset_minutes` east of
    /// UTC. Footsteps are kept one row per visitor and day, and "today" means the member's day.
    pub fn day_in_zone(self, offset_minutes: i32) -> i64 {
        (self.0 + i64::from(offset_minutes) * MINUTE_MS).div_euclid(DAY_MS)
    }

    /// The first instant of the day `day` in a zone `offset_minutes` east of UTC.
    pub fn start_of_day(day: i64, offset_minutes: i32) -> Timestamp {
        Timestamp(day * DAY_MS - i64::from(offset_minutes) * MINUTE_MS)
    }

    /// Civil date (year, month 1–12, day 1–31) of this instant in the given zone.
    pub fn civil_date(self, offset_minutes: i32) -> (i64, u32, u32) {
        civil_from_days(self.day_in_zone(offset_minutes))
    }

    /// Hour and minute of this instant in the given zone.
    pub fn hour_minute(self, offset_minutes: i32) -> (u32, u32) {
        let in_day = (self.0 + i64::from(offset_minutes) * MINUTE_MS).rem_euclid(DAY_MS);
        let hour = u32::try_from(in_day / HOUR_MS).unwrap_or(0);
        let minute = u32::try_from((in_day % HOUR_MS) / MINUTE_MS).unwrap_or(0);
        (hour, minute)
    }

    /// The instant as an RFC 3339 date-time in UTC, to the second (`2026-11-26T03:04:05Z`), as
    /// the Social API's `updated` fields are written.
    pub fn rfc3339(self) -> String {
        let (y, mo, d) = self.civil_date(0);
        let (h, mi) = self.hour_minute(0);
        let s = self.0.rem_euclid(MINUTE_MS) / 1000;
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    }
}

/// Converts a day number (days since 1970-01-01) into a proleptic Gregorian (year, month, day).
///
/// Howard Hinnant's `civil_from_days` algorithm (public domain description of the calendar
/// arithmetic), written out here so the domain needs no date crate.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = if m <= 2 { y + 1 } else { y };
    (year, u32::try_from(m).unwrap_or(1), u32::try_from(d).unwrap_or(1))
}

/// Converts a proleptic Gregorian date into its day number (inverse of [`civil_from_days`]).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Reads `YYYY-MM-DD HH:MM` (also with `T` between) as a minute in Japan time, the way
/// operators type times. Month, day, hour and minute are checked (day 31 in a 30-day month is
/// refused). `None` for anything else.
pub fn parse_jst_minute(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    let (date, time) = s.split_once([' ', 'T'])?;
    let mut d = date.split('-');
    let (y, m, day) = (
        d.next()?.parse::<i64>().ok()?,
        d.next()?.parse::<u32>().ok()?,
        d.next()?.parse::<u32>().ok()?,
    );
    let (hh, mm) = time.trim().split_once(':')?;
    let (hh, mm) = (hh.parse::<i64>().ok()?, mm.parse::<i64>().ok()?);
    if d.next().is_some()
        || !(1..=12).contains(&m)
        || !(0..24).contains(&hh)
        || !(0..60).contains(&mm)
    {
        return None;
    }
    let days = days_from_civil(y, m, day);
    if civil_from_days(days) != (y, m, day) {
        return None;
    }
    Some(
        Timestamp::start_of_day(days, JST_OFFSET_MINUTES)
            .plus_millis(hh * HOUR_MS + mm * MINUTE_MS),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_type_japan_time() {
        // 2008-07-01 09:00 JST is 00:00 UTC.
        assert_eq!(parse_jst_minute("2008-07-01 09:00"), Some(Timestamp(1_214_870_400_000)));
        assert_eq!(parse_jst_minute(" 2008-07-01T09:30 "), Some(Timestamp(1_214_872_200_000)));
        for bad in [
            "2008-02-30 09:00",
            "2008-13-01 00:00",
            "2008-07-01 24:00",
            "2008-07-01",
            "tomorrow",
            "2008-07-01 9",
        ] {
            assert_eq!(parse_jst_minute(bad), None, "{bad}");
        }
    }

    #[test]
    fn rfc3339_is_utc_to_the_second() {
        assert_eq!(Timestamp(0).rfc3339(), "1970-01-01T00:00:00Z");
        // 2008-02-29 23:59:59.999 UTC: a leap day, milliseconds dropped.
        assert_eq!(Timestamp(1_204_329_599_999).rfc3339(), "2008-02-29T23:59:59Z");
        assert_eq!(Timestamp(-1000).rfc3339(), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn civil_round_trip_over_four_centuries() {
        for day in (-200_000..200_000).step_by(7) {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), day, "{y}-{m}-{d}");
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(2000, 2, 29), 11_016);
    }

    #[test]
    fn jst_day_changes_at_local_midnight() {
        // 2026-11-25T14:59:59Z is 23:59:59 JST; one second later is the next JST day.
        let before = Timestamp(
            days_from_civil(2026, 11, 25) * DAY_MS + 14 * HOUR_MS + 59 * MINUTE_MS + 59_000,
        );
        let after = before.plus_millis(1000);
        assert_eq!(before.civil_date(JST_OFFSET_MINUTES), (2026, 11, 25));
        assert_eq!(after.civil_date(JST_OFFSET_MINUTES), (2026, 11, 26));
        assert_eq!(after.hour_minute(JST_OFFSET_MINUTES), (0, 0));
        let day = after.day_in_zone(JST_OFFSET_MINUTES);
        assert_eq!(Timestamp::start_of_day(day, JST_OFFSET_MINUTES), after);
    }
}
