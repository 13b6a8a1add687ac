//! `sobjects`: global describe, describe, create/read/update/delete, `updated` and `deleted`.

use std::collections::HashMap;

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};
use chrono::{DateTime, DurationRound, Utc};
use serde_json::{Map, Value, json};

use super::{Session, object_segment};
use crate::{
    AppState,
    errors::ApiError,
    records::{self, Record, rest_datetime},
    schema::Object,
    state::WriteOptions,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/services/data/{version}/sobjects", get(global_describe))
        .route(
            "/services/data/{version}/sobjects/{object}",
            get(basic_info).post(create),
        )
        .route(
            "/services/data/{version}/sobjects/{object}/describe",
            get(describe),
        )
        .route(
            "/services/data/{version}/sobjects/{object}/updated",
            get(updated),
        )
        .route(
            "/services/data/{version}/sobjects/{object}/deleted",
            get(deleted),
        )
        .route(
            "/services/data/{version}/sobjects/{object}/{id}",
            get(read).patch(update).delete(delete),
        )
}

async fn global_describe(session: Session) -> Json<Value> {
    let list: Vec<Value> = Object::ALL
        .iter()
        .map(|o| o.global_entry(&session.v()))
        .collect();
    Json(json!({"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": list}))
}

async fn basic_info(
    session: Session,
    Path((_, object)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let object = object_segment(&object)?;
    Ok(Json(
        json!({"objectDescribe": object.global_entry(&session.v()), "recentItems": []}),
    ))
}

async fn describe(
    session: Session,
    Path((_, object)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let object = object_segment(&object)?;
    Ok(Json(object.describe(&session.v(), &session.base_url)))
}

fn parse_body(body: &Bytes) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::JsonParser(format!(
            "Unexpected character: was expecting a valid JSON value at [line:{}, column:{}]",
            e.line(),
            e.column()
        ))
    })
}

fn writable(object: &str) -> Result<Object, ApiError> {
    let object = object_segment(object)?;
    if !Object::WRITABLE.contains(&object) {
        return Err(ApiError::MethodNotAllowed(format!(
            "HTTP Method 'POST' not allowed. Allowed are GET,HEAD for {}",
            object.name()
        )));
    }
    Ok(object)
}

async fn create(
    session: Session,
    State(state): State<AppState>,
    Path((_, object)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let object = writable(&object)?;
    let body = parse_body(&body)?;
    let id = state
        .org
        .create(object, &body, &session.actor, &WriteOptions::default())?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": id, "success": true, "errors": []})),
    )
        .into_response())
}

/// A record as the REST API returns it: `attributes` first, then the fields.
pub fn with_attributes(
    object: Object,
    version: &str,
    record: &Record,
    fields: Option<&[&str]>,
) -> Value {
    let id = record.get("Id").and_then(Value::as_str).unwrap_or_default();
    let mut out = Map::new();
    out.insert(
        "attributes".into(),
        json!({"type": object.name(), "url": format!("/services/data/{version}/sobjects/{}/{id}", object.name())}),
    );
    match fields {
        Some(fields) => {
            for name in fields {
                out.insert(
                    (*name).to_string(),
                    record.get(*name).cloned().unwrap_or(Value::Null),
                );
            }
        }
        None => {
            for field in object.fields() {
                out.insert(
                    field.name.to_string(),
                    record.get(field.name).cloned().unwrap_or(Value::Null),
                );
            }
        }
    }
    Value::Object(out)
}

async fn read(
    session: Session,
    State(state): State<AppState>,
    Path((_, object, id)): Path<(String, String, String)>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let object = object_segment(&object)?;
    let record = state.org.get(object, &id)?;
    let fields = match params.get("fields") {
        Some(list) => {
            let mut names = Vec::new();
            for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                let field = object.field(name).ok_or_else(|| {
                    ApiError::InvalidField(format!(
                        "No such column '{name}' on entity '{}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.",
                        object.name()
                    ))
                })?;
                names.push(field.name);
            }
            Some(names)
        }
        None => None,
    };
    Ok(Json(with_attributes(
        object,
        &session.v(),
        &record,
        fields.as_deref(),
    )))
}

async fn update(
    session: Session,
    State(state): State<AppState>,
    Path((_, object, id)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let object = writable(&object)?;
    let body = parse_body(&body)?;
    state
        .org
        .update(object, &id, &body, &session.actor, &WriteOptions::default())?;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete(
    session: Session,
    State(state): State<AppState>,
    Path((_, object, id)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    let object = writable(&object)?;
    state
        .org
        .delete(object, &id, &session.actor, &WriteOptions::default())?;
    Ok(StatusCode::NO_CONTENT)
}

/// `start`/`end` of an updated/deleted window (a raw `+` may arrive decoded as a space).
fn window(params: &HashMap<String, String>) -> Result<(DateTime<Utc>, DateTime<Utc>), ApiError> {
    let get = |name: &str| -> Result<DateTime<Utc>, ApiError> {
        let raw = params.get(name).ok_or_else(|| {
            ApiError::InvalidReplicationDate(format!("Missing required parameter: {name}"))
        })?;
        let text = raw.trim().replace(' ', "+");
        let at = records::parse_datetime(&text)
            .ok_or_else(|| ApiError::InvalidReplicationDate(format!("Invalid date/time: {raw}")))?;
        // Salesforce truncates the window to whole minutes.
        Ok(at
            .duration_trunc(chrono::Duration::minutes(1))
            .unwrap_or(at))
    };
    let (start, end) = (get("start")?, get("end")?);
    if end < start {
        return Err(ApiError::InvalidReplicationDate(
            "startDate must chronologically precede endDate".into(),
        ));
    }
    Ok((start, end))
}

fn latest_covered(end: DateTime<Utc>) -> DateTime<Utc> {
    let now = Utc::now();
    let at = if end < now { end } else { now };
    at.duration_trunc(chrono::Duration::minutes(1))
        .unwrap_or(at)
}

async fn updated(
    _session: Session,
    State(state): State<AppState>,
    Path((_, object)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let object = object_segment(&object)?;
    let (start, end) = window(&params)?;
    let covered = latest_covered(end);
    let ids = state.org.updated_ids(object, start, covered);
    Ok(Json(
        json!({"ids": ids, "latestDateCovered": rest_datetime(covered)}),
    ))
}

async fn deleted(
    _session: Session,
    State(state): State<AppState>,
    Path((_, object)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let object = object_segment(&object)?;
    let (start, end) = window(&params)?;
    let covered = latest_covered(end);
    let list = state.org.deleted_in(object, start, covered);
    let records: Vec<Value> = list
        .into_iter()
        .map(|(id, at)| json!({"id": id, "deletedDate": rest_datetime(at)}))
        .collect();
    // Deleted records are available since the org started (nothing is purged automatically).
    let earliest = state
        .org
        .started
        .duration_trunc(chrono::Duration::minutes(1))
        .unwrap_or(state.org.started);
    Ok(Json(json!({
        "deletedRecords": records,
        "earliestDateAvailable": rest_datetime(earliest),
        "latestDateCovered": rest_datetime(covered),
    })))
}
