//! The sign-in, first-run and sign-out forms. Plain HTML form posts answered with a
//! redirect, so they work with or without JavaScript.

use app::ssr::Caller;
use axum::{
    Extension, Form,
    extract::State,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

use super::{
    AppState,
    client::ClientAddr,
    guard::encode_query_value,
    render_page,
    session::{SESSION_COOKIE, cleared_session_cookie, session_cookie},
};
use crate::console::{Refusal, SetupForm, SignInAttempt};

/// Where signed-in administrators land by default.
const HOME: &str = "/admin/integrations";

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// `POST /auth/login`
pub async fn login(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ClientAddr(client): ClientAddr,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Response {
    let attempt = SignInAttempt {
        username: &form.username,
        password: &form.password,
        client,
        previous_token: jar.get(SESSION_COOKIE).map(|c| c.value()),
    };
    match state.console.sign_in(attempt).await {
        Ok(session) => {
            let jar = jar.add(session_cookie(session.token));
            (jar, Redirect::to(local_path_or_home(&form.next))).into_response()
        }
        Err(refusal) => {
            let mut target = format!("/login?error={}", refusal.error.code());
            if let Some(next) = Some(form.next.as_str()).filter(|n| is_local_path(n)) {
                target.push_str("&next=");
                target.push_str(&encode_query_value(next));
            }
            refused(&state, caller, &target, refusal).await
        }
    }
}

/// `POST /auth/setup`
pub async fn setup(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ClientAddr(client): ClientAddr,
    jar: CookieJar,
    Form(form): Form<SetupForm>,
) -> Response {
    match state.console.complete_first_run(&form, client).await {
        Ok(session) => (jar.add(session_cookie(session.token)), Redirect::to(HOME)).into_response(),
        Err(Refusal {
            error: app::types::FormError::SetupDone,
            ..
        }) => Redirect::to("/login").into_response(),
        Err(refusal) => {
            let target = format!("/setup?error={}", refusal.error.code());
            refused(&state, caller, &target, refusal).await
        }
    }
}

/// A refused form: back to the form with its message. A throttled one is answered at once
/// with 429, `Retry-After` and the form showing why (no redirect, so the status reaches the
/// client, with or without JavaScript).
async fn refused(state: &AppState, caller: Caller, target: &str, refusal: Refusal) -> Response {
    let Some(retry_after) = refusal.retry_after else {
        return Redirect::to(target).into_response();
    };
    let mut response = render_page(state, caller, target, StatusCode::TOO_MANY_REQUESTS).await;
    response.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from(retry_after.as_secs().max(1)),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `POST /auth/logout`: ends the session the cookie carries and clears the cookie, also when
/// the session already expired (so the route is public; it can only end the caller's own).
pub async fn logout(State(state): State<AppState>, jar: CookieJar) -> Response {
    if let Some(cookie) = jar.get(SESSION_COOKIE) {
        state.console.sign_out(cookie.value()).await;
    }
    (jar.add(cleared_session_cookie()), Redirect::to("/login")).into_response()
}

/// Only same-site paths are followed after sign-in (no open redirect to another host).
fn is_local_path(next: &str) -> bool {
    next.starts_with('/') && !next.starts_with("//") && !next.contains('\\')
}

fn local_path_or_home(next: &str) -> &str {
    if is_local_path(next) { next } else { HOME }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path_or_home("/admin/campaigns"), "/admin/campaigns");
        assert_eq!(local_path_or_home("//evil.example/x"), HOME);
        assert_eq!(local_path_or_home("https://evil.example"), HOME);
        assert_eq!(local_path_or_home("/\\evil.example"), HOME);
        assert_eq!(local_path_or_home(""), HOME);
    }
}
