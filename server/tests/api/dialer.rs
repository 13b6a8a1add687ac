//! The dialer's JSON API and API keys over HTTP (DS-05): an admin creates a key (shown once,
//! stored hashed); the dialer reports calls with it, safely repeated; wrong input is refused
//! with a reason; a browser session does not stand in for a key; a revoked key is refused.

use reqwest::StatusCode;
use serde_json::{Value, json};
use store::{
    campaign_records::{self, RecordWrite},
    campaigns::{self, CampaignSettings},
};

use crate::helpers::{TestApp, spawn_app};

const ADA: &str = "003000000000001AAA";
const BOB: &str = "003000000000002AAA";
const CALLS: &str = "/dialer/v1/calls";

async fn campaign_with_two_people(app: &TestApp) -> i64 {
    let campaign = campaigns::create(&app.db, app.org_id, &CampaignSettings::named("Renewals"))
        .await
        .expect("campaign")
        .id;
    let person = |sf_id: &str| RecordWrite {
        campaign_id: campaign,
        sf_id: sf_id.to_owned(),
        sf_object: "Contact".to_owned(),
        display_name: sf_id.to_owned(),
        source_name: "Test".to_owned(),
        source_link_id: None,
        phones: "[]".to_owned(),
        custom_fields: "{}".to_owned(),
        state: "ready".to_owned(),
    };
    campaign_records::write(&app.db, &[person(ADA), person(BOB)])
        .await
        .expect("record");
    campaign
}

async fn report(app: &TestApp, key: Option<&str>, body: &Value) -> (StatusCode, Value) {
    let mut request = app.client.post(app.url(CALLS)).json(body);
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    let response = request.send().await.expect("post");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ds_05_the_dialer_reports_calls_with_an_api_key_and_reads_their_state() {
    let app = spawn_app().await;
    let admin = app.sign_in("admin").await;
    let campaign = campaign_with_two_people(&app).await;

    let created = app
        .post_form("/api/create_api_key", Some(&admin), &[("name", "Dialer")])
        .await;
    assert!(created.status().is_success(), "{}", created.status());
    let created: Value = created.json().await.expect("json");
    let secret = created["secret"]
        .as_str()
        .expect("the key, once")
        .to_owned();
    assert!(secret.starts_with("osk_") && secret.len() > 40, "{secret}");
    let listed = app.post_form("/api/api_keys_page", Some(&admin), &[]).await;
    let listed = listed.text().await.expect("body");
    assert!(
        listed.contains("Dialer") && !listed.contains(&secret),
        "never shown again"
    );
    let stored = store::api_keys::list(&app.db, app.org_id)
        .await
        .expect("keys");
    assert_ne!(stored[0].key_hash, secret, "only the hash is stored");

    let call = json!({
        "call_id": "dialer-8f2c",
        "campaign_id": campaign,
        "salesforce_id": ADA,
        "disposition": "Connected",
        "duration_seconds": 59,
        "notes": "Call back Tuesday",
        "occurred_at": "2026-12-06T14:30:00Z",
    });
    // No key, a wrong key, or a browser session instead of a key.
    let (status, body) = report(&app, None, &call).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body["error"]
            .as_str()
            .unwrap_or_default()
            .contains("API key"),
        "{body}"
    );
    let (status, _) = report(&app, Some("osk_not-a-key"), &call).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let with_cookie = app
        .client
        .post(app.url(CALLS))
        .header("cookie", &admin)
        .json(&call)
        .send()
        .await
        .expect("post");
    assert_eq!(with_cookie.status(), StatusCode::UNAUTHORIZED);

    let (status, body) = report(&app, Some(&secret), &call).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["state"], json!("pending"));
    assert_eq!(body["call_id"], json!("dialer-8f2c"));
    assert_eq!(body["sf_object"], json!("Contact"));
    assert_eq!(body["recorded_by"], json!("API key Dialer"));
    let id = body["id"].clone();
    // The dialer repeats its report (a timeout on its side): the same call.
    let (status, body) = report(&app, Some(&secret), &call).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["id"], id);

    // Refusals with a reason and the field.
    let mut other_person = call.clone();
    other_person["salesforce_id"] = json!(BOB);
    let (status, body) = report(&app, Some(&secret), &other_person).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["field"], json!("call_id"), "{body}");
    other_person["call_id"] = json!("dialer-other");
    other_person["salesforce_id"] = json!("003000000000009AAA");
    let (status, body) = report(&app, Some(&secret), &other_person).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["error"],
        json!("That person is not a record of this campaign.")
    );
    let mut negative = call.clone();
    negative["call_id"] = json!("dialer-negative");
    negative["duration_seconds"] = json!(-5);
    let (status, body) = report(&app, Some(&secret), &negative).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["field"], json!("duration_seconds"));
    let (status, body) = report(&app, Some(&secret), &json!({"call_id": "x"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]
            .as_str()
            .unwrap_or_default()
            .starts_with("The body is not a call report")
    );

    // Its state, by the dialer's call id.
    let state = app
        .client
        .get(app.url(&format!("{CALLS}?call_id=dialer-8f2c")))
        .bearer_auth(&secret)
        .send()
        .await
        .expect("get");
    assert_eq!(state.status(), StatusCode::OK);
    let state: Value = state.json().await.expect("json");
    assert_eq!(state["state"], json!("pending"));
    assert_eq!(state["disposition"], json!("Connected"));
    let missing = app
        .client
        .get(app.url(&format!("{CALLS}?call_id=nope")))
        .bearer_auth(&secret)
        .send()
        .await
        .expect("get");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    // Revoked: refused from the next call on.
    let key_id = created["key"]["id"].to_string();
    let revoked = app
        .post_form("/api/revoke_api_key", Some(&admin), &[("id", &key_id)])
        .await;
    assert!(revoked.status().is_success());
    let (status, _) = report(&app, Some(&secret), &call).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ds_05_deleting_a_campaign_with_a_call_on_its_way_is_refused_with_the_reason() {
    let app = spawn_app().await;
    let admin = app.sign_in("admin").await;
    let campaign = campaign_with_two_people(&app).await;
    store::call_activities::record(
        &app.db,
        store::call_activities::NewCall {
            organization_id: app.org_id,
            campaign_id: campaign,
            sf_id: ADA.to_owned(),
            call_id: "on-its-way".to_owned(),
            subject: "Call".to_owned(),
            disposition: "Connected".to_owned(),
            duration_seconds: 30,
            notes: String::new(),
            occurred_at: chrono::Utc::now(),
            recorded_by: "admin".to_owned(),
        },
        chrono::Utc::now(),
    )
    .await
    .expect("a call");

    let id = campaign.to_string();
    let refused = app
        .post_form("/api/delete_campaign", Some(&admin), &[("id", &id)])
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = refused.text().await.expect("body");
    assert!(
        body.contains("1 call recorded on this campaign is not written back to Salesforce yet"),
        "{body}"
    );
    assert!(
        campaigns::find(&app.db, app.org_id, campaign)
            .await
            .expect("find")
            .is_some(),
        "the campaign and its call stay"
    );
}
