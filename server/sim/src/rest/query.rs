//! `query` and `queryAll`: SOQL through the `soql` crate, paging through `nextRecordsUrl`
//! with the batch size of `Sforce-Query-Options`. The evaluated result is cached per query
//! locator, so later pages are slices of it (no re-evaluation).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use axum::{
    Router,
    extract::{Path, Query, State},
    http::{HeaderMap, header},
    response::{IntoResponse, Response},
    routing::get,
};
use rand::{SeedableRng, rngs::StdRng};
use serde::Serialize;
use serde_json::Value;

use super::Session;
use crate::{
    AppState,
    errors::ApiError,
    ids,
    schema::{Object, SoqlSchema},
};

/// Default, smallest and largest batch sizes.
pub const DEFAULT_BATCH: usize = 2_000;
const MIN_BATCH: usize = 200;
/// Query locators expire after this much inactivity.
const LOCATOR_TTL: Duration = Duration::from_secs(15 * 60);
/// Most open locators kept (the least recently used go first).
const MAX_LOCATORS: usize = 32;
/// Most records held over all open locators.
const MAX_CACHED_RECORDS: usize = 1_000_000;

struct Cursor {
    records: Vec<Value>,
    total_size: usize,
    batch: usize,
}

/// The open query locators.
#[derive(Default)]
pub struct Cursors {
    map: Mutex<HashMap<String, (Arc<Cursor>, Instant)>>,
    rng: Mutex<Option<StdRng>>,
}

impl Cursors {
    fn open(&self, cursor: Cursor) -> String {
        let locator = {
            let mut rng = self.rng.lock().unwrap_or_else(PoisonError::into_inner);
            let rng = rng.get_or_insert_with(StdRng::from_entropy);
            format!(
                "{}{}",
                ids::QUERY_LOCATOR_PREFIX,
                ids::random_token(rng, 15)
            )
        };
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        map.retain(|_, (_, used)| now.duration_since(*used) < LOCATOR_TTL);
        let held = |map: &HashMap<String, (Arc<Cursor>, Instant)>| -> usize {
            map.values().map(|(c, _)| c.records.len()).sum()
        };
        while !map.is_empty()
            && (map.len() >= MAX_LOCATORS || held(&map) + cursor.records.len() > MAX_CACHED_RECORDS)
        {
            let oldest = map
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(key) => map.remove(&key),
                None => break,
            };
        }
        map.insert(locator.clone(), (Arc::new(cursor), now));
        locator
    }

    fn get(&self, locator: &str) -> Option<Arc<Cursor>> {
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = map.get_mut(locator)?;
        if entry.1.elapsed() >= LOCATOR_TTL {
            map.remove(locator);
            return None;
        }
        entry.1 = Instant::now();
        Some(Arc::clone(&entry.0))
    }

    /// Number of open locators.
    pub fn open_count(&self) -> usize {
        self.map
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/services/data/{version}/query", get(query))
        .route("/services/data/{version}/queryAll", get(query_all))
        .route("/services/data/{version}/query/{locator}", get(more))
        .route("/services/data/{version}/queryAll/{locator}", get(more))
}

/// `Sforce-Query-Options: batchSize=N` clamped to 200..=2000.
fn batch_size(headers: &HeaderMap) -> usize {
    headers
        .get("sforce-query-options")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split([',', ';']).find_map(|part| {
                part.trim()
                    .strip_prefix("batchSize=")
                    .map(str::trim)
                    .map(str::to_string)
            })
        })
        .and_then(|n| n.parse::<usize>().ok())
        .map_or(DEFAULT_BATCH, |n| n.clamp(MIN_BATCH, DEFAULT_BATCH))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Page<'a> {
    total_size: usize,
    done: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_records_url: Option<String>,
    records: &'a [Value],
}

fn page_response(page: &Page<'_>) -> Response {
    match serde_json::to_vec(page) {
        Ok(body) => (
            [(header::CONTENT_TYPE, "application/json;charset=UTF-8")],
            body,
        )
            .into_response(),
        Err(e) => ApiError::Custom {
            status: axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            error_code: "UNKNOWN_EXCEPTION".into(),
            message: e.to_string(),
        }
        .into_response(),
    }
}

async fn query(
    session: Session,
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    run(&session, &state, &headers, &params, false).await
}

async fn query_all(
    session: Session,
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    run(&session, &state, &headers, &params, true).await
}

async fn run(
    session: &Session,
    state: &AppState,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
    include_deleted: bool,
) -> Result<Response, ApiError> {
    let text = params
        .get("q")
        .filter(|q| !q.trim().is_empty())
        .ok_or_else(|| ApiError::MalformedQuery("Missing query string (q)".into()))?;
    let parsed = soql::parse(text)?;
    let bound = soql::bind(parsed, &SoqlSchema)?;
    let object = Object::parse(&bound.object).ok_or_else(|| {
        ApiError::InvalidType(format!("sObject type '{}' is not supported.", bound.object))
    })?;
    // Large evaluations must not stall the async workers (CometD long-polls share them).
    let org = std::sync::Arc::clone(&state.org);
    let version = session.version.clone();
    let (bound, evaluated) = tokio::task::spawn_blocking(move || {
        let evaluated = {
            let data = org.read();
            let records = data
                .table(object)
                .records
                .values()
                .filter(|r| include_deleted || r.get("IsDeleted") != Some(&Value::Bool(true)));
            soql::evaluate(&bound, records, &*data, &version)
        };
        (bound, evaluated)
    })
    .await
    .map_err(|e| ApiError::Custom {
        status: axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        error_code: "UNKNOWN_EXCEPTION".into(),
        message: e.to_string(),
    })?;
    let total_size = if bound.is_count {
        evaluated.total_size
    } else {
        evaluated.records.len()
    };
    let batch = batch_size(headers);
    if evaluated.records.len() <= batch {
        return Ok(page_response(&Page {
            total_size,
            done: true,
            next_records_url: None,
            records: &evaluated.records,
        }));
    }
    let cursor = Cursor {
        records: evaluated.records,
        total_size,
        batch,
    };
    let first = first_page(session, state, cursor);
    Ok(first)
}

fn first_page(session: &Session, state: &AppState, cursor: Cursor) -> Response {
    let batch = cursor.batch;
    let total_size = cursor.total_size;
    let locator = state.org.cursors.open(cursor);
    match state.org.cursors.get(&locator) {
        Some(cursor) => page_response(&Page {
            total_size,
            done: false,
            next_records_url: Some(format!(
                "/services/data/{}/query/{locator}-{batch}",
                session.v()
            )),
            records: cursor.records.get(..batch).unwrap_or_default(),
        }),
        None => ApiError::InvalidQueryLocator.into_response(),
    }
}

async fn more(
    session: Session,
    State(state): State<AppState>,
    Path((_, locator)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (id, offset) = locator
        .rsplit_once('-')
        .ok_or(ApiError::InvalidQueryLocator)?;
    let offset: usize = offset.parse().map_err(|_| ApiError::InvalidQueryLocator)?;
    let cursor = state
        .org
        .cursors
        .get(id)
        .ok_or(ApiError::InvalidQueryLocator)?;
    if offset == 0 || offset >= cursor.records.len() {
        return Err(ApiError::InvalidQueryLocator);
    }
    let end = offset
        .saturating_add(cursor.batch)
        .min(cursor.records.len());
    let done = end >= cursor.records.len();
    let page = Page {
        total_size: cursor.total_size,
        done,
        next_records_url: (!done)
            .then(|| format!("/services/data/{}/query/{id}-{end}", session.v())),
        records: cursor.records.get(offset..end).unwrap_or_default(),
    };
    Ok(page_response(&page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_size_is_clamped() {
        let mut headers = HeaderMap::new();
        assert_eq!(batch_size(&headers), 2000);
        headers.insert(
            "sforce-query-options",
            "batchSize=10".parse().expect("header"),
        );
        assert_eq!(batch_size(&headers), 200);
        headers.insert(
            "sforce-query-options",
            "batchSize=500".parse().expect("header"),
        );
        assert_eq!(batch_size(&headers), 500);
        headers.insert(
            "sforce-query-options",
            "batchSize=99999".parse().expect("header"),
        );
        assert_eq!(batch_size(&headers), 2000);
    }
}
