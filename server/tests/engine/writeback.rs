//! Call activity back to Salesforce (DS-05) with the real engine against the simulator, on
//! SQLite and PostgreSQL: every call becomes exactly one completed Task, also when Salesforce
//! committed the create but its answer was lost or came after the client's timeout; calls go
//! out up to 200 per sObject Collections call; a Task Salesforce refuses leaves its call failed with Salesforce's
//! message while the others are written; and nothing is written while the sync is paused or
//! its circuit is open.

use std::{collections::HashMap, time::Duration};

use chrono::Utc;
use orgsync::sync::{Clock, SyncCommands};
use reqwest::Method;
use serde_json::{Value, json};
use store::{
    call_activities::{self, CallState, NewCall},
    campaign_records::{self, RecordWrite},
    campaigns::{self, CampaignSettings},
    entities::call_activities::Model as Call,
    org_syncs::{SfObject, SyncMethod, SyncSettings, SyncStatus},
};

use crate::harness::{BACKENDS, Harness, Options};

/// A Contact REST sync past its first poll, and a campaign holding the first `people`
/// Contacts of the simulator (by Id).
async fn setup(h: &Harness, people: usize) -> (i64, i64, Vec<String>) {
    let sync = h.enable(SfObject::Contact, SyncMethod::Rest).await;
    h.wait_for("the first poll", || async { h.runs(sync).await >= 1 })
        .await;
    let campaign = campaigns::create(&h.db, h.org_id, &CampaignSettings::named("Callbacks"))
        .await
        .expect("campaign")
        .id;
    let all = h.sim_get("/__sim/records/Contact").await;
    let mut ids: Vec<String> = all["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|r| r["Id"].as_str().expect("Id").to_owned())
        .collect();
    ids.sort();
    ids.truncate(people);
    let writes: Vec<RecordWrite> = ids
        .iter()
        .map(|id| RecordWrite {
            campaign_id: campaign,
            sf_id: id.clone(),
            sf_object: "Contact".into(),
            display_name: id.clone(),
            source_name: "Test".into(),
            source_link_id: None,
            phones: "[]".into(),
            custom_fields: "{}".into(),
            state: "ready".into(),
        })
        .collect();
    campaign_records::write(&h.db, &writes)
        .await
        .expect("campaign records");
    (sync, campaign, ids)
}

/// Records a call as the console does (store, then the command port).
async fn record(h: &Harness, sync: i64, campaign: i64, sf_id: &str, call_id: &str) -> i64 {
    let call = call_activities::record(
        &h.db,
        NewCall {
            organization_id: h.org_id,
            campaign_id: campaign,
            sf_id: sf_id.to_owned(),
            call_id: call_id.to_owned(),
            subject: "Call".into(),
            disposition: "Connected".into(),
            duration_seconds: 61,
            notes: format!("notes of {call_id}"),
            occurred_at: Utc::now(),
            recorded_by: "admin".into(),
        },
        h.clock.now(),
    )
    .await
    .expect("record a call")
    .call()
    .id;
    h.supervisor.calls_recorded(h.org_id, sync).await;
    call
}

async fn calls(h: &Harness, campaign: i64) -> Vec<Call> {
    call_activities::list_for_campaign(&h.db, campaign, 100_000)
        .await
        .expect("calls")
}

/// The simulator's Tasks by `CallObject`.
async fn tasks(h: &Harness) -> HashMap<String, Vec<Value>> {
    let all = h.sim_get("/__sim/records/Task").await;
    let mut by_call: HashMap<String, Vec<Value>> = HashMap::new();
    for task in all["records"].as_array().expect("records") {
        if let Some(call) = task["CallObject"].as_str() {
            by_call
                .entry(call.to_owned())
                .or_default()
                .push(task.clone());
        }
    }
    by_call
}

async fn collection_calls(h: &Harness) -> u64 {
    h.sim_get("/__sim/counters").await["endpoints"]["composite/sobjects"]
        .as_u64()
        .unwrap_or(0)
}

/// After the first attempt's back-off, the retry writes every call of the campaign, each as
/// exactly one Task (found again by `CallObject`, not created a second time: one Collections
/// call in all). Each call with its Task.
async fn retried_to_one_task_each(h: &Harness, campaign: i64) -> Vec<(Call, Value)> {
    h.clock.advance(Duration::from_secs(31));
    h.wait_for("the calls written", || async {
        all_written(&calls(h, campaign).await)
    })
    .await;
    let tasks = tasks(h).await;
    let written: Vec<(Call, Value)> = calls(h, campaign)
        .await
        .into_iter()
        .map(|call| {
            let found = &tasks[&call.call_id];
            assert_eq!(found.len(), 1, "one Task for {}", call.call_id);
            assert_eq!(call.sf_task_id.as_deref(), found[0]["Id"].as_str());
            let task = found[0].clone();
            (call, task)
        })
        .collect();
    assert_eq!(collection_calls(h).await, 1, "no second create");
    written
}

fn all_written(calls: &[Call]) -> bool {
    !calls.is_empty() && calls.iter().all(|c| c.state == CallState::Written.as_str())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ds_05_every_call_becomes_exactly_one_task_also_when_the_answer_is_lost() {
    for backend in BACKENDS {
        let h = Harness::start(backend, Options::default()).await;
        let (sync, campaign, people) = setup(&h, 3).await;
        // Recorded while paused, so that the three go out in one call.
        h.disable(sync, SyncMethod::Rest).await;
        for (n, person) in people.iter().enumerate() {
            record(&h, sync, campaign, person, &format!("lost-{n}")).await;
        }
        // Salesforce creates the Tasks, then the connection drops before the answer.
        h.fault(json!({"endpoint": "composite/sobjects", "kind": "drop_after_commit", "count": 1}))
            .await;
        save_enabled(&h, sync, true).await;
        h.wait_for("the first attempt", || async {
            let calls = calls(&h, campaign).await;
            calls.len() == 3 && calls.iter().all(|c| c.last_error.is_some())
        })
        .await;
        for call in calls(&h, campaign).await {
            assert_eq!(call.state, "pending", "{backend:?}: the outcome is unknown");
            assert_eq!(call.attempts, 1);
        }
        assert_eq!(tasks(&h).await.len(), 3, "Salesforce has the Tasks already");

        // The retry, after its back-off, finds them by CallObject instead of creating more.
        for (call, task) in retried_to_one_task_each(&h, campaign).await {
            assert_eq!(task["WhoId"], json!(call.sf_id));
            assert_eq!(task["Status"], json!("Completed"));
            assert_eq!(task["TaskSubtype"], json!("Call"));
            assert_eq!(task["CallDisposition"], json!("Connected"));
            assert_eq!(task["CallDurationInSeconds"], json!(61));
            let description = task["Description"].as_str().unwrap_or_default();
            assert!(
                description.starts_with(&format!("notes of {}\n\nCalled at ", call.call_id)),
                "{description}"
            );
            assert!(call.last_error.is_none());
        }
        h.stop().await;
    }
}

/// The Salesforce client's timeout in the timeout test, and how late the answer comes.
const SHORT_TIMEOUT: Duration = Duration::from_secs(3);
const LATE_ANSWER_MS: u64 = 8_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ds_05_a_create_that_timed_out_after_salesforce_committed_it_is_not_sent_again() {
    for backend in BACKENDS {
        let h = Harness::start(
            backend,
            Options {
                http_timeout: Some(SHORT_TIMEOUT),
                ..Options::default()
            },
        )
        .await;
        let (sync, campaign, people) = setup(&h, 2).await;
        h.disable(sync, SyncMethod::Rest).await;
        for (n, person) in people.iter().enumerate() {
            record(&h, sync, campaign, person, &format!("late-{n}")).await;
        }
        // Salesforce creates the Tasks, but answers after the client has given up.
        h.fault(json!({"endpoint": "composite/sobjects", "kind": "answer_late", "latency_ms": LATE_ANSWER_MS, "count": 1}))
            .await;
        save_enabled(&h, sync, true).await;
        h.wait_for("the attempt that timed out", || async {
            let calls = calls(&h, campaign).await;
            calls.len() == 2 && calls.iter().all(|c| c.last_error.is_some())
        })
        .await;
        for call in calls(&h, campaign).await {
            assert_eq!(call.state, "pending", "{backend:?}: the outcome is unknown");
            assert_eq!(call.attempts, 1);
            let error = call.last_error.unwrap_or_default();
            assert!(
                error.contains("did not answer the write") && error.contains("timed out"),
                "{backend:?}: a timeout, not another failure: {error}"
            );
        }
        assert_eq!(tasks(&h).await.len(), 2, "Salesforce committed the Tasks");

        // The retry looks them up by CallObject and takes them: no second create.
        retried_to_one_task_each(&h, campaign).await;
        h.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ds_05_calls_go_out_together_up_to_two_hundred_per_collection() {
    let h = Harness::start(crate::harness::Backend::Sqlite, Options::default()).await;
    let (sync, campaign, people) = setup(&h, 5).await;
    // Recorded while the sync is paused, so that they wait and go out together.
    h.disable(sync, SyncMethod::Rest).await;
    for n in 0..250 {
        record(
            &h,
            sync,
            campaign,
            &people[n % people.len()],
            &format!("batch-{n}"),
        )
        .await;
    }
    save_enabled(&h, sync, true).await;
    h.wait_for("250 calls written", || async {
        all_written(&calls(&h, campaign).await)
    })
    .await;
    let tasks = tasks(&h).await;
    assert_eq!(tasks.len(), 250);
    assert!(tasks.values().all(|t| t.len() == 1));
    assert_eq!(collection_calls(&h).await, 2, "200 + 50");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ds_05_a_refused_task_fails_with_salesforces_message_and_the_others_are_written() {
    for backend in BACKENDS {
        let h = Harness::start(backend, Options::default()).await;
        let (sync, campaign, people) = setup(&h, 2).await;
        h.disable(sync, SyncMethod::Rest).await;
        // The second person is deleted in Salesforce: a Task cannot point at them.
        h.sim_call(
            Method::DELETE,
            &format!("/__sim/records/Contact/{}", people[1]),
            None,
        )
        .await;
        let good = record(&h, sync, campaign, &people[0], "good").await;
        let refused = record(&h, sync, campaign, &people[1], "refused").await;
        save_enabled(&h, sync, true).await;
        h.wait_for("both calls settled", || async {
            calls(&h, campaign)
                .await
                .iter()
                .all(|c| c.state != CallState::Pending.as_str())
        })
        .await;
        let by_id: HashMap<i64, Call> = calls(&h, campaign)
            .await
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
        assert_eq!(by_id[&good].state, "written", "{backend:?}");
        assert_eq!(by_id[&refused].state, "failed", "{backend:?}");
        let message = by_id[&refused].last_error.clone().unwrap_or_default();
        assert!(
            message.starts_with("INVALID_CROSS_REFERENCE_KEY"),
            "{backend:?}: {message}"
        );
        assert_eq!(tasks(&h).await.len(), 1);
        h.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ds_05_nothing_is_written_while_the_sync_is_paused_or_its_circuit_is_open() {
    for backend in BACKENDS {
        let h = Harness::start(backend, Options::default()).await;
        let (sync, campaign, people) = setup(&h, 2).await;

        // Paused: the call waits.
        h.disable(sync, SyncMethod::Rest).await;
        record(&h, sync, campaign, &people[0], "while-paused").await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(collection_calls(&h).await, 0, "{backend:?}: paused");
        assert_eq!(calls(&h, campaign).await[0].attempts, 0);
        let runs = h.runs(sync).await;
        save_enabled(&h, sync, true).await;
        h.wait_for("the paused call written", || async {
            all_written(&calls(&h, campaign).await)
        })
        .await;
        // The restarted worker polls at once; the failures below are counted from after it.
        h.wait_for("the restarted worker's first poll", || async {
            h.runs(sync).await > runs
        })
        .await;

        // Circuit open: five failed polls in a row.
        h.fault(json!({"endpoint": "queryAll", "kind": "fail", "status": 500, "error_code": "UNKNOWN_EXCEPTION", "message": "An unexpected error occurred"}))
            .await;
        for _ in 1..=5 {
            h.next_poll(sync).await;
        }
        assert_eq!(h.row(sync).await.status, SyncStatus::CircuitOpen);
        let writes = collection_calls(&h).await;
        let held = record(&h, sync, campaign, &people[1], "while-open").await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            collection_calls(&h).await,
            writes,
            "{backend:?}: circuit open"
        );
        h.clear_faults().await;
        // The cool-down (10 minutes here) ends with a trial poll; its success lets the call out.
        h.clock.advance(Duration::from_secs(5 * 60));
        h.next_poll(sync).await;
        assert_eq!(h.row(sync).await.status, SyncStatus::Active);
        h.wait_for("the held call written", || async {
            calls(&h, campaign)
                .await
                .iter()
                .any(|c| c.id == held && c.state == CallState::Written.as_str())
        })
        .await;
        h.stop().await;
    }
}

/// Enables (or disables) the sync as Save does, and tells the engine.
async fn save_enabled(h: &Harness, sync: i64, enabled: bool) {
    store::org_syncs::save_settings(
        &h.db,
        h.org_id,
        sync,
        SyncSettings {
            method: SyncMethod::Rest,
            interval_minutes: Some(5),
            enabled,
        },
    )
    .await
    .expect("save")
    .expect("found");
    h.supervisor.sync_changed(h.org_id, sync).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ds_05_a_task_on_another_person_with_the_same_call_object_is_not_taken_for_ours() {
    let h = Harness::start(crate::harness::Backend::Sqlite, Options::default()).await;
    let (sync, campaign, people) = setup(&h, 2).await;
    // Another system logged a call with the same CallObject, on someone else.
    h.sim_post(
        "/__sim/records/Task",
        json!({"Subject": "Call", "CallObject": "shared-1", "WhoId": people[1]}),
    )
    .await;
    let ours = record(&h, sync, campaign, &people[0], "shared-1").await;
    h.wait_for("our call written", || async {
        all_written(&calls(&h, campaign).await)
    })
    .await;
    let tasks = tasks(&h).await;
    let shared = &tasks["shared-1"];
    assert_eq!(shared.len(), 2, "ours is a Task of its own");
    let call = calls(&h, campaign)
        .await
        .into_iter()
        .find(|c| c.id == ours)
        .expect("our call");
    let task = shared
        .iter()
        .find(|t| t["Id"].as_str() == call.sf_task_id.as_deref())
        .expect("our Task");
    assert_eq!(task["WhoId"], json!(people[0]));
    h.stop().await;
}
