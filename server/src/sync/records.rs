//! Salesforce records (query results) into mirror rows, and the timestamps the cursors use.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Map, Value};
use store::mirror::MirrorRecord;

use super::errors::SyncError;

/// A query record without `attributes`, split into what the mirror keys on.
pub fn mirror_record(mut record: Map<String, Value>) -> Result<MirrorRecord, SyncError> {
    record.remove("attributes");
    let sf_id = match record.get("Id") {
        Some(Value::String(id)) if !id.is_empty() => id.clone(),
        _ => return Err(SyncError::BadRecord("Id")),
    };
    let system_modstamp = match record.get("SystemModstamp") {
        Some(Value::String(stamp)) if parse_stamp(stamp).is_some() => stamp.clone(),
        _ => return Err(SyncError::BadRecord("SystemModstamp")),
    };
    let deleted = matches!(record.get("IsDeleted"), Some(Value::Bool(true)));
    Ok(MirrorRecord {
        sf_id,
        fields: record,
        system_modstamp,
        deleted,
    })
}

/// Salesforce's `2025-03-01T10:00:00.000+0000`.
pub fn parse_stamp(stamp: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_str(stamp, "%Y-%m-%dT%H:%M:%S%.f%z")
        .ok()
        .map(|at| at.with_timezone(&Utc))
}

/// The same format, for stamps orgsync makes (a purged record's delete time).
pub fn format_stamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()
}

/// A SOQL datetime literal.
pub fn soql_datetime(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Where a poll starts reading: `overlap` before the watermark, because a record committed
/// late can carry a SystemModstamp older than ones already seen (Salesforce stamps a change
/// before its transaction commits, and stamps have whole seconds).
pub fn poll_from(watermark: Option<&str>, overlap: std::time::Duration) -> Option<DateTime<Utc>> {
    let watermark = parse_stamp(watermark?)?;
    Some(watermark - TimeDelta::from_std(overlap).unwrap_or(TimeDelta::zero()))
}

/// The later of two stamps (fixed-format strings compare in time order).
pub fn later(current: Option<String>, candidate: &str) -> Option<String> {
    match current {
        Some(current) if current.as_str() >= candidate => Some(current),
        _ => Some(candidate.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::*;

    #[test]
    fn a_query_record_becomes_a_mirror_row() {
        let Value::Object(record) = json!({
            "attributes": {"type": "Contact", "url": "/x"},
            "Id": "003000000000001AAA",
            "SystemModstamp": "2025-03-01T10:00:00.000+0000",
            "IsDeleted": true,
            "Phone": "555"
        }) else {
            panic!("an object")
        };
        let row = mirror_record(record).expect("valid");
        assert_eq!(row.sf_id, "003000000000001AAA");
        assert!(row.deleted);
        assert!(!row.fields.contains_key("attributes"));
        assert_eq!(row.fields["Phone"], "555");
    }

    #[test]
    fn a_record_without_id_or_stamp_is_refused() {
        let Value::Object(record) = json!({"Id": "003000000000001AAA"}) else {
            panic!("an object")
        };
        assert!(matches!(
            mirror_record(record),
            Err(SyncError::BadRecord("SystemModstamp"))
        ));
    }

    #[test]
    fn the_poll_window_starts_the_overlap_before_the_watermark() {
        let from = poll_from(
            Some("2025-03-01T10:05:00.000+0000"),
            Duration::from_secs(300),
        )
        .expect("a start");
        assert_eq!(soql_datetime(from), "2025-03-01T10:00:00Z");
        assert_eq!(poll_from(None, Duration::from_secs(300)), None);
        assert_eq!(format_stamp(from), "2025-03-01T10:00:00.000+0000");
    }

    #[test]
    fn the_watermark_only_moves_forward() {
        let stamp = later(None, "2025-03-01T10:00:00.000+0000");
        let stamp = later(stamp, "2025-03-01T09:00:00.000+0000");
        assert_eq!(stamp.as_deref(), Some("2025-03-01T10:00:00.000+0000"));
    }
}
