//! The `Date` header: an instant written as RFC 5322 §3.3 `date-time`, in UTC.
//!
//! The time is the caller's (this crate reads no clock): pass `SystemTime::now()` or the time
//! the message was written.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{MessageError, Result};

const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// The first and last years RFC 5322's four-digit `year` can carry without the obsolete
/// syntax (years before 1900 are `obs-year` territory).
const YEARS: core::ops::RangeInclusive<i64> = 1900..=9999;

/// `time` as an RFC 5322 `date-time` in UTC, e.g. `Fri, 04 Dec 2026 16:05:09 +0000`: day name,
/// two-digit day, month name, four-digit year, 24-hour time with seconds, zone `+0000`. Sub-second
/// parts are dropped.
///
/// Errors: [`MessageError::BadText`] for a time before 1900 or after 9999.
pub fn rfc5322(time: SystemTime) -> Result<String> {
    let seconds = match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        // Round towards the past: 0.5 s before the epoch is 23:59:59.
        Err(before) => {
            let before = before.duration();
            let whole = i64::try_from(before.as_secs()).unwrap_or(i64::MAX);
            -whole.saturating_add(i64::from(before.subsec_nanos() > 0))
        }
    };
    let days = seconds.div_euclid(86_400);
    let of_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil(days);
    if !YEARS.contains(&year) {
        return Err(MessageError::BadText { what: "common headers", problem: "date outside the years 1900 to 9999" });
    }
    let weekday = DAYS[usize::try_from((days + 4).rem_euclid(7)).unwrap_or(0)];
    let month = MONTHS[usize::try_from(month - 1).unwrap_or(0)];
    let (hour, minute, second) = (of_day / 3600, of_day / 60 % 60, of_day % 60);
    Ok(format!("{weekday}, {day:02} {month} {year} {hour:02}:{minute:02}:{second:02} +0000"))
}

/// The proleptic Gregorian (year, month 1–12, day 1–31) of a day counted from 1970-01-01.
///
/// Counted in 400-year eras that start on 1 March, so the leap day is the last day of its
/// year; an era has 146,097 days.
fn civil(days: i64) -> (i64, i64, i64) {
    let shifted = days + 719_468; // days from 0000-03-01 to 1970-01-01
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(seconds: i64) -> SystemTime {
        if seconds >= 0 {
            UNIX_EPOCH + Duration::from_secs(seconds.unsigned_abs())
        } else {
            UNIX_EPOCH - Duration::from_secs(seconds.unsigned_abs())
        }
    }

    #[test]
    fn known_dates() {
        let cases = [
            (0, "Thu, 01 Jan 1970 00:00:00 +0000"),
            (951_782_400, "Tue, 29 Feb 2000 00:00:00 +0000"),
            (951_868_799, "Tue, 29 Feb 2000 23:59:59 +0000"),
            (1_743_501_600, "Tue, 01 Apr 2025 10:00:00 +0000"),
            (1_796_400_309, "Fri, 04 Dec 2026 16:05:09 +0000"),
            (4_107_542_400, "Mon, 01 Mar 2100 00:00:00 +0000"),
            (-1, "Wed, 31 Dec 1969 23:59:59 +0000"),
            (-2_208_988_800, "Mon, 01 Jan 1900 00:00:00 +0000"),
            (253_402_300_799, "Fri, 31 Dec 9999 23:59:59 +0000"),
        ];
        for (seconds, text) in cases {
            assert_eq!(rfc5322(at(seconds)).unwrap(), text, "{seconds}");
        }
        assert_eq!(rfc5322(UNIX_EPOCH - Duration::from_millis(500)).unwrap(), "Wed, 31 Dec 1969 23:59:59 +0000");
        assert_eq!(rfc5322(UNIX_EPOCH + Duration::from_millis(999)).unwrap(), "Thu, 01 Jan 1970 00:00:00 +0000");
    }

    #[test]
    fn outside_four_digit_years() {
        let refused =
            Err(MessageError::BadText { what: "common headers", problem: "date outside the years 1900 to 9999" });
        assert_eq!(rfc5322(at(-2_208_988_801)), refused);
        assert_eq!(rfc5322(at(253_402_300_800)), refused);
    }

    /// Counting days one by one from 1970 agrees with the era arithmetic.
    #[test]
    fn civil_agrees_with_counting() {
        let leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let length = |y: i64, m: i64| match m {
            2 if leap(y) => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        let (mut y, mut m, mut d) = (1970, 1, 1);
        for days in 0..(2500 * 366) {
            assert_eq!(civil(days), (y, m, d), "{days}");
            d += 1;
            if d > length(y, m) {
                d = 1;
                m += 1;
                if m > 12 {
                    m = 1;
                    y += 1;
                }
            }
        }
        let (mut y, mut m, mut d) = (1970, 1, 1);
        for days in (-(100 * 366)..0).rev() {
            d -= 1;
            if d == 0 {
                m -= 1;
                if m == 0 {
                    m = 12;
                    y -= 1;
                }
                d = length(y, m);
            }
            assert_eq!(civil(days), (y, m, d), "{days}");
        }
    }
}
