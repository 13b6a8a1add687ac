#![recursion_limit = "256"]

//! `orgsync sim`: an in-memory Salesforce org that speaks Salesforce's wire protocols over
//! real HTTP: OAuth 2.0 web-server flow, the REST API (SOQL queries, sobjects), Change Data
//! Capture over the Streaming API (CometD long-polling), and a control API for tests.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! let sim = sim::Simulator::new(sim::SimConfig::default());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! sim.serve(listener, tokio_util::sync::CancellationToken::new()).await
//! # }
//! ```

pub mod cometd;
pub mod config;
pub mod errors;
pub mod events;
pub mod ids;
pub mod schema;

mod auth;
mod cdc;
mod control;
mod endpoints;
mod faults;
mod oauth;
mod records;
mod rest;
pub mod seed;
mod state;
mod tls;

use std::sync::Arc;

use axum::{Router, middleware::from_fn_with_state};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;
use tower_http::normalize_path::NormalizePath;

pub use config::{DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, Edition, SimConfig};

use auth::AccessStatus;
use cometd::{Cometd, CometdConfig, StreamingFault, StreamingOrg, TokenStatus};
use faults::FaultKind;
use state::Org;

/// What every handler gets.
#[derive(Clone)]
pub(crate) struct AppState {
    pub org: Arc<Org>,
    pub cometd: Arc<Cometd<Org>>,
}

impl StreamingOrg for Org {
    fn events(&self) -> &events::EventLog {
        &self.events
    }

    fn authenticate(&self, authorization: Option<&str>) -> TokenStatus {
        let Some((scheme, token)) = authorization.and_then(|a| a.trim().split_once(' ')) else {
            return TokenStatus::Invalid;
        };
        if !(scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("oauth")) {
            return TokenStatus::Invalid;
        }
        match self.tokens().status(token.trim()) {
            AccessStatus::Valid(_) => TokenStatus::Valid,
            AccessStatus::Expired(_) => TokenStatus::Expired,
            AccessStatus::Invalid => TokenStatus::Invalid,
        }
    }

    fn cdc_refusal(&self, channel: &str) -> Option<String> {
        if !self.settings().edition.cdc_enabled() {
            return Some(
                "403::User not allowed to subscribe CDC without View All Data permissions".into(),
            );
        }
        let name = channel.strip_prefix("/data/").unwrap_or(channel);
        if name == "ChangeEvents" {
            return None;
        }
        let entity = name.strip_suffix("ChangeEvent").unwrap_or(name);
        let known = schema::Object::WRITABLE.iter().any(|o| o.name() == entity);
        (!known).then(|| {
            format!("400::The channel you requested to subscribe to doesn't exist {channel}")
        })
    }

    fn record_call(&self, endpoint: &str) {
        Org::record_call(self, endpoint);
    }

    fn streaming_fault(&self, endpoint: &str) -> Option<StreamingFault> {
        let applied = self.faults.take(endpoint);
        match applied.outcome {
            Some(FaultKind::Drop | FaultKind::DropAfterCommit) => Some(StreamingFault::Drop),
            Some(FaultKind::Fail {
                status,
                message,
                bayeux_error,
                ..
            }) => Some(StreamingFault::Fail {
                bayeux_error: bayeux_error.unwrap_or_else(|| format!("{status}::{message}")),
            }),
            Some(FaultKind::AnswerLate { latency_ms }) => {
                Some(StreamingFault::Delay(applied.latency.saturating_add(
                    std::time::Duration::from_millis(latency_ms),
                )))
            }
            _ if !applied.latency.is_zero() => Some(StreamingFault::Delay(applied.latency)),
            _ => None,
        }
    }
}

/// The simulator: cheap to clone (shared state).
#[derive(Clone)]
pub struct Simulator {
    state: AppState,
    tls: Option<(String, TlsAcceptor)>,
}

impl Simulator {
    /// Builds the org (users, seed records) and, with `tls`, a self-signed certificate.
    pub fn new(config: SimConfig) -> Self {
        let tls = if config.tls {
            let extra: Vec<String> = config
                .base_url
                .as_deref()
                .and_then(|u| u.split("://").nth(1))
                .and_then(|rest| rest.split([':', '/']).next())
                .map(|host| vec![host.to_string()])
                .unwrap_or_default();
            match tls::self_signed(&extra) {
                Ok((_, pem, acceptor)) => Some((pem, acceptor)),
                Err(error) => {
                    tracing::error!(%error, "could not create the TLS certificate");
                    None
                }
            }
        } else {
            None
        };
        let org = Arc::new(Org::new(config));
        let cometd = Cometd::new(Arc::clone(&org), CometdConfig::default());
        Simulator {
            state: AppState { org, cometd },
            tls,
        }
    }

    /// All routes: OAuth, REST, CometD and the control API under `/__sim/`. Trailing slashes
    /// are ignored (`/query/` = `/query`).
    pub fn router(&self) -> Router {
        let state = self.state.clone();
        // The certificate a client must trust (served over the connection it secures, so a
        // test fetches it once without verification; 404 without TLS). Never counted or faulted.
        let pem = self.certificate_pem();
        let certificate = Router::new().route(
            "/__sim/certificate",
            axum::routing::get(move || {
                let pem = pem.clone();
                async move {
                    match pem {
                        Some(pem) => (
                            axum::http::StatusCode::OK,
                            [(axum::http::header::CONTENT_TYPE, "application/x-pem-file")],
                            pem,
                        ),
                        None => (
                            axum::http::StatusCode::NOT_FOUND,
                            [(axum::http::header::CONTENT_TYPE, "text/plain")],
                            "TLS is off: the simulator serves plain HTTP\n".to_string(),
                        ),
                    }
                }
            }),
        );
        let inner: Router = Router::new()
            .merge(oauth::router())
            .merge(rest::router())
            .fallback(rest::not_found)
            .layer(from_fn_with_state(state.clone(), endpoints::middleware))
            .merge(control::router())
            .with_state(state.clone())
            .merge(certificate)
            .merge(state.cometd.router());
        // Salesforce answers `/services/data/` like `/services/data`: trailing slashes are
        // trimmed before routing (a layer on `inner` itself would run after routing).
        Router::new().fallback_service(NormalizePath::trim_trailing_slash(inner))
    }

    /// The connected app's (client id, client secret).
    pub fn client_credentials(&self) -> (String, String) {
        let config = &self.state.org.config;
        (config.client_id.clone(), config.client_secret.clone())
    }

    /// The simulated users' (username, password); the first is the admin.
    pub fn users(&self) -> Vec<(String, String)> {
        self.state
            .org
            .users
            .iter()
            .map(|u| (u.username.clone(), u.password.clone()))
            .collect()
    }

    /// The PEM of the self-signed certificate when TLS is on.
    pub fn certificate_pem(&self) -> Option<String> {
        self.tls.as_ref().map(|(pem, _)| pem.clone())
    }

    /// The org id (`00D...`).
    pub fn org_id(&self) -> String {
        self.state.org.org_id.clone()
    }

    /// A snapshot of the live (not deleted) records of `object` in id order, exactly as a
    /// query sees them. For tests that check their own reading of the org's data against
    /// the simulator's SOQL engine (the `filters` crate's agreement test).
    pub fn records(
        &self,
        object: schema::Object,
    ) -> Vec<serde_json::Map<String, serde_json::Value>> {
        let data = self.state.org.read();
        data.table(object)
            .records
            .values()
            .filter(|r| r.get("IsDeleted") != Some(&serde_json::Value::Bool(true)))
            .map(|r| r.as_ref().clone())
            .collect()
    }

    /// Serves on `listener` (HTTPS when configured) until `shutdown` is cancelled.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: CancellationToken,
    ) -> std::io::Result<()> {
        if self.state.org.config.tls && self.tls.is_none() {
            return Err(std::io::Error::other(
                "TLS was requested but no certificate could be created",
            ));
        }
        let router = self.router();
        let acceptor = self.tls.as_ref().map(|(_, a)| a.clone());
        loop {
            let (stream, _) = tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                accepted = listener.accept() => match accepted {
                    Ok(pair) => pair,
                    Err(error) => {
                        tracing::warn!(%error, "accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            let router = router.clone();
            let acceptor = acceptor.clone();
            let shutdown = shutdown.clone();
            tokio::spawn(async move {
                let _ = stream.set_nodelay(true);
                match acceptor {
                    Some(acceptor) => match acceptor.accept(stream).await {
                        Ok(tls) => serve_connection(TokioIo::new(tls), router, shutdown).await,
                        Err(error) => tracing::debug!(%error, "TLS handshake failed"),
                    },
                    None => serve_connection(TokioIo::new(stream), router, shutdown).await,
                }
            });
        }
    }
}

/// The error that makes hyper close a connection without answering (injected `drop`).
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for Dropped {}

async fn serve_connection<I>(io: TokioIo<I>, router: Router, shutdown: CancellationToken)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service =
        hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
            let router = router.clone();
            async move {
                let response = match router.oneshot(request.map(axum::body::Body::new)).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                };
                if response
                    .extensions()
                    .get::<endpoints::DropConnection>()
                    .is_some()
                {
                    return Err(Dropped);
                }
                Ok::<_, Dropped>(response)
            }
        });
    let connection = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(io, service)
        .with_upgrades();
    tokio::select! {
        result = connection => {
            if let Err(error) = result {
                tracing::debug!(%error, "connection ended with an error");
            }
        }
        () = shutdown.cancelled() => {}
    }
}
