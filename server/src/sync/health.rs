//! A sync's health: its status (ST-01), the circuit breaker, the error totals (ST-02) and
//! the last error (ST-03). Pure: the worker feeds it outcomes and writes [`SyncHealth::to_store`]
//! to the store whenever it changed.

use chrono::{DateTime, Utc};
use store::{
    entities::org_syncs,
    org_syncs::{Health, SyncStatus},
};

use super::breaker::{Breaker, BreakerPolicy, Gate};

/// How a failed round counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Authentication or configuration: only the administrator can fix it. The sync stops in
    /// Error until a new token or new settings restart it.
    Fatal,
    /// Transient or limits: counts toward the circuit.
    Transient,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncHealth {
    pub status: SyncStatus,
    pub breaker: Breaker,
    pub error_count: i64,
    pub last_error: Option<String>,
    pub last_sync_at: Option<DateTime<Utc>>,
}

impl SyncHealth {
    /// The health stored for an enabled sync, as the worker resumes it.
    pub fn from_row(row: &org_syncs::Model, policy: BreakerPolicy) -> Self {
        SyncHealth {
            status: row.status,
            breaker: Breaker::new(policy, row.consecutive_failures, row.circuit_opened_at),
            error_count: row.error_count,
            last_error: row.last_error.clone(),
            last_sync_at: row.last_sync_at,
        }
    }

    pub fn gate(&self, now: DateTime<Utc>) -> Gate {
        self.breaker.gate(now)
    }

    /// A round succeeded: Active, circuit closed (ST-04), and TS-02's way back from Error.
    pub fn succeeded(&mut self, now: DateTime<Utc>) {
        self.breaker.record_success();
        self.status = SyncStatus::Active;
        self.last_sync_at = Some(now);
    }

    /// A round failed.
    pub fn failed(&mut self, now: DateTime<Utc>, kind: FailureKind, message: String) {
        self.error_count = self.error_count.saturating_add(1);
        self.last_error = Some(message);
        match kind {
            FailureKind::Fatal => self.status = SyncStatus::Error,
            FailureKind::Transient => {
                if self.breaker.record_failure(now) {
                    self.status = SyncStatus::CircuitOpen;
                }
            }
        }
    }

    pub fn to_store(&self) -> Health {
        Health {
            status: self.status,
            consecutive_failures: self.breaker.consecutive_failures,
            error_count: self.error_count,
            last_error: self.last_error.clone(),
            circuit_opened_at: self.breaker.opened_at,
            last_sync_at: self.last_sync_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn fresh() -> SyncHealth {
        SyncHealth {
            status: SyncStatus::Active,
            breaker: Breaker::new(
                BreakerPolicy {
                    base_cooldown: Duration::from_secs(60),
                    max_cooldown: Duration::from_secs(3600),
                },
                0,
                None,
            ),
            error_count: 0,
            last_error: None,
            last_sync_at: None,
        }
    }

    #[test]
    fn st_02_errors_are_totalled_and_the_last_one_kept() {
        let mut health = fresh();
        let now = Utc::now();
        health.failed(now, FailureKind::Transient, "first".into());
        health.failed(now, FailureKind::Transient, "second".into());
        assert_eq!(health.status, SyncStatus::Active);
        assert_eq!(health.error_count, 2);
        assert_eq!(health.last_error.as_deref(), Some("second"));
        health.succeeded(now);
        assert_eq!(
            health.error_count, 2,
            "the running total survives a success"
        );
        assert_eq!(health.last_sync_at, Some(now));
    }

    #[test]
    fn st_04_the_fifth_transient_failure_opens_the_circuit_and_a_success_closes_it() {
        let mut health = fresh();
        let now = Utc::now();
        for _ in 0..5 {
            health.failed(now, FailureKind::Transient, "503".into());
        }
        assert_eq!(health.status, SyncStatus::CircuitOpen);
        assert!(health.to_store().circuit_opened_at.is_some());
        health.succeeded(now);
        assert_eq!(health.status, SyncStatus::Active);
        assert_eq!(health.to_store().consecutive_failures, 0);
    }

    #[test]
    fn ts_02_a_fatal_failure_is_error_until_a_success() {
        let mut health = fresh();
        let now = Utc::now();
        health.failed(
            now,
            FailureKind::Fatal,
            "expired access/refresh token".into(),
        );
        assert_eq!(health.status, SyncStatus::Error);
        assert!(
            !health.breaker.is_open(),
            "fatal errors do not feed the circuit"
        );
        health.succeeded(now);
        assert_eq!(health.status, SyncStatus::Active);
    }
}
