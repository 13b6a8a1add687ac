//! Change Data Capture (IG-01): the Streaming API over CometD long-polling.
//!
//! Start: subscribe first (from the stored replay id, or the tip), then, when there is no
//! replay id to resume from, catch up by REST (the first enable's backfill, or the changes
//! made while the sync was not listening): a change made in between is then seen twice, never
//! missed. Events: UPDATE events carry only changed fields, so every batch fetches the
//! records it names by id with the planned field list (`queryAll`, which also returns soft
//! deletes); a DELETE whose record is gone (purged) becomes a deleted row. GAP events are
//! fetched by id the same way. An overflow, or a replay id past retention, falls back to a
//! REST catch-up. The replay id is written with the batch's records in one transaction, and
//! only then acknowledged to the client.

use std::{collections::BTreeSet, sync::Arc};

use chrono::{DateTime, TimeDelta, Utc};
use salesforce::{
    Session,
    streaming::{ChangeEvent, ChangeType, ReplayFrom, StreamingClient, StreamingError},
};
use store::{
    entities::org_syncs,
    mirror::{self, Cursor, MirrorRecord},
};

use super::{
    EngineDeps,
    errors::SyncError,
    records,
    rest::{catch_up, plan_fields},
    worker::{Ingest, RoundReport},
};

/// The CDC method.
#[derive(Default)]
pub struct Cdc {
    client: Option<StreamingClient>,
}

#[async_trait::async_trait]
impl Ingest for Cdc {
    async fn round(
        &mut self,
        deps: &EngineDeps,
        row: &org_syncs::Model,
        session: &Arc<Session>,
    ) -> Result<RoundReport, SyncError> {
        let report = self.listen(deps, row, session).await;
        if report.is_err() {
            // The events of a failed round were handed out but never acknowledged, and the
            // server has moved its cursor past them: the same client would go on with the
            // events after them, and a failed catch-up would never be redone. The next round
            // starts over instead: from the stored replay id (the events come again), or from
            // the tip followed by a REST catch-up.
            self.client = None;
        }
        report
    }

    fn next_round(&self, deps: &EngineDeps, now: DateTime<Utc>, succeeded: bool) -> DateTime<Utc> {
        if succeeded {
            now
        } else {
            now + TimeDelta::from_std(deps.settings.cdc_retry).unwrap_or(TimeDelta::seconds(10))
        }
    }
}

impl Cdc {
    /// One round: subscribe (and catch up) if needed, then one batch of events.
    async fn listen(
        &mut self,
        deps: &EngineDeps,
        row: &org_syncs::Model,
        session: &Arc<Session>,
    ) -> Result<RoundReport, SyncError> {
        let mut caught_up = 0;
        if self.client.is_none() {
            caught_up = self.start(deps, row, session).await?;
        }
        let Some(client) = self.client.as_mut() else {
            return Ok(RoundReport::default());
        };
        let events = match client.next_batch().await {
            Ok(events) => events,
            Err(StreamingError::ReplayIdUnavailable { replay_id, .. }) => {
                // Retention passed: forget the replay id; the next round subscribes from the
                // tip and catches up by REST.
                tracing::warn!(
                    org_sync_id = row.id,
                    replay_id,
                    "CDC replay id past retention; catching up by REST"
                );
                store::org_syncs::reset_replay_id(&deps.db, deps.fence(), row.id).await?;
                self.client = None;
                return Ok(RoundReport {
                    records: caught_up,
                    worth_recording: caught_up > 0,
                });
            }
            Err(error) => return Err(error.into()),
        };
        if client.take_resubscribed_from_tip() {
            // The client had to start over from the tip before anything was acknowledged:
            // read what it may have skipped.
            caught_up += catch_up(deps, row, session).await?;
        }
        let applied = apply_events(deps, row, session, &events).await?;
        if let (Some(client), Some(last)) = (self.client.as_mut(), last_replay_id(&events)) {
            client.acknowledge(last);
        }
        let records = caught_up + applied;
        Ok(RoundReport {
            records,
            worth_recording: records > 0,
        })
    }

    /// Subscribes, then catches up by REST when there is no replay id to resume from.
    async fn start(
        &mut self,
        deps: &EngineDeps,
        row: &org_syncs::Model,
        session: &Arc<Session>,
    ) -> Result<u64, SyncError> {
        let (_, replay_id) = mirror::cursor(&deps.db, row.id).await?;
        let replay_id = replay_id.and_then(|id| id.parse::<i64>().ok());
        let channel = row
            .channel
            .clone()
            .unwrap_or_else(|| row.object.cdc_channel());
        let from = replay_id.map_or(ReplayFrom::Tip, ReplayFrom::After);
        let mut client = StreamingClient::new(session.clone(), channel.clone(), from);
        let resumed = match client.subscribe().await {
            Ok(()) => replay_id.is_some(),
            Err(StreamingError::ReplayIdUnavailable { replay_id, .. }) => {
                // Past retention: subscribe from the tip, then catch up by REST below.
                tracing::warn!(
                    org_sync_id = row.id,
                    replay_id,
                    "CDC replay id past retention; catching up by REST"
                );
                store::org_syncs::reset_replay_id(&deps.db, deps.fence(), row.id).await?;
                client = StreamingClient::new(session.clone(), channel, ReplayFrom::Tip);
                client.subscribe().await?;
                false
            }
            Err(error) => return Err(error.into()),
        };
        self.client = Some(client);
        if resumed {
            return Ok(0);
        }
        catch_up(deps, row, session).await
    }
}

/// Fetches the records the events name and applies them with the batch's last replay id.
async fn apply_events(
    deps: &EngineDeps,
    row: &org_syncs::Model,
    session: &Arc<Session>,
    events: &[ChangeEvent],
) -> Result<u64, SyncError> {
    let Some(last) = last_replay_id(events) else {
        return Ok(0);
    };
    let mut applied = 0;
    if events
        .iter()
        .any(|e| e.change_type == ChangeType::GapOverflow)
    {
        // Too many changes to name: read them all since the watermark.
        applied += catch_up(deps, row, session).await?;
    }
    // Ids come from Salesforce: only well-formed record ids go into a query (type-conversion
    // events can carry wildcards such as `001*`).
    let ids: BTreeSet<String> = events
        .iter()
        .filter(|e| e.change_type != ChangeType::GapOverflow)
        .flat_map(|e| e.record_ids.iter().cloned())
        .filter(|id| salesforce::is_record_id(id))
        .collect();
    let ids: Vec<String> = ids.into_iter().collect();
    let mut batch: Vec<MirrorRecord> = Vec::with_capacity(ids.len());
    if !ids.is_empty() {
        let field_list = plan_fields(deps, row).await?;
        let field_refs: Vec<&str> = field_list.iter().map(String::as_str).collect();
        let fetched = session
            .fetch_by_ids(row.object.as_str(), &field_refs, &ids)
            .await?;
        for record in fetched {
            batch.push(records::mirror_record(record)?);
        }
        // A deleted record that is gone altogether (purged) is deleted in the mirror too.
        for event in events
            .iter()
            .filter(|e| matches!(e.change_type, ChangeType::Delete | ChangeType::GapDelete))
        {
            for id in &event.record_ids {
                if !batch.iter().any(|r| &r.sf_id == id) {
                    batch.push(purged(id, event.commit_timestamp));
                }
            }
        }
    }
    mirror::apply_batch(
        &deps.db,
        deps.fence(),
        row.id,
        &batch,
        Some(&Cursor::ReplayId(last.to_string())),
    )
    .await?;
    super::campaign_feed::records_written(deps, row, &batch).await?;
    Ok(applied + batch.len() as u64)
}

fn purged(id: &str, commit_timestamp_ms: i64) -> MirrorRecord {
    let at = DateTime::from_timestamp_millis(commit_timestamp_ms).unwrap_or_else(Utc::now);
    MirrorRecord {
        sf_id: id.to_string(),
        fields: serde_json::Map::new(),
        system_modstamp: records::format_stamp(at),
        deleted: true,
    }
}

fn last_replay_id(events: &[ChangeEvent]) -> Option<i64> {
    events.iter().map(|e| e.replay_id).max()
}
