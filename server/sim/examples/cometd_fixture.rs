//! A tiny server for the CometD conformance test: the simulator's Streaming API over a
//! fixture org, plus two test-only routes.
//!
//! Environment: `SIM_PORT` (default 0 = any free port), `SIM_TOKEN` (the one valid access
//! token, default `fixture-token`), `SIM_LONG_POLL_MS` (default 110000), `SIM_CLIENT_TIMEOUT_MS`
//! (default 40000), `SIM_RETENTION` (events kept, default 10000).
//!
//! Routes: `POST /cometd/{version}[/{type}]` (Bayeux); `POST /publish` with
//! `{"entity":"Contact","changeType":"UPDATE","recordId":"003...","fields":{...}}` answers
//! `{"replayId":N}`; `POST /expire` forgets every CometD client.
//! Prints `listening on http://127.0.0.1:PORT` once it accepts connections.

use std::{sync::Arc, time::Duration};

use axum::{Json, Router, extract::State, http::StatusCode, routing::post};
use serde_json::{Map, Value, json};
use sim::{
    cometd::{Cometd, CometdConfig, fixture::FixtureOrg},
    events::ChangeType,
};

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[derive(Clone)]
struct App {
    org: Arc<FixtureOrg>,
    cometd: Arc<Cometd<FixtureOrg>>,
}

async fn publish(
    State(app): State<App>,
    Json(request): Json<Value>,
) -> Result<Json<Value>, (StatusCode, String)> {
    let entity = request["entity"].as_str().unwrap_or("Contact");
    let change_type = match request["changeType"].as_str().unwrap_or("UPDATE") {
        "CREATE" => ChangeType::Create,
        "UPDATE" => ChangeType::Update,
        "DELETE" => ChangeType::Delete,
        "UNDELETE" => ChangeType::Undelete,
        other => {
            return Err((
                StatusCode::BAD_REQUEST,
                format!("unknown changeType {other}"),
            ));
        }
    };
    let record_id = request["recordId"].as_str().unwrap_or("003000000000001AAA");
    let fields = match &request["fields"] {
        Value::Object(fields) => fields.clone(),
        _ => Map::new(),
    };
    let replay_id = app.org.publish(entity, change_type, record_id, fields);
    Ok(Json(json!({ "replayId": replay_id })))
}

async fn expire(State(app): State<App>) -> StatusCode {
    app.cometd.expire_all_clients();
    StatusCode::NO_CONTENT
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let token = std::env::var("SIM_TOKEN").unwrap_or_else(|_| "fixture-token".to_string());
    let retention = usize::try_from(env_u64("SIM_RETENTION", 10_000)).unwrap_or(10_000);
    let org = Arc::new(FixtureOrg::new(token, retention));
    let config = CometdConfig {
        long_poll_timeout: Duration::from_millis(env_u64("SIM_LONG_POLL_MS", 110_000)),
        client_timeout: Duration::from_millis(env_u64("SIM_CLIENT_TIMEOUT_MS", 40_000)),
    };
    let cometd = Cometd::new(Arc::clone(&org), config);
    let app = App {
        org,
        cometd: Arc::clone(&cometd),
    };
    let router = Router::new()
        .route("/publish", post(publish))
        .route("/expire", post(expire))
        .with_state(app)
        .merge(cometd.router());
    let port = env_u64("SIM_PORT", 0);
    let listener =
        tokio::net::TcpListener::bind(("127.0.0.1", u16::try_from(port).unwrap_or(0))).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, router).await
}
