//! Fault injection: the next N calls of an endpoint fail with a given status and Salesforce
//! error, get added latency, have their connection dropped (before handling, or after
//! handling so the writes stand but the answer is lost), or be answered late after handling
//! (a client's timeout strikes after the writes stood). `endpoint` is a call-counter name
//! (see the README) or `*` for every endpoint.

use std::{
    sync::{Mutex, PoisonError},
    time::Duration,
};

use serde::{Deserialize, Serialize};

/// What an injected fault does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// Answer with `status` and the body `[{"message":..,"errorCode":..}]` (REST), or the
    /// OAuth body `{"error":error_code,"error_description":message}` for OAuth endpoints;
    /// on CometD endpoints the Bayeux `error` is `bayeux_error` (or `"{status}::{message}"`).
    Fail {
        status: u16,
        #[serde(default = "default_code")]
        error_code: String,
        #[serde(default)]
        message: String,
        #[serde(default)]
        bayeux_error: Option<String>,
    },
    /// Wait this long before handling the call.
    Latency { latency_ms: u64 },
    /// Close the connection without an answer.
    Drop,
    /// Handle the call (commit its writes), then close the connection without the answer:
    /// the client cannot tell whether the call took effect. On CometD endpoints, like `drop`.
    DropAfterCommit,
    /// Handle the call (commit its writes), then wait this long before answering: a client
    /// whose timeout is shorter gives up without knowing the call took effect. On CometD
    /// endpoints, like `latency`.
    AnswerLate { latency_ms: u64 },
}

fn default_code() -> String {
    "SERVER_UNAVAILABLE".into()
}

/// One injected fault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    pub endpoint: String,
    #[serde(flatten)]
    pub kind: FaultKind,
    /// How many more calls it applies to; `None` = until cleared.
    #[serde(default)]
    pub count: Option<u64>,
}

/// What applies to one call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    pub latency: Duration,
    /// A failing or dropping fault (the first matching one).
    pub outcome: Option<FaultKind>,
}

/// The table of active faults.
#[derive(Default)]
pub struct Faults {
    list: Mutex<Vec<Fault>>,
}

impl Faults {
    pub fn add(&self, fault: Fault) {
        self.lock().push(fault);
    }

    pub fn clear(&self) {
        self.lock().clear();
    }

    pub fn list(&self) -> Vec<Fault> {
        self.lock().clone()
    }

    /// Consumes the faults that apply to one call of `endpoint`: all matching latencies add
    /// up; the first matching fail/drop wins.
    pub fn take(&self, endpoint: &str) -> Applied {
        let mut list = self.lock();
        let mut applied = Applied::default();
        for fault in list.iter_mut() {
            if fault.endpoint != endpoint && fault.endpoint != "*" {
                continue;
            }
            if fault.count == Some(0) {
                continue;
            }
            match &fault.kind {
                FaultKind::Latency { latency_ms } => {
                    applied.latency = applied
                        .latency
                        .saturating_add(Duration::from_millis(*latency_ms));
                }
                other => {
                    if applied.outcome.is_some() {
                        continue;
                    }
                    applied.outcome = Some(other.clone());
                }
            }
            if let Some(count) = fault.count.as_mut() {
                *count -= 1;
            }
        }
        list.retain(|f| f.count != Some(0));
        applied
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Fault>> {
        self.list.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_faults_run_out() {
        let faults = Faults::default();
        faults.add(Fault {
            endpoint: "query".into(),
            kind: FaultKind::Fail {
                status: 503,
                error_code: "SERVER_UNAVAILABLE".into(),
                message: "x".into(),
                bayeux_error: None,
            },
            count: Some(2),
        });
        faults.add(Fault {
            endpoint: "*".into(),
            kind: FaultKind::Latency { latency_ms: 5 },
            count: Some(1),
        });
        let first = faults.take("query");
        assert_eq!(first.latency, Duration::from_millis(5));
        assert!(first.outcome.is_some());
        assert!(faults.take("limits").outcome.is_none());
        assert!(faults.take("query").outcome.is_some());
        assert!(faults.take("query").outcome.is_none());
        assert!(faults.list().is_empty());
    }

    #[test]
    fn drop_after_commit_reads_from_json() {
        let fault: Fault = serde_json::from_str(
            r#"{"endpoint":"composite/sobjects","kind":"drop_after_commit","count":1}"#,
        )
        .expect("fault json");
        assert_eq!(fault.kind, FaultKind::DropAfterCommit);
        let faults = Faults::default();
        faults.add(fault);
        assert_eq!(
            faults.take("composite/sobjects").outcome,
            Some(FaultKind::DropAfterCommit)
        );
        assert!(faults.take("composite/sobjects").outcome.is_none());
    }

    #[test]
    fn answer_late_reads_from_json_and_is_an_outcome_not_a_latency() {
        let fault: Fault = serde_json::from_str(
            r#"{"endpoint":"composite/sobjects","kind":"answer_late","latency_ms":3000,"count":1}"#,
        )
        .expect("fault json");
        assert_eq!(fault.kind, FaultKind::AnswerLate { latency_ms: 3000 });
        let faults = Faults::default();
        faults.add(fault);
        let applied = faults.take("composite/sobjects");
        assert!(applied.latency.is_zero(), "no wait before handling");
        assert_eq!(
            applied.outcome,
            Some(FaultKind::AnswerLate { latency_ms: 3000 })
        );
        assert!(faults.take("composite/sobjects").outcome.is_none());
    }
}
