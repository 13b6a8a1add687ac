//! REST polling (IG-02), and the REST catch-up that CDC falls back on.
//!
//! A poll reads `SystemModstamp >= watermark - overlap` through `queryAll` (so soft deletes
//! come with `IsDeleted`), in `SystemModstamp, Id` order, page by page along
//! `nextRecordsUrl`. Each page is applied to the mirror together with the new watermark in
//! one transaction, so a crash resumes where the committed data ends. The overlap re-reads
//! changes that committed late with an older stamp; the mirror applies a record only when it
//! is newer than (or, at an equal stamp, different from) what it holds, so re-reading costs
//! nothing but the read. Pages are streamed: only one is held at a time.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use salesforce::{QueryPage, Session};
use serde_json::{Map, Value};
use store::{
    entities::org_syncs,
    mirror::{self, Cursor},
};

use super::{
    EngineDeps, campaign_feed,
    errors::SyncError,
    fields, records,
    worker::{Ingest, RoundReport},
};

/// The REST Polling method.
#[derive(Debug, Default)]
pub struct RestPolling {
    /// The admin's interval, in minutes.
    pub interval_minutes: Option<i32>,
}

#[async_trait::async_trait]
impl Ingest for RestPolling {
    async fn round(
        &mut self,
        deps: &EngineDeps,
        row: &org_syncs::Model,
        session: &Arc<Session>,
    ) -> Result<RoundReport, SyncError> {
        let records = catch_up(deps, row, session).await?;
        Ok(RoundReport {
            records,
            worth_recording: true,
        })
    }

    fn next_round(&self, deps: &EngineDeps, now: DateTime<Utc>, _succeeded: bool) -> DateTime<Utc> {
        // A failed poll is retried at the next scheduled poll too: the interval is what the
        // admin chose to spend on Salesforce's API.
        now + interval(deps, self.interval_minutes)
    }
}

/// The configured interval of a REST sync.
pub fn interval(deps: &EngineDeps, minutes: Option<i32>) -> TimeDelta {
    let minutes = minutes.unwrap_or(5).clamp(1, 24 * 60) as u32;
    TimeDelta::from_std(deps.settings.poll_unit.saturating_mul(minutes))
        .unwrap_or(TimeDelta::minutes(5))
}

/// Reads every change since the stored watermark (less the overlap) into the mirror. The
/// first read of a sync (no watermark) is its backfill, whose progress the UI shows; a
/// backfill cut short (a failed page, a crash) goes on from its watermark as the backfill, so
/// its progress is shown until it ends and then cleared.
pub async fn catch_up(
    deps: &EngineDeps,
    row: &org_syncs::Model,
    session: &Arc<Session>,
) -> Result<u64, SyncError> {
    let field_list = plan_fields(deps, row).await?;
    let (watermark, _) = mirror::cursor(&deps.db, row.id).await?;
    let unfinished_backfill = store::org_syncs::find_by_id(&deps.db, row.id)
        .await?
        .is_some_and(|stored| stored.backfill_total.is_some());
    let since = records::poll_from(watermark.as_deref(), deps.settings.overlap);
    let object = row.object.as_str();
    let filter = since
        .map(|at| format!(" WHERE SystemModstamp >= {}", records::soql_datetime(at)))
        .unwrap_or_default();
    let soql = format!(
        "SELECT {} FROM {object}{filter} ORDER BY SystemModstamp ASC, Id ASC",
        field_list.join(", ")
    );
    let backfill = watermark.is_none() || unfinished_backfill;
    let first_started = std::time::Instant::now();
    let mut page: QueryPage<Map<String, Value>> = session.query(&soql, true).await?;
    tracing::debug!(
        org_sync_id = row.id,
        total = page.total_size,
        elapsed_ms = first_started.elapsed().as_millis() as u64,
        "first page read"
    );
    let total = i64::try_from(page.total_size).unwrap_or(i64::MAX);
    if backfill {
        progress(deps, row.id, Some((0, total))).await?;
    }
    let mut watermark = watermark;
    let mut applied: u64 = 0;
    loop {
        let next_url = page.next_records_url.take();
        let batch = page
            .records
            .into_iter()
            .map(records::mirror_record)
            .collect::<Result<Vec<_>, _>>()?;
        for record in &batch {
            watermark = records::later(watermark, &record.system_modstamp);
        }
        let cursor = watermark.clone().map(Cursor::Watermark);
        // The next page is read while this one is written: two pages in memory at most, and
        // the store and Salesforce work side by side. A failed write drops the page read
        // ahead; the next round reads it again from the committed watermark.
        let write = async {
            mirror::apply_batch(&deps.db, deps.fence(), row.id, &batch, cursor.as_ref()).await?;
            campaign_feed::records_written(deps, row, &batch).await?;
            if backfill {
                let so_far = applied.saturating_add(batch.len() as u64);
                let so_far = i64::try_from(so_far).unwrap_or(i64::MAX);
                progress(deps, row.id, Some((so_far.min(total), total))).await?;
            }
            Ok::<(), SyncError>(())
        };
        let read_ahead = async {
            match &next_url {
                Some(next) => session.query_more(next).await.map(Some),
                None => Ok(None),
            }
        };
        let page_started = std::time::Instant::now();
        let (written, next_page) = tokio::join!(write, read_ahead);
        written?;
        tracing::debug!(
            org_sync_id = row.id,
            records = batch.len(),
            elapsed_ms = page_started.elapsed().as_millis() as u64,
            "page written (and the next one read)"
        );
        applied += batch.len() as u64;
        match next_page? {
            Some(next) => page = next,
            None => break,
        }
    }
    if backfill {
        progress(deps, row.id, None).await?;
    }
    Ok(applied)
}

/// The fields this round fetches (IG-03).
pub async fn plan_fields(
    deps: &EngineDeps,
    row: &org_syncs::Model,
) -> Result<Vec<String>, SyncError> {
    let stored = store::data_sources::field_lists(&deps.db, row.id).await?;
    Ok(fields::plan(row.object, &stored))
}

async fn progress(
    deps: &EngineDeps,
    org_sync_id: i64,
    progress: Option<(i64, i64)>,
) -> Result<(), SyncError> {
    store::org_syncs::set_backfill_progress(&deps.db, deps.fence(), org_sync_id, progress).await?;
    if let Some(row) = store::org_syncs::find_by_id(&deps.db, org_sync_id).await? {
        deps.bus.sync_changed(&row);
    }
    Ok(())
}
