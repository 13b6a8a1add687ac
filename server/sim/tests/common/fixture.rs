//! A self-contained [`StreamingOrg`] for the CometD tests (`tests/cometd.rs`): one access
//! token, an event log, per-channel refusals, injectable faults and call counters. The full
//! simulator (`sim::Simulator`, an `Org`) is tested over HTTP in `tests/streaming.rs`.

use std::{
    collections::HashMap,
    sync::{Mutex, MutexGuard, PoisonError},
};

use serde_json::Map;

use sim::{
    cometd::{StreamingFault, StreamingOrg, TokenStatus},
    events::{ChangeType, EventLog, NewChange},
};

/// An org whose only valid access token is `token`.
pub struct FixtureOrg {
    log: EventLog,
    token: String,
    refusals: Mutex<HashMap<String, String>>,
    faults: Mutex<HashMap<String, StreamingFault>>,
    calls: Mutex<HashMap<String, u64>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl FixtureOrg {
    pub fn new(token: impl Into<String>, retention: usize) -> Self {
        FixtureOrg {
            log: EventLog::new(retention),
            token: token.into(),
            refusals: Mutex::default(),
            faults: Mutex::default(),
            calls: Mutex::default(),
        }
    }

    /// Makes subscribing to `channel` fail with `error`.
    pub fn refuse(&self, channel: &str, error: &str) {
        lock(&self.refusals).insert(channel.to_string(), error.to_string());
    }

    /// Injects (or with `None` clears) a fault for `endpoint`, e.g. `cometd/connect`.
    pub fn set_fault(&self, endpoint: &str, fault: Option<StreamingFault>) {
        let mut faults = lock(&self.faults);
        match fault {
            Some(fault) => faults.insert(endpoint.to_string(), fault),
            None => faults.remove(endpoint),
        };
    }

    /// How many times `endpoint` was called.
    pub fn calls(&self, endpoint: &str) -> u64 {
        lock(&self.calls).get(endpoint).copied().unwrap_or(0)
    }

    /// Publishes a change of one record of `entity` (`Contact`, `Lead`) and returns its replay id.
    pub fn publish(
        &self,
        entity: &str,
        change_type: ChangeType,
        record_id: &str,
        body: Map<String, serde_json::Value>,
    ) -> i64 {
        let now = chrono::Utc::now().timestamp_millis();
        let changed_fields = if change_type == ChangeType::Update {
            body.keys().cloned().collect()
        } else {
            Vec::new()
        };
        self.log.publish(NewChange {
            entity: entity.to_string(),
            change_type,
            record_ids: vec![record_id.to_string()],
            changed_fields,
            body,
            commit_user: "005000000000001AAA".to_string(),
            change_origin: String::new(),
            transaction_key: format!("{:032x}", rand::random::<u128>()),
            sequence_number: 1,
            commit_timestamp_ms: now,
        })
    }
}

impl StreamingOrg for FixtureOrg {
    fn events(&self) -> &EventLog {
        &self.log
    }

    fn authenticate(&self, authorization: Option<&str>) -> TokenStatus {
        let token = authorization.and_then(|value| {
            value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("OAuth "))
        });
        if token.is_some_and(|token| token.trim() == self.token) {
            TokenStatus::Valid
        } else {
            TokenStatus::Invalid
        }
    }

    fn cdc_refusal(&self, channel: &str) -> Option<String> {
        lock(&self.refusals).get(channel).cloned()
    }

    fn record_call(&self, endpoint: &str) {
        *lock(&self.calls).entry(endpoint.to_string()).or_default() += 1;
    }

    fn streaming_fault(&self, endpoint: &str) -> Option<StreamingFault> {
        lock(&self.faults).get(endpoint).cloned()
    }
}
