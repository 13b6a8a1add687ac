//! CometD through the full simulator: token auth, CDC events from REST writes, selection.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};

async fn bayeux(run: &Running, access: &str, messages: Value) -> Vec<Value> {
    run.http
        .post(format!("{}/cometd/62.0", run.base))
        .bearer_auth(access)
        .json(&messages)
        .send()
        .await
        .expect("cometd")
        .json::<Vec<Value>>()
        .await
        .expect("json")
}

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
