//! A plain HTTP client for the simulator: signs in through the OAuth web-server flow, like a
//! real connected app would, and returns the access token.

use anyhow::{Context, bail};
use serde_json::Value;

const REDIRECT: &str = "http://localhost:8765/callback";

/// An in-process simulator on a free port, with a signed-in client.
pub struct SimSession {
    pub base: String,
    pub token: String,
    pub http: reqwest::Client,
    pub shutdown: tokio_util::sync::CancellationToken,
}

impl Drop for SimSession {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub async fn start(config: sim::config::SimConfig) -> anyhow::Result<SimSession> {
    let simulator = sim::Simulator::new(config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let shutdown = tokio_util::sync::CancellationToken::new();
    let (client_id, client_secret) = simulator.client_credentials();
    let (username, password) = simulator
        .users()
        .into_iter()
        .next()
        .context("the simulator has no user")?;
    tokio::spawn(simulator.serve(listener, shutdown.clone()));
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let token = sign_in(
        &http,
        &base,
        &client_id,
        &client_secret,
        &username,
        &password,
    )
    .await?;
    Ok(SimSession {
        base,
        token,
        http,
        shutdown,
    })
}

/// Signs in to the simulator at `base` through the web-server flow (authorize form, then
/// code exchange with the client secret) and returns the access token. `http` must not
/// follow redirects.
pub async fn sign_in(
    http: &reqwest::Client,
    base: &str,
    client_id: &str,
    client_secret: &str,
    username: &str,
    password: &str,
) -> anyhow::Result<String> {
    let authorize = http
        .post(format!("{base}/services/oauth2/authorize"))
        .form(&[
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", REDIRECT),
            ("state", "bench"),
            ("scope", "api refresh_token"),
            ("username", username),
            ("password", password),
            ("action", "approve"),
        ])
        .send()
        .await?;
    let location = authorize
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .context("authorize did not redirect")?
        .to_string();
    let query = location.split_once('?').map_or("", |(_, query)| query);
    let code = form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "code")
        .map(|(_, value)| value.into_owned())
        .context("no code in the authorize redirect")?;
    let token: Value = http
        .post(format!("{base}/services/oauth2/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", client_id),
            ("client_secret", client_secret),
            ("redirect_uri", REDIRECT),
        ])
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let Some(token) = token["access_token"].as_str() else {
        bail!("no access token in {token}");
    };
    Ok(token.to_string())
}
