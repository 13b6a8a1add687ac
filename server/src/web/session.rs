//! Resolves the session cookie into a [`Caller`] once per request.

use axum::{
    extract::{Request, State},
    middleware::Next,
    response::Response,
};
use axum_extra::extract::cookie::CookieJar;
use cookie::{Cookie, SameSite};

use super::{AppState, origin::PublicOrigin};
use crate::console::SESSION_TTL;

/// The session cookie's name on an http public URL.
pub const SESSION_COOKIE: &str = "orgsync_session";

/// The session cookie's name on an https public URL. Browsers accept a `__Host-` cookie
/// only when it is `Secure`, has `Path=/` and no `Domain`, so no subdomain and no plain-http
/// page can set or shadow it.
pub const SECURE_SESSION_COOKIE: &str = "__Host-orgsync_session";

/// The session cookie's name for this public URL.
pub fn session_cookie_name(public: &PublicOrigin) -> &'static str {
    if public.is_https() {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

/// Puts the request's [`app::ssr::Caller`] into its extensions, where handlers, the guard and server
/// functions read it.
pub async fn resolve_caller(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let jar = CookieJar::from_headers(request.headers());
    let caller = state
        .console
        .resolve(
            jar.get(session_cookie_name(&state.public))
                .map(Cookie::value),
        )
        .await;
    request.extensions_mut().insert(caller);
    next.run(request).await
}

/// The cookie that carries a new session: HttpOnly (no script reads it), SameSite=Lax (not
/// sent on cross-site POSTs, still sent when a sign-in popup returns to us), and on an
/// https public URL `Secure` with the `__Host-` prefix (never sent over plain http).
pub fn session_cookie(public: &PublicOrigin, token: String) -> Cookie<'static> {
    let max_age = time_duration(SESSION_TTL);
    Cookie::build((session_cookie_name(public), token))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(public.is_https())
        .path("/")
        .max_age(max_age)
        .build()
}

/// The cookie that clears the session in the browser (with the same attributes, or a
/// browser would not accept it for a `__Host-` cookie).
pub fn cleared_session_cookie(public: &PublicOrigin) -> Cookie<'static> {
    Cookie::build((session_cookie_name(public), ""))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(public.is_https())
        .path("/")
        .removal()
        .build()
}

fn time_duration(d: std::time::Duration) -> cookie::time::Duration {
    cookie::time::Duration::seconds(i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
