//! The Salesforce sign-in window: `POST /auth/salesforce/start` sends the browser to
//! Salesforce; `GET /auth/salesforce/callback` finishes the sign-in and shows its outcome.
//!
//! The outcome page tells the Integrations page (over a `BroadcastChannel`, see
//! `app::browser`) and closes itself; without JavaScript it shows the outcome and a link back.

use app::{
    ssr::Caller,
    types::{SALESFORCE_SIGN_IN_WINDOW, SalesforceOutcome},
};
use axum::{
    Extension, Form,
    extract::{Query, State, rejection::QueryRejection},
    http::{StatusCode, header},
    response::{Html, IntoResponse, Redirect, Response},
};
use leptos::nonce::Nonce;
use serde::Deserialize;

use super::AppState;
use crate::console::{CallbackParams, SignInIntent};

/// The callback path registered as the connected app's callback URL.
pub const CALLBACK_PATH: &str = "/auth/salesforce/callback";

#[derive(Debug, Deserialize)]
pub struct StartForm {
    intent: SignInIntent,
}

/// `POST /auth/salesforce/start` (Set up, Reset Token).
pub async fn start(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    nonce: Option<Extension<Nonce>>,
    Form(form): Form<StartForm>,
) -> Response {
    match state
        .console
        .start_salesforce_sign_in(&caller, form.intent)
        .await
    {
        Ok(url) => Redirect::to(url.as_str()).into_response(),
        Err(outcome) => outcome_page(outcome, nonce.map(|Extension(n)| n)),
    }
}

/// `GET /auth/salesforce/callback?code&state` or `?error&error_description&state`.
pub async fn callback(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    nonce: Option<Extension<Nonce>>,
    params: Result<Query<CallbackParams>, QueryRejection>,
) -> Response {
    // A query that does not even parse is treated like one without a state: nothing happens.
    let params = params.map(|Query(p)| p).unwrap_or_default();
    // Its own task, under the application's tracker (shutdown waits for it): once Salesforce
    // has issued tokens they must be stored or revoked, even if the browser goes away or the
    // answer is cut off by the request timeout.
    let console = state.console.clone();
    let work = state
        .tasks
        .spawn(async move { console.complete_salesforce_sign_in(&caller, params).await });
    let outcome = work.await.unwrap_or_else(|error| {
        tracing::error!(%error, "the Salesforce callback's task failed");
        SalesforceOutcome::Failed
    });
    outcome_page(outcome, nonce.map(|Extension(n)| n))
}

/// The page the sign-in window ends on. Its one inline script carries the request's
/// Content-Security-Policy nonce.
fn outcome_page(outcome: SalesforceOutcome, nonce: Option<Nonce>) -> Response {
    let nonce = nonce.map(|n| escape(&n)).unwrap_or_default();
    let code = outcome.code();
    let back = format!("/admin/integrations?salesforce={code}");
    let (tone, status) = if outcome.is_success() {
        ("alert-success", StatusCode::OK)
    } else {
        ("alert-error", StatusCode::BAD_REQUEST)
    };
    let title = escape(outcome.title());
    let message = escape(outcome.message());
    // Everything interpolated below is ours: fixed codes and messages, HTML-escaped anyway.
    let html = format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · orgsync</title>
<link rel="stylesheet" href="/pkg/orgsync.css">
</head>
<body>
<main class="auth-page">
<div class="auth-card card" data-outcome="{code}">
<div class="auth-brand"><img src="/favicon.svg" alt="" width="32" height="32"><span>orgsync</span></div>
<div class="alert {tone}" role="status"><span class="alert-title">{title}</span><p>{message}</p></div>
<p class="auth-footer"><a class="btn btn-primary btn-block" href="{back}" target="_self">Back to Integrations</a></p>
</div>
</main>
<script nonce="{nonce}">
(function () {{
  var code = "{code}";
  try {{ var channel = new BroadcastChannel("{channel}"); channel.postMessage(code); channel.close(); }} catch (e) {{}}
  // Close the sign-in popup (browsers only allow it for windows a script opened).
  if (window.opener || window.name === "{channel}") {{ setTimeout(function () {{ window.close(); }}, 300); }}
}})();
</script>
</body>
</html>"#,
        channel = SALESFORCE_SIGN_IN_WINDOW,
    );
    (
        status,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        Html(html),
    )
        .into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
