//! The Sync Settings modal's server functions and the live status stream over HTTP
//! (OS-02, OS-03, OS-06, OS-07, OS-08, TS-01, ST-05).

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use store::org_syncs::{SfObject, SyncMethod, SyncStatus};

use crate::helpers::{TestApp, spawn_app};

async fn call(
    app: &TestApp,
    cookie: &str,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String) {
    let response = app.post_form(path, Some(cookie), form).await;
    let status = response.status();
    (status, response.text().await.expect("body"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn os_02_add_object_creates_a_disabled_cdc_sync_once_per_object() {
    let app = spawn_app().await;
    let admin = app.sign_in("admin").await;
    let (status, body) = call(&app, &admin, "/api/add_org_sync", &[("object", "Contact")]).await;
    assert!(status.is_success(), "{status} {body}");
    let rows = store::org_syncs::list(&app.db, app.org_id)
        .await
        .expect("list");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].object, SfObject::Contact);
    assert_eq!(rows[0].method, SyncMethod::Cdc);
    assert_eq!(rows[0].channel.as_deref(), Some("/data/ContactChangeEvent"));
    assert!(!rows[0].enabled);
    assert_eq!(rows[0].status, SyncStatus::Paused);

    let (status, body) = call(&app, &admin, "/api/add_org_sync", &[("object", "Contact")]).await;
    assert!(!status.is_success());
    assert!(body.contains("Contact is already configured."), "{body}");
    let (status, body) = call(&app, &admin, "/api/add_org_sync", &[("object", "Account")]).await;
    assert!(!status.is_success());
    assert!(
        body.contains("Only Contact and Lead can be synchronized."),
        "{body}"
    );

    let (_, settings) = call(&app, &admin, "/api/sync_settings", &[]).await;
    let settings: Value = serde_json::from_str(&settings).expect("json");
    assert_eq!(settings["addable"], serde_json::json!(["Lead"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn os_03_and_os_06_save_takes_the_four_intervals_and_never_changes_the_object() {
    let app = spawn_app().await;
    let admin = app.sign_in("admin").await;
    let row = store::org_syncs::create(&app.db, app.org_id, SfObject::Lead)
        .await
        .expect("create");
    let id = row.id.to_string();
    let (status, body) = call(
        &app,
        &admin,
        "/api/save_org_sync",
        &[("id", &id), ("method", "rest"), ("interval_minutes", "7")],
    )
    .await;
    assert!(!status.is_success());
    assert!(body.contains("5, 10, 15 or 30 minutes"), "{body}");

    let (status, body) = call(
        &app,
        &admin,
        "/api/save_org_sync",
        &[
            ("id", &id),
            ("method", "rest"),
            ("interval_minutes", "15"),
            ("object", "Contact"),
        ],
    )
    .await;
    assert!(!status.is_success());
    assert!(body.contains("cannot be changed"), "{body}");

    let (status, body) = call(
        &app,
        &admin,
        "/api/save_org_sync",
        &[("id", &id), ("method", "rest"), ("interval_minutes", "15")],
    )
    .await;
    assert!(status.is_success(), "{status} {body}");
    let row = store::org_syncs::find_by_id(&app.db, row.id)
        .await
        .expect("read")
        .expect("row");
    assert_eq!(row.object, SfObject::Lead);
    assert_eq!(row.method, SyncMethod::Rest);
    assert_eq!(row.interval_minutes, Some(15));
    assert_eq!(row.channel, None);

    // Switching to CDC sets the channel by itself (OS-03).
    let (status, _) = call(
        &app,
        &admin,
        "/api/save_org_sync",
        &[("id", &id), ("method", "cdc")],
    )
    .await;
    assert!(status.is_success());
    let row = store::org_syncs::find_by_id(&app.db, row.id)
        .await
        .expect("read")
        .expect("row");
    assert_eq!(row.channel.as_deref(), Some("/data/LeadChangeEvent"));
    assert_eq!(row.interval_minutes, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ts_01_test_without_a_connection_says_no_token_and_another_org_cannot_touch_a_sync() {
    let app = spawn_app().await;
    let admin = app.sign_in("admin").await;
    let row = store::org_syncs::create(&app.db, app.org_id, SfObject::Contact)
        .await
        .expect("create");
    let (status, body) = call(
        &app,
        &admin,
        "/api/test_org_sync",
        &[("id", &row.id.to_string())],
    )
    .await;
    assert!(status.is_success(), "{status} {body}");
    let outcome: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(outcome["success"], false);
    assert_eq!(outcome["message"], "No Salesforce OAuth token found");

    // Another organization's sync is not found, whatever the action.
    let other = store::organizations::create(&app.db, "Other")
        .await
        .expect("org");
    let theirs = store::org_syncs::create(&app.db, other.id, SfObject::Lead)
        .await
        .expect("create");
    let theirs = theirs.id.to_string();
    for (path, form) in [
        ("/api/test_org_sync", vec![("id", theirs.as_str())]),
        ("/api/remove_org_sync", vec![("id", theirs.as_str())]),
        (
            "/api/save_org_sync",
            vec![("id", theirs.as_str()), ("method", "cdc")],
        ),
    ] {
        let (status, body) = call(&app, &admin, path, &form).await;
        assert!(!status.is_success(), "{path}");
        let error: app::error::AppError = serde_json::from_str(&body).expect("an AppError body");
        assert_eq!(
            error,
            app::error::AppError::NotFound("That Org Sync".into()),
            "{path}"
        );
    }
    assert!(
        store::org_syncs::find_by_id(&app.db, theirs.parse().expect("id"))
            .await
            .expect("read")
            .is_some()
    );
}

/// Reads SSE frames until one whose data satisfies `wanted`.
async fn read_until(
    response: &mut reqwest::Response,
    buffer: &mut String,
    wanted: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        while let Some(end) = buffer.find("\n\n") {
            let frame: String = buffer.drain(..end + 2).collect();
            let data: String = frame
                .lines()
                .filter_map(|line| {
                    line.strip_prefix("data: ")
                        .or_else(|| line.strip_prefix("data:"))
                })
                .collect();
            if frame.contains("event: status") || frame.contains("event:status") {
                let value: Value = serde_json::from_str(&data).expect("event json");
                if wanted(&value) {
                    return value;
                }
            }
        }
        let chunk = tokio::time::timeout_at(deadline, response.chunk())
            .await
            .expect("an event in time")
            .expect("stream readable")
            .expect("stream open");
        buffer.push_str(&String::from_utf8_lossy(&chunk));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn st_05_the_event_stream_sends_a_snapshot_then_the_organizations_changes_only() {
    let app = spawn_app().await;
    let admin = app.sign_in("admin").await;
    let viewer = app.sign_in("viewer").await;
    assert_eq!(
        app.get("/api/events", None).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/api/events", Some(&viewer)).await.status(),
        StatusCode::FORBIDDEN
    );

    let mut stream = app.get("/api/events", Some(&admin)).await;
    assert_eq!(stream.status(), StatusCode::OK);
    assert!(
        stream.headers()["content-type"]
            .to_str()
            .expect("type")
            .starts_with("text/event-stream")
    );
    let mut buffer = String::new();
    let snapshot = read_until(&mut stream, &mut buffer, |v| v["kind"] == "snapshot").await;
    assert_eq!(snapshot["syncs"], serde_json::json!([]));

    // Another organization's change never reaches this stream; ours does.
    let other = store::organizations::create(&app.db, "Other")
        .await
        .expect("org");
    let _ = store::org_syncs::create(&app.db, other.id, SfObject::Lead).await;
    let (status, _) = call(&app, &admin, "/api/add_org_sync", &[("object", "Contact")]).await;
    assert!(status.is_success());
    let changed = read_until(&mut stream, &mut buffer, |v| v["kind"] == "sync_changed").await;
    assert_eq!(changed["sync"]["object"], "Contact");
    assert_eq!(changed["sync"]["status"], "Paused");

    let id = changed["sync"]["id"].as_i64().expect("id").to_string();
    let (status, _) = call(&app, &admin, "/api/remove_org_sync", &[("id", &id)]).await;
    assert!(status.is_success());
    let removed = read_until(&mut stream, &mut buffer, |v| v["kind"] == "sync_removed").await;
    assert_eq!(removed["id"].as_i64().expect("id").to_string(), id);

    // A reconnect (EventSource sends Last-Event-ID) starts with a fresh snapshot.
    let mut again = app
        .client
        .get(app.url("/api/events"))
        .header("cookie", &admin)
        .header("last-event-id", "1")
        .send()
        .await
        .expect("reconnect");
    let mut buffer = String::new();
    let snapshot = read_until(&mut again, &mut buffer, |v| v["kind"] == "snapshot").await;
    assert_eq!(snapshot["syncs"], serde_json::json!([]));
}
