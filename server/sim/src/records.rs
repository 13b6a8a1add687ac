//! Record values: timestamp formats, validation of untrusted write bodies, defaults and
//! derived fields.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde_json::{Map, Value};

use crate::{
    errors::ApiError,
    ids,
    schema::{Field, Kind, Object},
};

/// A stored record: every field of its object, `null` when empty.
pub type Record = Map<String, Value>;

/// REST datetime format: `2024-01-01T00:00:00.000+0000`.
pub fn rest_datetime(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()
}

/// CDC datetime format: `2024-01-01T00:00:00.000Z`.
pub fn cdc_datetime(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses the datetime formats clients send and records hold: RFC 3339 (`Z` or `+01:00`),
/// `+0000` without a colon, with or without fractional seconds.
pub fn parse_datetime(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%d %H:%M:%S%z",
    ] {
        if let Ok(at) = DateTime::parse_from_str(text, format) {
            return Some(at.with_timezone(&Utc));
        }
    }
    None
}

/// The record's datetime field as a timestamp.
pub fn field_datetime(record: &Record, field: &str) -> Option<DateTime<Utc>> {
    record
        .get(field)
        .and_then(Value::as_str)
        .and_then(parse_datetime)
}

/// Now, truncated to the second as Salesforce stores audit fields (so many records changed
/// in the same second share one `SystemModstamp`, as in a real org).
pub fn now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now)
}

/// Validates an untrusted write body into canonical `(field, value)` pairs.
pub fn validate_write(
    object: Object,
    body: &Value,
    creating: bool,
) -> Result<Vec<(&'static Field, Value)>, ApiError> {
    let Some(map) = body.as_object() else {
        return Err(ApiError::JsonParser(format!(
            "Cannot deserialize instance of {} from {} value or request may be missing a required field",
            object.name(),
            json_kind(body)
        )));
    };
    let mut out = Vec::with_capacity(map.len());
    let mut read_only = Vec::new();
    for (key, value) in map {
        if key == "attributes" {
            continue;
        }
        let Some(field) = object.field(key) else {
            return Err(ApiError::InvalidField(format!(
                "No such column '{key}' on sobject of type {}",
                object.name()
            )));
        };
        if (creating && !field.createable) || (!creating && !field.updateable) {
            read_only.push(field.name.to_string());
            continue;
        }
        out.push((field, coerce(object, field, value)?));
    }
    if !read_only.is_empty() {
        return Err(ApiError::InvalidFieldForInsertUpdate(read_only));
    }
    Ok(out)
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "VALUE_NULL",
        Value::Bool(_) => "VALUE_TRUE",
        Value::Number(_) => "VALUE_NUMBER_INT",
        Value::String(_) => "VALUE_STRING",
        Value::Array(_) => "START_ARRAY",
        Value::Object(_) => "START_OBJECT",
    }
}

fn parser_error(value: &Value, wanted: &str) -> ApiError {
    ApiError::JsonParser(format!(
        "Cannot deserialize instance of {wanted} from {} value {} or request may be missing a required field",
        json_kind(value),
        match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    ))
}

/// Converts one untrusted value to the stored form of `field`.
fn coerce(object: Object, field: &'static Field, value: &Value) -> Result<Value, ApiError> {
    if value.is_null() || value.as_str().is_some_and(str::is_empty) {
        if field.required {
            return Err(ApiError::RequiredFieldMissing(vec![field.name.to_string()]));
        }
        return Ok(match field.kind {
            Kind::Boolean => Value::Bool(false),
            _ => Value::Null,
        });
    }
    match field.kind {
        Kind::Boolean => match value {
            Value::Bool(b) => Ok(Value::Bool(*b)),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
            _ => Err(parser_error(value, "boolean")),
        },
        Kind::Int => match value {
            Value::Number(n) => n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
                .map(Value::from)
                .ok_or_else(|| parser_error(value, "int")),
            Value::String(s) => s
                .trim()
                .parse::<i64>()
                .map(Value::from)
                .map_err(|_| parser_error(value, "int")),
            _ => Err(parser_error(value, "int")),
        },
        Kind::Double => match value {
            Value::Number(_) => Ok(value.clone()),
            Value::String(s) => s
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .ok_or_else(|| parser_error(value, "double")),
            _ => Err(parser_error(value, "double")),
        },
        Kind::Date => {
            let text = value.as_str().ok_or_else(|| parser_error(value, "date"))?;
            let date = NaiveDate::parse_from_str(text.get(..10).unwrap_or(text), "%Y-%m-%d")
                .map_err(|_| parser_error(value, "date"))?;
            Ok(Value::String(date.format("%Y-%m-%d").to_string()))
        }
        Kind::DateTime => {
            let text = value
                .as_str()
                .ok_or_else(|| parser_error(value, "datetime"))?;
            let at = parse_datetime(text).ok_or_else(|| parser_error(value, "datetime"))?;
            Ok(Value::String(rest_datetime(at)))
        }
        Kind::Id | Kind::Reference => {
            let text = value.as_str().ok_or_else(|| parser_error(value, "id"))?;
            let id = ids::normalize(text).ok_or_else(|| ApiError::MalformedId {
                label: field.label.to_string(),
                field: field.name.to_string(),
                value: text.to_string(),
            })?;
            Ok(Value::String(id))
        }
        _ => {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return Err(parser_error(value, "String")),
            };
            if field.length > 0 && text.chars().count() > field.length as usize {
                return Err(ApiError::StringTooLong {
                    field: field.name.to_string(),
                    label: field.label.to_string(),
                    value: text,
                    max: field.length,
                });
            }
            if matches!(field.name, "TaskSubtype" | "CallType")
                && object == Object::Task
                && !field.picklist.contains(&text.as_str())
            {
                return Err(ApiError::RestrictedPicklist {
                    field: field.name.to_string(),
                    value: text,
                });
            }
            Ok(Value::String(text))
        }
    }
}

/// A record of `object` with every field `null`/default.
pub fn blank(object: Object) -> Record {
    let mut record = Record::new();
    for field in object.fields() {
        let value = match (field.kind, field.name) {
            (Kind::Boolean, _) => Value::Bool(false),
            (_, "Status") if object == Object::Lead => {
                Value::String(crate::schema::LEAD_STATUSES[0].into())
            }
            (_, "Status") if object == Object::Task => Value::String("Not Started".into()),
            (_, "Priority") => Value::String("Normal".into()),
            _ => Value::Null,
        };
        record.insert(field.name.to_string(), value);
    }
    record
}

/// Recomputes derived fields (`Name`, Task's `IsClosed`/`IsHighPriority`).
pub fn derive(object: Object, record: &mut Record) {
    if object.has_compound_name() {
        let name = [record.get("FirstName"), record.get("LastName")]
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        record.insert(
            "Name".into(),
            if name.is_empty() {
                Value::Null
            } else {
                Value::String(name)
            },
        );
    }
    if object == Object::Task {
        let status = record
            .get("Status")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let closed = matches!(status, "Completed" | "Deferred");
        let high = record.get("Priority").and_then(Value::as_str) == Some("High");
        record.insert("IsClosed".into(), Value::Bool(closed));
        record.insert("IsHighPriority".into(), Value::Bool(high));
        if !closed {
            record.insert("CompletedDateTime".into(), Value::Null);
        } else if record.get("CompletedDateTime").is_none_or(Value::is_null) {
            let stamp = record
                .get("LastModifiedDate")
                .cloned()
                .unwrap_or(Value::Null);
            record.insert("CompletedDateTime".into(), stamp);
        }
    }
}

/// The required fields missing from a record about to be created.
pub fn missing_required(object: Object, record: &Record) -> Vec<String> {
    object
        .fields()
        .iter()
        .filter(|f| f.required && record.get(f.name).is_none_or(Value::is_null))
        .map(|f| f.name.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn datetimes_parse_and_format() {
        let at = parse_datetime("2024-05-05T10:00:00+02:00").expect("rfc3339");
        assert_eq!(rest_datetime(at), "2024-05-05T08:00:00.000+0000");
        assert_eq!(parse_datetime("2024-05-05T08:00:00.000+0000"), Some(at));
        assert_eq!(cdc_datetime(at), "2024-05-05T08:00:00.000Z");
    }

    #[test]
    fn validation_rejects_unknown_read_only_and_bad_values() {
        let err = validate_write(Object::Contact, &json!({"Foo": 1}), true).expect_err("unknown");
        assert_eq!(err.error_code(), "INVALID_FIELD");
        let err =
            validate_write(Object::Contact, &json!({"Name": "x"}), true).expect_err("read only");
        assert_eq!(err.error_code(), "INVALID_FIELD_FOR_INSERT_UPDATE");
        let err = validate_write(Object::Contact, &json!({"DoNotCall": "maybe"}), true)
            .expect_err("bool");
        assert_eq!(err.error_code(), "JSON_PARSER_ERROR");
        let err = validate_write(Object::Contact, &json!({"LastName": null}), false)
            .expect_err("required");
        assert_eq!(err.error_code(), "REQUIRED_FIELD_MISSING");
        let ok = validate_write(
            Object::Contact,
            &json!({"lastname": "Smith", "attributes": {}}),
            true,
        )
        .expect("ok");
        assert_eq!(ok[0].0.name, "LastName");
    }
}
