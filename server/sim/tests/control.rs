mod common;

use std::time::{Duration, Instant};

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

async fn setup() -> (Running, String) {
    let run = start(small()).await;
    let token = login(&run).await;
    let access = token["access_token"].as_str().expect("access").to_string();
    (run, access)
}

async fn counters(run: &Running) -> Value {
    run.http
        .get(format!("{}/__sim/counters", run.base))
        .send()
        .await
        .expect("counters")
        .json()
        .await
        .expect("json")
}

#[tokio::test]
async fn fail_fault_answers_the_next_n_calls_then_stops() {
    let (run, access) = setup().await;
    let fault = json!({"endpoint": "query", "kind": "fail", "count": 2, "status": 503,
        "error_code": "SERVER_UNAVAILABLE", "message": "server temporarily unavailable"});
    assert_eq!(
        control(&run, Method::POST, "/faults", fault).await.status(),
        200
    );
    let url = "/services/data/v62.0/query?q=SELECT+Id+FROM+Contact+LIMIT+1";
    for _ in 0..2 {
        let response = get(&run, &access, url).await;
        assert_eq!(response.status(), 503);
        assert!(response.headers().contains_key("sforce-limit-info"));
        assert_eq!(
            response.text().await.expect("body"),
            r#"[{"message":"server temporarily unavailable","errorCode":"SERVER_UNAVAILABLE"}]"#
        );
    }
    assert_eq!(get(&run, &access, url).await.status(), 200);
    // Other endpoints were never affected.
    assert_eq!(
        get(&run, &access, "/services/data/v62.0/limits")
            .await
            .status(),
        200
    );

    // OAuth endpoints fail with OAuth-shaped bodies.
    let fault = json!({"endpoint": "oauth/token", "kind": "fail", "count": 1, "status": 400,
        "error_code": "invalid_grant", "message": "expired access/refresh token"});
    control(&run, Method::POST, "/faults", fault).await;
    let response = run
        .http
        .post(format!("{}/services/oauth2/token", run.base))
        .form(&[("grant_type", "refresh_token")])
        .send()
        .await
        .expect("token");
    assert_eq!(
        response.json::<Value>().await.expect("json"),
        json!({"error": "invalid_grant", "error_description": "expired access/refresh token"})
    );
}

#[tokio::test]
async fn latency_and_drop_faults() {
    let (run, access) = setup().await;
    control(
        &run,
        Method::POST,
        "/faults",
        json!({"endpoint": "limits", "kind": "latency", "latency_ms": 300, "count": 1}),
    )
    .await;
    let started = Instant::now();
    assert_eq!(
        get(&run, &access, "/services/data/v62.0/limits")
            .await
            .status(),
        200
    );
    assert!(started.elapsed() >= Duration::from_millis(300));
    let started = Instant::now();
    get(&run, &access, "/services/data/v62.0/limits").await;
    assert!(started.elapsed() < Duration::from_millis(300));

    control(
        &run,
        Method::POST,
        "/faults",
        json!({"endpoint": "*", "kind": "drop", "count": 1}),
    )
    .await;
    let dropped = run
        .http
        .get(format!("{}/services/data/v62.0/limits", run.base))
        .bearer_auth(&access)
        .send()
        .await;
    assert!(dropped.is_err(), "{dropped:?}");
    assert_eq!(
        get(&run, &access, "/services/data/v62.0/limits")
            .await
            .status(),
        200
    );

    // Unlimited faults stay until cleared.
    control(&run, Method::POST, "/faults", json!({"endpoint": "limits", "kind": "fail", "status": 500, "error_code": "UNKNOWN_EXCEPTION"})).await;
    assert_eq!(
        get(&run, &access, "/services/data/v62.0/limits")
            .await
            .status(),
        500
    );
    assert_eq!(
        get(&run, &access, "/services/data/v62.0/limits")
            .await
            .status(),
        500
    );
    assert_eq!(
        control(&run, Method::DELETE, "/faults", Value::Null)
            .await
            .status(),
        204
    );
    assert_eq!(
        get(&run, &access, "/services/data/v62.0/limits")
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn latency_and_drop_faults_on_the_token_endpoint() {
    let run = start(small()).await;
    let (client_id, secret) = run.sim.client_credentials();
    let (username, password) = run.sim.users()[0].clone();
    let form = [
        ("grant_type", "password"),
        ("client_id", client_id.as_str()),
        ("client_secret", secret.as_str()),
        ("username", username.as_str()),
        ("password", password.as_str()),
    ];
    let url = format!("{}/services/oauth2/token", run.base);

    control(
        &run,
        Method::POST,
        "/faults",
        json!({"endpoint": "oauth/token", "kind": "latency", "latency_ms": 300, "count": 1}),
    )
    .await;
    let started = Instant::now();
    let slow = run.http.post(&url).form(&form).send().await.expect("token");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(slow.status(), 200);
    assert!(slow.json::<Value>().await.expect("json")["access_token"].is_string());
    let started = Instant::now();
    assert_eq!(
        run.http
            .post(&url)
            .form(&form)
            .send()
            .await
            .expect("token")
            .status(),
        200
    );
    assert!(started.elapsed() < Duration::from_millis(300));

    control(
        &run,
        Method::POST,
        "/faults",
        json!({"endpoint": "oauth/token", "kind": "drop", "count": 1}),
    )
    .await;
    let dropped = match run.http.post(&url).form(&form).send().await {
        Err(_) => true,
        Ok(response) => response.bytes().await.is_err(),
    };
    assert!(dropped, "the connection must close without an answer");
    // Other endpoints were not affected, and the next token call works.
    assert_eq!(
        run.http
            .get(format!("{}/services/data", run.base))
            .send()
            .await
            .expect("versions")
            .status(),
        200
    );
    assert_eq!(
        run.http
            .post(&url)
            .form(&form)
            .send()
            .await
            .expect("token")
            .status(),
        200
    );
    assert_eq!(counters(&run).await["endpoints"]["oauth/token"], 4);
}

#[tokio::test]
async fn counters_count_per_endpoint_and_reset() {
    let (run, access) = setup().await;
    let before = counters(&run).await;
    assert_eq!(before["endpoints"]["oauth/token"], 1);
    assert_eq!(before["endpoints"]["oauth/authorize"], 2);
    assert_eq!(
        control(&run, Method::DELETE, "/counters", Value::Null)
            .await
            .status(),
        204
    );
    let zero = counters(&run).await;
    assert_eq!(zero["total"], 0);
    get(
        &run,
        &access,
        "/services/data/v62.0/query/?q=SELECT+Id+FROM+Lead",
    )
    .await;
    get(&run, &access, "/services/data/v62.0/sobjects/Lead/describe").await;
    get(&run, &access, "/services/data/v62.0/sobjects/Lead/describe").await;
    let after = counters(&run).await;
    assert_eq!(after["endpoints"]["query"], 1);
    assert_eq!(after["endpoints"]["describe"], 2);
    assert_eq!(after["total"], 3);
    // Control calls are not counted ("no call was made while paused").
    control(&run, Method::GET, "/records/Contact", Value::Null).await;
    assert_eq!(counters(&run).await["total"], 3);
}

#[tokio::test]
async fn change_events_follow_cdc_selection_and_edition() {
    let (run, access) = setup().await;
    let base = format!("{}/services/data/v62.0/sobjects", run.base);
    let start = tip(&run).await;
    let created = run
        .http
        .post(format!("{base}/Contact"))
        .bearer_auth(&access)
        .header("Sforce-Call-Options", "client=dialer")
        .json(&json!({"FirstName": "Grace", "LastName": "Hopper", "Phone": "+1 415-555-0100"}))
        .send()
        .await
        .expect("create");
    let id = created.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_string();
    run.http
        .patch(format!("{base}/Contact/{id}"))
        .bearer_auth(&access)
        .json(&json!({"LastName": "Murray", "Phone": null}))
        .send()
        .await
        .expect("patch");
    run.http
        .delete(format!("{base}/Contact/{id}"))
        .bearer_auth(&access)
        .send()
        .await
        .expect("delete");
    control(
        &run,
        Method::POST,
        &format!("/records/Contact/{id}/undelete"),
        Value::Null,
    )
    .await;
    let list = events(&run, start).await;
    assert_eq!(list.len(), 4, "{list:?}");
    let header = |i: usize| list[i]["payload"]["ChangeEventHeader"].clone();
    assert_eq!(header(0)["changeType"], "CREATE");
    assert_eq!(
        header(0)["changeOrigin"],
        "com/salesforce/api/rest/62.0;client=dialer"
    );
    assert_eq!(header(0)["recordIds"], json!([id]));
    assert!(
        header(0)["commitUser"]
            .as_str()
            .is_some_and(|u| u.starts_with("005"))
    );
    assert_eq!(
        list[0]["payload"]["Name"],
        json!({"FirstName": "Grace", "LastName": "Hopper"})
    );
    assert!(list[0]["payload"].get("SystemModstamp").is_none());
    assert!(list[0]["payload"].get("IsDeleted").is_none());
    assert_eq!(header(1)["changeType"], "UPDATE");
    assert_eq!(
        header(1)["changedFields"],
        json!(["Name.LastName", "Phone", "LastModifiedDate"])
    );
    assert_eq!(list[1]["payload"]["Name"], json!({"LastName": "Murray"}));
    assert_eq!(list[1]["payload"]["Phone"], Value::Null);
    assert!(list[1]["payload"].get("Email").is_none());
    assert_eq!(header(2)["changeType"], "DELETE");
    assert_eq!(list[2]["payload"].as_object().map(|m| m.len()), Some(1));
    assert_eq!(header(3)["changeType"], "UNDELETE");
    assert_eq!(list[3]["payload"]["Name"]["LastName"], "Murray");
    assert_eq!(header(3)["changeOrigin"], "");

    // Tasks are not selected by default.
    let start = tip(&run).await;
    let task = run
        .http
        .post(format!("{base}/Task"))
        .bearer_auth(&access)
        .json(&json!({"Subject": "Call"}))
        .send()
        .await
        .expect("task");
    assert_eq!(task.status(), 201);
    assert!(events(&run, start).await.is_empty());

    // Deselect Contact: no events for it; Lead still publishes.
    control(
        &run,
        Method::PATCH,
        "/org",
        json!({"cdc_entities": ["Lead", "Task"]}),
    )
    .await;
    let start = tip(&run).await;
    run.http
        .patch(format!("{base}/Contact/{id}"))
        .bearer_auth(&access)
        .json(&json!({"Title": "Admiral"}))
        .send()
        .await
        .expect("patch");
    assert!(events(&run, start).await.is_empty());
    control(
        &run,
        Method::POST,
        "/generate/records",
        json!({"object": "Lead", "count": 2}),
    )
    .await;
    let leads = events(&run, start).await;
    assert_eq!(leads.len(), 2);
    assert_eq!(leads[0]["entity"], "Lead");

    // Gap and overflow events.
    let gap: Value = control(&run, Method::POST, "/cdc/gap", json!({"entity": "Lead", "change_type": "GAP_UPDATE", "record_ids": ["00Q8d0000000001AAA"]})).await.json().await.expect("json");
    assert!(gap["replay_id"].is_i64());
    control(
        &run,
        Method::POST,
        "/cdc/overflow",
        json!({"entity": "Lead"}),
    )
    .await;
    let tail = events(&run, start + 2).await;
    assert_eq!(
        tail[0]["payload"]["ChangeEventHeader"]["changeType"],
        "GAP_UPDATE"
    );
    assert_eq!(
        tail[1]["payload"]["ChangeEventHeader"]["changeType"],
        "GAP_OVERFLOW"
    );
    assert_eq!(
        tail[1]["payload"]["ChangeEventHeader"]["recordIds"],
        json!(["000000000000000AAA"])
    );

    // Professional edition: no API, no CDC.
    control(
        &run,
        Method::PATCH,
        "/org",
        json!({"edition": "Professional"}),
    )
    .await;
    let refused = get(&run, &access, "/services/data/v62.0/limits").await;
    assert_eq!(refused.status(), 403);
    assert_eq!(
        refused.json::<Value>().await.expect("json")[0]["errorCode"],
        "API_DISABLED_FOR_ORG"
    );
    let start = tip(&run).await;
    control(
        &run,
        Method::POST,
        "/generate/records",
        json!({"object": "Lead", "count": 1}),
    )
    .await;
    assert!(events(&run, start).await.is_empty());
}

#[tokio::test]
async fn shared_modstamp_and_late_commit_generators() {
    let (run, access) = setup().await;
    let shared: Value = control(
        &run,
        Method::POST,
        "/generate/shared-modstamp",
        json!({"object": "Contact", "count": 30}),
    )
    .await
    .json()
    .await
    .expect("json");
    let stamp = shared["systemModstamp"]
        .as_str()
        .expect("stamp")
        .to_string();
    assert_eq!(shared["ids"].as_array().map(Vec::len), Some(30));
    let soql = format!(
        "SELECT Id FROM Contact WHERE SystemModstamp = {}",
        stamp.replace(".000+0000", "Z")
    );
    let page: Value = get(
        &run,
        &access,
        &format!("/services/data/v62.0/query?q={}", urlencode(&soql)),
    )
    .await
    .json()
    .await
    .expect("json");
    assert!(
        page["totalSize"].as_u64().is_some_and(|n| n >= 30),
        "{page}"
    );

    let newest: Value = get(
        &run,
        &access,
        &format!(
            "/services/data/v62.0/query?q={}",
            urlencode("SELECT SystemModstamp FROM Contact ORDER BY SystemModstamp DESC LIMIT 1")
        ),
    )
    .await
    .json()
    .await
    .expect("json");
    let served = newest["records"][0]["SystemModstamp"]
        .as_str()
        .expect("stamp")
        .to_string();
    let late: Value = control(
        &run,
        Method::POST,
        "/generate/late-commit",
        json!({"object": "Contact", "count": 1, "lag_seconds": 600}),
    )
    .await
    .json()
    .await
    .expect("json");
    let late_stamp = late["systemModstamp"].as_str().expect("stamp").to_string();
    assert!(
        late_stamp < served,
        "{late_stamp} should be older than {served}"
    );
    let id = late["ids"][0].as_str().expect("id");
    let record: Value = get(
        &run,
        &access,
        &format!("/services/data/v62.0/sobjects/Contact/{id}"),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(record["SystemModstamp"], late_stamp);
    // Bulk generation through the control API.
    let generated: Value = control(
        &run,
        Method::POST,
        "/generate/records",
        json!({"object": "Contact", "count": 100}),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(generated["ids"].as_array().map(Vec::len), Some(100));
    let count: Value = get(
        &run,
        &access,
        "/services/data/v62.0/query?q=SELECT+COUNT()+FROM+Contact",
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(count["totalSize"], 150);
}

#[tokio::test]
async fn seed_is_deterministic() {
    let a = start(small()).await;
    let b = start(small()).await;
    let records = |run: &Running| {
        let url = format!("{}/__sim/records/Contact", run.base);
        let http = run.http.clone();
        async move {
            http.get(url)
                .send()
                .await
                .expect("records")
                .json::<Value>()
                .await
                .expect("json")
        }
    };
    let (ra, rb) = (records(&a).await, records(&b).await);
    assert_eq!(ra, rb);
    let phones: Vec<&Value> = ra["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|r| &r["Phone"])
        .collect();
    assert!(phones.iter().any(|p| p.is_null()));
    assert!(
        phones
            .iter()
            .filter_map(|p| p.as_str())
            .any(|p| p.starts_with('+'))
    );
    assert!(
        phones
            .iter()
            .filter_map(|p| p.as_str())
            .any(|p| p.starts_with('(') || p.contains('.'))
    );
}

fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn event_counts_give_the_changes_of_each_record() {
    let (run, _) = setup().await;
    let created: Value = control(
        &run,
        Method::POST,
        "/records/Contact",
        json!({"LastName": "Counted"}),
    )
    .await
    .json()
    .await
    .expect("json");
    let id = created["id"].as_str().expect("id").to_string();
    let record = format!("/records/Contact/{id}");
    control(&run, Method::PATCH, &record, json!({"Phone": "+15550001"})).await;
    control(&run, Method::DELETE, &record, Value::Null).await;
    control(&run, Method::POST, &format!("{record}/undelete"), json!({})).await;
    control(
        &run,
        Method::POST,
        "/generate/bulk-update",
        json!({"object": "Contact", "ids": [id.clone()]}),
    )
    .await;
    control(
        &run,
        Method::POST,
        "/records/Lead",
        json!({"LastName": "L", "Company": "C"}),
    )
    .await;

    let counts: Value = control(
        &run,
        Method::GET,
        "/events/counts?entity=Contact",
        Value::Null,
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(counts["complete"], true);
    assert_eq!(counts["records"][&id], 5, "{counts}");
    assert_eq!(
        counts["records"].as_object().map(|m| m.len()),
        Some(1),
        "seeded records published nothing; the Lead is another entity: {counts}"
    );
    let refused = control(&run, Method::GET, "/events/counts", Value::Null).await;
    assert_eq!(refused.status(), 400);
}
