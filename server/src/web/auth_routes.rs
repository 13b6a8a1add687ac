//! The sign-in, first-run and sign-out forms. Plain HTML form posts answered with a
//! redirect, so they work with or without JavaScript.

use axum::{
    Form,
    extract::State,
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

use super::{
    AppState,
    guard::encode_query_value,
    session::{SESSION_COOKIE, cleared_session_cookie, session_cookie},
};
use crate::console::SetupForm;

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
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Response {
    match state.console.sign_in(&form.username, &form.password).await {
        Ok(session) => {
            let jar = jar.add(session_cookie(session.token));
            (jar, Redirect::to(local_path_or_home(&form.next))).into_response()
        }
        Err(error) => {
            let mut target = format!("/login?error={}", error.code());
            if let Some(next) = Some(form.next.as_str()).filter(|n| is_local_path(n)) {
                target.push_str("&next=");
                target.push_str(&encode_query_value(next));
            }
            Redirect::to(&target).into_response()
        }
    }
}

/// `POST /auth/setup`
pub async fn setup(
    State(state): State<AppState>,
    jar: CookieJar,
    Form(form): Form<SetupForm>,
) -> Response {
    match state.console.complete_first_run(&form).await {
        Ok(session) => (jar.add(session_cookie(session.token)), Redirect::to(HOME)).into_response(),
        Err(app::types::FormError::SetupDone) => Redirect::to("/login").into_response(),
        Err(error) => Redirect::to(&format!("/setup?error={}", error.code())).into_response(),
    }
}

/// `POST /auth/logout`
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
