//! Shapes Change Data Capture event bodies from records (salesforce.md §5.4): compound
//! fields nested, datetimes in ISO `Z` form, never `IsDeleted`/`SystemModstamp`/derived
//! fields; UPDATE carries only what changed (null = cleared).

use serde_json::{Map, Value};

use crate::{
    records::{Record, cdc_datetime, parse_datetime},
    schema::{Field, Kind, Object},
};

/// Fields that never appear in change events.
fn excluded(field: &Field) -> bool {
    matches!(
        field.name,
        "Id" | "IsDeleted" | "SystemModstamp" | "LastActivityDate" | "Name"
    ) && !(field.name == "Name" && field.compound.is_some())
}

fn event_value(field: &Field, value: &Value) -> Value {
    match (field.kind, value) {
        (Kind::DateTime, Value::String(text)) => {
            parse_datetime(text).map_or_else(|| value.clone(), |at| Value::String(cdc_datetime(at)))
        }
        _ => value.clone(),
    }
}

fn put(body: &mut Map<String, Value>, field: &Field, value: Value) {
    match field.compound {
        Some(compound) => {
            let entry = body
                .entry(compound.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(map) = entry {
                map.insert(field.component.to_string(), value);
            }
        }
        None => {
            body.insert(field.name.to_string(), value);
        }
    }
}

/// CREATE / UNDELETE body: every non-empty field.
pub fn full_body(object: Object, record: &Record) -> Map<String, Value> {
    let mut body = Map::new();
    for field in object.fields().iter().filter(|f| !excluded(f)) {
        match record.get(field.name) {
            None | Some(Value::Null) => {}
            Some(value) => put(&mut body, field, event_value(field, value)),
        }
    }
    body
}

/// UPDATE body and `changedFields`: only the fields that differ (plus `LastModifiedDate`).
pub fn update_body(
    object: Object,
    before: &Record,
    after: &Record,
) -> (Map<String, Value>, Vec<String>) {
    let mut body = Map::new();
    let mut changed = Vec::new();
    for field in object.fields().iter().filter(|f| !excluded(f)) {
        let old = before.get(field.name).unwrap_or(&Value::Null);
        let new = after.get(field.name).unwrap_or(&Value::Null);
        if old == new && field.name != "LastModifiedDate" {
            continue;
        }
        put(&mut body, field, event_value(field, new));
        changed.push(match field.compound {
            Some(compound) => format!("{compound}.{}", field.component),
            None => field.name.to_string(),
        });
    }
    (body, changed)
}

/// A random uuid-like transaction key.
pub fn transaction_key(rng: &mut impl rand::Rng) -> String {
    let hex: String = (0..32)
        .map(|_| char::from(b"0123456789abcdef"[rng.gen_range(0..16)]))
        .collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::blank;
    use serde_json::json;

    #[test]
    fn update_nests_compound_parts_and_skips_system_fields() {
        let mut before = blank(Object::Contact);
        before.insert("LastName".into(), json!("Old"));
        before.insert(
            "LastModifiedDate".into(),
            json!("2024-01-01T00:00:00.000+0000"),
        );
        let mut after = before.clone();
        after.insert("LastName".into(), json!("New"));
        after.insert("Phone".into(), Value::Null);
        after.insert(
            "SystemModstamp".into(),
            json!("2024-01-02T00:00:00.000+0000"),
        );
        after.insert(
            "LastModifiedDate".into(),
            json!("2024-01-02T00:00:00.000+0000"),
        );
        let (body, changed) = update_body(Object::Contact, &before, &after);
        assert_eq!(body["Name"], json!({"LastName": "New"}));
        assert_eq!(body["LastModifiedDate"], json!("2024-01-02T00:00:00.000Z"));
        assert!(!body.contains_key("SystemModstamp"));
        assert_eq!(
            changed,
            vec!["Name.LastName".to_string(), "LastModifiedDate".to_string()]
        );
    }
}
