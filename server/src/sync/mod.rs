//! The sync engine: one worker per enabled Org Sync, run by the [`Supervisor`] under the
//! application's task tracker. A worker repeats rounds (a REST poll, or a batch of CDC
//! events), each gated by the circuit breaker and ending in a store write of the mirror
//! with its cursor in one transaction, then of the sync's health, then a message on the
//! status bus.
//!
//! ```text
//! console ──SyncCommands──► Supervisor ──spawns──► worker(org sync)
//!                                                   ├─ Ingest: RestPolling | Cdc
//!                                                   ├─ SyncHealth (status + Breaker)
//!                                                   ├─ writeback: calls ──► Salesforce Tasks
//!                                                   └─ store ──► StatusBus ──► SSE
//! ```

pub mod breaker;
pub mod campaign_feed;
pub mod cdc;
pub mod clock;
pub mod commands;
pub mod errors;
pub mod fields;
pub mod health;
pub mod records;
pub mod rest;
pub mod supervisor;
mod worker;
pub mod writeback;

use std::{collections::HashMap, sync::Arc, time::Duration};

use sea_orm::DatabaseConnection;
use store::leases::{Fence, Lease};

pub use breaker::BreakerPolicy;
pub use clock::{Clock, ManualClock, SharedClock, SystemClock};
pub use commands::SyncCommands;
pub use supervisor::Supervisor;

use crate::{salesforce_sessions::SalesforceSessions, status::StatusBus};

/// Engine settings. The defaults are the product's; tests shorten them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineSettings {
    /// The length of one "minute" of a polling interval (tests make it a second).
    pub poll_unit: Duration,
    /// How far before its watermark each poll re-reads (late commits, shared stamps).
    pub overlap: Duration,
    /// The circuit breaker's cool-down.
    pub breaker: BreakerPolicy,
    /// How long a CDC worker waits before trying again after a transient failure.
    pub cdc_retry: Duration,
    /// How long an instance owns an Org Sync without renewing its lease (renewed every third
    /// of it); a sync whose instance died is taken over about this long after.
    pub lease: Duration,
}

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            poll_unit: Duration::from_secs(60),
            overlap: Duration::from_secs(5 * 60),
            breaker: BreakerPolicy::default(),
            cdc_retry: Duration::from_secs(10),
            lease: Duration::from_secs(30),
        }
    }
}

/// What every worker works with.
#[derive(Clone)]
pub struct EngineDeps {
    pub db: DatabaseConnection,
    /// Absent when no Salesforce connected app is configured.
    pub sessions: Option<Arc<SalesforceSessions>>,
    pub bus: StatusBus,
    pub clock: SharedClock,
    pub settings: EngineSettings,
    /// The lease a worker holds on its Org Sync, set by the supervisor in the worker's own copy;
    /// every write of the worker is fenced with it, so a worker whose lease was taken over
    /// cannot write again.
    pub lease: Option<Arc<Lease>>,
    /// Takes turns among this instance's campaign materializations of each Org Sync.
    pub materializing: MaterializeTurns,
}

/// One turn at a time per Org Sync for [`EngineDeps::materialize`]. Cheap to clone (shared).
#[derive(Clone, Default)]
pub struct MaterializeTurns {
    by_sync: Arc<std::sync::Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>>,
}

impl MaterializeTurns {
    fn of(&self, org_sync_id: i64) -> Arc<tokio::sync::Mutex<()>> {
        let mut by_sync = self
            .by_sync
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        by_sync.entry(org_sync_id).or_default().clone()
    }
}

impl EngineDeps {
    /// Brings the campaigns linked to the Org Sync in line with its mirror, one run at a time
    /// per Org Sync. A full run reads the mirror a page at a time and writes over seconds; had
    /// the worker's run for a record it just changed finished in between, the full run's
    /// older read would land last and stay. Taking turns, and reading only once its turn has
    /// come, each run sees every mirror write committed before it, so the last run leaves
    /// the newest state. (Across instances, see `Note::DataSourcesChanged`.)
    pub async fn materialize(
        &self,
        org_sync_id: i64,
        scope: crate::campaigns::Scope<'_>,
    ) -> Result<crate::campaigns::Materialized, store::StoreError> {
        let turn = self.materializing.of(org_sync_id);
        let _turn = turn.lock().await;
        crate::campaigns::materialize(&self.db, org_sync_id, scope).await
    }

    /// The condition of this worker's writes: its lease (unfenced outside a worker).
    pub fn fence(&self) -> Fence<'_> {
        match &self.lease {
            Some(lease) => Fence::Lease(lease),
            None => Fence::Unfenced,
        }
    }

    /// The lease time as a `TimeDelta`.
    pub fn lease_time(&self) -> chrono::TimeDelta {
        chrono::TimeDelta::from_std(self.settings.lease).unwrap_or(chrono::TimeDelta::seconds(30))
    }
}
