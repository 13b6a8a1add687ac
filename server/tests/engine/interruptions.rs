//! IG-04 in process: Reset Token, Disconnect then Set up, and a circuit that opens and closes,
//! each in the middle of a run while the simulator's records keep changing, for both methods on
//! both backends. Each ends with the mirror equal to the simulator, and with no record applied
//! more often than it had versions (a change applied twice shows even when the end state is
//! right).

use std::{collections::HashSet, time::Duration};

use serde_json::json;
use store::org_syncs::{SfObject, SyncMethod, SyncStatus};

use super::{
    harness::{BACKENDS, Backend, CDC_RETRY, Harness, Options, wait_until},
    random_workload,
};

const METHODS: [SyncMethod; 2] = [SyncMethod::Rest, SyncMethod::Cdc];
const OBJECT: SfObject = SfObject::Contact;
/// How long the simulator holds the call a test acts in the middle of.
const HOLD_MS: u64 = 10_000;

struct Run {
    h: Harness,
    id: i64,
    method: SyncMethod,
    label: String,
    /// Records that existed before the run (seeded without a change event).
    seeded: HashSet<String>,
}

impl Run {
    /// A sync of `method`, enabled and backfilled.
    async fn start(backend: Backend, method: SyncMethod) -> Run {
        let h = Harness::start(backend, Options::default()).await;
        let seeded = h.sim_record_ids(OBJECT).await;
        let id = h.enable(OBJECT, method).await;
        let run = Run {
            h,
            id,
            method,
            label: format!("{backend:?} {method:?}"),
            seeded,
        };
        run.caught_up("the backfill").await;
        run
    }

    /// Brings the mirror up to date and checks it: REST polls (the clock moves one interval
    /// at a time) until the mirror equals the simulator; CDC is followed in real time while
    /// the clock moves by the retry delay, in case a round failed. Then no record may have
    /// been applied more often than it had versions.
    async fn caught_up(&self, what: &str) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let differences = self.h.mirror_differences(self.id, OBJECT).await;
            if differences.is_empty() {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{}: {what}: the mirror still differs from the simulator after 30 s: {} differences, first: {:?}",
                self.label,
                differences.len(),
                &differences[..differences.len().min(10)]
            );
            match self.method {
                SyncMethod::Rest => self.h.next_poll(self.id).await,
                SyncMethod::Cdc => {
                    self.h.clock.advance(CDC_RETRY);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
        let too_often = self
            .h
            .applied_too_often(self.id, OBJECT, &self.seeded)
            .await;
        assert!(
            too_often.is_empty(),
            "{}: {what}: records applied twice: {too_often:?}",
            self.label
        );
    }

    /// Starts a round whose record read the simulator holds for a while, and returns once
    /// the read is being held: a REST poll's query, or the by-id fetch after a CDC event.
    async fn hold_a_read(&self) {
        self.h
            .fault(json!({"endpoint": "queryAll", "kind": "latency", "latency_ms": HOLD_MS, "count": 1}))
            .await;
        match self.method {
            SyncMethod::Rest => self.h.clock.advance(harness_interval()),
            SyncMethod::Cdc => {
                self.h
                    .sim_post(
                        "/__sim/records/Contact",
                        json!({"LastName": "Held", "Phone": "+15550100"}),
                    )
                    .await;
            }
        }
        self.h
            .wait_for("a read to be held by the simulator", || async {
                self.h.pending_faults().await == 0
            })
            .await;
    }

    async fn status(&self) -> SyncStatus {
        self.h.row(self.id).await.status
    }
}

/// The interval of the harness's REST syncs (5 "minutes").
fn harness_interval() -> Duration {
    super::harness::POLL_UNIT * 5
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ig_04_reset_token_in_the_middle_of_a_round_loses_and_repeats_no_change() {
    for backend in BACKENDS {
        for method in METHODS {
            let run = Run::start(backend, method).await;
            random_workload(&run.h, OBJECT, 40, 41).await;
            run.hold_a_read().await;
            // Reset Token while the read is in flight: the old refresh token is revoked (so
            // the old session is dead), the worker is stopped mid-round and started again.
            run.h.reconnect().await;
            random_workload(&run.h, OBJECT, 40, 42).await;
            run.caught_up("after Reset Token").await;
            assert_eq!(run.status().await, SyncStatus::Active, "{}", run.label);
            run.h.stop().await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ig_04_disconnect_then_set_up_in_the_middle_of_a_run_loses_and_repeats_no_change() {
    for backend in BACKENDS {
        for method in METHODS {
            let run = Run::start(backend, method).await;
            random_workload(&run.h, OBJECT, 40, 43).await;
            run.hold_a_read().await;
            run.h.disconnect().await;
            run.h
                .wait_for("the disconnected sync to stop in Error", || async {
                    run.status().await == SyncStatus::Error
                        && run.h.supervisor.running().await.is_empty()
                })
                .await;
            // Changes made while disconnected are picked up after Set up.
            random_workload(&run.h, OBJECT, 40, 44).await;
            run.h.reconnect().await;
            random_workload(&run.h, OBJECT, 20, 45).await;
            run.caught_up("after Set up").await;
            assert_eq!(run.status().await, SyncStatus::Active, "{}", run.label);
            run.h.stop().await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ig_04_a_circuit_that_opens_and_closes_in_the_middle_of_a_run_loses_and_repeats_no_change()
{
    for backend in BACKENDS {
        for method in METHODS {
            let run = Run::start(backend, method).await;
            random_workload(&run.h, OBJECT, 40, 46).await;
            // From now on every record read fails: the REST poll's query, or CDC's by-id
            // fetch of the records its events name.
            run.h
                .fault(json!({"endpoint": "queryAll", "kind": "fail", "status": 500, "error_code": "UNKNOWN_EXCEPTION", "message": "An unexpected error occurred"}))
                .await;
            let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
            let mut outage = 0;
            loop {
                let row = run.h.row(run.id).await;
                if row.status == SyncStatus::CircuitOpen {
                    break;
                }
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "{}: the circuit did not open within 30 s ({} failures in a row)",
                    run.label,
                    row.consecutive_failures
                );
                // A new record (so a CDC round has an event whose fetch fails), then the
                // next round: a poll, or CDC's retry.
                run.h
                    .sim_post(
                        "/__sim/records/Contact",
                        json!({"LastName": format!("Outage{outage}")}),
                    )
                    .await;
                outage += 1;
                match method {
                    SyncMethod::Rest => run.h.next_poll(run.id).await,
                    SyncMethod::Cdc => {
                        run.h.clock.advance(CDC_RETRY);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            }
            // Changes while the circuit is open.
            random_workload(&run.h, OBJECT, 30, 47).await;
            run.h.clear_faults().await;
            // The cool-down passes; the trial round succeeds and closes the circuit.
            run.h.clock.advance(Duration::from_secs(600));
            wait_until(
                &format!("{}: the trial round to close the circuit", run.label),
                Duration::from_secs(30),
                || async { run.status().await == SyncStatus::Active },
            )
            .await;
            random_workload(&run.h, OBJECT, 20, 48).await;
            run.caught_up("after the circuit closed").await;
            let row = run.h.row(run.id).await;
            assert_eq!(row.status, SyncStatus::Active, "{}", run.label);
            assert_eq!(row.consecutive_failures, 0, "{}", run.label);
            run.h.stop().await;
        }
    }
}
