//! One Org Sync's worker: the shape both methods share. Waits for the next round (the
//! interval, a retry delay, or the circuit's cool-down), runs it with the organization's
//! Salesforce session, and records the outcome: health to the store, then the status bus,
//! and a run in the history. A fatal error (authentication, configuration, no connection)
//! ends the worker in Error: the supervisor restarts it when the admin changes something. A
//! write refused because the sync's lease moved to another instance ends it at once.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use salesforce::Session;
use store::{
    entities::org_syncs,
    org_syncs::{SyncMethod, SyncStatus},
    sync_runs,
};
use tokio::sync::Notify;

use super::{
    EngineDeps,
    breaker::Gate,
    campaign_feed,
    cdc::Cdc,
    errors::SyncError,
    health::{FailureKind, SyncHealth},
    rest::RestPolling,
};

/// What a round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RoundReport {
    /// Records written to the mirror.
    pub records: u64,
    /// Whether to record the round in the history (a CDC long-poll that brought nothing
    /// is not worth a row).
    pub worth_recording: bool,
}

/// One ingestion method.
#[async_trait::async_trait]
pub trait Ingest: Send {
    /// One round against Salesforce.
    async fn round(
        &mut self,
        deps: &EngineDeps,
        row: &org_syncs::Model,
        session: &Arc<Session>,
    ) -> Result<RoundReport, SyncError>;
    /// When the next round starts after this one (`succeeded` or not).
    fn next_round(&self, deps: &EngineDeps, now: DateTime<Utc>, succeeded: bool) -> DateTime<Utc>;
}

/// Why a worker stopped on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// Not enabled (or gone, or unreadable) when the worker started.
    NotEnabled,
    /// A fatal error: the sync is in Error until its configuration or connection changes.
    Fatal,
    /// Another instance holds the sync's lease now: nothing more may be written.
    LeaseLost,
}

/// Runs the rounds of `org_sync_id` until one of them stops the worker (see [`Stopped`]).
/// The caller cancels it by dropping it (a write in flight is rolled back).
pub async fn run_rounds(deps: &EngineDeps, org_sync_id: i64, writer: &Notify) -> Stopped {
    let row = match store::org_syncs::find_by_id(&deps.db, org_sync_id).await {
        Ok(Some(row)) if row.enabled => row,
        Ok(_) => return Stopped::NotEnabled,
        Err(error) => {
            tracing::error!(%error, org_sync_id, "cannot read the Org Sync; its worker stops");
            return Stopped::NotEnabled;
        }
    };
    let mut health = SyncHealth::from_row(&row, deps.settings.breaker);
    let mut ingest: Box<dyn Ingest> = match row.method {
        SyncMethod::Rest => Box::new(RestPolling {
            interval_minutes: row.interval_minutes,
        }),
        SyncMethod::Cdc => Box::new(Cdc::default()),
    };
    tracing::info!(org_sync_id, object = row.object.as_str(), method = ?row.method, "sync worker started");
    let mut next_round = deps.clock.now();
    // Whether the linked campaigns are known to match the mirror: not at start (a crash may
    // have come between a mirror write and its campaigns), nor after a failed update.
    let mut campaigns_current = false;
    loop {
        let at = match health.gate(deps.clock.now()) {
            Gate::OpenUntil(until) => until.max(next_round),
            Gate::Closed | Gate::Trial => next_round,
        };
        deps.clock.sleep_until(at).await;
        if let Gate::OpenUntil(_) = health.gate(deps.clock.now()) {
            continue;
        }
        let started = deps.clock.now();
        let outcome = match session(deps, row.organization_id).await {
            Ok(session) => {
                round_with_campaigns(
                    deps,
                    &row,
                    &session,
                    ingest.as_mut(),
                    &mut campaigns_current,
                )
                .await
            }
            Err(error) => Err(error),
        };
        let now = deps.clock.now();
        match outcome {
            Ok(report) => {
                let recovered = health.to_store().status != SyncStatus::Active;
                health.succeeded(now);
                if let Err(stopped) = save(deps, row.id, &health).await {
                    return stopped;
                }
                if report.worth_recording {
                    record_run(deps, row.id, started, now, Ok(report.records)).await;
                }
                if recovered {
                    // Calls held back while the sync was not Active can go out now.
                    writer.notify_one();
                }
                next_round = ingest.next_round(deps, now, true);
            }
            Err(error) if error.is_lease_lost() => return Stopped::LeaseLost,
            Err(error) => {
                let kind = error.kind();
                let message = error.message();
                tracing::warn!(org_sync_id, ?kind, error = %message, "sync round failed");
                health.failed(now, kind, message.clone());
                if let Err(stopped) = save(deps, row.id, &health).await {
                    return stopped;
                }
                record_run(deps, row.id, started, now, Err(message)).await;
                if kind == FailureKind::Fatal {
                    tracing::warn!(
                        org_sync_id,
                        "sync stopped in Error until its configuration or connection changes"
                    );
                    return Stopped::Fatal;
                }
                next_round = ingest.next_round(deps, now, false);
            }
        }
    }
}

/// One round with the campaigns' part around it: at a worker's start (and after a failed
/// campaigns update), new Data Source fields are fetched and the campaigns brought in line.
/// A Data Source that reads a new field restarts the worker (`data_sources_changed`), so
/// the check need not run every round.
async fn round_with_campaigns(
    deps: &EngineDeps,
    row: &org_syncs::Model,
    session: &Arc<Session>,
    ingest: &mut dyn Ingest,
    campaigns_current: &mut bool,
) -> Result<RoundReport, SyncError> {
    if !*campaigns_current {
        campaign_feed::fetch_new_fields(deps, row, session).await?;
        campaign_feed::refresh_all(deps, row).await?;
        *campaigns_current = true;
    }
    let outcome = ingest.round(deps, row, session).await;
    if matches!(outcome, Err(SyncError::Campaigns(_))) {
        *campaigns_current = false;
    }
    outcome
}

async fn session(deps: &EngineDeps, organization_id: i64) -> Result<Arc<Session>, SyncError> {
    let sessions = deps.sessions.as_ref().ok_or(SyncError::NotConfigured)?;
    Ok(sessions.session(organization_id).await?)
}

/// Writes the health, then tells the status bus. A write refused because the sync was
/// disabled meanwhile publishes the stored row as it is; one refused because the lease was
/// lost stops the worker (`Err`).
async fn save(deps: &EngineDeps, org_sync_id: i64, health: &SyncHealth) -> Result<(), Stopped> {
    match store::org_syncs::save_health(&deps.db, deps.fence(), org_sync_id, &health.to_store())
        .await
    {
        Ok(Some(row)) => deps.bus.sync_changed(&row),
        Ok(None) => {}
        Err(store::StoreError::LeaseLost(_)) => return Err(Stopped::LeaseLost),
        Err(error) => tracing::error!(%error, org_sync_id, "cannot record the sync's status"),
    }
    Ok(())
}

async fn record_run(
    deps: &EngineDeps,
    org_sync_id: i64,
    started: DateTime<Utc>,
    finished: DateTime<Utc>,
    outcome: Result<u64, String>,
) {
    let result = async {
        let run = sync_runs::start(&deps.db, org_sync_id, started).await?;
        let (outcome, records, message) = match outcome {
            Ok(records) => (sync_runs::RunOutcome::Succeeded, records, None),
            Err(message) => (sync_runs::RunOutcome::Failed, 0, Some(message)),
        };
        let records = i64::try_from(records).unwrap_or(i64::MAX);
        sync_runs::finish(&deps.db, run, finished, outcome, records, message).await
    }
    .await;
    if let Err(error) = result {
        tracing::warn!(%error, org_sync_id, "cannot record the sync run");
    }
}
