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
//!                                                   └─ store ──► StatusBus ──► SSE
//! ```

pub mod breaker;
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

use std::{sync::Arc, time::Duration};

use sea_orm::DatabaseConnection;

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
}

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            poll_unit: Duration::from_secs(60),
            overlap: Duration::from_secs(5 * 60),
            breaker: BreakerPolicy::default(),
            cdc_retry: Duration::from_secs(10),
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
}
