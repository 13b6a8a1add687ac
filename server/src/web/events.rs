//! `GET /api/events`: the live status stream (ST-05), server-sent events for the signed-in
//! administrator's organization only.
//!
//! Each stream starts with a snapshot of the organization's syncs, then forwards the status
//! bus's messages for that organization (the bus is subscribed before the snapshot is read,
//! so nothing falls between the two). A browser that reconnects (EventSource does so by
//! itself, sending `Last-Event-ID`) gets a fresh snapshot, which covers whatever it missed,
//! removals included; a reader that falls behind the bus gets one too. Keep-alive comments
//! flow every 15 s, and every stream ends when the server shuts down.

use std::{convert::Infallible, time::Duration};

use app::{
    ssr::{Caller, OrgSyncConsole},
    types::{STATUS_EVENT_NAME, StatusEvent},
};
use axum::{
    Extension,
    extract::State,
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
};
use futures::{StreamExt, stream};
use tokio::sync::broadcast::{Receiver, error::RecvError};

use super::AppState;
use crate::status::StatusMessage;

pub const EVENTS_PATH: &str = "/api/events";

const KEEP_ALIVE: Duration = Duration::from_secs(15);

pub async fn events(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Response {
    let receiver = state.bus.subscribe();
    let snapshot = match snapshot(&state, &caller).await {
        Ok(event) => event,
        Err(error) => return app_error_response(error),
    };
    let Ok(user) = caller.user() else {
        return app_error_response(app::error::AppError::Unauthorized);
    };
    let organization_id = user.organization_id;
    let live = stream::unfold(
        (receiver, state.clone(), caller.clone()),
        move |(mut receiver, state, caller)| async move {
            let event = next_event(&mut receiver, &state, &caller, organization_id).await?;
            Some((Ok::<Event, Infallible>(event), (receiver, state, caller)))
        },
    );
    let shutdown = state.shutdown.clone().cancelled_owned();
    let events = stream::once(async move { Ok::<Event, Infallible>(snapshot) })
        .chain(live)
        .take_until(shutdown);
    Sse::new(events)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response()
}

/// The next event for the organization; `None` ends the stream.
async fn next_event(
    receiver: &mut Receiver<StatusMessage>,
    state: &AppState,
    caller: &Caller,
    organization_id: i64,
) -> Option<Event> {
    loop {
        match receiver.recv().await {
            Ok(message) if message.organization_id == organization_id => {
                return Some(event(message.sequence, &message.event));
            }
            Ok(_) => continue,
            Err(RecvError::Lagged(missed)) => {
                tracing::debug!(missed, "a status stream fell behind; sending a snapshot");
                // A caller whose rights ended meanwhile gets no more events.
                return snapshot(state, caller).await.ok();
            }
            Err(RecvError::Closed) => return None,
        }
    }
}

async fn snapshot(state: &AppState, caller: &Caller) -> Result<Event, app::error::AppError> {
    let sequence = state.bus.last_sequence();
    let view = state.console.sync_settings(caller).await?;
    Ok(event(
        sequence,
        &StatusEvent::Snapshot { syncs: view.syncs },
    ))
}

fn event(sequence: u64, status: &StatusEvent) -> Event {
    let data = serde_json::to_string(status).unwrap_or_else(|error| {
        tracing::error!(%error, "cannot encode a status event");
        "{}".to_string()
    });
    Event::default()
        .event(STATUS_EVENT_NAME)
        .id(sequence.to_string())
        .data(data)
}

fn app_error_response(error: app::error::AppError) -> Response {
    use app::error::AppError;
    use axum::http::StatusCode;
    let status = match error {
        AppError::Unauthorized => StatusCode::UNAUTHORIZED,
        AppError::Forbidden | AppError::FeatureDisabled { .. } => StatusCode::FORBIDDEN,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    (status, error.to_string()).into_response()
}
