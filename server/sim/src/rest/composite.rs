//! `composite/sobjects`: sObject Collections create (`POST`), up to 200 records of any
//! writable object in one call, answered with one save result per record, in order.
//!
//! Wire shape (shared/reference/salesforce.md §2.7 and the REST API guide's "Create Multiple
//! Records with Fewer Round-Trips"): body `{"allOrNone":bool,"records":[{"attributes":
//! {"type":"Task"},...fields}]}`; a well-formed request is `200` with a bare array of
//! `{"id":..,"success":true,"errors":[]}` or `{"success":false,"errors":[{"statusCode",
//! "message","fields"}]}`; a malformed one is `400` with a single error **object**.

use axum::{
    Json, Router,
    body::Bytes,
    extract::State,
    response::{IntoResponse, Response},
    routing::post,
};
use serde_json::{Value, json};

use super::Session;
use crate::{AppState, errors::ApiError, schema::Object};

/// Most records one sObject Collections call takes (documented limit).
pub const MAX_RECORDS: usize = 200;

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/services/data/{version}/composite/sobjects",
        post(create_collection),
    )
}

/// A parsed, well-formed collection request (the records are JSON objects, otherwise
/// untrusted).
struct CollectionRequest {
    all_or_none: bool,
    records: Vec<Value>,
}

async fn create_collection(
    session: Session,
    State(state): State<AppState>,
    body: Bytes,
) -> Response {
    let request = match parse_request(&body) {
        Ok(request) => request,
        Err(error) => return error.object_response(),
    };
    if request.records.len() > MAX_RECORDS {
        // Status and array shape as for other request-level refusals; the code and message
        // are the ones clients report for this limit (django-salesforce issue #328, sObject
        // Collections). The exact HTTP status is unconfirmed.
        return ApiError::ExceededIdLimit { max: MAX_RECORDS }.into_response();
    }
    let items: Vec<Result<(Object, &Value), ApiError>> =
        request.records.iter().map(record_object).collect();
    let results = state
        .org
        .create_many(&items, request.all_or_none, &session.actor);
    Json(Value::Array(results.iter().map(save_result).collect())).into_response()
}

/// Reads the body; anything but `{"allOrNone"?: bool, "records": [object, ...]}` is
/// malformed.
fn parse_request(body: &[u8]) -> Result<CollectionRequest, ApiError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::JsonParser(format!(
            "Unexpected character: was expecting a valid JSON value at [line:{}, column:{}]",
            e.line(),
            e.column()
        ))
    })?;
    let Value::Object(mut map) = value else {
        return Err(deserialization_failed(&value));
    };
    let all_or_none = match map.remove("allOrNone") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(flag)) => flag,
        Some(other) => return Err(deserialization_failed(&other)),
    };
    let records = match map.remove("records") {
        Some(Value::Array(records)) => records,
        Some(other) => return Err(deserialization_failed(&other)),
        None => return Err(deserialization_failed(&Value::Null)),
    };
    if let Some(bad) = records.iter().find(|record| !record.is_object()) {
        return Err(deserialization_failed(bad));
    }
    Ok(CollectionRequest {
        all_or_none,
        records,
    })
}

/// The error Salesforce gives for a body of the wrong shape (text from a real answer,
/// restforce's `composite_sobjects_error_response.json`; which shapes get exactly this text
/// is unconfirmed).
fn deserialization_failed(token: &Value) -> ApiError {
    let token = match token {
        Value::String(text) => text.clone(),
        Value::Array(_) => "[".into(),
        Value::Object(_) => "{".into(),
        other => other.to_string(),
    };
    ApiError::InvalidField(format!(
        "Json Deserialization failed on token '{token}' and has left off in the middle of parsing a row. Will go to end of row to begin parsing the next row"
    ))
}

/// The object a record names in `attributes.type`, with the record itself (its
/// `attributes` are skipped by the field validation). A missing or unknown type fails that
/// record only (`INVALID_TYPE`; Salesforce's exact text here is unconfirmed).
fn record_object(record: &Value) -> Result<(Object, &Value), ApiError> {
    let name = record
        .get("attributes")
        .and_then(|attributes| attributes.get("type"))
        .and_then(Value::as_str)
        .ok_or_else(|| {
            ApiError::InvalidType("Each record must specify its type in attributes.type".into())
        })?;
    let object = Object::parse(name).ok_or_else(|| {
        ApiError::InvalidType(format!(
            "sObject type '{name}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."
        ))
    })?;
    Ok((object, record))
}

/// One element of the answer: `{"id","success":true,"errors":[]}` or
/// `{"success":false,"errors":[{"statusCode","message","fields"}]}` (no `id` key).
fn save_result(result: &Result<String, ApiError>) -> Value {
    match result {
        Ok(id) => json!({"id": id, "success": true, "errors": []}),
        Err(error) => json!({"success": false, "errors": [error.save_error()]}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_shapes() {
        let ok = parse_request(br#"{"allOrNone":true,"records":[{"attributes":{"type":"Task"}}]}"#)
            .expect("well formed");
        assert!(ok.all_or_none);
        assert_eq!(ok.records.len(), 1);
        let default = parse_request(br#"{"records":[]}"#).expect("allOrNone is optional");
        assert!(!default.all_or_none);
        for bad in [
            &b"not json"[..],
            br#"[]"#,
            br#"{"allOrNone":"yes","records":[]}"#,
            br#"{"allOrNone":false}"#,
            br#"{"records":{}}"#,
            br#"{"records":[null]}"#,
        ] {
            assert!(
                parse_request(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        let error = parse_request(br#"{"records":[null]}"#)
            .err()
            .expect("malformed");
        assert_eq!(error.error_code(), "INVALID_FIELD");
        assert!(
            error.message().contains("token 'null'"),
            "{}",
            error.message()
        );
        let error = parse_request(b"{").err().expect("not json");
        assert_eq!(error.error_code(), "JSON_PARSER_ERROR");
    }

    #[test]
    fn record_types() {
        let task = json!({"attributes": {"type": "task"}, "Subject": "Call"});
        assert_eq!(record_object(&task).expect("known").0, Object::Task);
        let untyped = json!({"Subject": "Call"});
        assert_eq!(
            record_object(&untyped).expect_err("untyped").error_code(),
            "INVALID_TYPE"
        );
        let unknown = json!({"attributes": {"type": "Account"}});
        assert_eq!(
            record_object(&unknown).expect_err("unknown").error_code(),
            "INVALID_TYPE"
        );
    }

    #[test]
    fn save_results_have_salesforce_keys_in_order() {
        let ok = save_result(&Ok("00T000000000001AAA".into()));
        assert_eq!(
            ok.to_string(),
            r#"{"id":"00T000000000001AAA","success":true,"errors":[]}"#
        );
        let refused = save_result(&Err(ApiError::AllOrNoneRolledBack));
        assert_eq!(
            refused.to_string(),
            r#"{"success":false,"errors":[{"statusCode":"ALL_OR_NONE_OPERATION_ROLLED_BACK","message":"Record rolled back because not all records were valid and the request was using AllOrNone header","fields":[]}]}"#
        );
    }
}
