//! The dialer's JSON API (DS-05): the dialer reports call outcomes, which orgsync writes back
//! to Salesforce as Tasks, and reads where each stands. Authenticated with one of the
//! organization's API keys (`Authorization: Bearer osk_...`), never with a browser session.
//!
//! - `POST /dialer/v1/calls` `{"call_id","campaign_id","salesforce_id","disposition",
//!   "duration_seconds","notes"?,"occurred_at"?,"subject"?}` → `201` with the call (`200`
//!   when that call id was reported before: the report is safe to repeat).
//! - `GET /dialer/v1/calls?call_id=...` → `200` with the call: `state` is `pending`,
//!   `written` (with `task_id`) or `failed` (with Salesforce's `message`).
//!
//! Errors are `{"error": "...", "field": "..."?}` with `401`, `404` or `422`.

use app::{error::AppError, types::CallForm};
use axum::{
    Json,
    body::Bytes,
    extract::{Query, State, rejection::QueryRejection},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use crate::console::calls::Recorder;

pub const CALLS_PATH: &str = "/dialer/v1/calls";

/// A call as the dialer reports it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CallReport {
    call_id: String,
    campaign_id: i64,
    salesforce_id: String,
    disposition: String,
    duration_seconds: i64,
    #[serde(default)]
    notes: Option<String>,
    #[serde(default)]
    occurred_at: Option<String>,
    #[serde(default)]
    subject: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct CallQuery {
    call_id: String,
}

/// `POST /dialer/v1/calls`.
pub async fn record_call(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let key = match api_key(&state, &headers).await {
        Ok(key) => key,
        Err(refusal) => return refusal,
    };
    let report: CallReport = match serde_json::from_slice(&body) {
        Ok(report) => report,
        Err(error) => {
            return refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!("The body is not a call report: {error}"),
                None,
            );
        }
    };
    if report.call_id.trim().is_empty() {
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Give the dialer's id for the call (call_id).",
            Some("call_id"),
        );
    }
    let form = CallForm {
        campaign_id: report.campaign_id,
        sf_id: report.salesforce_id,
        call_id: Some(report.call_id),
        disposition: report.disposition,
        duration_seconds: report.duration_seconds,
        notes: report.notes.unwrap_or_default(),
        occurred_at: report.occurred_at,
        subject: report.subject,
    };
    let recorder = Recorder {
        organization_id: key.organization_id,
        name: &format!("API key {}", key.name),
    };
    match state
        .console
        .record_call_for(recorder, form, chrono::Utc::now())
        .await
    {
        Ok((call, true)) => (StatusCode::CREATED, Json(call)).into_response(),
        Ok((call, false)) => (StatusCode::OK, Json(call)).into_response(),
        Err(error) => app_error(&error),
    }
}

/// `GET /dialer/v1/calls?call_id=...`.
pub async fn call_status(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<CallQuery>, QueryRejection>,
) -> Response {
    let key = match api_key(&state, &headers).await {
        Ok(key) => key,
        Err(refusal) => return refusal,
    };
    let Ok(Query(query)) = query else {
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Give the call's id: ?call_id=...",
            Some("call_id"),
        );
    };
    match state
        .console
        .call_by_call_id(key.organization_id, &query.call_id)
        .await
    {
        Ok(call) => Json(call).into_response(),
        Err(error) => app_error(&error),
    }
}

/// The organization's key the request carries, or the `401` to answer.
async fn api_key(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<store::entities::api_keys::Model, Response> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim);
    let unauthorized = || {
        let mut response = refuse(
            StatusCode::UNAUTHORIZED,
            "Send one of your organization's API keys: Authorization: Bearer <key>.",
            None,
        );
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
        response
    };
    let Some(presented) = presented else {
        return Err(unauthorized());
    };
    match state.console.api_key(presented).await {
        Ok(Some(key)) => Ok(key),
        Ok(None) => Err(unauthorized()),
        Err(error) => Err(app_error(&error)),
    }
}

fn app_error(error: &AppError) -> Response {
    // The same statuses the server functions answer (`AppError::status`).
    let status = error.status().unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let field = match error {
        AppError::Validation { field, .. } => Some(field.as_str()),
        _ => None,
    };
    refuse(status, &error.to_string(), field)
}

fn refuse(status: StatusCode, message: &str, field: Option<&str>) -> Response {
    let body = match field {
        Some(field) => json!({"error": message, "field": field}),
        None => json!({"error": message}),
    };
    (status, Json(body)).into_response()
}
