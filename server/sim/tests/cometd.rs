//! The Streaming API (CometD CDC) over real HTTP, against a fixture org
//! (`common::fixture::FixtureOrg`).

mod common;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use common::fixture::FixtureOrg;
use serde_json::{Map, Value, json};
use sim::{
    cometd::{Cometd, CometdConfig, StreamingFault},
    events::ChangeType,
};

const TOKEN: &str = "00Dxx0000001gPL!AQ4AQFakeAccessToken";
const REPLAY_ERROR_SUFFIX: &str = "you provided was invalid.  Please provide a valid ID, -2 to replay all events, or -1 to replay only new events.";

struct Server {
    base: String,
    org: Arc<FixtureOrg>,
    cometd: Arc<Cometd<FixtureOrg>>,
    http: reqwest::Client,
}

async fn server_with(config: CometdConfig, retention: usize) -> Server {
    let org = Arc::new(FixtureOrg::new(TOKEN, retention));
    let cometd = Cometd::new(Arc::clone(&org), config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = cometd.router();
    tokio::spawn(async move { axum::serve(listener, router).await.expect("serve") });
    Server {
        base: format!("http://{addr}"),
        org,
        cometd,
        http: reqwest::Client::new(),
    }
}

async fn server() -> Server {
    server_with(
        CometdConfig {
            long_poll_timeout: Duration::from_secs(5),
            client_timeout: Duration::from_secs(30),
        },
        100,
    )
    .await
}

impl Server {
    async fn post_raw(
        &self,
        path: &str,
        auth: Option<&str>,
        body: &Value,
    ) -> reqwest::Result<reqwest::Response> {
        let mut request = self.http.post(format!("{}{path}", self.base)).json(body);
        if let Some(auth) = auth {
            request = request.header("Authorization", auth);
        }
        request.send().await
    }

    async fn post(&self, path: &str, body: Value) -> Vec<Value> {
        let response = self
            .post_raw(path, Some(&format!("Bearer {TOKEN}")), &body)
            .await
            .expect("post");
        assert_eq!(response.status(), 200);
        match response.json::<Value>().await.expect("json") {
            Value::Array(items) => items,
            other => panic!("not an array: {other}"),
        }
    }

    async fn handshake(&self) -> String {
        let replies = self
            .post("/cometd/62.0", json!([{"channel": "/meta/handshake", "version": "1.0", "supportedConnectionTypes": ["long-polling"], "id": "1"}]))
            .await;
        assert_eq!(replies[0]["successful"], true, "{replies:?}");
        replies[0]["clientId"]
            .as_str()
            .expect("clientId")
            .to_string()
    }

    async fn subscribe(&self, client: &str, channel: &str, replay: Option<Value>) -> Value {
        let mut message = json!({"channel": "/meta/subscribe", "clientId": client, "subscription": channel, "id": "2"});
        if let Some(replay) = replay {
            message["ext"] = json!({"replay": {channel: replay}});
        }
        self.post("/cometd/62.0", json!([message])).await.remove(0)
    }

    async fn connect(&self, client: &str) -> Vec<Value> {
        self.post("/cometd/62.0/connect", json!([{"channel": "/meta/connect", "clientId": client, "connectionType": "long-polling", "id": "3"}]))
            .await
    }

    fn publish(&self, entity: &str, id: &str) -> i64 {
        let mut body = Map::new();
        body.insert("LastName".into(), json!(format!("Name {id}")));
        self.org.publish(entity, ChangeType::Create, id, body)
    }
}

fn events(replies: &[Value]) -> Vec<&Value> {
    replies
        .iter()
        .filter(|m| !m["channel"].as_str().unwrap_or("").starts_with("/meta/"))
        .collect()
}

fn replay_ids(replies: &[Value]) -> Vec<i64> {
    events(replies)
        .iter()
        .map(|e| e["data"]["event"]["replayId"].as_i64().expect("replayId"))
        .collect()
}

fn meta<'a>(replies: &'a [Value], channel: &str) -> &'a Value {
    replies
        .iter()
        .find(|m| m["channel"] == channel)
        .expect(channel)
}

#[tokio::test]
async fn handshake_accepts_bearer_and_oauth_and_denies_missing_or_bad_tokens() {
    let s = server().await;
    let handshake = json!([{"channel": "/meta/handshake", "version": "1.0", "supportedConnectionTypes": ["websocket", "long-polling"], "id": "1"}]);
    for auth in [format!("Bearer {TOKEN}"), format!("OAuth {TOKEN}")] {
        let response = s
            .post_raw("/cometd/62.0", Some(&auth), &handshake)
            .await
            .expect("post");
        assert_eq!(response.status(), 200);
        let cookie = response
            .headers()
            .get("set-cookie")
            .expect("cookie")
            .to_str()
            .expect("ascii")
            .to_string();
        assert!(cookie.starts_with("BAYEUX_BROWSER="), "{cookie}");
        let reply = &response.json::<Value>().await.expect("json")[0];
        assert_eq!(reply["successful"], true);
        assert_eq!(reply["channel"], "/meta/handshake");
        assert_eq!(reply["id"], "1");
        assert_eq!(reply["version"], "1.0");
        assert_eq!(reply["supportedConnectionTypes"], json!(["long-polling"]));
        assert_eq!(
            reply["ext"],
            json!({"replay": true, "payload.format": true})
        );
        assert_eq!(reply["clientId"].as_str().expect("id").len(), 27);
    }
    assert_eq!(s.cometd.client_count(), 2);

    for (auth, reason) in [
        (None, "401::Request requires authentication"),
        (Some("Bearer nope"), "401::Authentication invalid"),
    ] {
        let response = s
            .post_raw("/cometd/62.0", auth, &handshake)
            .await
            .expect("post");
        assert_eq!(response.status(), 200);
        assert!(response.headers().get("set-cookie").is_none());
        let reply = &response.json::<Value>().await.expect("json")[0];
        assert_eq!(reply["successful"], false);
        assert_eq!(reply["error"], "403::Handshake denied");
        assert_eq!(reply["ext"]["sfdc"]["failureReason"], reason);
        assert_eq!(reply["advice"]["reconnect"], "none");
    }
    // Non-handshake messages without a valid token.
    let client = s.handshake().await;
    let response = s
        .post_raw("/cometd/62.0", None, &json!([{"channel": "/meta/connect", "clientId": client, "connectionType": "long-polling"}]))
        .await
        .expect("post");
    let reply = &response.json::<Value>().await.expect("json")[0];
    assert_eq!(reply["error"], "401::Authentication invalid");
    assert_eq!(reply["advice"]["reconnect"], "none");
    assert_eq!(s.org.calls("cometd/handshake"), 5);
}

#[tokio::test]
async fn api_version_and_url_shapes() {
    let s = server().await;
    let handshake = json!([{"channel": "/meta/handshake", "version": "1.0", "id": "1"}]);
    let old = s.post("/cometd/36.0", handshake.clone()).await;
    assert_eq!(
        old[0]["error"],
        "400::Unsupported API version. Only API versions '37.0' and later are supported. URI format: '/cometd/66.0'"
    );
    let bad = s.post("/cometd/latest", handshake.clone()).await;
    assert_eq!(
        bad[0]["error"],
        "400::API version in the URI is mandatory. URI format: '/cometd/66.0'"
    );
    // The message type appended to the URL (cometd npm client) is accepted and ignored.
    let ok = s.post("/cometd/62.0/handshake", handshake.clone()).await;
    let client = ok[0]["clientId"].as_str().expect("clientId").to_string();
    let sub = s
        .post("/cometd/62.0/subscribe", json!([{"channel": "/meta/subscribe", "clientId": client, "subscription": "/data/ContactChangeEvent"}]))
        .await;
    assert_eq!(sub[0]["successful"], true);
    let response = s
        .post_raw(
            "/cometd/62.0/bogus",
            Some(&format!("Bearer {TOKEN}")),
            &handshake,
        )
        .await
        .expect("post");
    assert_eq!(response.status(), 404);
    let response = s
        .post_raw(
            "/cometd/62.0",
            Some(&format!("Bearer {TOKEN}")),
            &json!([{"channel": "/meta/handshake", "padding": "x".repeat(40_000)}]),
        )
        .await
        .expect("post");
    assert_eq!(response.status(), 413);
}

#[tokio::test]
async fn subscribe_with_replay_new_all_stored_and_expired() {
    let s = server_with(
        CometdConfig {
            long_poll_timeout: Duration::from_millis(300),
            client_timeout: Duration::from_secs(30),
        },
        3,
    )
    .await;
    let first = s.publish("Contact", "003000000000001AAA");
    let second = s.publish("Contact", "003000000000002AAA");
    let third = s.publish("Contact", "003000000000003AAA");
    assert!(first < second && second < third);

    let all = s.handshake().await;
    assert_eq!(
        s.subscribe(&all, "/data/ContactChangeEvent", Some(json!(-2)))
            .await["successful"],
        true
    );
    let replies = s.connect(&all).await;
    assert_eq!(replay_ids(&replies), vec![first, second, third]);
    assert_eq!(meta(&replies, "/meta/connect")["successful"], true);
    let event = events(&replies)[0];
    assert_eq!(event["channel"], "/data/ContactChangeEvent");
    assert_eq!(
        event["data"]["payload"]["ChangeEventHeader"]["changeType"],
        "CREATE"
    );

    let new_only = s.handshake().await;
    let reply = s
        .subscribe(&new_only, "/data/ContactChangeEvent", Some(json!(-1)))
        .await;
    assert_eq!(reply["subscription"], "/data/ContactChangeEvent");
    assert!(replay_ids(&s.connect(&new_only).await).is_empty());

    let stored = s.handshake().await;
    assert_eq!(
        s.subscribe(&stored, "/data/ContactChangeEvent", Some(json!(second)))
            .await["successful"],
        true
    );
    assert_eq!(replay_ids(&s.connect(&stored).await), vec![third]);

    // Retention is 3 events: after a fourth, the first is gone.
    let fourth = s.publish("Contact", "003000000000004AAA");
    let too_old = s.handshake().await;
    let reply = s
        .subscribe(&too_old, "/data/ContactChangeEvent", Some(json!(first - 1)))
        .await;
    assert_eq!(reply["successful"], false);
    assert_eq!(
        reply["error"],
        format!("400::The replayId {{{}}} {REPLAY_ERROR_SUFFIX}", first - 1)
    );
    assert_eq!(reply["subscription"], "/data/ContactChangeEvent");
    let reply = s
        .subscribe(
            &too_old,
            "/data/ContactChangeEvent",
            Some(json!(fourth + 10)),
        )
        .await;
    assert_eq!(
        reply["error"],
        format!(
            "400::The replayId {{{}}} {REPLAY_ERROR_SUFFIX}",
            fourth + 10
        )
    );

    // The earlier -2 subscriber continues from its own cursor.
    assert_eq!(replay_ids(&s.connect(&all).await), vec![fourth]);
    assert_eq!(replay_ids(&s.connect(&new_only).await), vec![fourth]);
}

#[tokio::test]
async fn change_events_channel_delivers_every_entity_and_entity_channels_filter() {
    let s = server().await;
    let contact = s.publish("Contact", "003000000000001AAA");
    let lead = s.publish("Lead", "00Q000000000001AAA");
    let client = s.handshake().await;
    assert_eq!(
        s.subscribe(&client, "/data/ChangeEvents", Some(json!(-2)))
            .await["successful"],
        true
    );
    assert_eq!(
        s.subscribe(&client, "/data/LeadChangeEvent", Some(json!(-2)))
            .await["successful"],
        true
    );
    let replies = s.connect(&client).await;
    let delivered: Vec<(String, i64)> = events(&replies)
        .iter()
        .map(|e| {
            (
                e["channel"].as_str().expect("channel").to_string(),
                e["data"]["event"]["replayId"].as_i64().expect("id"),
            )
        })
        .collect();
    assert_eq!(
        delivered,
        vec![
            ("/data/ChangeEvents".to_string(), contact),
            ("/data/ChangeEvents".to_string(), lead),
            ("/data/LeadChangeEvent".to_string(), lead),
        ]
    );
    let unknown = s.subscribe(&client, "/topic/Whatever", None).await;
    assert_eq!(
        unknown["error"],
        "400::The channel you requested to subscribe to doesn't exist /topic/Whatever"
    );
}

#[tokio::test]
async fn refusals_from_the_org_are_returned_on_subscribe() {
    let s = server().await;
    let error = "403::User not allowed to subscribe CDC without View All Data permissions";
    s.org.refuse("/data/LeadChangeEvent", error);
    let client = s.handshake().await;
    let reply = s
        .subscribe(&client, "/data/LeadChangeEvent", Some(json!(-1)))
        .await;
    assert_eq!(reply["successful"], false);
    assert_eq!(reply["error"], error);
    assert_eq!(
        s.subscribe(&client, "/data/ContactChangeEvent", None).await["successful"],
        true
    );
}

#[tokio::test]
async fn held_connect_wakes_up_within_milliseconds_of_a_publish() {
    let s = Arc::new(server().await);
    let client = s.handshake().await;
    s.subscribe(&client, "/data/ContactChangeEvent", Some(json!(-1)))
        .await;
    assert!(
        replay_ids(&s.connect(&client).await).is_empty(),
        "the first connect returns at once"
    );
    let mut worst = Duration::ZERO;
    for round in 0..20 {
        let pending = {
            let s = Arc::clone(&s);
            let client = client.clone();
            tokio::spawn(async move {
                let replies = s.connect(&client).await;
                (Instant::now(), replies)
            })
        };
        tokio::time::sleep(Duration::from_millis(30)).await;
        let published_at = Instant::now();
        let replay_id = s.publish("Contact", &format!("003{round:015}"));
        let (answered_at, replies) = pending.await.expect("task");
        assert_eq!(replay_ids(&replies), vec![replay_id]);
        worst = worst.max(answered_at.duration_since(published_at));
    }
    println!("worst wake-up latency over 20 held connects: {worst:?}");
    assert!(worst < Duration::from_millis(20), "{worst:?}");
}

#[tokio::test]
async fn held_connect_times_out_with_advice() {
    let s = server_with(
        CometdConfig {
            long_poll_timeout: Duration::from_millis(300),
            client_timeout: Duration::from_secs(30),
        },
        100,
    )
    .await;
    let client = s.handshake().await;
    s.subscribe(&client, "/data/ContactChangeEvent", None).await;
    s.connect(&client).await;
    let started = Instant::now();
    let replies = s.connect(&client).await;
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(290) && elapsed < Duration::from_millis(1_000),
        "{elapsed:?}"
    );
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0]["successful"], true);
    assert_eq!(replies[0]["clientId"], client.as_str());
    assert_eq!(
        replies[0]["advice"],
        json!({"reconnect": "retry", "interval": 0, "timeout": 300})
    );
}

#[tokio::test]
async fn expired_and_unknown_clients_get_403_unknown_client() {
    let s = Arc::new(
        server_with(
            CometdConfig {
                long_poll_timeout: Duration::from_secs(5),
                client_timeout: Duration::from_millis(200),
            },
            100,
        )
        .await,
    );
    let client = s.handshake().await;
    s.connect(&client).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let replies = s.connect(&client).await;
    assert_eq!(replies[0]["error"], "403::Unknown client");
    assert_eq!(replies[0]["successful"], false);
    assert_eq!(
        replies[0]["advice"],
        json!({"interval": 0, "reconnect": "handshake"})
    );
    let reply = s
        .subscribe("nosuchclient", "/data/ContactChangeEvent", None)
        .await;
    assert_eq!(reply["error"], "403::Unknown client");
    assert_eq!(reply["advice"]["reconnect"], "handshake");

    // A held connect is not expired by the client timeout, but the control API's expiry
    // answers it at once.
    let client = s.handshake().await;
    s.connect(&client).await;
    let pending = {
        let s = Arc::clone(&s);
        let client = client.clone();
        tokio::spawn(async move { s.connect(&client).await })
    };
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(s.cometd.client_count(), 1);
    s.cometd.expire_all_clients();
    let replies = tokio::time::timeout(Duration::from_secs(1), pending)
        .await
        .expect("answered")
        .expect("task");
    assert_eq!(replies[0]["error"], "403::Unknown client");
    assert_eq!(s.cometd.client_count(), 0);
}

#[tokio::test]
async fn disconnect_answers_the_pending_connect_and_forgets_the_client() {
    let s = Arc::new(server().await);
    let client = s.handshake().await;
    s.connect(&client).await;
    let pending = {
        let s = Arc::clone(&s);
        let client = client.clone();
        tokio::spawn(async move { s.connect(&client).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let reply = s
        .post(
            "/cometd/62.0/disconnect",
            json!([{"channel": "/meta/disconnect", "clientId": client, "id": "9"}]),
        )
        .await;
    assert_eq!(reply[0]["successful"], true);
    assert_eq!(reply[0]["id"], "9");
    let replies = tokio::time::timeout(Duration::from_secs(1), pending)
        .await
        .expect("answered")
        .expect("task");
    assert_eq!(replies[0]["channel"], "/meta/connect");
    assert_eq!(replies[0]["advice"]["reconnect"], "none");
    assert_eq!(s.connect(&client).await[0]["error"], "403::Unknown client");
    assert_eq!(s.cometd.client_count(), 0);
}

#[tokio::test]
async fn unsubscribe_stops_delivery() {
    let s = server().await;
    let client = s.handshake().await;
    s.subscribe(&client, "/data/ContactChangeEvent", Some(json!(-1)))
        .await;
    s.subscribe(&client, "/data/LeadChangeEvent", Some(json!(-1)))
        .await;
    let reply = s
        .post("/cometd/62.0", json!([{"channel": "/meta/unsubscribe", "clientId": client, "subscription": "/data/ContactChangeEvent", "id": "5"}]))
        .await;
    assert_eq!(reply[0]["successful"], true);
    assert_eq!(reply[0]["subscription"], "/data/ContactChangeEvent");
    s.publish("Contact", "003000000000001AAA");
    let lead = s.publish("Lead", "00Q000000000001AAA");
    assert_eq!(replay_ids(&s.connect(&client).await), vec![lead]);
}

#[tokio::test]
async fn batched_messages_are_answered_in_one_array_without_holding() {
    let s = server().await;
    let client = s.handshake().await;
    s.connect(&client).await; // not the first connect any more: a lone connect would be held
    let contact = s.publish("Contact", "003000000000001AAA");
    let started = Instant::now();
    let replies = s
        .post(
            "/cometd/62.0",
            json!([
                {"channel": "/meta/connect", "clientId": client, "connectionType": "long-polling", "id": "10"},
                {"channel": "/meta/subscribe", "clientId": client, "subscription": "/data/ContactChangeEvent", "id": "11", "ext": {"replay": {"/data/ContactChangeEvent": -2}}},
                {"channel": "/meta/subscribe", "clientId": client, "subscription": "/data/LeadChangeEvent", "id": "12"}
            ]),
        )
        .await;
    assert!(started.elapsed() < Duration::from_secs(1));
    let ids: Vec<&Value> = replies.iter().filter_map(|m| m.get("id")).collect();
    assert_eq!(ids, vec!["11", "12", "10"]);
    assert_eq!(replay_ids(&replies), vec![contact]);
    assert!(
        replies
            .iter()
            .filter(|m| m.get("id").is_some())
            .all(|m| m["successful"] == true)
    );
}

#[tokio::test]
async fn injected_faults_fail_delay_and_drop() {
    let s = server().await;
    let client = s.handshake().await;

    s.org.set_fault(
        "cometd/subscribe",
        Some(StreamingFault::Fail {
            bayeux_error: "503::Server is too busy.  Please try your request again later.".into(),
        }),
    );
    let reply = s.subscribe(&client, "/data/ContactChangeEvent", None).await;
    assert_eq!(reply["successful"], false);
    assert_eq!(
        reply["error"],
        "503::Server is too busy.  Please try your request again later."
    );
    s.org.set_fault("cometd/subscribe", None);
    assert_eq!(
        s.subscribe(&client, "/data/ContactChangeEvent", None).await["successful"],
        true
    );

    s.org.set_fault(
        "cometd/connect",
        Some(StreamingFault::Delay(Duration::from_millis(200))),
    );
    let started = Instant::now();
    let replies = s.connect(&client).await; // first connect: answered at once after the delay
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(replies[0]["successful"], true);
    s.org.set_fault("cometd/connect", None);

    s.org
        .set_fault("cometd/handshake", Some(StreamingFault::Drop));
    let body = json!([{"channel": "/meta/handshake", "version": "1.0"}]);
    let dropped = match s
        .post_raw("/cometd/62.0", Some(&format!("Bearer {TOKEN}")), &body)
        .await
    {
        Err(_) => true,
        Ok(response) => response.bytes().await.is_err(),
    };
    assert!(dropped, "the connection must close without an answer");
    s.org.set_fault("cometd/handshake", None);
    s.handshake().await;
    assert_eq!(s.org.calls("cometd/handshake"), 3);
    assert_eq!(s.org.calls("cometd/subscribe"), 2);
}
