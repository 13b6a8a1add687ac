//! Security headers on every response: a Content-Security-Policy with a fresh nonce per
//! request, `frame-ancestors 'none'` (no clickjacking of Disconnect), `nosniff`, a
//! `Referrer-Policy`, `Cache-Control: no-store` on everything but the site files, and HSTS
//! when the public URL is https.
//!
//! Leptos's hydration bootstrap and its streamed resources are inline scripts: they carry
//! the request's nonce (the router's Leptos context provides it from the request, see
//! [`provide_request_nonce`]), and no other inline script runs. The wasm bundle needs
//! `'wasm-unsafe-eval'`.

use axum::{
    extract::{Request, State},
    http::{HeaderValue, header},
    middleware::Next,
    response::Response,
};
use leptos::{nonce::Nonce, prelude::*};

use super::AppState;

/// HSTS lifetime: one year.
const HSTS: &str = "max-age=31536000";

/// Where the app may load from: only itself. `form-action` is left open because Set up and
/// Reset Token post a form that redirects to Salesforce's sign-in page.
fn content_security_policy(nonce: &Nonce) -> String {
    format!(
        "default-src 'self'; \
         script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; \
         img-src 'self'; \
         connect-src 'self'; \
         object-src 'none'; \
         base-uri 'none'; \
         frame-ancestors 'none'"
    )
}

/// Middleware: gives the request a nonce (for pages rendered from it) and sets the headers
/// on whatever answers it.
pub async fn security_headers(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let nonce = Nonce::new();
    request.extensions_mut().insert(nonce.clone());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if let Ok(csp) = HeaderValue::from_str(&content_security_policy(&nonce)) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // `same-origin`, not `no-referrer`: a server-function form posted without JavaScript
    // is answered with a redirect back to its `Referer`. Other sites get nothing.
    headers
        .entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("same-origin"));
    // Only the site files (which say `no-cache` themselves) may be kept by a cache.
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    if state.public.is_https() {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    response
}

/// The request's nonce, if [`security_headers`] gave it one.
pub fn request_nonce(extensions: &axum::http::Extensions) -> Option<Nonce> {
    extensions.get::<Nonce>().cloned()
}

/// For the Leptos context of a page: makes `use_nonce()` answer the nonce that this
/// request's Content-Security-Policy allows (Leptos would otherwise invent its own).
pub fn provide_request_nonce() {
    if let Some(nonce) = use_context::<axum::http::request::Parts>()
        .and_then(|parts| request_nonce(&parts.extensions))
    {
        provide_context(nonce);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_allows_only_the_nonce_and_self() {
        let nonce = Nonce::from_value("abc123");
        let csp = content_security_policy(&nonce);
        assert!(csp.contains("script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval';"));
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(!csp.contains("unsafe-inline"));
        assert!(!csp.contains("'unsafe-eval'"));
    }
}
