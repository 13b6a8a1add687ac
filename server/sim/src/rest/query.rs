//! `query` and `queryAll`: SOQL through the `soql` crate, paging through `nextRecordsUrl`
//! with the batch size of `Sforce-Query-Options`. A query is filtered and sorted once; when it
//! needs more than one page, the ordered rows (shared handles on the records, as they were when
//! the query ran) are kept per query locator and every page projects only its own rows,
//! straight into the response bytes. So the first page of a 100,000-row result costs the
//! filter and sort plus one page, and every later page one page.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use axum::{
    Router,
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use rand::{SeedableRng, rngs::StdRng};
use serde_json::Value;

use super::Session;
use crate::{
    AppState,
    errors::ApiError,
    ids,
    schema::{Object, SoqlSchema},
    state::Data,
};

/// Default, smallest and largest batch sizes.
pub const DEFAULT_BATCH: usize = 2_000;
const MIN_BATCH: usize = 200;
/// Query locators expire after this much inactivity.
const LOCATOR_TTL: Duration = Duration::from_secs(15 * 60);
/// Most open locators kept (the least recently used go first).
const MAX_LOCATORS: usize = 32;
/// Most rows held over all open locators.
const MAX_CACHED_RECORDS: usize = 1_000_000;

/// An open query locator: the bound query and the rows of its result in order. The rows are
/// the records as they were when the query ran (a snapshot, like Salesforce's server-side
/// cursor); only relationship fields (`Owner.Name`) are read when a page is served.
struct Cursor {
    query: soql::Query,
    /// The API version of the first request (`62.0`), used in every `attributes.url`.
    version: String,
    rows: Vec<Arc<soql::Record>>,
    batch: usize,
}

/// The open query locators.
#[derive(Default)]
pub struct Cursors {
    map: Mutex<HashMap<String, (Arc<Cursor>, Instant)>>,
    rng: Mutex<Option<StdRng>>,
}

impl Cursors {
    /// A new, random query locator id (`01g…`), not open yet.
    fn new_locator(&self) -> String {
        let mut rng = self.rng.lock().unwrap_or_else(PoisonError::into_inner);
        let rng = rng.get_or_insert_with(StdRng::from_entropy);
        format!(
            "{}{}",
            ids::QUERY_LOCATOR_PREFIX,
            ids::random_token(rng, 15)
        )
    }

    /// Opens `locator` (from [`Cursors::new_locator`]) on `cursor`, closing the least recently
    /// used locators when too many are open or too many rows are held.
    fn open(&self, locator: String, cursor: Cursor) {
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        map.retain(|_, (_, used)| now.duration_since(*used) < LOCATOR_TTL);
        let held = |map: &HashMap<String, (Arc<Cursor>, Instant)>| -> usize {
            map.values().map(|(c, _)| c.rows.len()).sum()
        };
        while !map.is_empty()
            && (map.len() >= MAX_LOCATORS || held(&map) + cursor.rows.len() > MAX_CACHED_RECORDS)
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
        map.insert(locator, (Arc::new(cursor), now));
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

fn internal(message: impl ToString) -> ApiError {
    ApiError::Custom {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        error_code: "UNKNOWN_EXCEPTION".into(),
        message: message.to_string(),
    }
}

/// A page body, `{"totalSize":…,"done":…,["nextRecordsUrl":…,]"records":[…]}` in Salesforce's
/// key order, written into one buffer: the head, then each row as it is projected, then the tail.
struct PageWriter {
    body: Vec<u8>,
}

impl PageWriter {
    fn new(total_size: usize, next_records_url: Option<&str>) -> Result<PageWriter, ApiError> {
        let mut body = Vec::with_capacity(64 * 1024);
        body.extend_from_slice(format!("{{\"totalSize\":{total_size},\"done\":").as_bytes());
        match next_records_url {
            Some(url) => {
                body.extend_from_slice(b"false,\"nextRecordsUrl\":");
                serde_json::to_writer(&mut body, url).map_err(internal)?;
            }
            None => body.extend_from_slice(b"true"),
        }
        body.extend_from_slice(b",\"records\":[");
        Ok(PageWriter { body })
    }

    /// Projects `records` into the body. A large page is split over the machine's cores (the
    /// client waits for the whole page anyway), each part into its own buffer.
    fn rows(
        mut self,
        projection: &soql::Projection<'_>,
        records: &[&soql::Record],
        data: &Data,
    ) -> Result<PageWriter, ApiError> {
        /// Rows below which one thread is quicker than starting others.
        const ROWS_PER_THREAD: usize = 250;
        let threads = std::thread::available_parallelism()
            .map_or(1, std::num::NonZeroUsize::get)
            .min(records.len() / ROWS_PER_THREAD)
            .clamp(1, 8);
        if threads == 1 {
            render(projection, records, data, &mut self.body)?;
            return Ok(self);
        }
        let chunk = records.len().div_ceil(threads);
        let parts: Vec<Result<Vec<u8>, ApiError>> = std::thread::scope(|scope| {
            let mut chunks = records.chunks(chunk);
            let first = chunks.next().unwrap_or_default();
            let others: Vec<_> = chunks
                .map(|part| {
                    scope.spawn(move || {
                        let mut out = Vec::new();
                        render(projection, part, data, &mut out).map(|()| out)
                    })
                })
                .collect();
            let mut out = Vec::new();
            let mut parts = vec![render(projection, first, data, &mut out).map(|()| out)];
            parts.extend(others.into_iter().map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|_| Err(internal("page projection panicked")))
            }));
            parts
        });
        let parts = parts.into_iter().collect::<Result<Vec<_>, _>>()?;
        self.body
            .reserve(parts.iter().map(|p| p.len() + 1).sum::<usize>());
        for (n, part) in parts.iter().enumerate() {
            if n > 0 {
                self.body.push(b',');
            }
            self.body.extend_from_slice(part);
        }
        Ok(self)
    }

    fn finish(mut self) -> Vec<u8> {
        self.body.extend_from_slice(b"]}");
        self.body
    }
}

/// Appends `records` projected as comma-separated JSON objects to `out`. After the first row
/// `out` is sized for the rest, so a 2,000-row page is not copied over and over while it grows.
fn render(
    projection: &soql::Projection<'_>,
    records: &[&soql::Record],
    data: &Data,
    out: &mut Vec<u8>,
) -> Result<(), ApiError> {
    let start = out.len();
    for (n, record) in records.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        projection.write_json(record, data, out).map_err(internal)?;
        if n == 0 {
            let row = out.len() - start;
            out.reserve(row.saturating_add(row / 4).saturating_mul(records.len()));
        }
    }
    Ok(())
}

fn json_response(body: Vec<u8>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json;charset=UTF-8")],
        body,
    )
        .into_response()
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
    let batch = batch_size(headers);
    // Used only when the result needs more than one page.
    let locator = state.org.cursors.new_locator();
    let next_url = format!("/services/data/{}/query/{locator}-{batch}", session.v());
    // Large evaluations must not stall the async workers (CometD long-polls share them).
    let org = Arc::clone(&state.org);
    let version = session.version.clone();
    let (body, cursor) = tokio::task::spawn_blocking(move || {
        let data = org.read();
        let table = data.table(object);
        // Deleted records are exactly those in the recycle bin (`deleted_at`).
        let all = include_deleted || table.deleted_at.is_empty();
        let candidates: Vec<&Arc<soql::Record>> = table
            .records
            .values()
            .filter(|r| all || r.get("IsDeleted") != Some(&Value::Bool(true)))
            .collect();
        let selection = soql::select(&bound, candidates.iter().copied().map(Arc::as_ref), &*data);
        if bound.is_count {
            let page = PageWriter::new(selection.total_size, None)?;
            return Ok((page.finish(), None));
        }
        let soql::Selection {
            records: matched,
            positions,
            ..
        } = selection;
        let more = matched.len() > batch;
        let page = PageWriter::new(matched.len(), more.then_some(next_url.as_str()))?;
        let first = matched.get(..batch).unwrap_or(&matched);
        let page = page.rows(&soql::Projection::new(&bound, &version), first, &data)?;
        let cursor = more.then(|| Cursor {
            rows: positions
                .iter()
                .filter_map(|&p| candidates.get(p).copied().map(Arc::clone))
                .collect(),
            query: bound,
            version,
            batch,
        });
        Ok::<_, ApiError>((page.finish(), cursor))
    })
    .await
    .map_err(internal)??;
    if let Some(cursor) = cursor {
        state.org.cursors.open(locator, cursor);
    }
    Ok(json_response(body))
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
    let total_size = cursor.rows.len();
    if offset == 0 || offset >= total_size {
        return Err(ApiError::InvalidQueryLocator);
    }
    let end = offset.saturating_add(cursor.batch).min(total_size);
    let next_url =
        (end < total_size).then(|| format!("/services/data/{}/query/{id}-{end}", session.v()));
    let org = Arc::clone(&state.org);
    let body = tokio::task::spawn_blocking(move || {
        let data = org.read();
        let rows: Vec<&soql::Record> = cursor
            .rows
            .get(offset..end)
            .unwrap_or_default()
            .iter()
            .map(Arc::as_ref)
            .collect();
        let page = PageWriter::new(total_size, next_url.as_deref())?.rows(
            &soql::Projection::new(&cursor.query, &cursor.version),
            &rows,
            &data,
        )?;
        Ok::<_, ApiError>(page.finish())
    })
    .await
    .map_err(internal)??;
    Ok(json_response(body))
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
