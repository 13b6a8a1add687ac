//! The REST API under `/services/data`: discovery, limits, the session extractor, the
//! `Sforce-Limit-Info` header; sobject, query and sObject Collections handlers live in
//! submodules.

pub mod composite;
pub mod query;
pub mod sobjects;

use axum::{
    Json, Router,
    extract::{FromRequestParts, State},
    http::{HeaderMap, request::Parts},
    response::{IntoResponse, Response},
    routing::get,
};
use serde_json::{Map, Value, json};

use crate::{AppState, errors::ApiError, schema::Object, state::Actor};

/// Oldest API version served.
pub const MIN_API_VERSION: u32 = 31;

/// The release label of an API version (`62` → `Winter '25`).
fn release_label(version: u32) -> String {
    let index = version.saturating_sub(20);
    let season = ["Winter", "Spring", "Summer"][(index % 3) as usize];
    let year = 11 + index / 3;
    format!("{season} '{year:02}")
}

/// Parses `v62.0` into 62 when it is a served version.
pub fn parse_version(segment: &str, max: u32) -> Option<u32> {
    let number = segment.strip_prefix('v')?.strip_suffix(".0")?;
    let version: u32 = number.parse().ok()?;
    (MIN_API_VERSION..=max)
        .contains(&version)
        .then_some(version)
}

/// The base URL the client reached us at (config override, else `Host` + scheme).
pub fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.org.config.base_url {
        return url.trim_end_matches('/').to_string();
    }
    let scheme = if state.org.config.tls {
        "https"
    } else {
        "http"
    };
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("localhost");
    format!("{scheme}://{host}")
}

/// The access token of an `Authorization: Bearer|OAuth <token>` header.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .trim();
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("oauth"))
        .then(|| token.trim())
}

/// An authenticated REST call: checked version, token and daily allocation.
pub struct Session {
    /// `62.0`
    pub version: String,
    pub actor: Actor,
    pub base_url: String,
}

impl Session {
    /// `v62.0`
    pub fn v(&self) -> String {
        format!("v{}", self.version)
    }
}

impl FromRequestParts<AppState> for Session {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let segment = parts.uri.path().split('/').nth(3).unwrap_or_default();
        let version =
            parse_version(segment, state.org.config.max_api_version).ok_or(ApiError::NotFound)?;
        let token = bearer(&parts.headers).ok_or(ApiError::InvalidSession)?;
        let user_id = state
            .org
            .tokens()
            .user_of(token)
            .ok_or(ApiError::InvalidSession)?;
        state.org.consume_api_call()?;
        let client = parts
            .headers
            .get("sforce-call-options")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.split(',')
                    .find_map(|part| part.trim().strip_prefix("client="))
            })
            .map(str::to_string);
        let mut origin = format!("com/salesforce/api/rest/{version}.0");
        if let Some(client) = client {
            origin.push_str(";client=");
            origin.push_str(&client);
        }
        Ok(Session {
            version: format!("{version}.0"),
            actor: Actor { user_id, origin },
            base_url: base_url(state, &parts.headers),
        })
    }
}

/// The REST routes (without the endpoint middleware, added by the caller).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/services/data", get(versions))
        .route("/services/data/{version}", get(resources))
        .route("/services/data/{version}/limits", get(limits))
        .merge(sobjects::router())
        .merge(query::router())
        .merge(composite::router())
}

async fn versions(State(state): State<AppState>) -> Json<Value> {
    let list: Vec<Value> = (MIN_API_VERSION..=state.org.config.max_api_version)
        .map(|v| json!({"label": release_label(v), "url": format!("/services/data/v{v}.0"), "version": format!("{v}.0")}))
        .collect();
    Json(Value::Array(list))
}

async fn resources(session: Session, State(state): State<AppState>) -> Json<Value> {
    let base = format!("/services/data/{}", session.v());
    let mut map = Map::new();
    for name in [
        "tooling",
        "metadata",
        "eclair",
        "folders",
        "prechatForms",
        "chatter",
        "tabs",
        "appMenu",
        "quickActions",
        "queryAll",
        "commerce",
        "wave",
        "iot",
        "analytics",
        "search",
        "smartdatadiscovery",
        "identity",
        "composite",
        "parameterizedSearch",
        "fingerprint",
        "theme",
        "nouns",
        "event",
        "serviceTemplates",
        "recent",
        "connect",
        "licensing",
        "limits",
        "process",
        "async-queries",
        "query",
        "jobs",
        "match",
        "localizedvalue",
        "mobile",
        "emailConnect",
        "compactLayouts",
        "knowledgeManagement",
        "sobjects",
        "actions",
        "support",
    ] {
        let value = if name == "identity" {
            let user = &session.actor.user_id;
            format!("{}/id/{}/{user}", session.base_url, state.org.org_id)
        } else {
            format!("{base}/{name}")
        };
        map.insert(name.to_string(), Value::String(value));
    }
    Json(Value::Object(map))
}

async fn limits(_session: Session, State(state): State<AppState>) -> Json<Value> {
    let settings = state.org.settings();
    let events = settings.edition.daily_events();
    let clients = if settings.edition == crate::config::Edition::Developer {
        20
    } else {
        1_000
    };
    let used_events = u64::try_from(state.org.events.tip())
        .unwrap_or(0)
        .min(events);
    let pair = |max: u64, remaining: u64| json!({"Max": max, "Remaining": remaining});
    let api_remaining = settings.daily_api_max.saturating_sub(settings.api_usage);
    Json(json!({
        "ConcurrentAsyncGetReportInstances": pair(200, 200),
        "ConcurrentSyncReportRuns": pair(20, 20),
        "DailyApiRequests": pair(settings.daily_api_max, api_remaining),
        "DailyAsyncApexExecutions": pair(250_000, 250_000),
        "DailyBulkApiBatches": pair(15_000, 15_000),
        "DailyBulkV2QueryJobs": pair(10_000, 10_000),
        "DailyDeliveredPlatformEvents": pair(events, events - used_events),
        "DailyDurableStreamingApiEvents": pair(events, events - used_events),
        "DailyGenericStreamingApiEvents": pair(10_000, 10_000),
        "DailyStreamingApiEvents": pair(events, events - used_events),
        "DataStorageMB": pair(5, 5),
        "DurableStreamingApiConcurrentClients": pair(clients, clients),
        "FileStorageMB": pair(20, 20),
        "HourlyPublishedPlatformEvents": pair(50_000, 50_000),
        "MonthlyPlatformEventsUsageEntitlement": pair(0, 0),
        "SingleEmail": pair(15, 15),
        "StreamingApiConcurrentClients": pair(clients, clients),
    }))
}

/// Parses an object path segment of a writable/queryable sobject.
pub fn object_segment(name: &str) -> Result<Object, ApiError> {
    Object::parse(name).ok_or(ApiError::NotFound)
}

/// The JSON 404 for unknown REST paths.
pub async fn not_found() -> Response {
    ApiError::NotFound.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_versions() {
        assert_eq!(release_label(62), "Winter '25");
        assert_eq!(release_label(59), "Winter '24");
        assert_eq!(release_label(60), "Spring '24");
        assert_eq!(parse_version("v59.0", 62), Some(59));
        assert_eq!(parse_version("v63.0", 62), None);
        assert_eq!(parse_version("62.0", 62), None);
    }
}
