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
use leptos::nonce::Nonce;
use serde::Deserialize;

use super::{
    AppState,
    client::ClientAddr,
    next_path::local_path,
    render_page,
    session::{cleared_session_cookie, session_cookie, session_cookie_name},
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
    nonce: Option<Extension<Nonce>>,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Response {
    let attempt = SignInAttempt {
        username: &form.username,
        password: &form.password,
        client,
        previous_token: jar
            .get(session_cookie_name(&state.public))
            .map(|c| c.value()),
    };
    match state.console.sign_in(attempt).await {
        Ok(session) => {
            let jar = jar.add(session_cookie(&state.public, session.token));
            let target = local_path(&form.next).unwrap_or_else(|| HOME.to_string());
            (jar, Redirect::to(&target)).into_response()
        }
        Err(refusal) => {
            let target = login_target(refusal.error.code(), &form.next);
            refused(&state, caller, nonce, &target, refusal).await
        }
    }
}

/// `POST /auth/setup`
pub async fn setup(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ClientAddr(client): ClientAddr,
    nonce: Option<Extension<Nonce>>,
    jar: CookieJar,
    Form(form): Form<SetupForm>,
) -> Response {
    match state.console.complete_first_run(&form, client).await {
        Ok(session) => (
            jar.add(session_cookie(&state.public, session.token)),
            Redirect::to(HOME),
        )
            .into_response(),
        Err(Refusal {
            error: app::types::FormError::SetupDone,
            ..
        }) => Redirect::to("/login").into_response(),
        Err(refusal) => {
            let target = format!("/setup?error={}", refusal.error.code());
            refused(&state, caller, nonce, &target, refusal).await
        }
    }
}

/// The sign-in page again, with the error and the `next` path when it is local. (The
/// serializer is not `Send`, so it must not live across an await.)
fn login_target(error: &str, next: &str) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("error", error);
    if let Some(next) = local_path(next) {
        query.append_pair("next", &next);
    }
    format!("/login?{}", query.finish())
}

/// A refused form: back to the form with its message. A throttled one is answered at once
/// with 429, `Retry-After` and the form showing why (no redirect, so the status reaches the
/// client, with or without JavaScript).
async fn refused(
    state: &AppState,
    caller: Caller,
    nonce: Option<Extension<Nonce>>,
    target: &str,
    refusal: Refusal,
) -> Response {
    let Some(retry_after) = refusal.retry_after else {
        return Redirect::to(target).into_response();
    };
    let mut response = render_page(
        state,
        caller,
        nonce.map(|Extension(n)| n),
        target,
        StatusCode::TOO_MANY_REQUESTS,
    )
    .await;
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
    let name = session_cookie_name(&state.public);
    if let Some(cookie) = jar.get(name) {
        state.console.sign_out(cookie.value()).await;
    }
    (
        jar.add(cleared_session_cookie(&state.public)),
        Redirect::to("/login"),
    )
        .into_response()
}
