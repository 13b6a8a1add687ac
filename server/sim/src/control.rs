//! The control API under `/__sim/` (JSON in and out) for tests, the demo and benchmarks:
//! org settings, fault injection, token and client expiry, CDC gap/overflow events, call
//! counters, record inspection and bulk generators. Documented in the crate README.

use std::collections::HashMap;

use axum::{
    Json, Router,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::{
    AppState,
    config::Edition,
    errors::ApiError,
    events::{ChangeType, OVERFLOW_RECORD_ID},
    faults::Fault,
    records::{self, rest_datetime},
    schema::Object,
    state::WriteOptions,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/__sim/org", get(get_org).patch(patch_org))
        .route(
            "/__sim/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/__sim/tokens/expire-access", post(expire_access))
        .route("/__sim/tokens/revoke-refresh", post(revoke_refresh))
        .route("/__sim/cometd/expire-clients", post(expire_clients))
        .route("/__sim/cdc/gap", post(gap))
        .route("/__sim/cdc/overflow", post(overflow))
        .route("/__sim/events", get(list_events))
        .route("/__sim/events/counts", get(event_counts))
        .route("/__sim/counters", get(counters).delete(reset_counters))
        .route(
            "/__sim/records/{object}",
            get(list_records).post(create_record),
        )
        .route(
            "/__sim/records/{object}/{id}",
            get(get_record).patch(update_record).delete(delete_record),
        )
        .route(
            "/__sim/records/{object}/{id}/undelete",
            post(undelete_record),
        )
        .route("/__sim/records/{object}/{id}/purge", post(purge_record))
        .route("/__sim/generate/records", post(generate_records))
        .route("/__sim/generate/bulk-update", post(bulk_update))
        .route("/__sim/generate/shared-modstamp", post(shared_modstamp))
        .route("/__sim/generate/late-commit", post(late_commit))
}

type Result<T> = std::result::Result<T, ApiError>;

/// Most records one generator call creates or changes.
const MAX_GENERATE: usize = 1_000_000;
/// Longest late-commit lag (ten years).
const MAX_LAG_SECONDS: i64 = 10 * 365 * 86_400;

fn checked_count(count: usize) -> Result<usize> {
    if count > MAX_GENERATE {
        return Err(bad_request(format!("count must be at most {MAX_GENERATE}")));
    }
    Ok(count)
}

fn bad_request(message: impl Into<String>) -> ApiError {
    ApiError::Custom {
        status: StatusCode::BAD_REQUEST,
        error_code: "INVALID_CONTROL_REQUEST".into(),
        message: message.into(),
    }
}

fn object(name: &str) -> Result<Object> {
    Object::parse(name).ok_or_else(|| bad_request(format!("unknown object '{name}'")))
}

fn writable(name: &str) -> Result<Object> {
    let object = object(name)?;
    if Object::WRITABLE.contains(&object) {
        Ok(object)
    } else {
        Err(bad_request(format!(
            "{} records cannot be changed",
            object.name()
        )))
    }
}

fn stamp_param(params: &HashMap<String, String>) -> Result<Option<DateTime<Utc>>> {
    params
        .get("stamp")
        .map(|s| {
            records::parse_datetime(&s.replace(' ', "+"))
                .ok_or_else(|| bad_request(format!("invalid stamp '{s}'")))
        })
        .transpose()
}

async fn get_org(State(state): State<AppState>) -> Json<Value> {
    let settings = state.org.settings();
    let (access_ttl, refresh_ttl, rotate) = {
        let tokens = state.org.tokens();
        (
            tokens.access_ttl(),
            tokens.refresh_ttl(),
            tokens.rotates_refresh(),
        )
    };
    Json(json!({
        "org_id": state.org.org_id,
        "edition": settings.edition,
        "cdc_entities": settings.cdc_entities,
        "daily_api_max": settings.daily_api_max,
        "api_usage": settings.api_usage,
        "access_token_ttl_secs": access_ttl.as_secs(),
        "refresh_token_ttl_secs": refresh_ttl.map(|ttl| ttl.as_secs()),
        "rotate_refresh_tokens": rotate,
        "client_id": state.org.config.client_id,
        "users": state.org.users.iter().map(|u| json!({"id": u.id, "username": u.username, "password": u.password})).collect::<Vec<_>>(),
        "event_tip": state.org.events.tip(),
        "cometd_clients": state.cometd.client_count(),
        "open_query_locators": state.org.cursors.open_count(),
    }))
}

#[derive(Deserialize)]
struct OrgPatch {
    edition: Option<Edition>,
    cdc_entities: Option<Vec<String>>,
    daily_api_max: Option<u64>,
    api_usage: Option<u64>,
    /// Lifetime of access tokens issued from now on.
    access_token_ttl_secs: Option<u64>,
    /// Lifetime of refresh tokens, checked on use against their issue time (so it applies to
    /// tokens already issued); `null` = until revoked, absent = unchanged.
    #[serde(default, deserialize_with = "present")]
    refresh_token_ttl_secs: Option<Option<u64>>,
    /// Refresh-token rotation: each refresh returns a new refresh token and ends the old one.
    rotate_refresh_tokens: Option<bool>,
}

/// Tells an explicit `null` (`Some(None)`) from an absent field (`None`, via `default`).
fn present<'de, D, T>(deserializer: D) -> std::result::Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

async fn patch_org(
    State(state): State<AppState>,
    Json(patch): Json<OrgPatch>,
) -> Result<Json<Value>> {
    let entities = match patch.cdc_entities {
        Some(list) => {
            let mut out = Vec::new();
            for name in list {
                let object = writable(&name)?;
                if !out.contains(&object.name().to_string()) {
                    out.push(object.name().to_string());
                }
            }
            if out.len() > 5 {
                return Err(bad_request(
                    "at most 5 entities can be selected for Change Data Capture",
                ));
            }
            Some(out)
        }
        None => None,
    };
    if let Some(secs) = patch.access_token_ttl_secs {
        state
            .org
            .tokens()
            .set_access_ttl(std::time::Duration::from_secs(secs));
    }
    if let Some(ttl) = patch.refresh_token_ttl_secs {
        state
            .org
            .tokens()
            .set_refresh_ttl(ttl.map(std::time::Duration::from_secs));
    }
    if let Some(rotate) = patch.rotate_refresh_tokens {
        state.org.tokens().set_rotate_refresh(rotate);
    }
    state.org.update_settings(|settings| {
        if let Some(edition) = patch.edition {
            settings.edition = edition;
            settings.daily_api_max = edition.daily_api_requests();
        }
        if let Some(entities) = entities {
            settings.cdc_entities = entities;
        }
        if let Some(max) = patch.daily_api_max {
            settings.daily_api_max = max;
        }
        if let Some(usage) = patch.api_usage {
            settings.api_usage = usage;
        }
    });
    Ok(get_org(State(state)).await)
}

async fn list_faults(State(state): State<AppState>) -> Json<Value> {
    Json(json!({"faults": state.org.faults.list()}))
}

async fn add_fault(State(state): State<AppState>, Json(fault): Json<Fault>) -> Result<Json<Value>> {
    if fault.endpoint.trim().is_empty() {
        return Err(bad_request("endpoint is required"));
    }
    state.org.faults.add(fault);
    Ok(list_faults(State(state)).await)
}

async fn clear_faults(State(state): State<AppState>) -> StatusCode {
    state.org.faults.clear();
    StatusCode::NO_CONTENT
}

async fn expire_access(State(state): State<AppState>) -> Json<Value> {
    Json(json!({"expired": state.org.tokens().expire_all_access()}))
}

async fn revoke_refresh(State(state): State<AppState>) -> Json<Value> {
    Json(json!({"revoked": state.org.tokens().revoke_all_refresh()}))
}

async fn expire_clients(State(state): State<AppState>) -> StatusCode {
    state.cometd.expire_all_clients();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct GapRequest {
    entity: String,
    #[serde(default)]
    change_type: Option<String>,
    #[serde(default)]
    record_ids: Vec<String>,
}

async fn gap(
    State(state): State<AppState>,
    Json(request): Json<GapRequest>,
) -> Result<Json<Value>> {
    let object = writable(&request.entity)?;
    let change_type = match request.change_type.as_deref().unwrap_or("GAP_UPDATE") {
        "GAP_CREATE" => ChangeType::GapCreate,
        "GAP_UPDATE" => ChangeType::GapUpdate,
        "GAP_DELETE" => ChangeType::GapDelete,
        "GAP_UNDELETE" => ChangeType::GapUndelete,
        other => return Err(bad_request(format!("unknown gap change type '{other}'"))),
    };
    let ids = if request.record_ids.is_empty() {
        state
            .org
            .record_ids(object, true)
            .into_iter()
            .take(1)
            .collect()
    } else {
        request.record_ids
    };
    let actor = state.org.admin_actor(String::new());
    let replay_id = state.org.publish(
        object.name(),
        change_type,
        ids,
        Vec::new(),
        Map::new(),
        &actor,
        records::now(),
        None,
    );
    Ok(Json(json!({"replay_id": replay_id})))
}

#[derive(Deserialize)]
struct OverflowRequest {
    entity: String,
}

async fn overflow(
    State(state): State<AppState>,
    Json(request): Json<OverflowRequest>,
) -> Result<Json<Value>> {
    let object = writable(&request.entity)?;
    let actor = state.org.admin_actor(String::new());
    let replay_id = state.org.publish(
        object.name(),
        ChangeType::GapOverflow,
        vec![OVERFLOW_RECORD_ID.to_string()],
        Vec::new(),
        Map::new(),
        &actor,
        records::now(),
        None,
    );
    Ok(Json(json!({"replay_id": replay_id})))
}

async fn list_events(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> Json<Value> {
    let after = params
        .get("after")
        .and_then(|a| a.parse().ok())
        .unwrap_or(0);
    let limit = params
        .get("limit")
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000);
    let events: Vec<Value> = state
        .org
        .events
        .events_after(after, None, limit)
        .into_iter()
        .map(|e| json!({"replay_id": e.replay_id, "entity": e.entity, "payload": e.payload}))
        .collect();
    Json(json!({"tip": state.org.events.tip(), "events": events}))
}

/// `GET /__sim/events/counts?entity=Contact`: how many retained change events name each record
/// id, and whether the log is complete (no event dropped by retention).
async fn event_counts(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>> {
    let entity = params
        .get("entity")
        .ok_or_else(|| bad_request("entity is required"))?;
    let object = writable(entity)?;
    let (records, complete) = state.org.events.changes_per_record(object.name());
    Ok(Json(json!({"complete": complete, "records": records})))
}

async fn counters(State(state): State<AppState>) -> Json<Value> {
    let counters = state.org.counters();
    let total: u64 = counters.values().sum();
    Json(json!({"total": total, "endpoints": counters}))
}

async fn reset_counters(State(state): State<AppState>) -> StatusCode {
    state.org.reset_counters();
    StatusCode::NO_CONTENT
}

async fn list_records(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>> {
    let object = object(&name)?;
    let include_deleted = params.get("include_deleted").is_some_and(|v| v == "true");
    let data = state.org.read();
    let records: Vec<&records::Record> = data
        .table(object)
        .records
        .values()
        .map(AsRef::as_ref)
        .filter(|r| include_deleted || r.get("IsDeleted") != Some(&Value::Bool(true)))
        .collect();
    Ok(Json(
        json!({"totalSize": records.len(), "records": records}),
    ))
}

async fn get_record(
    State(state): State<AppState>,
    Path((name, id)): Path<(String, String)>,
) -> Result<Json<Value>> {
    let object = object(&name)?;
    let id = crate::state::Org::resolve_id(object, &id)?;
    let data = state.org.read();
    let record = data.record(object, &id).ok_or(ApiError::NotFound)?;
    Ok(Json(Value::Object(record.clone())))
}

async fn create_record(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    Json(body): Json<Value>,
) -> Result<Response> {
    let object = writable(&name)?;
    let options = WriteOptions {
        stamp: stamp_param(&params)?,
        ..Default::default()
    };
    let id = state.org.create(
        object,
        &body,
        &state.org.admin_actor(String::new()),
        &options,
    )?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": id, "success": true, "errors": []})),
    )
        .into_response())
}

async fn update_record(
    State(state): State<AppState>,
    Path((name, id)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
    Json(body): Json<Value>,
) -> Result<StatusCode> {
    let object = writable(&name)?;
    let options = WriteOptions {
        stamp: stamp_param(&params)?,
        ..Default::default()
    };
    state.org.update(
        object,
        &id,
        &body,
        &state.org.admin_actor(String::new()),
        &options,
    )?;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete_record(
    State(state): State<AppState>,
    Path((name, id)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<StatusCode> {
    let object = writable(&name)?;
    if params.get("hard").is_some_and(|v| v == "true") {
        state.org.purge(object, &id)?;
    } else {
        let options = WriteOptions {
            stamp: stamp_param(&params)?,
            ..Default::default()
        };
        state
            .org
            .delete(object, &id, &state.org.admin_actor(String::new()), &options)?;
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn undelete_record(
    State(state): State<AppState>,
    Path((name, id)): Path<(String, String)>,
) -> Result<StatusCode> {
    let object = writable(&name)?;
    state
        .org
        .undelete(object, &id, &state.org.admin_actor(String::new()))?;
    Ok(StatusCode::NO_CONTENT)
}

async fn purge_record(
    State(state): State<AppState>,
    Path((name, id)): Path<(String, String)>,
) -> Result<StatusCode> {
    let object = writable(&name)?;
    state.org.purge(object, &id)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct GenerateRequest {
    object: String,
    count: usize,
}

async fn generate_records(
    State(state): State<AppState>,
    Json(request): Json<GenerateRequest>,
) -> Result<Json<Value>> {
    let object = writable(&request.object)?;
    let ids = state
        .org
        .generate(object, request.count, &WriteOptions::default())?;
    Ok(Json(json!({"ids": ids})))
}

#[derive(Deserialize)]
struct BulkRequest {
    object: String,
    #[serde(default)]
    count: Option<usize>,
    #[serde(default)]
    ids: Vec<String>,
    /// Fields to set; when absent each record gets a new random Phone.
    #[serde(default)]
    fields: Option<Map<String, Value>>,
    /// For late-commit: how far in the past the SystemModstamp is.
    #[serde(default)]
    lag_seconds: Option<i64>,
}

/// Updates the chosen records with one timestamp (`stamp`) in one CDC transaction.
fn apply_bulk(
    state: &AppState,
    request: &BulkRequest,
    stamp: Option<DateTime<Utc>>,
) -> Result<Vec<String>> {
    let object = writable(&request.object)?;
    let mut ids = request.ids.clone();
    if ids.is_empty() {
        let count = checked_count(request.count.unwrap_or(1))?;
        ids = state
            .org
            .record_ids(object, false)
            .into_iter()
            .take(count)
            .collect();
        if ids.len() < count {
            let extra = state
                .org
                .generate(object, count - ids.len(), &WriteOptions::default())?;
            ids.extend(extra);
        }
    }
    let key = state.org.transaction_key();
    let actor = state.org.admin_actor(String::new());
    for (index, id) in ids.iter().enumerate() {
        let fields = match &request.fields {
            Some(fields) => Value::Object(fields.clone()),
            None => json!({"Phone": state.org.random_phone()}),
        };
        let options = WriteOptions {
            stamp,
            silent: false,
            transaction: Some((key.clone(), index as i64 + 1)),
        };
        state.org.update(object, id, &fields, &actor, &options)?;
    }
    Ok(ids)
}

async fn bulk_update(
    State(state): State<AppState>,
    Json(request): Json<BulkRequest>,
) -> Result<Json<Value>> {
    let ids = apply_bulk(&state, &request, None)?;
    Ok(Json(json!({"ids": ids})))
}

async fn shared_modstamp(
    State(state): State<AppState>,
    Json(request): Json<BulkRequest>,
) -> Result<Json<Value>> {
    let stamp = records::now();
    let ids = apply_bulk(&state, &request, Some(stamp))?;
    Ok(Json(
        json!({"ids": ids, "systemModstamp": rest_datetime(stamp)}),
    ))
}

async fn late_commit(
    State(state): State<AppState>,
    Json(request): Json<BulkRequest>,
) -> Result<Json<Value>> {
    let lag = request.lag_seconds.unwrap_or(120).clamp(1, MAX_LAG_SECONDS);
    let stamp = records::now() - chrono::Duration::seconds(lag);
    let ids = apply_bulk(&state, &request, Some(stamp))?;
    Ok(Json(
        json!({"ids": ids, "systemModstamp": rest_datetime(stamp)}),
    ))
}
