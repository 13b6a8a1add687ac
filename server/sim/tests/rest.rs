mod common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

async fn setup(config: sim::SimConfig) -> (Running, String) {
    let run = start(config).await;
    let token = login(&run).await;
    let access = token["access_token"].as_str().expect("access").to_string();
    (run, access)
}

async fn query(
    run: &Running,
    access: &str,
    path: &str,
    soql: &str,
    batch: Option<usize>,
) -> reqwest::Response {
    let mut request = run
        .http
        .get(format!("{}{path}", run.base))
        .bearer_auth(access)
        .query(&[("q", soql)]);
    if let Some(batch) = batch {
        request = request.header("Sforce-Query-Options", format!("batchSize={batch}"));
    }
    request.send().await.expect("query")
}

#[tokio::test]
async fn query_pages_with_batch_size_and_owner_name() {
    let (run, access) = setup(sim::SimConfig {
        contacts: 1_000,
        leads: 10,
        ..Default::default()
    })
    .await;
    let first = query(
        &run,
        &access,
        "/services/data/v62.0/query/",
        "SELECT Id, Name, Phone, Owner.Name FROM Contact ORDER BY Id",
        Some(200),
    )
    .await;
    assert_eq!(first.status(), 200);
    let mut page: Value = first.json().await.expect("json");
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        pages += 1;
        assert_eq!(page["totalSize"], 1_000);
        let records = page["records"].as_array().expect("records");
        for record in records {
            assert_eq!(record["attributes"]["type"], "Contact");
            assert!(record["Owner"]["Name"].is_string());
            assert_eq!(record["Owner"]["attributes"]["type"], "User");
            seen.push(record["Id"].as_str().expect("id").to_string());
        }
        if page["done"] == true {
            assert!(page.get("nextRecordsUrl").is_none());
            break;
        }
        assert_eq!(records.len(), 200);
        let next = page["nextRecordsUrl"].as_str().expect("next").to_string();
        assert!(next.starts_with("/services/data/v62.0/query/01g"), "{next}");
        page = get(&run, &access, &next).await.json().await.expect("json");
    }
    assert_eq!(pages, 5);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 1_000);
    assert_eq!(sorted, seen);
    // An unknown locator.
    let bad = get(
        &run,
        &access,
        "/services/data/v62.0/query/01gXXXXXXXXXXXXXXX-200",
    )
    .await;
    assert_eq!(bad.status(), 400);
    assert_eq!(
        bad.json::<Value>().await.expect("json")[0]["errorCode"],
        "INVALID_QUERY_LOCATOR"
    );
}

#[tokio::test]
async fn query_errors_are_salesforce_shaped() {
    let (run, access) = setup(small()).await;
    for (soql, code) in [
        ("SELECT Id FROM Nope", "INVALID_TYPE"),
        ("SELECT Nope FROM Contact", "INVALID_FIELD"),
        ("SELEKT Id FROM Contact", "MALFORMED_QUERY"),
    ] {
        let response = query(&run, &access, "/services/data/v62.0/query", soql, None).await;
        assert_eq!(response.status(), 400, "{soql}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body[0]["errorCode"], code, "{soql}: {body}");
    }
    let count: Value = query(
        &run,
        &access,
        "/services/data/v62.0/query",
        "SELECT COUNT() FROM Lead",
        None,
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(count["totalSize"], 20);
    assert_eq!(count["records"], json!([]));
}

#[tokio::test]
async fn offset_above_2000_is_number_outside_valid_range() {
    let (run, access) = setup(small()).await;
    let response = query(
        &run,
        &access,
        "/services/data/v62.0/query",
        "SELECT Id FROM Contact ORDER BY Id OFFSET 2001",
        None,
    )
    .await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.text().await.expect("body"),
        r#"[{"message":"Maximum SOQL offset allowed is 2000","errorCode":"NUMBER_OUTSIDE_VALID_RANGE"}]"#
    );
    // the largest allowed offset is a normal (here empty) result
    let ok = query(
        &run,
        &access,
        "/services/data/v62.0/query",
        "SELECT Id FROM Contact ORDER BY Id OFFSET 2000",
        None,
    )
    .await;
    assert_eq!(ok.status(), 200);
    let ok: Value = ok.json().await.expect("json");
    assert_eq!(ok["records"], json!([]));
}

#[tokio::test]
async fn malformed_record_ids_are_400_malformed_id_and_unknown_ids_404() {
    let (run, access) = setup(small()).await;
    let base = format!("{}/services/data/v62.0/sobjects", run.base);
    let lead: Value = query(
        &run,
        &access,
        "/services/data/v62.0/query",
        "SELECT Id FROM Lead LIMIT 1",
        None,
    )
    .await
    .json()
    .await
    .expect("json");
    let lead_id = lead["records"][0]["Id"].as_str().expect("lead").to_string();
    let malformed = [
        "abc".to_string(),                  // too short
        "0030000000000000AAAA".to_string(), // 20 chars
        "003000000000000-AA".to_string(),   // not alphanumeric
        "003000000000000ZZZ".to_string(),   // 18 chars, wrong case-safe suffix
        lead_id.clone(),                    // a Lead id under Contact
        lead_id[..15].to_string(),          // the same as a 15-char id
    ];
    for id in &malformed {
        let expected = format!(
            r#"[{{"message":"Contact ID: id value of incorrect type: {id}","errorCode":"MALFORMED_ID","fields":["Id"]}}]"#
        );
        for method in [Method::GET, Method::PATCH, Method::DELETE] {
            let mut request = run
                .http
                .request(method.clone(), format!("{base}/Contact/{id}"))
                .bearer_auth(&access);
            if method == Method::PATCH {
                request = request.json(&json!({"Phone": "1"}));
            }
            let response = request.send().await.expect("request");
            assert_eq!(response.status(), 400, "{method} {id}");
            let body: Value = response.json().await.expect("json");
            assert_eq!(
                body,
                serde_json::from_str::<Value>(&expected).expect("expected"),
                "{method} {id}"
            );
        }
    }
    // Well-formed ids of the right object that match no record stay 404 NOT_FOUND.
    for id in ["003000000000000AAA", "003000000000000"] {
        for method in [Method::GET, Method::PATCH, Method::DELETE] {
            let mut request = run
                .http
                .request(method.clone(), format!("{base}/Contact/{id}"))
                .bearer_auth(&access);
            if method == Method::PATCH {
                request = request.json(&json!({"Phone": "1"}));
            }
            let response = request.send().await.expect("request");
            assert_eq!(response.status(), 404, "{method} {id}");
            assert_eq!(
                response.text().await.expect("body"),
                r#"[{"message":"The requested resource does not exist","errorCode":"NOT_FOUND"}]"#
            );
        }
    }
    // The Lead id is fine under Lead.
    assert_eq!(
        get(
            &run,
            &access,
            &format!("/services/data/v62.0/sobjects/Lead/{lead_id}")
        )
        .await
        .status(),
        200
    );
}

#[tokio::test]
async fn crud_status_codes_and_query_all() {
    let (run, access) = setup(small()).await;
    let base = format!("{}/services/data/v62.0/sobjects", run.base);
    let created = run
        .http
        .post(format!("{base}/Contact/"))
        .bearer_auth(&access)
        .json(&json!({"FirstName": "Ada", "LastName": "Lovelace", "Phone": "+44 20 7946 0000"}))
        .send()
        .await
        .expect("create");
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.expect("json");
    assert_eq!(created["success"], true);
    let id = created["id"].as_str().expect("id").to_string();
    assert!(id.starts_with("003") && id.len() == 18);
    assert_eq!(sim::ids::normalize(&id[..15]).as_deref(), Some(id.as_str()));

    let record: Value = get(
        &run,
        &access,
        &format!("/services/data/v62.0/sobjects/Contact/{id}"),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(record["Name"], "Ada Lovelace");
    assert_eq!(record["IsDeleted"], false);
    assert!(
        record["SystemModstamp"]
            .as_str()
            .is_some_and(|s| s.ends_with(".000+0000"))
    );
    let some: Value = get(
        &run,
        &access,
        &format!(
            "/services/data/v62.0/sobjects/Contact/{}?fields=Phone",
            &id[..15]
        ),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(some["Phone"], "+44 20 7946 0000");
    assert!(some.get("Email").is_none());

    let patched = run
        .http
        .patch(format!("{base}/Contact/{id}"))
        .bearer_auth(&access)
        .json(&json!({"Phone": null}))
        .send()
        .await
        .expect("patch");
    assert_eq!(patched.status(), 204);
    let bad = run
        .http
        .patch(format!("{base}/Contact/{id}"))
        .bearer_auth(&access)
        .json(&json!({"Nope": 1}))
        .send()
        .await
        .expect("patch");
    assert_eq!(bad.status(), 400);
    assert_eq!(
        bad.json::<Value>().await.expect("json")[0]["errorCode"],
        "INVALID_FIELD"
    );
    let missing = run
        .http
        .post(format!("{base}/Lead"))
        .bearer_auth(&access)
        .json(&json!({"LastName": "X"}))
        .send()
        .await
        .expect("post");
    assert_eq!(missing.status(), 400);
    let missing: Value = missing.json().await.expect("json");
    assert_eq!(missing[0]["errorCode"], "REQUIRED_FIELD_MISSING");
    assert_eq!(missing[0]["fields"], json!(["Company"]));

    let unknown = get(
        &run,
        &access,
        "/services/data/v62.0/sobjects/Contact/003000000000000AAA",
    )
    .await;
    assert_eq!(unknown.status(), 404);
    assert_eq!(
        unknown.json::<Value>().await.expect("json")[0]["errorCode"],
        "NOT_FOUND"
    );

    let deleted = run
        .http
        .delete(format!("{base}/Contact/{id}"))
        .bearer_auth(&access)
        .send()
        .await
        .expect("delete");
    assert_eq!(deleted.status(), 204);
    let again = run
        .http
        .delete(format!("{base}/Contact/{id}"))
        .bearer_auth(&access)
        .send()
        .await
        .expect("delete");
    assert_eq!(again.status(), 404);
    assert_eq!(
        again.text().await.expect("body"),
        r#"[{"message":"entity is deleted","errorCode":"ENTITY_IS_DELETED","fields":[]}]"#
    );
    assert_eq!(
        get(
            &run,
            &access,
            &format!("/services/data/v62.0/sobjects/Contact/{id}")
        )
        .await
        .status(),
        404
    );

    let soql = format!("SELECT Id, IsDeleted FROM Contact WHERE Id = '{id}'");
    let live: Value = query(&run, &access, "/services/data/v62.0/query", &soql, None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(live["totalSize"], 0);
    let all: Value = query(&run, &access, "/services/data/v62.0/queryAll", &soql, None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(all["totalSize"], 1);
    assert_eq!(all["records"][0]["IsDeleted"], true);

    // Undelete and purge through the control API.
    assert_eq!(
        control(
            &run,
            Method::POST,
            &format!("/records/Contact/{id}/undelete"),
            Value::Null
        )
        .await
        .status(),
        204
    );
    assert_eq!(
        get(
            &run,
            &access,
            &format!("/services/data/v62.0/sobjects/Contact/{id}")
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        control(
            &run,
            Method::POST,
            &format!("/records/Contact/{id}/purge"),
            Value::Null
        )
        .await
        .status(),
        204
    );
    let gone: Value = query(&run, &access, "/services/data/v62.0/queryAll", &soql, None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(gone["totalSize"], 0);

    // A call logged as a Task against a Lead.
    let lead: Value = query(
        &run,
        &access,
        "/services/data/v62.0/query",
        "SELECT Id FROM Lead LIMIT 1",
        None,
    )
    .await
    .json()
    .await
    .expect("json");
    let lead_id = lead["records"][0]["Id"].as_str().expect("lead").to_string();
    let task = run
        .http
        .post(format!("{base}/Task"))
        .bearer_auth(&access)
        .json(&json!({"Subject": "Call", "Status": "Completed", "TaskSubtype": "Call", "CallType": "Outbound",
            "CallDurationInSeconds": 59, "CallDisposition": "Connected", "CallObject": "dialer-1", "WhoId": lead_id,
            "ActivityDate": "2024-01-31"}))
        .send()
        .await
        .expect("task");
    assert_eq!(task.status(), 201);
    let task_id = task.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_string();
    assert!(task_id.starts_with("00T"));
    let task: Value = get(
        &run,
        &access,
        &format!("/services/data/v62.0/sobjects/Task/{task_id}"),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(task["IsClosed"], true);
}

#[tokio::test]
async fn discovery_describe_and_limits() {
    let (run, access) = setup(small()).await;
    let versions: Value = run
        .http
        .get(format!("{}/services/data", run.base))
        .send()
        .await
        .expect("v")
        .json()
        .await
        .expect("json");
    assert_eq!(
        versions
            .as_array()
            .and_then(|v| v.last())
            .map(|v| v["label"].clone()),
        Some("Winter '25".into())
    );
    let resources: Value = get(&run, &access, "/services/data/v59.0/")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(resources["query"], "/services/data/v59.0/query");
    let sobjects: Value = get(&run, &access, "/services/data/v62.0/sobjects")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(sobjects["maxBatchSize"], 200);
    let describe: Value = get(
        &run,
        &access,
        "/services/data/v62.0/sobjects/Lead/describe/",
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(describe["keyPrefix"], "00Q");
    assert!(
        describe["fields"]
            .as_array()
            .is_some_and(|f| f.iter().any(|f| f["name"] == "Company"))
    );
    assert_eq!(
        get(&run, &access, "/services/data/v62.0/sobjects/Nope/describe")
            .await
            .status(),
        404
    );
    assert_eq!(
        get(&run, &access, "/services/data/v99.0/limits")
            .await
            .status(),
        404
    );

    let first = get(&run, &access, "/services/data/v62.0/limits/").await;
    let header = first.headers()["sforce-limit-info"]
        .to_str()
        .expect("header")
        .to_string();
    let limits: Value = first.json().await.expect("json");
    assert_eq!(limits["DailyApiRequests"]["Max"], 15_000);
    let used: u64 = header
        .trim_start_matches("api-usage=")
        .split('/')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("usage");
    let second = get(&run, &access, "/services/data/v62.0/limits").await;
    assert_eq!(
        second.headers()["sforce-limit-info"]
            .to_str()
            .expect("header"),
        format!("api-usage={}/15000", used + 1)
    );

    // Exhausted allocation.
    control(
        &run,
        Method::PATCH,
        "/org",
        json!({"daily_api_max": used + 1}),
    )
    .await;
    let refused = get(&run, &access, "/services/data/v62.0/limits").await;
    assert_eq!(refused.status(), 403);
    assert_eq!(
        refused.text().await.expect("body"),
        r#"[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]"#
    );
}

#[tokio::test]
async fn updated_and_deleted_windows() {
    let (run, access) = setup(small()).await;
    let created = control(
        &run,
        Method::POST,
        "/records/Contact?stamp=2026-01-10T10:00:00Z",
        json!({"LastName": "Window"}),
    )
    .await;
    let id = created.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let other = control(
        &run,
        Method::POST,
        "/records/Lead?stamp=2026-01-10T10:00:00Z",
        json!({"LastName": "Gone", "Company": "X"}),
    )
    .await;
    let lead = other.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_string();
    assert_eq!(
        control(
            &run,
            Method::DELETE,
            &format!("/records/Lead/{lead}?stamp=2026-01-10T11:30:00Z"),
            Value::Null
        )
        .await
        .status(),
        204
    );

    let updated: Value = get(&run, &access, "/services/data/v62.0/sobjects/Contact/updated/?start=2026-01-10T09%3A00%3A00%2B00%3A00&end=2026-01-10T11%3A00%3A00%2B00%3A00").await.json().await.expect("json");
    assert_eq!(updated["ids"], json!([id]));
    assert_eq!(updated["latestDateCovered"], "2026-01-10T11:00:00.000+0000");
    let deleted: Value = get(&run, &access, "/services/data/v62.0/sobjects/Lead/deleted/?start=2026-01-10T11:00:00Z&end=2026-01-10T12:00:00Z").await.json().await.expect("json");
    assert_eq!(deleted["deletedRecords"][0]["id"], lead);
    assert_eq!(
        deleted["deletedRecords"][0]["deletedDate"],
        "2026-01-10T11:30:00.000+0000"
    );
    let bad = get(
        &run,
        &access,
        "/services/data/v62.0/sobjects/Lead/deleted/?start=garbage&end=2026-01-10T12:00:00Z",
    )
    .await;
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn later_pages_come_from_the_snapshot_taken_when_the_query_ran() {
    let (run, access) = setup(sim::SimConfig {
        contacts: 450,
        leads: 0,
        ..Default::default()
    })
    .await;
    let listed: Value = control(&run, Method::GET, "/records/Contact", json!(null))
        .await
        .json()
        .await
        .expect("json");
    let mut before: Vec<(String, Value)> = listed["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|r| {
            (
                r["Id"].as_str().expect("id").to_string(),
                r["Phone"].clone(),
            )
        })
        .collect();
    before.sort_by(|a, b| a.0.cmp(&b.0));
    let ids: Vec<String> = before.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(ids.len(), 450);

    let soql = "SELECT Id, Phone FROM Contact ORDER BY Id";
    let first: Value = query(&run, &access, "/services/data/v62.0/query", soql, Some(200))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(first["totalSize"], 450);
    assert_eq!(first["done"], false);
    let first_ids: Vec<&str> = first["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|r| r["Id"].as_str().expect("id"))
        .collect();
    assert_eq!(first_ids, ids[..200]);

    // Between pages: one row of page 2 changes, another is purged.
    let changed = control(
        &run,
        Method::PATCH,
        &format!("/records/Contact/{}", ids[250]),
        json!({"Phone": "+1 415 555 0250"}),
    )
    .await;
    assert_eq!(changed.status(), 204);
    let purged = control(
        &run,
        Method::DELETE,
        &format!("/records/Contact/{}?hard=true", ids[300]),
        json!(null),
    )
    .await;
    assert_eq!(purged.status(), 204);
    assert_ne!(before[250].1, json!("+1 415 555 0250"));

    // Page 2 still shows the result as it was when the query ran.
    let next = first["nextRecordsUrl"].as_str().expect("next");
    assert!(next.ends_with("-200"), "{next}");
    let second: Value = get(&run, &access, next).await.json().await.expect("json");
    assert_eq!(second["totalSize"], 450);
    assert_eq!(second["done"], false);
    let records = second["records"].as_array().expect("records");
    let second_rows: Vec<(String, Value)> = records
        .iter()
        .map(|r| {
            (
                r["Id"].as_str().expect("id").to_string(),
                r["Phone"].clone(),
            )
        })
        .collect();
    assert_eq!(second_rows, before[200..400]);
    assert_eq!(
        records[50]["attributes"]["url"],
        format!("/services/data/v62.0/sobjects/Contact/{}", ids[250])
    );

    // A new query sees the change and no longer the purged row.
    let fresh: Value = query(&run, &access, "/services/data/v62.0/query", soql, Some(200))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(fresh["totalSize"], 449);
    let fresh_next = fresh["nextRecordsUrl"].as_str().expect("next");
    assert_ne!(fresh_next, next, "every query opens its own locator");
    let fresh_second: Value = get(&run, &access, fresh_next)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(fresh_second["records"][50]["Id"], ids[250].as_str());
    assert_eq!(fresh_second["records"][50]["Phone"], "+1 415 555 0250");
    assert_eq!(fresh_second["records"][100]["Id"], ids[301].as_str());

    let next = second["nextRecordsUrl"].as_str().expect("next");
    assert!(next.ends_with("-400"), "{next}");
    let third: Value = get(&run, &access, next).await.json().await.expect("json");
    assert_eq!(third["done"], true);
    assert!(third.get("nextRecordsUrl").is_none());
    assert_eq!(third["records"].as_array().map(Vec::len), Some(50));
    assert_eq!(third["records"][49]["Id"], ids[449].as_str());
    // The locator stays open until it expires: a page can be read again.
    let again: Value = get(&run, &access, next).await.json().await.expect("json");
    assert_eq!(again["records"], third["records"]);
}
