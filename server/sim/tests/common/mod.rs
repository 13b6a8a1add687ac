//! Shared helpers: a simulator on 127.0.0.1:0 and an OAuth login.

#![allow(dead_code)]

pub mod fixture;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::Value;
use sha2::{Digest, Sha256};
use sim::{SimConfig, Simulator};
use tokio_util::sync::CancellationToken;

pub const REDIRECT: &str = "http://localhost:8765/callback";

pub struct Running {
    pub base: String,
    pub sim: Simulator,
    pub http: reqwest::Client,
    shutdown: CancellationToken,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub async fn start(config: SimConfig) -> Running {
    let tls = config.tls;
    let sim = Simulator::new(config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let shutdown = CancellationToken::new();
    tokio::spawn(sim.clone().serve(listener, shutdown.clone()));
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .danger_accept_invalid_certs(true)
        .build()
        .expect("client");
    let scheme = if tls { "https" } else { "http" };
    Running {
        base: format!("{scheme}://127.0.0.1:{port}"),
        sim,
        http,
        shutdown,
    }
}

pub fn small() -> SimConfig {
    SimConfig {
        contacts: 50,
        leads: 20,
        ..SimConfig::default()
    }
}

pub fn pkce() -> (String, String) {
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-orgsync-test".to_string();
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// Runs authorize (approve) and returns the `Location` of the redirect.
pub async fn authorize(run: &Running, action: &str, challenge: Option<&str>) -> String {
    let (client_id, _) = run.sim.client_credentials();
    let (username, password) = run.sim.users()[0].clone();
    let mut params = vec![
        ("response_type", "code".to_string()),
        ("client_id", client_id.clone()),
        ("redirect_uri", REDIRECT.to_string()),
        ("state", "st4te".to_string()),
        ("scope", "api refresh_token".to_string()),
    ];
    if let Some(challenge) = challenge {
        params.push(("code_challenge", challenge.to_string()));
        params.push(("code_challenge_method", "S256".to_string()));
    }
    let page = run
        .http
        .get(format!("{}/services/oauth2/authorize", run.base))
        .query(&params)
        .send()
        .await
        .expect("authorize page");
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .expect("html")
            .contains("name=\"password\"")
    );
    params.push(("username", username));
    params.push(("password", password));
    params.push(("action", action.to_string()));
    let response = run
        .http
        .post(format!("{}/services/oauth2/authorize", run.base))
        .form(&params)
        .send()
        .await
        .expect("authorize submit");
    assert_eq!(response.status(), 302);
    response.headers()["location"]
        .to_str()
        .expect("location")
        .to_string()
}

pub fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

pub async fn exchange(run: &Running, code: &str, verifier: Option<&str>) -> reqwest::Response {
    let (client_id, secret) = run.sim.client_credentials();
    let mut form = vec![
        ("grant_type", "authorization_code".to_string()),
        ("code", code.to_string()),
        ("client_id", client_id),
        ("client_secret", secret),
        ("redirect_uri", REDIRECT.to_string()),
    ];
    if let Some(verifier) = verifier {
        form.push(("code_verifier", verifier.to_string()));
    }
    run.http
        .post(format!("{}/services/oauth2/token", run.base))
        .form(&form)
        .send()
        .await
        .expect("token")
}

/// A full login; returns the token response.
pub async fn login(run: &Running) -> Value {
    let (verifier, challenge) = pkce();
    let location = authorize(run, "approve", Some(&challenge)).await;
    let code = query_param(&location, "code").expect("code");
    let response = exchange(run, &code, Some(&verifier)).await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("token json")
}

pub async fn get(run: &Running, token: &str, path: &str) -> reqwest::Response {
    run.http
        .get(format!("{}{path}", run.base))
        .bearer_auth(token)
        .send()
        .await
        .expect("get")
}

pub async fn control(
    run: &Running,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> reqwest::Response {
    run.http
        .request(method, format!("{}/__sim{path}", run.base))
        .json(&body)
        .send()
        .await
        .expect("control")
}

pub async fn events(run: &Running, after: i64) -> Vec<Value> {
    let value: Value = run
        .http
        .get(format!("{}/__sim/events?after={after}", run.base))
        .send()
        .await
        .expect("events")
        .json()
        .await
        .expect("json");
    value["events"].as_array().cloned().unwrap_or_default()
}

/// `GET /__sim/org`: edition, CDC selection, token lifetimes, event tip, CometD clients.
pub async fn org_state(run: &Running) -> Value {
    run.http
        .get(format!("{}/__sim/org", run.base))
        .send()
        .await
        .expect("org")
        .json()
        .await
        .expect("json")
}

pub async fn tip(run: &Running) -> i64 {
    org_state(run).await["event_tip"].as_i64().unwrap_or(0)
}

// ---- CometD against the full simulator ------------------------------------------------------

/// POSTs Bayeux `messages` to `/cometd/62.0` with `Authorization: Bearer {access}`; the reply
/// array.
pub async fn bayeux(run: &Running, access: &str, messages: Value) -> Vec<Value> {
    bayeux_response(run, access, messages)
        .await
        .expect("cometd")
        .json::<Vec<Value>>()
        .await
        .expect("json")
}

/// Like [`bayeux`], but the raw response (or the transport error of a dropped connection).
pub async fn bayeux_response(
    run: &Running,
    access: &str,
    messages: Value,
) -> reqwest::Result<reqwest::Response> {
    run.http
        .post(format!("{}/cometd/62.0", run.base))
        .bearer_auth(access)
        .json(&messages)
        .send()
        .await
}

pub fn handshake_message() -> Value {
    serde_json::json!([{"channel": "/meta/handshake", "version": "1.0", "supportedConnectionTypes": ["long-polling"], "id": "1"}])
}

/// A successful handshake: the client id.
pub async fn cometd_handshake(run: &Running, access: &str) -> String {
    let replies = bayeux(run, access, handshake_message()).await;
    assert_eq!(replies[0]["successful"], true, "{replies:?}");
    replies[0]["clientId"]
        .as_str()
        .expect("clientId")
        .to_string()
}

/// Subscribes from the tip (`-1`); the subscribe reply.
pub async fn cometd_subscribe(run: &Running, access: &str, client: &str, channel: &str) -> Value {
    let message = serde_json::json!([{"channel": "/meta/subscribe", "clientId": client,
        "subscription": channel, "id": "2", "ext": {"replay": {channel: -1}}}]);
    bayeux(run, access, message).await.remove(0)
}

/// A `/meta/connect` that is answered at once (`advice.timeout: 0`, never held): the pending
/// events and the connect reply (last).
pub async fn cometd_connect(run: &Running, access: &str, client: &str) -> Vec<Value> {
    let message = serde_json::json!([{"channel": "/meta/connect", "clientId": client,
        "connectionType": "long-polling", "id": "3", "advice": {"timeout": 0}}]);
    bayeux(run, access, message).await
}

/// The event messages (non-`/meta/` channels) of a reply array.
pub fn cdc_events(replies: &[Value]) -> Vec<Value> {
    replies
        .iter()
        .filter(|m| {
            !m["channel"]
                .as_str()
                .unwrap_or("/meta/")
                .starts_with("/meta/")
        })
        .cloned()
        .collect()
}

/// The `/meta/connect` reply of a reply array.
pub fn connect_reply(replies: &[Value]) -> Value {
    replies
        .iter()
        .find(|m| m["channel"] == "/meta/connect")
        .cloned()
        .unwrap_or_else(|| panic!("no /meta/connect reply in {replies:?}"))
}
