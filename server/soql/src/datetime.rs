//! Date and datetime parsing shared by the lexer (literals) and the evaluator (record values).
//!
//! Accepted datetimes: `YYYY-MM-DDTHH:MM:SS[.fraction](Z | ±HH | ±HHMM | ±HH:MM)`, which covers
//! SOQL literals (`2024-01-01T00:00:00Z`, `...+01:00`) and Salesforce's JSON format
//! (`2024-01-01T00:00:00.000+0000`). Dates: `YYYY-MM-DD`.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime};

fn digits(b: &[u8], from: usize, count: usize) -> Option<u32> {
    let slice = b.get(from..from + count)?;
    let mut value = 0u32;
    for &d in slice {
        if !d.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u32::from(d - b'0');
    }
    Some(value)
}

fn date_prefix(b: &[u8]) -> Option<NaiveDate> {
    let year = digits(b, 0, 4)?;
    let month = digits(b, 5, 2)?;
    let day = digits(b, 8, 2)?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)
}

/// `YYYY-MM-DD` (exactly).
pub(crate) fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 {
        return None;
    }
    date_prefix(b)
}

/// The pieces of a datetime string, validated.
struct Parts {
    year: i32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    nanos: u32,
    offset_seconds: i32,
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn parse_parts(b: &[u8]) -> Option<Parts> {
    let year = i32::try_from(digits(b, 0, 4)?).ok()?;
    let month = digits(b, 5, 2)?;
    let day = digits(b, 8, 2)?;
    if b.get(4) != Some(&b'-')
        || b.get(7) != Some(&b'-')
        || !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
    {
        return None;
    }
    if !matches!(b.get(10), Some(b'T' | b't'))
        || b.get(13) != Some(&b':')
        || b.get(16) != Some(&b':')
    {
        return None;
    }
    let hour = digits(b, 11, 2)?;
    let minute = digits(b, 14, 2)?;
    let second = digits(b, 17, 2)?;
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut i = 19;
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
    let offset_seconds = match b.get(i) {
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
            let total = i32::try_from(hours * 3600 + minutes * 60).ok()?;
            if sign == b'-' { -total } else { total }
        }
        _ => return None,
    };
    if i != b.len() {
        return None;
    }
    Some(Parts {
        year,
        month,
        day,
        hour,
        minute,
        second,
        nanos,
        offset_seconds,
    })
}

/// A datetime with an explicit zone (see the module docs).
pub(crate) fn parse_datetime(s: &str) -> Option<DateTime<FixedOffset>> {
    let p = parse_parts(s.as_bytes())?;
    let time = NaiveTime::from_hms_nano_opt(p.hour, p.minute, p.second, p.nanos)?;
    let offset = FixedOffset::east_opt(p.offset_seconds)?;
    let date = NaiveDate::from_ymd_opt(p.year, p.month, p.day)?;
    date.and_time(time).and_local_timezone(offset).single()
}

/// Milliseconds since the epoch of a datetime string (record values), if it parses. Computed
/// directly (no calendar library) because it runs once per record and comparison.
pub(crate) fn datetime_millis(s: &str) -> Option<i64> {
    let p = parse_parts(s.as_bytes())?;
    let seconds = days_from_civil(p.year, p.month, p.day) * 86_400
        + i64::from(p.hour) * 3600
        + i64::from(p.minute) * 60
        + i64::from(p.second)
        - i64::from(p.offset_seconds);
    Some(seconds * 1000 + i64::from(p.nanos / 1_000_000))
}

/// Days since 1970-01-01 of a date string (record values), if it parses.
pub(crate) fn date_days(s: &str) -> Option<i32> {
    parse_date(s).map(|d| naive_date_days(&d))
}

/// Days since 1970-01-01 of a date (literals).
pub(crate) fn naive_date_days(d: &NaiveDate) -> i32 {
    use chrono::Datelike;
    i32::try_from(days_from_civil(d.year(), d.month(), d.day())).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_offsets() {
        let utc = datetime_millis("2024-01-01T00:00:00Z");
        assert!(utc.is_some());
        assert_eq!(datetime_millis("2024-01-01T00:00:00.000+0000"), utc);
        assert_eq!(datetime_millis("2024-01-01T01:00:00+01:00"), utc);
        assert_eq!(datetime_millis("2024-01-01T01:00:00+0100"), utc);
        assert_eq!(datetime_millis("2024-01-01T01:00:00+01"), utc);
        assert_eq!(datetime_millis("2023-12-31T16:00:00-08:00"), utc);
        assert_eq!(
            datetime_millis("2024-01-01T00:00:00.5Z"),
            utc.map(|m| m + 500)
        );
        for bad in [
            "2024-01-01",
            "2024-01-01T00:00:00",
            "2024-13-01T00:00:00Z",
            "2024-02-30T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:00:60Z",
            "2024-01-01T00:00:00.Z",
            "2024-01-01T00:00:00+25:00",
            "2024-01-01T00:00:00Zx",
            "2024-01-01T00:00:00+01:0",
            "2024-01-01T00:00:00.0000000001Z",
            "",
            "é",
        ] {
            assert_eq!(datetime_millis(bad), None, "{bad}");
        }
    }

    #[test]
    fn direct_millis_agree_with_chrono() {
        let mut x = 0x1234_5678_9abc_def0u64;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let s = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}{}{:02}{:02}",
                1 + x % 9999,
                1 + (x >> 14) % 12,
                1 + (x >> 18) % 31,
                (x >> 23) % 24,
                (x >> 28) % 60,
                (x >> 34) % 60,
                (x >> 40) % 1000,
                if x >> 50 & 1 == 0 { '+' } else { '-' },
                (x >> 51) % 15,
                (x >> 55) % 60
            );
            assert_eq!(
                datetime_millis(&s),
                parse_datetime(&s).map(|d| d.timestamp_millis()),
                "{s}"
            );
        }
        assert_eq!(datetime_millis("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(datetime_millis("1969-12-31T23:59:59.999Z"), Some(-1));
        assert_eq!(date_days("1970-01-02"), Some(1));
    }

    #[test]
    fn dates() {
        assert!(parse_date("2024-02-29").is_some());
        assert!(parse_date("2023-02-29").is_none());
        assert!(parse_date("2024-1-01").is_none());
        assert!(date_days("2024-01-31") < date_days("2024-02-01"));
    }
}
