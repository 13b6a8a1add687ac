//! REST beyond GET against the simulator over HTTP: POST/PATCH with one refresh on an expired
//! token, `fetch_by_ids` (deleted records, chunking, untrusted ids) and error classes.

mod common;

use common::*;
use reqwest::Method;
use salesforce::{ErrorClass, SalesforceError};
use serde_json::{Value, json};

const CONTACTS: &str = "/services/data/v62.0/sobjects/Contact";

#[tokio::test]
async fn post_and_patch_work_and_refresh_once_on_an_expired_token() {
    let sim = start(small()).await;
    let created: Value = bounded(
        "create",
        sim.session
            .post_json(CONTACTS, &json!({"LastName": "Posted"})),
    )
    .await
    .expect("created");
    assert_eq!(created["success"], true, "{created}");
    let id = created["id"].as_str().expect("id").to_string();
    let record = format!("{CONTACTS}/{id}");
    bounded(
        "update",
        sim.session
            .patch_json(&record, &json!({"Phone": "+1 555 0100"})),
    )
    .await
    .expect("updated");
    let stored = sim
        .control(Method::GET, &format!("records/Contact/{id}"), None)
        .await;
    assert_eq!(stored["Phone"], "+1 555 0100");

    let token_calls = sim.endpoint_calls("oauth/token").await;
    sim.post("tokens/expire-access").await;
    bounded(
        "update after expiry",
        sim.session
            .patch_json(&record, &json!({"Phone": "+1 555 0101"})),
    )
    .await
    .expect("updated after a refresh");
    let again: Value = bounded(
        "create after refresh",
        sim.session
            .post_json(CONTACTS, &json!({"LastName": "Again"})),
    )
    .await
    .expect("created with the new token");
    assert_eq!(again["success"], true);
    assert_eq!(
        sim.endpoint_calls("oauth/token").await - token_calls,
        1,
        "one refresh"
    );
    assert_eq!(sim.store.saved(), 1);
    let stored = sim
        .control(Method::GET, &format!("records/Contact/{id}"), None)
        .await;
    assert_eq!(stored["Phone"], "+1 555 0101");

    // A POST refused with an expired token is refreshed and sent again too.
    sim.post("tokens/expire-access").await;
    let third: Value = bounded(
        "create after a second expiry",
        sim.session
            .post_json(CONTACTS, &json!({"LastName": "Third"})),
    )
    .await
    .expect("created after a refresh");
    assert_eq!(third["success"], true);
    assert_eq!(sim.endpoint_calls("oauth/token").await - token_calls, 2);
}

#[tokio::test]
async fn a_patch_salesforce_refuses_is_an_api_error() {
    let sim = start(small()).await;
    let id = sim.create_contact("Refused").await;
    let error = bounded(
        "update",
        sim.session
            .patch_json(&format!("{CONTACTS}/{id}"), &json!({"NoSuchField__c": 1})),
    )
    .await
    .expect_err("an unknown field");
    assert!(
        matches!(error, SalesforceError::Api { status: 400, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn fetch_by_ids_returns_deleted_records_with_is_deleted() {
    let sim = start(small()).await;
    let kept = sim.create_contact("Kept").await;
    let gone = sim.create_contact("Gone").await;
    sim.control(Method::DELETE, &format!("records/Contact/{gone}"), None)
        .await;
    let unknown = "003000000000000AAA".to_string();

    let records = bounded(
        "fetch",
        sim.session.fetch_by_ids(
            "Contact",
            &["LastName", "Phone"],
            &[kept.clone(), gone.clone(), kept.clone(), unknown],
        ),
    )
    .await
    .expect("records");
    assert_eq!(records.len(), 2, "{records:?}");
    let find = |id: &str| {
        records
            .iter()
            .find(|r| r["Id"] == id)
            .unwrap_or_else(|| panic!("{id} in {records:?}"))
    };
    assert_eq!(find(&gone)["IsDeleted"], true);
    assert_eq!(find(&gone)["LastName"], "Gone");
    assert_eq!(find(&kept)["IsDeleted"], false);
    assert!(find(&kept).contains_key("Phone"));
    assert!(!find(&kept).contains_key("attributes"));
}

#[tokio::test]
async fn fetch_by_ids_queries_200_ids_at_a_time() {
    let sim = start(small()).await;
    sim.control(
        Method::POST,
        "generate/records",
        Some(json!({"object": "Contact", "count": 230})),
    )
    .await;
    let listed = sim.control(Method::GET, "records/Contact", None).await;
    let ids: Vec<String> = listed["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|r| r["Id"].as_str().expect("Id").to_string())
        .collect();
    assert_eq!(ids.len(), 250);
    let before = sim.endpoint_calls("queryAll").await;

    let records = bounded(
        "fetch",
        sim.session.fetch_by_ids("Contact", &["LastName"], &ids),
    )
    .await
    .expect("records");
    assert_eq!(records.len(), 250);
    assert_eq!(sim.endpoint_calls("queryAll").await - before, 2);
}

#[tokio::test]
async fn fetch_by_ids_refuses_untrusted_ids_before_any_query() {
    let sim = start(small()).await;
    let before = sim.endpoint_calls("queryAll").await;
    for bad in ["003') OR (Id != '", "001*", "", "0035g00000ABCDeAA"] {
        let error = bounded(
            "fetch",
            sim.session
                .fetch_by_ids("Contact", &["LastName"], &[bad.to_string()]),
        )
        .await
        .expect_err("refused");
        assert!(
            matches!(error, SalesforceError::InvalidInput(_)),
            "{bad}: {error:?}"
        );
    }
    let field = sim
        .session
        .fetch_by_ids(
            "Contact",
            &["LastName FROM User --"],
            &["003000000000000AAA".to_string()],
        )
        .await
        .expect_err("not a field");
    assert!(matches!(field, SalesforceError::InvalidInput(_)));
    assert_eq!(sim.endpoint_calls("queryAll").await, before, "nothing sent");
}

#[tokio::test]
async fn the_exhausted_daily_quota_is_transient_and_says_so() {
    let sim = start(small()).await;
    sim.control(
        Method::PATCH,
        "org",
        Some(json!({"daily_api_max": 3, "api_usage": 3})),
    )
    .await;
    let error = bounded("limits", sim.session.limits())
        .await
        .expect_err("over quota");
    assert!(
        matches!(error, SalesforceError::Api { status: 403, ref code, .. } if code == "REQUEST_LIMIT_EXCEEDED"),
        "{error:?}"
    );
    assert_eq!(error.class(), ErrorClass::Transient);
    assert!(error.is_quota_exhausted());
    let text = error.to_string();
    assert!(text.contains("daily API quota is used up"), "{text}");
}

#[tokio::test]
async fn errors_the_admin_must_fix_are_configuration() {
    let sim = start(small()).await;
    let field = bounded(
        "query",
        sim.session
            .query::<Value>("SELECT NoSuchField__c FROM Contact", false),
    )
    .await
    .expect_err("unknown field");
    assert!(
        matches!(field, SalesforceError::Api { ref code, .. } if code == "INVALID_FIELD"),
        "{field:?}"
    );
    assert_eq!(field.class(), ErrorClass::Configuration);

    let object = bounded(
        "query",
        sim.session
            .query::<Value>("SELECT Id FROM NoSuchObject__c", false),
    )
    .await
    .expect_err("unknown object");
    assert_eq!(object.class(), ErrorClass::Configuration, "{object:?}");

    let describe = bounded(
        "describe",
        sim.session
            .get_json::<Value>("/services/data/v62.0/sobjects/NoSuchObject__c/describe"),
    )
    .await
    .expect_err("unknown object");
    assert!(
        matches!(describe, SalesforceError::ObjectNotFound { ref object, .. } if object == "NoSuchObject__c"),
        "{describe:?}"
    );
    assert_eq!(describe.class(), ErrorClass::Configuration);

    sim.control(
        Method::PATCH,
        "org",
        Some(json!({"edition": "Professional"})),
    )
    .await;
    let disabled = bounded("limits", sim.session.limits())
        .await
        .expect_err("API disabled");
    assert!(
        matches!(disabled, SalesforceError::Api { ref code, .. } if code == "API_DISABLED_FOR_ORG"),
        "{disabled:?}"
    );
    assert_eq!(disabled.class(), ErrorClass::Configuration);
}

#[tokio::test]
async fn a_server_error_is_transient() {
    let sim = start(small()).await;
    sim.control(
        Method::POST,
        "faults",
        Some(json!({"endpoint": "query", "kind": "fail", "status": 503,
            "error_code": "SERVER_UNAVAILABLE", "message": "try later", "count": 1})),
    )
    .await;
    let error = bounded(
        "query",
        sim.session.query::<Value>("SELECT Id FROM Contact", false),
    )
    .await
    .expect_err("503");
    assert!(
        matches!(error, SalesforceError::Api { status: 503, .. }),
        "{error:?}"
    );
    assert_eq!(error.class(), ErrorClass::Transient);
}
