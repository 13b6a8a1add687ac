//! sObject Collections create (`POST /services/data/v62.0/composite/sobjects`) over HTTP:
//! ids in order, per-record errors, `allOrNone` rollback, the 200-record limit, malformed
//! bodies, API-call counting, Tasks found again by `CallObject`, and the `drop_after_commit`
//! and `answer_late` faults.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

const COLLECTIONS: &str = "/services/data/v62.0/composite/sobjects";
/// A well-formed Contact id that matches no record.
const NO_SUCH_CONTACT: &str = "003000000000000AAA";

async fn setup() -> (Running, String) {
    let run = start(small()).await;
    let token = login(&run).await;
    let access = token["access_token"].as_str().expect("access").to_string();
    (run, access)
}

/// POSTs `body` (raw text) to the collections resource.
async fn post_raw(run: &Running, access: &str, body: String) -> reqwest::Result<reqwest::Response> {
    run.http
        .post(format!("{}{COLLECTIONS}", run.base))
        .bearer_auth(access)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
}

/// POSTs `{"allOrNone":..,"records":..}`; the status and JSON answer.
async fn create(run: &Running, access: &str, all_or_none: bool, records: Value) -> (u16, Value) {
    let body = json!({"allOrNone": all_or_none, "records": records}).to_string();
    let response = post_raw(run, access, body).await.expect("collections");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

/// A completed call Task against `who`, tagged with `call`.
fn task(who: &str, call: &str) -> Value {
    json!({"attributes": {"type": "Task"}, "Subject": "Call", "Status": "Completed",
        "TaskSubtype": "Call", "CallType": "Outbound", "CallDurationInSeconds": 42,
        "CallDisposition": "Connected", "CallObject": call, "WhoId": who,
        "ActivityDate": "2025-03-01", "Description": "notes"})
}

/// A new Contact (control API); its id.
async fn contact(run: &Running, last_name: &str) -> String {
    let created: Value = control(
        run,
        Method::POST,
        "/records/Contact",
        json!({"LastName": last_name}),
    )
    .await
    .json()
    .await
    .expect("json");
    created["id"].as_str().expect("id").to_string()
}

/// The first seeded Lead's id.
async fn a_lead(run: &Running, access: &str) -> String {
    let page: Value = get(
        run,
        access,
        "/services/data/v62.0/query?q=SELECT+Id+FROM+Lead+ORDER+BY+Id+LIMIT+1",
    )
    .await
    .json()
    .await
    .expect("json");
    page["records"][0]["Id"]
        .as_str()
        .expect("a lead")
        .to_string()
}

/// `SELECT Id, WhoId, CallObject, Subject, Status, IsClosed FROM Task WHERE CallObject IN
/// (calls)` through the REST query endpoint: the records.
async fn tasks_by_call(run: &Running, access: &str, calls: &[&str]) -> Vec<Value> {
    let list = calls
        .iter()
        .map(|c| format!("'{c}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let soql = format!(
        "SELECT Id, WhoId, CallObject, Subject, Status, IsClosed FROM Task WHERE CallObject IN ({list}) ORDER BY CallObject"
    );
    let response = run
        .http
        .get(format!("{}/services/data/v62.0/query", run.base))
        .bearer_auth(access)
        .query(&[("q", soql)])
        .send()
        .await
        .expect("query");
    assert_eq!(response.status(), 200);
    let page: Value = response.json().await.expect("json");
    page["records"].as_array().cloned().unwrap_or_default()
}

/// How many Tasks the org holds.
async fn task_count(run: &Running) -> u64 {
    let listed: Value = run
        .http
        .get(format!("{}/__sim/records/Task", run.base))
        .send()
        .await
        .expect("records")
        .json()
        .await
        .expect("json");
    listed["totalSize"].as_u64().expect("totalSize")
}

async fn api_usage(run: &Running) -> u64 {
    org_state(run).await["api_usage"]
        .as_u64()
        .expect("api_usage")
}

async fn collection_calls(run: &Running) -> u64 {
    let counters: Value = run
        .http
        .get(format!("{}/__sim/counters", run.base))
        .send()
        .await
        .expect("counters")
        .json()
        .await
        .expect("json");
    counters["endpoints"]["composite/sobjects"]
        .as_u64()
        .unwrap_or(0)
}

#[tokio::test]
async fn creates_tasks_in_order_as_one_api_call_and_finds_them_by_call_object() {
    let (run, access) = setup().await;
    let who_contact = contact(&run, "Caller").await;
    let who_lead = a_lead(&run, &access).await;
    let usage = api_usage(&run).await;

    let (status, results) = create(
        &run,
        &access,
        false,
        json!([
            task(&who_contact, "call-b"),
            task(&who_lead, "call-a"),
            task(&who_contact, "call-c")
        ]),
    )
    .await;
    assert_eq!(status, 200, "{results}");
    let results = results.as_array().expect("a bare array");
    assert_eq!(results.len(), 3);
    let mut ids = Vec::new();
    for result in results {
        assert_eq!(result["success"], true, "{result}");
        assert_eq!(result["errors"], json!([]));
        let keys: Vec<&String> = result.as_object().expect("object").keys().collect();
        assert_eq!(keys, ["id", "success", "errors"]);
        let id = result["id"].as_str().expect("id");
        assert!(id.starts_with("00T") && id.len() == 18, "{id}");
        ids.push(id.to_string());
    }
    assert_eq!(
        api_usage(&run).await - usage,
        1,
        "one request, one API call"
    );
    assert_eq!(collection_calls(&run).await, 1);

    let found = tasks_by_call(&run, &access, &["call-a", "call-b", "call-c", "call-x"]).await;
    assert_eq!(found.len(), 3, "{found:?}");
    // Ordered by CallObject: a (sent second), b (first), c (third).
    let expected = [
        (&ids[1], &who_lead, "call-a"),
        (&ids[0], &who_contact, "call-b"),
        (&ids[2], &who_contact, "call-c"),
    ];
    for (record, (id, who, call)) in found.iter().zip(expected) {
        assert_eq!(record["Id"], id.as_str());
        assert_eq!(record["WhoId"], who.as_str());
        assert_eq!(record["CallObject"], call);
        assert_eq!(record["Subject"], "Call");
        assert_eq!(record["Status"], "Completed");
        assert_eq!(record["IsClosed"], true, "Completed closes the Task");
    }
}

#[tokio::test]
async fn each_record_fails_on_its_own_without_all_or_none() {
    let (run, access) = setup().await;
    let who = contact(&run, "Caller").await;
    let mut bad_subtype = task(&who, "call-3");
    bad_subtype["TaskSubtype"] = json!("Fax");
    let (status, results) = create(
        &run,
        &access,
        false,
        json!([
            task(&who, "call-1"),
            task(NO_SUCH_CONTACT, "call-2"),
            bad_subtype,
            {"Subject": "no type"},
            {"attributes": {"type": "Contact"}, "FirstName": "No last name"},
            {"attributes": {"type": "Task"}, "NoSuchField__c": 1},
        ]),
    )
    .await;
    assert_eq!(status, 200, "{results}");
    let results = results.as_array().expect("array");
    assert_eq!(results.len(), 6);
    assert_eq!(results[0]["success"], true);
    let error = |index: usize| {
        let result = &results[index];
        assert_eq!(result["success"], false, "{result}");
        assert!(result.get("id").is_none(), "{result}");
        let errors = result["errors"].as_array().expect("errors");
        assert_eq!(errors.len(), 1, "{result}");
        let keys: Vec<&String> = errors[0].as_object().expect("object").keys().collect();
        assert_eq!(keys, ["statusCode", "message", "fields"]);
        errors[0].clone()
    };
    assert_eq!(
        error(1),
        json!({"statusCode": "INVALID_CROSS_REFERENCE_KEY",
            "message": format!("invalid cross reference id: {NO_SUCH_CONTACT}"), "fields": []})
    );
    assert_eq!(
        error(2)["statusCode"],
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    );
    assert_eq!(error(2)["fields"], json!(["TaskSubtype"]));
    assert_eq!(error(3)["statusCode"], "INVALID_TYPE");
    assert_eq!(
        error(4),
        json!({"statusCode": "REQUIRED_FIELD_MISSING",
            "message": "Required fields are missing: [LastName]", "fields": ["LastName"]})
    );
    assert_eq!(error(5)["statusCode"], "INVALID_FIELD");
    assert_eq!(task_count(&run).await, 1, "only the valid record was saved");
    assert_eq!(tasks_by_call(&run, &access, &["call-1"]).await.len(), 1);
}

#[tokio::test]
async fn all_or_none_saves_nothing_when_one_record_fails() {
    let (run, access) = setup().await;
    let who = contact(&run, "Caller").await;
    let (status, results) = create(
        &run,
        &access,
        true,
        json!([
            task(&who, "call-1"),
            task(NO_SUCH_CONTACT, "call-2"),
            task(&who, "call-3")
        ]),
    )
    .await;
    assert_eq!(status, 200, "{results}");
    let rolled_back = json!({"success": false, "errors": [{
        "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
        "message": "Record rolled back because not all records were valid and the request was using AllOrNone header",
        "fields": []}]});
    assert_eq!(results[0], rolled_back);
    assert_eq!(
        results[1]["errors"][0]["statusCode"],
        "INVALID_CROSS_REFERENCE_KEY"
    );
    assert_eq!(results[2], rolled_back);
    assert_eq!(task_count(&run).await, 0);

    // The same records without the bad one all succeed.
    let (status, results) = create(
        &run,
        &access,
        true,
        json!([task(&who, "call-1"), task(&who, "call-3")]),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        results
            .as_array()
            .expect("array")
            .iter()
            .all(|r| r["success"] == true)
    );
    assert_eq!(task_count(&run).await, 2);
}

#[tokio::test]
async fn more_than_200_records_are_refused_as_a_whole() {
    let (run, access) = setup().await;
    let who = contact(&run, "Caller").await;
    let records: Vec<Value> = (0..201).map(|i| task(&who, &format!("call-{i}"))).collect();
    let (status, body) = create(&run, &access, false, Value::Array(records)).await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!([{"message": "record limit reached. cannot submit more than 200 records into this call",
            "errorCode": "EXCEEDED_ID_LIMIT"}])
    );
    assert_eq!(task_count(&run).await, 0);

    let records: Vec<Value> = (0..200).map(|i| task(&who, &format!("call-{i}"))).collect();
    let (status, body) = create(&run, &access, false, Value::Array(records)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(task_count(&run).await, 200);
}

#[tokio::test]
async fn malformed_bodies_get_a_single_error_object() {
    let (run, access) = setup().await;
    let response = post_raw(&run, &access, "{not json".into())
        .await
        .expect("answer");
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["errorCode"], "JSON_PARSER_ERROR", "{body}");
    assert!(body.is_object());

    for bad in [r#"{"records":[null]}"#, r#"{"allOrNone":false}"#, "[]"] {
        let response = post_raw(&run, &access, bad.into()).await.expect("answer");
        assert_eq!(response.status(), 400, "{bad}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["errorCode"], "INVALID_FIELD", "{bad}: {body}");
        assert!(
            body["message"]
                .as_str()
                .expect("message")
                .starts_with("Json Deserialization failed on token"),
            "{body}"
        );
    }
    assert_eq!(task_count(&run).await, 0);
}

#[tokio::test]
async fn an_expired_token_is_refused_before_anything_is_created() {
    let (run, access) = setup().await;
    let who = contact(&run, "Caller").await;
    run.http
        .post(format!("{}/__sim/tokens/expire-access", run.base))
        .send()
        .await
        .expect("expire");
    let (status, body) = create(&run, &access, false, json!([task(&who, "call-1")])).await;
    assert_eq!(status, 401);
    assert_eq!(body[0]["errorCode"], "INVALID_SESSION_ID");
    assert_eq!(task_count(&run).await, 0);
}

#[tokio::test]
async fn drop_after_commit_creates_the_records_but_loses_the_answer() {
    let (run, access) = setup().await;
    let who = contact(&run, "Caller").await;
    let fault = control(
        &run,
        Method::POST,
        "/faults",
        json!({"endpoint": "composite/sobjects", "kind": "drop_after_commit", "count": 1}),
    )
    .await;
    assert_eq!(fault.status(), 200);

    let body = json!({"allOrNone": false, "records": [task(&who, "call-1"), task(&who, "call-2")]});
    let lost = post_raw(&run, &access, body.to_string()).await;
    assert!(lost.is_err(), "no answer: {lost:?}");
    let found = tasks_by_call(&run, &access, &["call-1", "call-2"]).await;
    assert_eq!(
        found.len(),
        2,
        "committed before the answer was lost: {found:?}"
    );

    // One-shot: the next call is answered.
    let (status, results) = create(&run, &access, false, json!([task(&who, "call-3")])).await;
    assert_eq!(status, 200);
    assert_eq!(results[0]["success"], true);
    assert_eq!(task_count(&run).await, 3);
}

#[tokio::test]
async fn answer_late_creates_the_records_before_the_client_gives_up() {
    let (run, access) = setup().await;
    let who = contact(&run, "Caller").await;
    let fault = control(
        &run,
        Method::POST,
        "/faults",
        json!({"endpoint": "composite/sobjects", "kind": "answer_late", "latency_ms": 5000, "count": 1}),
    )
    .await;
    assert_eq!(fault.status(), 200);

    let body = json!({"allOrNone": false, "records": [task(&who, "late-1")]});
    let late = run
        .http
        .post(format!("{}{COLLECTIONS}", run.base))
        .bearer_auth(&access)
        .header("content-type", "application/json")
        .body(body.to_string())
        .timeout(std::time::Duration::from_millis(1500))
        .send()
        .await;
    let error = late.expect_err("the client's timeout strikes first");
    assert!(error.is_timeout(), "{error:?}");
    let found = tasks_by_call(&run, &access, &["late-1"]).await;
    assert_eq!(found.len(), 1, "committed before the answer: {found:?}");

    // One-shot: the next call is answered at once.
    let (status, results) = create(&run, &access, false, json!([task(&who, "late-2")])).await;
    assert_eq!(status, 200);
    assert_eq!(results[0]["success"], true);
}
