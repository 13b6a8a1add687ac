//! The sync engine end to end against the simulator over real HTTP (IG-01, IG-02, ST-04,
//! OS-05, TS-02), each on SQLite and on PostgreSQL. The manual clock drives polling
//! intervals and cool-downs, so no test waits for real minutes. IG-04 (no change lost or
//! applied twice) has its own modules: `interruptions` (Reset Token, Disconnect then Set up,
//! a circuit opening and closing, in process) and `kill` (the real binary, killed with
//! SIGKILL and restarted); `instances` runs several instances on one PostgreSQL.

mod campaigns;
mod harness;
mod instances;
mod interruptions;
mod kill;
mod writeback;

use std::time::Duration;

use harness::{BACKENDS, Backend, Harness, Options};
use rand::{Rng, SeedableRng, rngs::StdRng, seq::SliceRandom};
use reqwest::Method;
use serde_json::{Value, json};
use store::org_syncs::{SfObject, SyncMethod, SyncStatus};

/// A random mix of creates, updates, deletes, undeletes, shared stamps and late commits.
async fn random_workload(h: &Harness, object: SfObject, operations: usize, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let name = object.as_str();
    for step in 0..operations {
        let records = h
            .sim_get(&format!("/__sim/records/{name}?include_deleted=true"))
            .await;
        let records = records["records"].as_array().cloned().unwrap_or_default();
        let live: Vec<&Value> = records
            .iter()
            .filter(|r| r["IsDeleted"] != json!(true))
            .collect();
        let deleted: Vec<&Value> = records
            .iter()
            .filter(|r| r["IsDeleted"] == json!(true))
            .collect();
        let id_of = |r: &&Value| r["Id"].as_str().expect("Id").to_string();
        match rng.gen_range(0..100) {
            0..=19 => {
                let mut body = json!({"LastName": format!("Random{step}"), "Phone": format!("+1555{:07}", rng.gen_range(0..9_999_999))});
                if object == SfObject::Lead {
                    body["Company"] = json!("Acme");
                }
                h.sim_post(&format!("/__sim/records/{name}"), body).await;
            }
            20..=59 if !live.is_empty() => {
                let id = id_of(live.choose(&mut rng).expect("a record"));
                h.sim_call(
                    Method::PATCH,
                    &format!("/__sim/records/{name}/{id}"),
                    Some(json!({"Phone": format!("+1666{:07}", rng.gen_range(0..9_999_999)), "Email": format!("r{step}@example.com")})),
                )
                .await;
            }
            60..=71 if !live.is_empty() => {
                let id = id_of(live.choose(&mut rng).expect("a record"));
                h.sim_call(Method::DELETE, &format!("/__sim/records/{name}/{id}"), None)
                    .await;
            }
            72..=79 if !deleted.is_empty() => {
                let id = id_of(deleted.choose(&mut rng).expect("a record"));
                h.sim_post(&format!("/__sim/records/{name}/{id}/undelete"), json!({}))
                    .await;
            }
            80..=89 => {
                h.sim_post(
                    "/__sim/generate/shared-modstamp",
                    json!({"object": name, "count": rng.gen_range(2..20)}),
                )
                .await;
            }
            90..=99 => {
                h.sim_post(
                    "/__sim/generate/late-commit",
                    json!({"object": name, "count": rng.gen_range(1..5), "lag_seconds": rng.gen_range(1..120)}),
                )
                .await;
            }
            _ => {}
        }
    }
}

async fn assert_mirror_matches(h: &Harness, id: i64, object: SfObject) {
    let differences = h.mirror_differences(id, object).await;
    assert!(
        differences.is_empty(),
        "{} differences, first: {:?}",
        differences.len(),
        &differences[..differences.len().min(10)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ig_02_rest_polling_backfills_then_picks_up_every_change() {
    for backend in BACKENDS {
        let h = Harness::start(backend, Options::default()).await;
        let mut status = h.bus.subscribe();
        let id = h.enable(SfObject::Contact, SyncMethod::Rest).await;
        h.wait_for("the backfill", || async { h.runs(id).await >= 1 })
            .await;
        assert_mirror_matches(&h, id, SfObject::Contact).await;
        let published = status.try_recv().expect("status changes are published");
        assert_eq!(published.organization_id, h.org_id);
        let row = h.row(id).await;
        assert_eq!(row.status, SyncStatus::Active, "{backend:?}");
        assert!(row.last_sync_at.is_some());
        assert!(
            row.backfill_total.is_none(),
            "progress cleared after the backfill"
        );

        for round in 0..3 {
            random_workload(&h, SfObject::Contact, 60, round).await;
            h.next_poll(id).await;
            assert_mirror_matches(&h, id, SfObject::Contact).await;
        }
        h.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn os_05_a_disabled_sync_makes_no_call_and_resumes_when_enabled() {
    for backend in BACKENDS {
        let h = Harness::start(backend, Options::default()).await;
        let id = h.enable(SfObject::Lead, SyncMethod::Rest).await;
        h.wait_for("the backfill", || async { h.runs(id).await >= 1 })
            .await;
        h.disable(id, SyncMethod::Rest).await;
        assert_eq!(h.row(id).await.status, SyncStatus::Paused);
        assert!(h.supervisor.running().await.is_empty(), "{backend:?}");
        let calls = h.sim_calls().await;
        h.sim_post(
            "/__sim/generate/bulk-update",
            json!({"object": "Lead", "count": 3}),
        )
        .await;
        h.clock.advance(Duration::from_secs(3600));
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(h.sim_calls().await, calls, "paused means no call");

        h.enable_again(id).await;
        h.wait_for("the poll after enabling", || async {
            h.mirror_differences(id, SfObject::Lead).await.is_empty()
        })
        .await;
        assert_eq!(h.row(id).await.status, SyncStatus::Active);
        h.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn st_04_five_failures_open_the_circuit_no_call_while_open_and_a_later_success_closes_it() {
    for backend in BACKENDS {
        let h = Harness::start(backend, Options::default()).await;
        let id = h.enable(SfObject::Contact, SyncMethod::Rest).await;
        h.wait_for("the backfill", || async { h.runs(id).await >= 1 })
            .await;
        h.fault(json!({"endpoint": "queryAll", "kind": "fail", "status": 500, "error_code": "UNKNOWN_EXCEPTION", "message": "An unexpected error occurred"}))
            .await;
        for failure in 1..=5 {
            h.next_poll(id).await;
            let row = h.row(id).await;
            assert_eq!(row.consecutive_failures, failure, "{backend:?}");
            let expected = if failure < 5 {
                SyncStatus::Active
            } else {
                SyncStatus::CircuitOpen
            };
            assert_eq!(row.status, expected, "after {failure} failures");
        }
        let row = h.row(id).await;
        assert_eq!(row.error_count, 5);
        assert!(
            row.last_error
                .as_deref()
                .unwrap_or_default()
                .contains("An unexpected error occurred")
        );
        h.clear_faults().await;

        // Open: the next scheduled polls within the cool-down call nobody.
        let calls = h.sim_calls().await;
        h.clock.advance(Duration::from_secs(5 * 60));
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            h.sim_calls().await,
            calls,
            "no call while the circuit is open"
        );
        assert_eq!(h.row(id).await.status, SyncStatus::CircuitOpen);

        // After the cool-down the next poll is the trial; it succeeds and closes the circuit.
        h.next_poll(id).await;
        let row = h.row(id).await;
        assert_eq!(row.status, SyncStatus::Active, "{backend:?}");
        assert_eq!(row.consecutive_failures, 0);
        assert!(row.circuit_opened_at.is_none());
        assert_eq!(row.error_count, 5, "the running total stays");
        h.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ts_02_a_revoked_refresh_token_stops_the_sync_in_error_until_a_new_token() {
    let h = Harness::start(Backend::Sqlite, Options::default()).await;
    let id = h.enable(SfObject::Contact, SyncMethod::Rest).await;
    h.wait_for("the backfill", || async { h.runs(id).await >= 1 })
        .await;

    // An expired access token alone is refreshed without anyone noticing.
    h.sim_post("/__sim/tokens/expire-access", json!({})).await;
    h.next_poll(id).await;
    assert_eq!(h.row(id).await.status, SyncStatus::Active);

    h.sim_post("/__sim/tokens/revoke-refresh", json!({})).await;
    h.next_poll(id).await;
    let row = h.row(id).await;
    assert_eq!(row.status, SyncStatus::Error);
    assert!(row.last_error.is_some());
    h.wait_for("the worker to stop", || async {
        h.supervisor.running().await.is_empty()
    })
    .await;
    let calls = h.sim_calls().await;
    h.clock.advance(Duration::from_secs(3600));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(h.sim_calls().await, calls, "a sync in Error calls nobody");

    // Reset Token: a new grant is stored, the engine is told, the next poll brings Active.
    h.reconnect().await;
    h.wait_for("Active after Reset Token", || async {
        h.row(id).await.status == SyncStatus::Active
    })
    .await;
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ig_01_cdc_backfills_then_follows_the_channel_through_reconnects_gaps_and_overflow() {
    for backend in BACKENDS {
        let h = Harness::start(backend, Options::default()).await;
        let id = h.enable(SfObject::Contact, SyncMethod::Cdc).await;
        h.wait_for("the backfill", || async {
            h.mirror_differences(id, SfObject::Contact).await.is_empty()
        })
        .await;
        let matches = || async { h.mirror_differences(id, SfObject::Contact).await.is_empty() };

        random_workload(&h, SfObject::Contact, 80, 7).await;
        h.wait_for("CDC to deliver the workload", matches).await;

        h.sim_post("/__sim/cometd/expire-clients", json!({})).await;
        random_workload(&h, SfObject::Contact, 40, 8).await;
        h.wait_for("CDC after a re-handshake", matches).await;

        let ids: Vec<String> = h.sim_get("/__sim/records/Contact").await["records"]
            .as_array()
            .expect("records")
            .iter()
            .take(3)
            .map(|r| r["Id"].as_str().expect("Id").to_string())
            .collect();
        h.sim_post(
            "/__sim/generate/bulk-update",
            json!({"object": "Contact", "ids": ids, "fields": {"Email": "gap@example.com"}}),
        )
        .await;
        h.sim_post(
            "/__sim/cdc/gap",
            json!({"entity": "Contact", "change_type": "GAP_UPDATE", "record_ids": ids}),
        )
        .await;
        h.sim_post("/__sim/cdc/overflow", json!({"entity": "Contact"}))
            .await;
        random_workload(&h, SfObject::Contact, 20, 9).await;
        h.wait_for("CDC after gap and overflow events", matches)
            .await;

        let row = h.row(id).await;
        assert_eq!(row.status, SyncStatus::Active, "{backend:?}");
        assert!(row.replay_id.is_some(), "the replay id is stored");
        h.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ig_01_a_restarted_cdc_worker_resumes_from_its_replay_id() {
    let h = Harness::start(Backend::Sqlite, Options::default()).await;
    let id = h.enable(SfObject::Lead, SyncMethod::Cdc).await;
    let matches = || async { h.mirror_differences(id, SfObject::Lead).await.is_empty() };
    h.wait_for("the backfill", matches).await;
    random_workload(&h, SfObject::Lead, 30, 11).await;
    h.wait_for("CDC", matches).await;
    let replay_id = h.row(id).await.replay_id.expect("a replay id");

    // Stopped (disabled) while changes happen, then resumed from the stored replay id.
    h.disable(id, SyncMethod::Cdc).await;
    random_workload(&h, SfObject::Lead, 30, 12).await;
    h.enable_again(id).await;
    h.wait_for("CDC after resuming", matches).await;
    let resumed = h.row(id).await.replay_id.expect("a replay id");
    assert!(resumed.parse::<i64>().expect("number") > replay_id.parse::<i64>().expect("number"));
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ig_01_a_replay_id_past_retention_falls_back_to_a_rest_catch_up() {
    let h = Harness::start(
        Backend::Sqlite,
        Options {
            event_retention: Some(20),
            ..Options::default()
        },
    )
    .await;
    let id = h.enable(SfObject::Contact, SyncMethod::Cdc).await;
    let matches = || async { h.mirror_differences(id, SfObject::Contact).await.is_empty() };
    h.wait_for("the backfill", matches).await;
    random_workload(&h, SfObject::Contact, 5, 21).await;
    h.wait_for("CDC", matches).await;
    h.disable(id, SyncMethod::Cdc).await;
    // Far more changes than the simulator retains.
    random_workload(&h, SfObject::Contact, 80, 22).await;
    h.enable_again(id).await;
    h.wait_for("the catch-up", matches).await;
    assert_eq!(h.row(id).await.status, SyncStatus::Active);
    h.stop().await;
}
