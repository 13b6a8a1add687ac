//! What the engine does for campaigns: fetch fields a Data Source newly reads for every
//! mirrored record (IG-03), and bring the linked campaigns in line after each mirror write
//! (DS-03), then tell open pages (live counts).

use std::sync::Arc;

use salesforce::{QueryPage, Session};
use serde_json::{Map, Value};
use store::{entities::org_syncs, mirror::MirrorRecord};

use super::{EngineDeps, errors::SyncError, fields, records, rest};
use crate::campaigns::Scope;

/// Brings the campaigns linked to the Org Sync in line with the mirror records just written.
pub async fn records_written(
    deps: &EngineDeps,
    row: &org_syncs::Model,
    batch: &[MirrorRecord],
) -> Result<(), SyncError> {
    let ids: Vec<String> = batch.iter().map(|r| r.sf_id.clone()).collect();
    refresh(deps, row, Scope::Records(&ids)).await
}

/// Brings every campaign linked to the Org Sync in line with its whole mirror.
pub async fn refresh_all(deps: &EngineDeps, row: &org_syncs::Model) -> Result<(), SyncError> {
    refresh(deps, row, Scope::All).await
}

async fn refresh(
    deps: &EngineDeps,
    row: &org_syncs::Model,
    scope: Scope<'_>,
) -> Result<(), SyncError> {
    let done = deps
        .materialize(row.id, scope)
        .await
        .map_err(SyncError::Campaigns)?;
    if !done.campaign_ids.is_empty() {
        tracing::debug!(
            org_sync_id = row.id,
            written = done.written,
            "campaign records updated"
        );
        deps.bus
            .campaigns_changed(row.organization_id, &done.campaign_ids);
    }
    Ok(())
}

/// Fetches, for every mirrored record, the fields the Data Sources read that the mirror does
/// not hold yet (a Data Source added or edited to read a new field), without moving the
/// sync's cursor. Later rounds fetch the new list by themselves.
pub async fn fetch_new_fields(
    deps: &EngineDeps,
    row: &org_syncs::Model,
    session: &Arc<Session>,
) -> Result<(), SyncError> {
    let planned = rest::plan_fields(deps, row).await?;
    let Some(stored) = store::org_syncs::find_by_id(&deps.db, row.id).await? else {
        return Ok(());
    };
    let held = fields::held(&stored);
    let missing = fields::not_held(&held, &planned);
    if missing.is_empty() {
        return Ok(());
    }
    let mut all_held = held.clone();
    all_held.extend(missing.iter().map(|f| f.to_string()));
    let all_held = serde_json::to_string(&all_held).unwrap_or_else(|_| "[]".into());
    if store::mirror::count(&deps.db, row.id).await? > 0 {
        tracing::info!(org_sync_id = row.id, fields = ?missing, "fetching new Data Source fields for every mirrored record");
        let mut select: Vec<&str> = fields::REQUIRED.to_vec();
        select.extend(missing.iter().map(|f| f.as_str()));
        let soql = format!(
            "SELECT {} FROM {} ORDER BY Id ASC",
            select.join(", "),
            row.object.as_str()
        );
        let mut page: QueryPage<Map<String, Value>> = session.query(&soql, true).await?;
        loop {
            let batch = page
                .records
                .into_iter()
                .map(records::mirror_record)
                .collect::<Result<Vec<_>, _>>()?;
            store::mirror::apply_batch(&deps.db, deps.fence(), row.id, &batch, None).await?;
            match page.next_records_url.take() {
                Some(next) => page = session.query_more(&next).await?,
                None => break,
            }
        }
    }
    store::org_syncs::set_fetched_fields(&deps.db, deps.fence(), row.id, &all_held).await?;
    Ok(())
}
