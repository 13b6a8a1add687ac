//! The public origin (`--public-url`): the one scheme, host and port browsers use to reach
//! orgsync. Requests addressed to another host are refused (DNS rebinding), writes whose
//! `Origin` is another origin are refused (CSRF, in the guard), and an https public URL makes
//! the session cookie `Secure` and turns on HSTS.

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    http::{StatusCode, header, uri::Authority},
    middleware::Next,
    response::{IntoResponse, Response},
};
use url::{Origin, Url};

use super::{AppState, health};

/// Why a public URL cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PublicUrlError {
    #[error("the public URL {0:?} is not a valid URL")]
    Invalid(String),
    #[error("the public URL {0:?} must start with http:// or https:// and name a host")]
    NotHttp(String),
}

/// The parsed public URL, shared by every request.
#[derive(Debug, Clone)]
pub struct PublicOrigin(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    url: Url,
    origin: Origin,
    host: String,
    port: u16,
}

impl PublicOrigin {
    /// Parses `--public-url` (or its default, `http://<listen>`).
    pub fn parse(public_url: &str) -> Result<Self, PublicUrlError> {
        let url = Url::parse(public_url).map_err(|_| PublicUrlError::Invalid(public_url.into()))?;
        let not_http = || PublicUrlError::NotHttp(public_url.into());
        if !matches!(url.scheme(), "http" | "https") {
            return Err(not_http());
        }
        let host = url.host_str().ok_or_else(not_http)?.to_ascii_lowercase();
        let port = url.port_or_known_default().ok_or_else(not_http)?;
        Ok(PublicOrigin(Arc::new(Inner {
            origin: url.origin(),
            url,
            host,
            port,
        })))
    }

    /// True for an `https://` public URL.
    pub fn is_https(&self) -> bool {
        self.0.url.scheme() == "https"
    }

    /// The public URL as configured (for messages).
    pub fn url(&self) -> &Url {
        &self.0.url
    }

    /// True when an `Origin` header value names exactly the public origin (scheme, host
    /// and port; a default port may be written or left out).
    pub fn is_same_origin(&self, origin: &str) -> bool {
        Url::parse(origin).is_ok_and(|url| url.origin() == self.0.origin)
    }

    /// True when a `Host` header value (or HTTP/2 authority) is the public URL's host and
    /// port. A missing port means the scheme's default.
    pub fn is_public_host(&self, host: &str) -> bool {
        let Ok(authority) = host.parse::<Authority>() else {
            return false;
        };
        if authority.as_str().contains('@') {
            return false;
        }
        let default_port = if self.is_https() { 443 } else { 80 };
        authority.host().eq_ignore_ascii_case(&self.0.host)
            && authority.port_u16().unwrap_or(default_port) == self.0.port
    }
}

/// A request addressed to a host other than the public URL's.
#[derive(Debug, Clone)]
pub struct MisdirectedRequest {
    public_url: Url,
}

impl IntoResponse for MisdirectedRequest {
    fn into_response(self) -> Response {
        let message = format!(
            "This orgsync answers at {} only (its --public-url). Open it there.",
            self.public_url.as_str().trim_end_matches('/')
        );
        (StatusCode::MISDIRECTED_REQUEST, message).into_response()
    }
}

/// Middleware: refuses (421) any request whose `Host` is not the public URL's host and port,
/// so that a hostile site whose name was re-pointed at this server (DNS rebinding) is never
/// answered. `/healthz` is exempt: probes call it by IP address, and it reads and changes
/// nothing.
pub async fn require_public_host(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if request.uri().path() == health::HEALTH_PATH {
        return next.run(request).await;
    }
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .or_else(|| request.uri().authority().map(Authority::as_str));
    match host {
        Some(host) if state.public.is_public_host(host) => next.run(request).await,
        host => {
            tracing::warn!(
                host = host.unwrap_or("(none)"),
                path = %request.uri().path(),
                "refused a request for another host"
            );
            MisdirectedRequest {
                public_url: state.public.url().clone(),
            }
            .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(url: &str) -> PublicOrigin {
        PublicOrigin::parse(url).expect("public url")
    }

    #[test]
    fn only_http_urls_with_a_host_are_public_urls() {
        assert!(PublicOrigin::parse("http://127.0.0.1:3000").is_ok());
        assert!(PublicOrigin::parse("https://orgsync.example/").is_ok());
        assert!(matches!(
            PublicOrigin::parse("orgsync.example"),
            Err(PublicUrlError::Invalid(_))
        ));
        assert!(matches!(
            PublicOrigin::parse("ftp://orgsync.example"),
            Err(PublicUrlError::NotHttp(_))
        ));
    }

    #[test]
    fn origin_must_match_scheme_host_and_port() {
        let local = public("http://127.0.0.1:3000");
        assert!(local.is_same_origin("http://127.0.0.1:3000"));
        assert!(!local.is_same_origin("http://localhost:3000"));
        assert!(!local.is_same_origin("http://127.0.0.1:3001"));
        assert!(!local.is_same_origin("https://127.0.0.1:3000"));
        assert!(!local.is_same_origin("http://evil.example:3000"));
        assert!(!local.is_same_origin("null"));
        assert!(!local.is_same_origin(""));

        let tls = public("https://Orgsync.Example/");
        assert!(tls.is_same_origin("https://orgsync.example"));
        assert!(tls.is_same_origin("https://orgsync.example:443"));
        assert!(!tls.is_same_origin("http://orgsync.example"));
        assert!(!tls.is_same_origin("https://orgsync.example.evil.example"));
    }

    #[test]
    fn host_must_be_the_public_host_and_port() {
        let local = public("http://127.0.0.1:3000");
        assert!(local.is_public_host("127.0.0.1:3000"));
        // DNS rebinding: a hostile name pointed at 127.0.0.1.
        assert!(!local.is_public_host("evil.example:3000"));
        assert!(!local.is_public_host("localhost:3000"));
        assert!(!local.is_public_host("127.0.0.1:3001"));
        assert!(!local.is_public_host("127.0.0.1"));
        assert!(!local.is_public_host("user@127.0.0.1:3000"));
        assert!(!local.is_public_host(""));

        let tls = public("https://orgsync.example");
        assert!(tls.is_public_host("orgsync.example"));
        assert!(tls.is_public_host("ORGSYNC.example:443"));
        assert!(!tls.is_public_host("orgsync.example:80"));

        let v6 = public("http://[::1]:3000");
        assert!(v6.is_public_host("[::1]:3000"));
        assert!(!v6.is_public_host("[::2]:3000"));
    }
}
