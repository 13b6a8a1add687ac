//! The Salesforce client against the simulator over real HTTP: the web-server flow with
//! PKCE, identity, and single-flight refresh of an expired access token.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use salesforce::{
    ConnectedApp, OAuthClient, OAuthError, Prompt, SalesforceError, Session, TokenStore,
    TokenStoreError,
};
use secrecy::{ExposeSecret, SecretString};
use tokio_util::sync::CancellationToken;
use url::Url;

struct Sim {
    base: String,
    admin: (String, String),
    oauth: OAuthClient,
    http: reqwest::Client,
    stop: CancellationToken,
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn start_sim() -> Sim {
    let sim = sim::Simulator::new(sim::config::SimConfig {
        contacts: 20,
        leads: 5,
        ..sim::config::SimConfig::default()
    });
    let (client_id, client_secret) = sim.client_credentials();
    let admin = sim.users().into_iter().next().expect("an admin user");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let stop = CancellationToken::new();
    tokio::spawn(sim.serve(listener, stop.clone()));
    let app = ConnectedApp::new(
        &client_id,
        SecretString::from(client_secret),
        &base,
        "http://127.0.0.1:9/auth/salesforce/callback",
        "62.0",
    )
    .expect("connected app");
    Sim {
        base,
        admin,
        oauth: OAuthClient::new(app).expect("oauth client"),
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http"),
        stop,
    }
}

impl Sim {
    /// Plays the browser: posts the simulator's sign-in form for the authorize URL and returns
    /// the callback's query parameters.
    async fn approve(&self, authorize_url: &Url, action: &str) -> Vec<(String, String)> {
        let mut form: Vec<(String, String)> = authorize_url.query_pairs().into_owned().collect();
        form.push(("username".into(), self.admin.0.clone()));
        form.push(("password".into(), self.admin.1.clone()));
        form.push(("action".into(), action.into()));
        let response = self
            .http
            .post(format!("{}/services/oauth2/authorize", self.base))
            .form(&form)
            .send()
            .await
            .expect("authorize");
        assert_eq!(response.status(), 302, "the sign-in form redirects back");
        let location = response.headers()["location"].to_str().expect("location");
        Url::parse(location)
            .expect("callback url")
            .query_pairs()
            .into_owned()
            .collect()
    }

    async fn control(&self, path: &str) {
        let response = self
            .http
            .post(format!("{}/__sim/{path}", self.base))
            .send()
            .await
            .expect("control");
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
    }

    async fn token_calls(&self) -> u64 {
        self.endpoint_calls("oauth/token").await
    }

    async fn endpoint_calls(&self, endpoint: &str) -> u64 {
        let counters: serde_json::Value = self
            .http
            .get(format!("{}/__sim/counters", self.base))
            .send()
            .await
            .expect("counters")
            .json()
            .await
            .expect("json");
        counters["endpoints"][endpoint].as_u64().unwrap_or(0)
    }
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[derive(Default)]
struct CountingStore {
    saved: AtomicUsize,
    last: std::sync::Mutex<Option<String>>,
    /// Answer as if Reset Token or Disconnect replaced the stored grant meanwhile.
    replaced: std::sync::atomic::AtomicBool,
}

#[async_trait::async_trait]
impl TokenStore for CountingStore {
    async fn save_refreshed(
        &self,
        access_token: &SecretString,
        _rotated_refresh_token: Option<&SecretString>,
    ) -> Result<(), TokenStoreError> {
        if self.replaced.load(Ordering::SeqCst) {
            return Err(TokenStoreError::Replaced);
        }
        self.saved.fetch_add(1, Ordering::SeqCst);
        *self
            .last
            .lock()
            .map_err(|e| TokenStoreError::Failed(e.to_string()))? =
            Some(access_token.expose_secret().to_string());
        Ok(())
    }
}

#[tokio::test]
async fn web_server_flow_with_pkce_reads_the_identity() {
    let sim = start_sim().await;
    let start = sim.oauth.start_authorization(Prompt::Default);
    let pairs: Vec<(String, String)> = start.url.query_pairs().into_owned().collect();
    assert_eq!(param(&pairs, "code_challenge_method"), Some("S256"));
    assert_eq!(param(&pairs, "scope"), Some("api refresh_token id"));
    assert_eq!(param(&pairs, "state"), Some(start.state.as_str()));

    let callback = sim.approve(&start.url, "approve").await;
    assert_eq!(param(&callback, "state"), Some(start.state.as_str()));
    let code = param(&callback, "code").expect("a code");

    let grant = sim
        .oauth
        .exchange_code(code, &start.pkce_verifier)
        .await
        .expect("tokens");
    assert!(grant.refresh_token.is_some(), "refresh_token scope granted");
    assert_eq!(grant.instance_url.as_str().trim_end_matches('/'), sim.base);
    assert!(grant.issued_at_ms.is_some_and(|ms| ms > 1_600_000_000_000));
    let identity = sim.oauth.identity(&grant).await.expect("identity");
    assert_eq!(identity.username, sim.admin.0);
    assert_eq!(identity.user_id.len(), 18);
    assert_eq!(identity.organization_id.len(), 18);

    // The code is single-use.
    let replay = sim
        .oauth
        .exchange_code(code, &start.pkce_verifier)
        .await
        .err();
    assert!(
        matches!(replay, Some(OAuthError::Rejected { ref error, .. }) if error == "invalid_grant"),
        "{replay:?}"
    );
}

#[tokio::test]
async fn a_wrong_pkce_verifier_or_a_denial_gets_no_token() {
    let sim = start_sim().await;
    let start = sim.oauth.start_authorization(Prompt::Login);
    let pairs: Vec<(String, String)> = start.url.query_pairs().into_owned().collect();
    assert_eq!(param(&pairs, "prompt"), Some("login"));
    let callback = sim.approve(&start.url, "approve").await;
    let code = param(&callback, "code").expect("a code");
    let other = sim.oauth.start_authorization(Prompt::Default);
    let error = sim
        .oauth
        .exchange_code(code, &other.pkce_verifier)
        .await
        .err();
    assert!(
        matches!(error, Some(OAuthError::Rejected { .. })),
        "{error:?}"
    );

    let denied = sim.approve(&other.url, "deny").await;
    assert_eq!(param(&denied, "error"), Some("access_denied"));
    assert_eq!(param(&denied, "code"), None);
}

async fn connected_session(sim: &Sim, store: Arc<CountingStore>) -> Session {
    let start = sim.oauth.start_authorization(Prompt::Default);
    let callback = sim.approve(&start.url, "approve").await;
    let code = param(&callback, "code").expect("a code");
    let grant = sim
        .oauth
        .exchange_code(code, &start.pkce_verifier)
        .await
        .expect("tokens");
    Session::new(
        sim.oauth.clone(),
        grant.instance_url,
        grant.access_token,
        grant.refresh_token.expect("refresh token"),
        store,
    )
}

#[tokio::test]
async fn an_expired_access_token_is_refreshed_once_for_many_concurrent_calls() {
    let sim = start_sim().await;
    let store = Arc::new(CountingStore::default());
    let session = Arc::new(connected_session(&sim, store.clone()).await);
    let limits = session.limits().await.expect("limits");
    assert!(
        limits["DailyApiRequests"]["Max"]
            .as_u64()
            .is_some_and(|m| m > 0)
    );
    assert!(
        session
            .api_usage()
            .is_some_and(|(used, max)| used >= 1 && max > used)
    );
    let token_calls_before = sim.token_calls().await;

    sim.control("tokens/expire-access").await;
    let calls = (0..16).map(|_| {
        let session = session.clone();
        tokio::spawn(async move {
            session
                .query::<serde_json::Value>("SELECT Id FROM Contact LIMIT 3", false)
                .await
        })
    });
    for call in calls {
        let page = call.await.expect("task").expect("query after refresh");
        assert_eq!(page.records.len(), 3);
    }
    assert_eq!(
        sim.token_calls().await - token_calls_before,
        1,
        "one refresh grant"
    );
    assert_eq!(
        store.saved.load(Ordering::SeqCst),
        1,
        "the new token is stored once"
    );
    assert!(
        store
            .last
            .lock()
            .expect("lock")
            .as_deref()
            .is_some_and(|t| !t.is_empty())
    );
}

#[tokio::test]
async fn a_refused_refresh_is_an_authentication_error_and_stops_further_refreshes() {
    let sim = start_sim().await;
    let store = Arc::new(CountingStore::default());
    let session = connected_session(&sim, store.clone()).await;
    sim.control("tokens/revoke-refresh").await;
    let before = sim.token_calls().await;

    let first = session.limits().await.err();
    assert!(
        matches!(first, Some(SalesforceError::Authentication(ref m)) if m.contains("Reset Token")),
        "{first:?}"
    );
    let second = session.limits().await.err();
    assert!(
        matches!(second, Some(SalesforceError::Authentication(_))),
        "{second:?}"
    );
    assert_eq!(
        sim.token_calls().await - before,
        1,
        "no second refresh attempt"
    );
    assert_eq!(store.saved.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn revoking_a_refresh_token_ends_its_access() {
    let sim = start_sim().await;
    let store = Arc::new(CountingStore::default());
    let start = sim.oauth.start_authorization(Prompt::Default);
    let callback = sim.approve(&start.url, "approve").await;
    let grant = sim
        .oauth
        .exchange_code(
            param(&callback, "code").expect("code"),
            &start.pkce_verifier,
        )
        .await
        .expect("tokens");
    let refresh = grant.refresh_token.clone().expect("refresh token");
    sim.oauth.revoke(&refresh).await.expect("revoked");
    let again = sim.oauth.revoke(&refresh).await.err();
    assert!(
        matches!(again, Some(OAuthError::Rejected { ref error, .. }) if error == "invalid_token"),
        "{again:?}"
    );
    let session = Session::new(
        sim.oauth.clone(),
        grant.instance_url,
        grant.access_token,
        refresh,
        store,
    );
    assert!(matches!(
        session.limits().await,
        Err(SalesforceError::Authentication(_))
    ));
}

impl Sim {
    async fn fault(&self, fault: serde_json::Value) {
        let response = self
            .http
            .post(format!("{}/__sim/faults", self.base))
            .json(&fault)
            .send()
            .await
            .expect("fault");
        assert!(response.status().is_success(), "{}", response.status());
    }
}

/// A connected session whose access token expired, and whose next refresh meets `fault`.
async fn expired_session_meeting(fault: serde_json::Value) -> (Sim, Arc<CountingStore>, Session) {
    let sim = start_sim().await;
    let store = Arc::new(CountingStore::default());
    let session = connected_session(&sim, store.clone()).await;
    sim.control("tokens/expire-access").await;
    sim.fault(fault).await;
    (sim, store, session)
}

/// The token endpoint answers the next call with this OAuth error.
fn token_error(error_code: &str, message: &str) -> serde_json::Value {
    serde_json::json!({
        "endpoint": "oauth/token", "kind": "fail", "status": 400,
        "error_code": error_code, "message": message, "count": 1
    })
}

#[tokio::test]
async fn a_refresh_refused_as_invalid_client_is_an_authentication_error() {
    // The connected app was deleted or its secret changed: not a passing fault.
    let (_sim, store, session) =
        expired_session_meeting(token_error("invalid_client", "invalid client credentials")).await;

    let error = session.limits().await.err();
    assert!(
        matches!(error, Some(SalesforceError::Authentication(ref m)) if m.contains("invalid_client")),
        "{error:?}"
    );
    assert_eq!(store.saved.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_refresh_that_cannot_reach_salesforce_is_transient_and_retried_on_the_next_call() {
    let (_sim, store, session) = expired_session_meeting(
        serde_json::json!({"endpoint": "oauth/token", "kind": "drop", "count": 1}),
    )
    .await;

    let first = session.limits().await.err();
    assert!(
        matches!(first, Some(SalesforceError::Transport(_))),
        "{first:?}"
    );
    // The session is not dead: the next call refreshes and succeeds.
    session
        .limits()
        .await
        .expect("limits after the fault cleared");
    assert_eq!(store.saved.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_passing_oauth_error_on_refresh_is_transient() {
    let (_sim, store, session) =
        expired_session_meeting(token_error("unknown_error", "retry your request")).await;

    let first = session.limits().await.err();
    assert!(
        matches!(first, Some(SalesforceError::Transport(ref m)) if m.contains("unknown_error")),
        "{first:?}"
    );
    session.limits().await.expect("the next call refreshes");
    assert_eq!(store.saved.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_refresh_for_a_grant_replaced_meanwhile_is_revoked_and_ends_the_session() {
    let sim = start_sim().await;
    let store = Arc::new(CountingStore::default());
    let session = connected_session(&sim, store.clone()).await;
    sim.control("tokens/expire-access").await;
    store.replaced.store(true, Ordering::SeqCst);
    let revokes_before = sim.endpoint_calls("oauth/revoke").await;

    let error = session.limits().await.err();
    assert!(
        matches!(error, Some(SalesforceError::Authentication(ref m)) if m.contains("reset or disconnected")),
        "{error:?}"
    );
    assert_eq!(
        sim.endpoint_calls("oauth/revoke").await - revokes_before,
        1,
        "the orphaned grant is revoked"
    );
    let token_calls = sim.token_calls().await;
    assert!(matches!(
        session.limits().await,
        Err(SalesforceError::Authentication(_))
    ));
    assert_eq!(sim.token_calls().await, token_calls, "no further refresh");
}
