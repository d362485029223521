//! Calendar days in China Standard Time (UTC+8, no daylight saving), where merchants'
//! days begin and end: reports, date filters and day totals count by these.

use std::fmt;

use time::{Date, Month};

use crate::Timestamp;

const CST_OFFSET_SECS: i64 = 8 * 3600;
/// 1970-01-01 as a Julian day number.
const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;

/// Days since 1970-01-01 in China Standard Time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CstDay(pub i64);

impl CstDay {
    pub fn of(at: Timestamp) -> CstDay {
        CstDay((at.unix_seconds() + CST_OFFSET_SECS).div_euclid(86_400))
    }

    /// `YYYY-MM-DD`, nothing else.
    pub fn parse(text: &str) -> Option<CstDay> {
        let text = text.trim();
        let b = text.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let year: i32 = text[0..4].parse().ok()?;
        let month: u8 = text[5..7].parse().ok()?;
        let day: u8 = text[8..10].parse().ok()?;
        let date = Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()?;
        Some(CstDay(date.to_julian_day() as i64 - UNIX_EPOCH_JULIAN_DAY))
    }

    /// The day's first moment.
    pub fn start(self) -> Timestamp {
        Timestamp::from_unix_micros((self.0 * 86_400 - CST_OFFSET_SECS) * 1_000_000)
    }

    pub fn plus(self, days: i64) -> CstDay {
        CstDay(self.0 + days)
    }
}

impl fmt::Display for CstDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match i32::try_from(self.0 + UNIX_EPOCH_JULIAN_DAY).ok().and_then(|j| Date::from_julian_day(j).ok()) {
            Some(d) => write!(f, "{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day()),
            None => write!(f, "day {}", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_begin_at_midnight_in_china() {
        let day = CstDay::parse("2026-11-11").unwrap();
        assert_eq!(day.to_string(), "2026-11-11");
        assert_eq!(day.start(), Timestamp::parse_rfc3339("2026-11-10T16:00:00Z").unwrap());
        let just_before = Timestamp::parse_rfc3339("2026-11-10T15:59:59Z").unwrap();
        assert_eq!(CstDay::of(just_before), day.plus(-1));
        assert_eq!(CstDay::of(day.start()), day);
        assert_eq!(CstDay::parse("1970-01-01"), Some(CstDay(0)));
    }

    #[test]
    fn only_real_dates_parse() {
        for bad in ["2026-02-30", "2026-13-01", "26-11-11", "2026/11/11", "2026-11-1", "", "2026-11-11T00"] {
            assert_eq!(CstDay::parse(bad), None, "{bad}");
        }
    }
}
