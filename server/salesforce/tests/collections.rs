//! `Session::create_collection` (sObject Collections create) against the simulator: ids in
//! order and found again by `CallObject`, per-record errors, `allOrNone`, the 200-record
//! refusal before sending, one refresh on an expired token, and which error a lost answer
//! gives (outcome unknown) versus an unreachable Salesforce (nothing sent).

mod common;

use std::time::Duration;

use common::*;
use reqwest::Method;
use salesforce::{CollectionResult, ErrorClass, QueryPage, SalesforceError};
use serde_json::{Map, Value, json};

/// A well-formed Contact id that matches no record.
const NO_SUCH_CONTACT: &str = "003000000000000AAA";

/// A completed call Task against `who`, tagged with the dialer's call id `call`.
fn task(who: &str, call: &str) -> Value {
    json!({"attributes": {"type": "Task"}, "Subject": "Call", "Status": "Completed",
        "TaskSubtype": "Call", "CallType": "Outbound", "CallDurationInSeconds": 59,
        "CallDisposition": "Connected", "CallObject": call, "WhoId": who,
        "ActivityDate": "2025-03-01"})
}

/// `SELECT Id, CallObject FROM Task WHERE CallObject IN (...)`, as the write-back's retry
/// asks it: (CallObject, Id) pairs.
async fn tasks_by_call(sim: &Sim, calls: &[&str]) -> Vec<(String, String)> {
    let list = calls
        .iter()
        .map(|c| format!("'{c}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let soql = format!("SELECT Id, CallObject FROM Task WHERE CallObject IN ({list})");
    let page: QueryPage<Map<String, Value>> = bounded("query", sim.session.query(&soql, false))
        .await
        .expect("tasks");
    let mut found: Vec<(String, String)> = page
        .records
        .iter()
        .map(|r| {
            let text = |key: &str| r[key].as_str().expect(key).to_string();
            (text("CallObject"), text("Id"))
        })
        .collect();
    found.sort();
    found
}

fn ids(results: &[CollectionResult]) -> Vec<String> {
    results
        .iter()
        .map(|r| r.id.clone().expect("an id"))
        .collect()
}

#[tokio::test]
async fn ids_come_back_in_order_and_are_found_by_call_object() {
    let sim = start(small()).await;
    let who = sim.create_contact("Caller").await;
    let calls = ["call-3", "call-1", "call-2"];
    let records: Vec<Value> = calls.iter().map(|c| task(&who, c)).collect();

    let results = bounded("create", sim.session.create_collection(&records, true))
        .await
        .expect("created");
    assert_eq!(results.len(), 3);
    assert!(results.iter().all(|r| r.success && r.errors.is_empty()));
    let ids = ids(&results);
    assert!(ids.iter().all(|id| id.starts_with("00T")), "{ids:?}");
    assert_eq!(sim.endpoint_calls("composite/sobjects").await, 1);
    assert!(
        sim.session.api_usage().is_some(),
        "usage read from the answer"
    );

    let found = tasks_by_call(&sim, &["call-1", "call-2", "call-3", "call-9"]).await;
    let mut expected: Vec<(String, String)> = calls
        .iter()
        .zip(&ids)
        .map(|(call, id)| (call.to_string(), id.clone()))
        .collect();
    expected.sort();
    assert_eq!(
        found, expected,
        "each id belongs to the call sent at its position"
    );
}

#[tokio::test]
async fn refused_records_carry_salesforce_errors() {
    let sim = start(small()).await;
    let who = sim.create_contact("Caller").await;
    let records = [task(&who, "call-1"), task(NO_SUCH_CONTACT, "call-2")];

    let partial = bounded("create", sim.session.create_collection(&records, false))
        .await
        .expect("answered");
    assert!(partial[0].success && partial[0].id.is_some());
    assert!(!partial[1].success && partial[1].id.is_none());
    assert_eq!(
        partial[1].errors[0].status_code,
        "INVALID_CROSS_REFERENCE_KEY"
    );
    assert!(
        partial[1].errors[0]
            .message
            .contains("invalid cross reference id")
    );

    let records = [task(&who, "call-3"), task(NO_SUCH_CONTACT, "call-4")];
    let rolled_back = bounded("create", sim.session.create_collection(&records, true))
        .await
        .expect("answered");
    assert!(rolled_back.iter().all(|r| !r.success && r.id.is_none()));
    assert_eq!(
        rolled_back[0].errors[0].status_code,
        "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    );
    assert!(tasks_by_call(&sim, &["call-3", "call-4"]).await.is_empty());
}

#[tokio::test]
async fn more_than_200_records_or_untyped_records_are_refused_before_sending() {
    let sim = start(small()).await;
    let who = sim.create_contact("Caller").await;
    let records: Vec<Value> = (0..201).map(|i| task(&who, &format!("c{i}"))).collect();
    let error = sim
        .session
        .create_collection(&records, false)
        .await
        .expect_err("too many");
    assert_eq!(
        error,
        SalesforceError::TooManyRecords {
            count: 201,
            max: 200
        }
    );
    let untyped = sim
        .session
        .create_collection(&[json!({"Subject": "Call"})], false)
        .await
        .expect_err("no type");
    assert!(
        matches!(untyped, SalesforceError::InvalidInput(_)),
        "{untyped:?}"
    );
    let none = sim
        .session
        .create_collection(&[], false)
        .await
        .expect("nothing to do");
    assert!(none.is_empty());
    assert_eq!(sim.endpoint_calls("composite/sobjects").await, 0);
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once_and_the_records_created_once() {
    let sim = start(small()).await;
    let who = sim.create_contact("Caller").await;
    sim.post("tokens/expire-access").await;
    let tokens = sim.endpoint_calls("oauth/token").await;
    let results = bounded(
        "create",
        sim.session
            .create_collection(&[task(&who, "call-1")], false),
    )
    .await
    .expect("created after a refresh");
    assert!(results[0].success);
    assert_eq!(sim.endpoint_calls("oauth/token").await - tokens, 1);
    assert_eq!(sim.endpoint_calls("composite/sobjects").await, 2);
    assert_eq!(tasks_by_call(&sim, &["call-1"]).await.len(), 1);
}

#[tokio::test]
async fn a_lost_answer_is_outcome_unknown_and_the_tasks_can_be_found() {
    let sim = start(small()).await;
    let who = sim.create_contact("Caller").await;
    sim.control(
        Method::POST,
        "faults",
        Some(json!({"endpoint": "composite/sobjects", "kind": "drop_after_commit", "count": 1})),
    )
    .await;
    let records = [task(&who, "call-1"), task(&who, "call-2")];
    let error = bounded("create", sim.session.create_collection(&records, false))
        .await
        .expect_err("no answer");
    assert!(
        matches!(error, SalesforceError::OutcomeUnknown(_)),
        "{error:?}"
    );
    assert_eq!(error.class(), ErrorClass::Transient);
    // The retry looks first: both were created, so nothing is sent again.
    let found = tasks_by_call(&sim, &["call-1", "call-2"]).await;
    assert_eq!(found.len(), 2, "{found:?}");

    // A connection dropped before the sim handled the call looks the same to the client
    // (it cannot tell), and here nothing was created.
    sim.control(
        Method::POST,
        "faults",
        Some(json!({"endpoint": "composite/sobjects", "kind": "drop", "count": 1})),
    )
    .await;
    let error = bounded(
        "create",
        sim.session
            .create_collection(&[task(&who, "call-3")], false),
    )
    .await
    .expect_err("no answer");
    assert!(
        matches!(error, SalesforceError::OutcomeUnknown(_)),
        "{error:?}"
    );
    assert!(tasks_by_call(&sim, &["call-3"]).await.is_empty());
}

#[tokio::test]
async fn an_unreachable_salesforce_is_a_transport_error() {
    let sim = start(small()).await;
    let who = sim.create_contact("Caller").await;
    sim.stop_serving();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let error = bounded(
        "create",
        sim.session
            .create_collection(&[task(&who, "call-1")], false),
    )
    .await
    .expect_err("refused");
    assert!(matches!(error, SalesforceError::Transport(_)), "{error:?}");
}
