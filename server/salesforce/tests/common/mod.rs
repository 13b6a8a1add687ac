//! A simulator served over real HTTP on 127.0.0.1:0 and a [`Session`] signed in to it with
//! the password grant, for the REST and streaming tests.

#![allow(dead_code)]

use std::{
    future::Future,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use salesforce::{ConnectedApp, OAuthClient, Prompt, Session, TokenStore, TokenStoreError};
use secrecy::SecretString;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use url::Url;

/// Every wait in these tests is bounded by this.
pub const WAIT: Duration = Duration::from_secs(5);

pub struct Sim {
    pub base: String,
    pub http: reqwest::Client,
    pub session: Arc<Session>,
    pub store: Arc<CountingStore>,
    stop: CancellationToken,
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

#[derive(Default)]
pub struct CountingStore {
    pub saved: AtomicUsize,
}

impl CountingStore {
    pub fn saved(&self) -> usize {
        self.saved.load(Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl TokenStore for CountingStore {
    async fn save_refreshed(
        &self,
        _access_token: &SecretString,
        _rotated_refresh_token: Option<&SecretString>,
    ) -> Result<(), TokenStoreError> {
        self.saved.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

pub fn small() -> sim::SimConfig {
    sim::SimConfig {
        contacts: 20,
        leads: 5,
        ..sim::SimConfig::default()
    }
}

/// Serves a simulator and signs in as its admin (password grant).
pub async fn start(config: sim::SimConfig) -> Sim {
    let simulator = sim::Simulator::new(config);
    let (client_id, client_secret) = simulator.client_credentials();
    let (username, password) = simulator.users().into_iter().next().expect("an admin");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let stop = CancellationToken::new();
    tokio::spawn(simulator.serve(listener, stop.clone()));
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(WAIT)
        .build()
        .expect("http");
    let app = ConnectedApp::new(
        &client_id,
        SecretString::from(client_secret.clone()),
        &base,
        "http://127.0.0.1:9/auth/salesforce/callback",
        "62.0",
    )
    .expect("connected app");
    let oauth = OAuthClient::new(app).expect("oauth client");
    // Plays the browser: posts the simulator's sign-in form for the authorize URL.
    let authorization = oauth.start_authorization(Prompt::Default);
    let mut form: Vec<(String, String)> = authorization.url.query_pairs().into_owned().collect();
    form.push(("username".into(), username));
    form.push(("password".into(), password));
    form.push(("action".into(), "approve".into()));
    let response = http
        .post(format!("{base}/services/oauth2/authorize"))
        .form(&form)
        .send()
        .await
        .expect("authorize");
    assert_eq!(response.status(), 302, "the sign-in form redirects back");
    let location = response.headers()["location"].to_str().expect("location");
    let code = Url::parse(location)
        .expect("callback url")
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("a code");
    let grant = oauth
        .exchange_code(&code, &authorization.pkce_verifier)
        .await
        .expect("tokens");
    let store = Arc::new(CountingStore::default());
    let session = Session::new(
        oauth,
        grant.instance_url,
        grant.access_token,
        grant.refresh_token.expect("a refresh token"),
        store.clone(),
    );
    Sim {
        base,
        http,
        session: Arc::new(session),
        store,
        stop,
    }
}

impl Sim {
    /// A control-API call (`/__sim/{path}`); its JSON answer (null when empty).
    pub async fn control(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self
            .http
            .request(method, format!("{}/__sim/{path}", self.base));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("control call");
        let status = response.status();
        let text = response.text().await.expect("control body");
        assert!(status.is_success(), "{path}: {status} {text}");
        if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).expect("control json")
        }
    }

    pub async fn post(&self, path: &str) -> Value {
        self.control(reqwest::Method::POST, path, None).await
    }

    /// Creates a Contact through the control API (publishes a CREATE event); its id.
    pub async fn create_contact(&self, last_name: &str) -> String {
        let created = self
            .control(
                reqwest::Method::POST,
                "records/Contact",
                Some(json!({"LastName": last_name})),
            )
            .await;
        created["id"].as_str().expect("id").to_string()
    }

    /// Stops serving: later connections are refused.
    pub fn stop_serving(&self) {
        self.stop.cancel();
    }

    pub async fn endpoint_calls(&self, endpoint: &str) -> u64 {
        let counters = self.control(reqwest::Method::GET, "counters", None).await;
        counters["endpoints"][endpoint].as_u64().unwrap_or(0)
    }
}

/// Runs `future` or fails the test after [`WAIT`].
pub async fn bounded<F: Future>(what: &str, future: F) -> F::Output {
    tokio::time::timeout(WAIT, future)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within {WAIT:?}"))
}
