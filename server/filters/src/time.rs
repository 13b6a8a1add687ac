//! Dates and datetimes without a calendar library (the crate also runs in the browser).
//!
//! Two readers with different jobs:
//! - the admin's input ([`input_date`], [`input_datetime`]) is strict: `YYYY-MM-DD`, and
//!   `YYYY-MM-DDTHH:MM:SS` with `Z`, `±HH:MM` or `±HHMM`, within Salesforce's 1700–4000;
//! - record values ([`record_date_days`], [`record_datetime_millis`]) accept exactly what the
//!   SOQL engine accepts in records (`server/soql/src/datetime.rs`), including Salesforce's
//!   `2024-01-01T00:00:00.000+0000`, so evaluation agrees with it on every value.

/// Salesforce's earliest and latest accepted years.
const YEARS: std::ops::RangeInclusive<i64> = 1700..=4000;

fn digits(b: &[u8], from: usize, count: usize) -> Option<u32> {
    let slice = b.get(from..from.checked_add(count)?)?;
    slice.iter().try_fold(0u32, |value, &d| {
        d.is_ascii_digit().then(|| value * 10 + u32::from(d - b'0'))
    })
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = year - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The (year, month, day) of a day count (inverse of [`days_from_civil`]).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    // Both are in range by construction (1..=31, 1..=12).
    (
        year,
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

/// A valid `YYYY-MM-DD` prefix of `b`: (year, month, day).
fn date_prefix(b: &[u8]) -> Option<(i64, u32, u32)> {
    let year = i64::from(digits(b, 0, 4)?);
    let month = digits(b, 5, 2)?;
    let day = digits(b, 8, 2)?;
    let valid = b.get(4) == Some(&b'-')
        && b.get(7) == Some(&b'-')
        && (1..=12).contains(&month)
        && (1..=days_in_month(year, month)).contains(&day);
    valid.then_some((year, month, day))
}

/// Days since 1970-01-01 of a record's date value (`YYYY-MM-DD` exactly), as the engine reads it.
pub(crate) fn record_date_days(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 10 {
        return None;
    }
    date_prefix(b).map(|(y, m, d)| days_from_civil(y, m, d))
}

/// Milliseconds since the epoch of a record's datetime value, as the engine reads it:
/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z | ±HH | ±HHMM | ±HH:MM)`.
pub(crate) fn record_datetime_millis(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let (year, month, day) = date_prefix(b)?;
    let (seconds, mut i) = time_of_day(b)?;
    let mut nanos = 0u32;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        let mut scale = 100_000_000u32;
        while let Some(d) = b.get(i).filter(|d| d.is_ascii_digit()) {
            if i - start >= 9 {
                return None;
            }
            nanos += u32::from(d - b'0') * scale;
            scale /= 10;
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    let offset = match b.get(i) {
        Some(b'Z' | b'z') => {
            i += 1;
            0
        }
        Some(&sign @ (b'+' | b'-')) => {
            let hours = digits(b, i + 1, 2)?;
            i += 3;
            let minutes = if b.get(i) == Some(&b':') {
                i += 3;
                digits(b, i - 2, 2)?
            } else if i < b.len() {
                i += 2;
                digits(b, i - 2, 2)?
            } else {
                0
            };
            if hours > 23 || minutes > 59 {
                return None;
            }
            let total = i64::from(hours * 3600 + minutes * 60);
            if sign == b'-' { -total } else { total }
        }
        _ => return None,
    };
    if i != b.len() {
        return None;
    }
    let epoch_seconds = days_from_civil(year, month, day) * 86_400 + seconds - offset;
    Some(epoch_seconds * 1000 + i64::from(nanos / 1_000_000))
}

/// `THH:MM:SS` at byte 10: (seconds into the day, index after it).
fn time_of_day(b: &[u8]) -> Option<(i64, usize)> {
    if !matches!(b.get(10), Some(b'T' | b't')) || b.get(13) != Some(&b':') {
        return None;
    }
    if b.get(16) != Some(&b':') {
        return None;
    }
    let hour = digits(b, 11, 2)?;
    let minute = digits(b, 14, 2)?;
    let second = digits(b, 17, 2)?;
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    Some((i64::from(hour * 3600 + minute * 60 + second), 19))
}

/// Why an admin's date or datetime was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BadDate {
    /// Not in the expected format (or not a calendar date).
    Format,
    /// Outside 1700–4000.
    Range,
}

/// An admin's date: `YYYY-MM-DD` → days since 1970-01-01.
pub(crate) fn input_date(s: &str) -> Result<i64, BadDate> {
    let b = s.as_bytes();
    let (year, month, day) = date_prefix(b)
        .filter(|_| b.len() == 10)
        .ok_or(BadDate::Format)?;
    if !YEARS.contains(&year) {
        return Err(BadDate::Range);
    }
    Ok(days_from_civil(year, month, day))
}

/// An admin's datetime: `YYYY-MM-DDTHH:MM:SS` with `Z`, `±HH:MM` or `±HHMM` → seconds since
/// the epoch (no fractions: SOQL datetime literals have none).
pub(crate) fn input_datetime(s: &str) -> Result<i64, BadDate> {
    let b = s.as_bytes();
    let (year, month, day) = date_prefix(b).ok_or(BadDate::Format)?;
    let (seconds, i) = time_of_day(b).ok_or(BadDate::Format)?;
    let offset = match b.get(i..) {
        Some(b"Z" | b"z") => 0,
        Some([sign @ (b'+' | b'-'), rest @ ..]) => {
            let (hours, minutes) = match rest {
                [_, _, b':', _, _] => (digits(rest, 0, 2), digits(rest, 3, 2)),
                [_, _, _, _] => (digits(rest, 0, 2), digits(rest, 2, 2)),
                _ => (None, None),
            };
            let (Some(hours), Some(minutes)) = (hours, minutes) else {
                return Err(BadDate::Format);
            };
            if hours > 23 || minutes > 59 {
                return Err(BadDate::Format);
            }
            let total = i64::from(hours * 3600 + minutes * 60);
            if *sign == b'-' { -total } else { total }
        }
        _ => return Err(BadDate::Format),
    };
    let epoch_seconds = days_from_civil(year, month, day) * 86_400 + seconds - offset;
    let (utc_year, _, _) = civil_from_days(epoch_seconds.div_euclid(86_400));
    if !YEARS.contains(&year) || !YEARS.contains(&utc_year) {
        return Err(BadDate::Range);
    }
    Ok(epoch_seconds)
}

/// `YYYY-MM-DD` of a day count.
pub(crate) fn format_date(days: i64) -> String {
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02}")
}

/// `YYYY-MM-DDTHH:MM:SSZ` of epoch seconds (UTC).
pub(crate) fn format_datetime(epoch_seconds: i64) -> String {
    let days = epoch_seconds.div_euclid(86_400);
    let secs = epoch_seconds.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        format_date(days),
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_datetimes_read_every_salesforce_form() {
        let utc = record_datetime_millis("2024-01-01T00:00:00Z");
        assert!(utc.is_some());
        for same in [
            "2024-01-01T00:00:00.000+0000",
            "2024-01-01T01:00:00+01:00",
            "2024-01-01T01:00:00+0100",
            "2024-01-01T01:00:00+01",
            "2023-12-31T16:00:00-08:00",
            "2024-01-01t00:00:00z",
        ] {
            assert_eq!(record_datetime_millis(same), utc, "{same}");
        }
        assert_eq!(
            record_datetime_millis("2024-01-01T00:00:00.5Z"),
            utc.map(|m| m + 500)
        );
        assert_eq!(record_datetime_millis("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(record_datetime_millis("1969-12-31T23:59:59.999Z"), Some(-1));
        for bad in [
            "2024-01-01",
            "2024-01-01T00:00:00",
            "2024-02-30T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:00:00.Z",
            "2024-01-01T00:00:00+25:00",
            "2024-01-01T00:00:00Zx",
            "2024-01-01T00:00:00.0000000001Z",
            "",
            "é",
        ] {
            assert_eq!(record_datetime_millis(bad), None, "{bad}");
        }
    }

    #[test]
    fn record_dates() {
        assert_eq!(record_date_days("1970-01-02"), Some(1));
        assert_eq!(record_date_days("2024-02-29").map(|d| d > 0), Some(true));
        assert_eq!(record_date_days("2023-02-29"), None);
        assert_eq!(record_date_days("2024-1-01"), None);
        assert_eq!(record_date_days("2024-01-01T00:00:00Z"), None);
    }

    #[test]
    fn civil_round_trips() {
        for days in (-200_000..900_000).step_by(37) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn admin_input() {
        assert_eq!(
            input_date("2025-03-01").map(format_date).as_deref(),
            Ok("2025-03-01")
        );
        assert_eq!(input_date("2025-3-1"), Err(BadDate::Format));
        assert_eq!(input_date("2025-02-29"), Err(BadDate::Format));
        assert_eq!(input_date("1600-01-01"), Err(BadDate::Range));
        let utc = input_datetime("2025-03-01T09:30:00Z");
        assert_eq!(
            utc.map(format_datetime).as_deref(),
            Ok("2025-03-01T09:30:00Z")
        );
        assert_eq!(input_datetime("2025-03-01T10:30:00+01:00"), utc);
        assert_eq!(input_datetime("2025-03-01T10:30:00+0100"), utc);
        assert_eq!(
            input_datetime("2025-03-01T00:30:00+01:00")
                .map(format_datetime)
                .as_deref(),
            Ok("2025-02-28T23:30:00Z")
        );
        for bad in [
            "2025-03-01",
            "2025-03-01T09:30:00",
            "2025-03-01T09:30:00.000Z",
            "2025-03-01T09:30Z",
            "2025-03-01 09:30:00Z",
            "2025-03-01T09:30:00+1",
            "2025-03-01T09:30:00+24:00",
        ] {
            assert_eq!(input_datetime(bad), Err(BadDate::Format), "{bad}");
        }
        assert_eq!(
            input_datetime("1700-01-01T00:30:00+01:00"),
            Err(BadDate::Range)
        );
    }
}
