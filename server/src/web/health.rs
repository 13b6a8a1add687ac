//! `GET /healthz`: 200 when the database answers, 503 otherwise.

use axum::{extract::State, http::StatusCode};

use super::AppState;

/// The health check's path (exempt from the public-host check, see [`super::origin`]).
pub const HEALTH_PATH: &str = "/healthz";

pub async fn healthz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match state.console.db().ping().await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(error) => {
            tracing::error!(?error, "health check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
        }
    }
}
