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
    next_path::local_path,
    session::{cleared_session_cookie, session_cookie, session_cookie_name},
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
            let jar = jar.add(session_cookie(&state.public, session.token));
            let target = local_path(&form.next).unwrap_or_else(|| HOME.to_string());
            (jar, Redirect::to(&target)).into_response()
        }
        Err(error) => {
            let mut query = form_urlencoded::Serializer::new(String::new());
            query.append_pair("error", error.code());
            if let Some(next) = local_path(&form.next) {
                query.append_pair("next", &next);
            }
            Redirect::to(&format!("/login?{}", query.finish())).into_response()
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
        Ok(session) => (
            jar.add(session_cookie(&state.public, session.token)),
            Redirect::to(HOME),
        )
            .into_response(),
        Err(app::types::FormError::SetupDone) => Redirect::to("/login").into_response(),
        Err(error) => Redirect::to(&format!("/setup?error={}", error.code())).into_response(),
    }
}

/// `POST /auth/logout`
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
