//! Resolves the session cookie into a [`Caller`] once per request.

use axum::{
    extract::{Request, State},
    middleware::Next,
    response::Response,
};
use axum_extra::extract::cookie::CookieJar;
use cookie::{Cookie, SameSite};

use super::AppState;
use crate::console::SESSION_TTL;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "orgsync_session";

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
        .resolve(jar.get(SESSION_COOKIE).map(Cookie::value))
        .await;
    request.extensions_mut().insert(caller);
    next.run(request).await
}

/// The cookie that carries a new session: HttpOnly (no script reads it), SameSite=Lax (not
/// sent on cross-site POSTs, still sent when a sign-in popup returns to us).
pub fn session_cookie(token: String) -> Cookie<'static> {
    let max_age = time_duration(SESSION_TTL);
    Cookie::build((SESSION_COOKIE, token))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .max_age(max_age)
        .build()
}

/// The cookie that clears the session in the browser.
pub fn cleared_session_cookie() -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, ""))
        .path("/")
        .removal()
        .build()
}

fn time_duration(d: std::time::Duration) -> cookie::time::Duration {
    cookie::time::Duration::seconds(i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
