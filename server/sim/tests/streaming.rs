//! CometD through the full simulator (`Simulator`, a real `Org`): token auth and expiry, CDC
//! events from REST and control-API writes, gap/overflow events, entity selection, and the
//! control API's faults and client expiry on the CometD endpoints.

mod common;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use common::*;
use serde_json::{Value, json};

#[tokio::test]
async fn rest_writes_arrive_as_change_events() {
    let run = start(small()).await;
    let token = login(&run).await;
    let access = token["access_token"].as_str().expect("access").to_string();

    let handshake = bayeux(&run, "bad-token", json!([{"channel": "/meta/handshake", "version": "1.0", "supportedConnectionTypes": ["long-polling"], "id": "1"}])).await;
    assert_eq!(handshake[0]["successful"], false);

    let handshake = bayeux(&run, &access, json!([{"channel": "/meta/handshake", "version": "1.0", "supportedConnectionTypes": ["long-polling"], "id": "1"}])).await;
    assert_eq!(handshake[0]["successful"], true, "{handshake:?}");
    let client = handshake[0]["clientId"]
        .as_str()
        .expect("client")
        .to_string();
    let subscribe = bayeux(&run, &access, json!([{"channel": "/meta/subscribe", "clientId": client, "subscription": "/data/ContactChangeEvent", "id": "2", "ext": {"replay": {"/data/ContactChangeEvent": -1}}}])).await;
    assert_eq!(subscribe[0]["successful"], true, "{subscribe:?}");
    let unknown = bayeux(&run, &access, json!([{"channel": "/meta/subscribe", "clientId": client, "subscription": "/data/AccountChangeEvent", "id": "3"}])).await;
    assert_eq!(unknown[0]["successful"], false);

    let created = run
        .http
        .post(format!("{}/services/data/v62.0/sobjects/Contact", run.base))
        .bearer_auth(&access)
        .json(&json!({"LastName": "Streamed"}))
        .send()
        .await
        .expect("create");
    assert_eq!(created.status(), 201);
    let id = created.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_string();

    let deadline = Instant::now() + Duration::from_secs(10);
    let mut found = None;
    while found.is_none() && Instant::now() < deadline {
        let reply = bayeux(&run, &access, json!([{"channel": "/meta/connect", "clientId": client, "connectionType": "long-polling", "id": "4"}])).await;
        found = reply
            .into_iter()
            .find(|m| m["channel"] == "/data/ContactChangeEvent");
    }
    let event = found.expect("a change event");
    assert_eq!(
        event["data"]["payload"]["ChangeEventHeader"]["recordIds"],
        json!([id])
    );
    assert_eq!(
        event["data"]["payload"]["ChangeEventHeader"]["changeType"],
        "CREATE"
    );
    assert!(event["data"]["event"]["replayId"].is_i64());
}

async fn setup(config: sim::SimConfig) -> (Running, String) {
    let run = start(config).await;
    let token = login(&run).await;
    let access = token["access_token"].as_str().expect("access").to_string();
    (run, access)
}

/// Creates a Contact through the control API; its id.
async fn create_contact(run: &Running, last_name: &str) -> String {
    let created = control(
        run,
        reqwest::Method::POST,
        "/records/Contact",
        json!({"LastName": last_name}),
    )
    .await;
    assert_eq!(created.status(), 201);
    created.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_string()
}

/// Connects (never held) until `count` events arrived or 5 s passed.
async fn collect_events(run: &Running, access: &str, client: &str, count: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut found = Vec::new();
    while found.len() < count && Instant::now() < deadline {
        let replies = cometd_connect(run, access, client).await;
        assert_eq!(connect_reply(&replies)["successful"], true, "{replies:?}");
        found.extend(cdc_events(&replies));
        if found.len() < count {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    found
}

fn change_type(event: &Value) -> &str {
    event["data"]["payload"]["ChangeEventHeader"]["changeType"]
        .as_str()
        .unwrap_or_default()
}

#[tokio::test]
async fn an_expired_access_token_keeps_a_handshaken_client_but_allows_no_new_handshake() {
    let ttl = Duration::from_millis(1_500);
    let (run, access) = setup(sim::SimConfig {
        access_token_ttl: ttl,
        ..small()
    })
    .await;
    let issued = Instant::now();
    let client = cometd_handshake(&run, &access).await;
    let subscribed = cometd_subscribe(&run, &access, &client, "/data/ContactChangeEvent").await;
    assert_eq!(subscribed["successful"], true, "{subscribed}");
    assert_eq!(
        connect_reply(&cometd_connect(&run, &access, &client).await)["successful"],
        true
    );
    assert!(
        issued.elapsed() < ttl,
        "the machine is too slow for this test"
    );

    tokio::time::sleep(
        (issued + ttl + Duration::from_millis(200)).saturating_duration_since(Instant::now()),
    )
    .await;
    // The token reached its lifetime: REST refuses it...
    assert_eq!(
        get(&run, &access, "/services/data/v62.0/limits")
            .await
            .status(),
        401
    );
    // ...but the connected client keeps subscribing and receiving.
    let subscribed = cometd_subscribe(&run, &access, &client, "/data/LeadChangeEvent").await;
    assert_eq!(subscribed["successful"], true, "{subscribed}");
    let id = create_contact(&run, "AfterExpiry").await;
    let events = collect_events(&run, &access, &client, 1).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(change_type(&events[0]), "CREATE");
    assert_eq!(
        events[0]["data"]["payload"]["ChangeEventHeader"]["recordIds"],
        json!([id])
    );
    // A new handshake needs a valid token.
    let denied = bayeux(&run, &access, handshake_message()).await;
    assert_eq!(denied[0]["successful"], false);
    assert_eq!(denied[0]["error"], "403::Handshake denied");
    assert_eq!(
        denied[0]["ext"]["sfdc"]["failureReason"],
        "401::Authentication invalid"
    );
    assert_eq!(denied[0]["advice"]["reconnect"], "none");
}

#[tokio::test]
async fn a_revoked_access_token_gets_401_authentication_invalid_on_connect_and_subscribe() {
    let (run, access) = setup(small()).await;
    let client = cometd_handshake(&run, &access).await;
    cometd_subscribe(&run, &access, &client, "/data/ContactChangeEvent").await;
    cometd_connect(&run, &access, &client).await;
    let revoked = run
        .http
        .post(format!("{}/services/oauth2/revoke", run.base))
        .form(&[("token", access.as_str())])
        .send()
        .await
        .expect("revoke");
    assert_eq!(revoked.status(), 200);
    let replies = cometd_connect(&run, &access, &client).await;
    let reply = connect_reply(&replies);
    assert_eq!(reply["successful"], false);
    assert_eq!(reply["error"], "401::Authentication invalid");
    assert_eq!(reply["advice"], json!({"reconnect": "none", "interval": 0}));
    assert_eq!(reply["clientId"], client.as_str());
    let subscribe = cometd_subscribe(&run, &access, &client, "/data/LeadChangeEvent").await;
    assert_eq!(subscribe["successful"], false);
    assert_eq!(subscribe["error"], "401::Authentication invalid");
    assert_eq!(subscribe["advice"]["reconnect"], "none");

    // The control API's expire-access ends every session the same way.
    let token = login(&run).await;
    let access = token["access_token"].as_str().expect("access").to_string();
    let client = cometd_handshake(&run, &access).await;
    cometd_connect(&run, &access, &client).await;
    let expired = control(
        &run,
        reqwest::Method::POST,
        "/tokens/expire-access",
        Value::Null,
    )
    .await;
    assert_eq!(expired.status(), 200);
    let reply = connect_reply(&cometd_connect(&run, &access, &client).await);
    assert_eq!(reply["error"], "401::Authentication invalid");
    assert_eq!(reply["advice"]["reconnect"], "none");

    // So does revoking the refresh token the access token came from.
    let token = login(&run).await;
    let access = token["access_token"].as_str().expect("access").to_string();
    let client = cometd_handshake(&run, &access).await;
    control(
        &run,
        reqwest::Method::POST,
        "/tokens/revoke-refresh",
        Value::Null,
    )
    .await;
    let reply = connect_reply(&cometd_connect(&run, &access, &client).await);
    assert_eq!(reply["error"], "401::Authentication invalid");
}

#[tokio::test]
async fn control_api_faults_fail_delay_and_drop_cometd_messages() {
    let (run, access) = setup(small()).await;
    let client = cometd_handshake(&run, &access).await;
    let add = |fault: Value| {
        let run = &run;
        async move {
            let response = control(run, reqwest::Method::POST, "/faults", fault).await;
            assert_eq!(response.status(), 200);
        }
    };

    // fail: the Bayeux error defaults to "{status}::{message}"; the next call is normal.
    add(
        json!({"endpoint": "cometd/subscribe", "kind": "fail", "status": 503, "count": 1,
        "message": "Server is too busy.  Please try your request again later."}),
    )
    .await;
    let failed = cometd_subscribe(&run, &access, &client, "/data/ContactChangeEvent").await;
    assert_eq!(failed["successful"], false);
    assert_eq!(
        failed["error"],
        "503::Server is too busy.  Please try your request again later."
    );
    assert_eq!(failed["subscription"], "/data/ContactChangeEvent");
    let ok = cometd_subscribe(&run, &access, &client, "/data/ContactChangeEvent").await;
    assert_eq!(ok["successful"], true, "{ok}");

    // fail with an explicit bayeux_error on connect: advice says retry.
    add(
        json!({"endpoint": "cometd/connect", "kind": "fail", "status": 403, "count": 1,
        "bayeux_error": "403::Organization total events daily limit exceeded"}),
    )
    .await;
    let reply = connect_reply(&cometd_connect(&run, &access, &client).await);
    assert_eq!(reply["successful"], false);
    assert_eq!(
        reply["error"],
        "403::Organization total events daily limit exceeded"
    );
    assert_eq!(reply["advice"]["reconnect"], "retry");
    assert_eq!(
        connect_reply(&cometd_connect(&run, &access, &client).await)["successful"],
        true
    );

    // latency
    add(json!({"endpoint": "cometd/connect", "kind": "latency", "latency_ms": 300, "count": 1}))
        .await;
    let started = Instant::now();
    let reply = connect_reply(&cometd_connect(&run, &access, &client).await);
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(reply["successful"], true);
    let started = Instant::now();
    cometd_connect(&run, &access, &client).await;
    assert!(started.elapsed() < Duration::from_millis(300));

    // drop: the connection closes without an answer, then handshakes work again.
    add(json!({"endpoint": "cometd/handshake", "kind": "drop", "count": 1})).await;
    let dropped = match bayeux_response(&run, &access, handshake_message()).await {
        Err(_) => true,
        Ok(response) => response.bytes().await.is_err(),
    };
    assert!(dropped, "the connection must close without an answer");
    cometd_handshake(&run, &access).await;
    let counters: Value = run
        .http
        .get(format!("{}/__sim/counters", run.base))
        .send()
        .await
        .expect("counters")
        .json()
        .await
        .expect("json");
    assert_eq!(counters["endpoints"]["cometd/handshake"], 3);
    assert_eq!(counters["endpoints"]["cometd/subscribe"], 2);
    let faults: Value = run
        .http
        .get(format!("{}/__sim/faults", run.base))
        .send()
        .await
        .expect("faults")
        .json()
        .await
        .expect("json");
    assert_eq!(faults["faults"], json!([]));
}

#[tokio::test]
async fn expire_clients_over_http_answers_403_unknown_client_with_handshake_advice() {
    let (run, access) = setup(small()).await;
    let run = Arc::new(run);
    let client = cometd_handshake(&run, &access).await;
    cometd_subscribe(&run, &access, &client, "/data/ContactChangeEvent").await;
    cometd_connect(&run, &access, &client).await;
    // A held connect (no advice.timeout 0, not the first connect) is answered at once too.
    let held = {
        let run = Arc::clone(&run);
        let access = access.clone();
        let client = client.clone();
        tokio::spawn(async move {
            bayeux(
                &run,
                &access,
                json!([{"channel": "/meta/connect", "clientId": client,
                "connectionType": "long-polling", "id": "7"}]),
            )
            .await
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let expired = control(
        &run,
        reqwest::Method::POST,
        "/cometd/expire-clients",
        Value::Null,
    )
    .await;
    assert_eq!(expired.status(), 204);
    let replies = tokio::time::timeout(Duration::from_secs(2), held)
        .await
        .expect("the held connect is answered")
        .expect("task");
    assert_eq!(connect_reply(&replies)["error"], "403::Unknown client");

    let reply = connect_reply(&cometd_connect(&run, &access, &client).await);
    assert_eq!(reply["successful"], false);
    assert_eq!(reply["error"], "403::Unknown client");
    assert_eq!(
        reply["advice"],
        json!({"interval": 0, "reconnect": "handshake"})
    );
    let subscribe = cometd_subscribe(&run, &access, &client, "/data/LeadChangeEvent").await;
    assert_eq!(subscribe["error"], "403::Unknown client");
    assert_eq!(org_state(&run).await["cometd_clients"], 0);
    // Re-handshaking works.
    let again = cometd_handshake(&run, &access).await;
    assert_ne!(again, client);
    assert_eq!(
        connect_reply(&cometd_connect(&run, &access, &again).await)["successful"],
        true
    );
}

#[tokio::test]
async fn gap_and_overflow_events_from_the_control_api_are_delivered_over_cometd() {
    let (run, access) = setup(small()).await;
    let id = create_contact(&run, "Gappy").await;
    let client = cometd_handshake(&run, &access).await;
    let subscribed = cometd_subscribe(&run, &access, &client, "/data/ContactChangeEvent").await;
    assert_eq!(subscribed["successful"], true);
    cometd_connect(&run, &access, &client).await;

    let mut expected = Vec::new();
    for change_type in ["GAP_CREATE", "GAP_UPDATE", "GAP_DELETE", "GAP_UNDELETE"] {
        let response = control(
            &run,
            reqwest::Method::POST,
            "/cdc/gap",
            json!({"entity": "Contact", "change_type": change_type, "record_ids": [id]}),
        )
        .await;
        assert_eq!(response.status(), 200);
        let replay_id = response.json::<Value>().await.expect("json")["replay_id"]
            .as_i64()
            .expect("replay id");
        expected.push((change_type, replay_id, json!([id])));
    }
    let response = control(
        &run,
        reqwest::Method::POST,
        "/cdc/overflow",
        json!({"entity": "Contact"}),
    )
    .await;
    let replay_id = response.json::<Value>().await.expect("json")["replay_id"]
        .as_i64()
        .expect("replay id");
    expected.push(("GAP_OVERFLOW", replay_id, json!(["000000000000000AAA"])));

    let events = collect_events(&run, &access, &client, expected.len()).await;
    assert_eq!(events.len(), expected.len(), "{events:?}");
    for (event, (change_type, replay_id, record_ids)) in events.iter().zip(&expected) {
        assert_eq!(event["channel"], "/data/ContactChangeEvent");
        let header = &event["data"]["payload"]["ChangeEventHeader"];
        assert_eq!(header["changeType"], *change_type, "{event}");
        assert_eq!(header["entityName"], "Contact");
        assert_eq!(header["recordIds"], *record_ids);
        assert_eq!(header["changedFields"], json!([]));
        assert_eq!(event["data"]["event"]["replayId"], *replay_id);
        // Gap and overflow events carry the header only.
        let payload = event["data"]["payload"].as_object().expect("payload");
        assert_eq!(payload.keys().collect::<Vec<_>>(), ["ChangeEventHeader"]);
    }
}

#[tokio::test]
async fn unselected_entities_subscribe_fine_but_deliver_nothing_until_selected() {
    let (run, access) = setup(small()).await;
    let base = format!("{}/services/data/v62.0/sobjects", run.base);
    let create_task = |subject: &'static str| {
        let (run, access, base) = (&run, &access, &base);
        async move {
            let created = run
                .http
                .post(format!("{base}/Task"))
                .bearer_auth(access)
                .json(&json!({"Subject": subject}))
                .send()
                .await
                .expect("task");
            assert_eq!(created.status(), 201);
            created.json::<Value>().await.expect("json")["id"]
                .as_str()
                .expect("id")
                .to_string()
        }
    };
    // Task is not selected for CDC by default; subscribing still succeeds.
    let client = cometd_handshake(&run, &access).await;
    let subscribed = cometd_subscribe(&run, &access, &client, "/data/TaskChangeEvent").await;
    assert_eq!(subscribed["successful"], true, "{subscribed}");
    let all = cometd_subscribe(&run, &access, &client, "/data/ChangeEvents").await;
    assert_eq!(all["successful"], true, "{all}");
    cometd_connect(&run, &access, &client).await;

    create_task("Unselected").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let replies = cometd_connect(&run, &access, &client).await;
    assert_eq!(connect_reply(&replies)["successful"], true);
    assert!(cdc_events(&replies).is_empty(), "{replies:?}");

    // Selecting Task makes new changes deliver, on both channels (earlier ones never come).
    let patched = control(
        &run,
        reqwest::Method::PATCH,
        "/org",
        json!({"cdc_entities": ["Contact", "Lead", "Task"]}),
    )
    .await;
    assert_eq!(patched.status(), 200);
    let id = create_task("Selected").await;
    let events = collect_events(&run, &access, &client, 2).await;
    assert_eq!(events.len(), 2, "{events:?}");
    let mut channels: Vec<&str> = events
        .iter()
        .filter_map(|e| e["channel"].as_str())
        .collect();
    channels.sort_unstable();
    assert_eq!(channels, ["/data/ChangeEvents", "/data/TaskChangeEvent"]);
    for event in &events {
        let header = &event["data"]["payload"]["ChangeEventHeader"];
        assert_eq!(header["entityName"], "Task");
        assert_eq!(header["changeType"], "CREATE");
        assert_eq!(header["recordIds"], json!([id]));
    }
    assert!(cdc_events(&cometd_connect(&run, &access, &client).await).is_empty());
}
