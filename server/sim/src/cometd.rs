//! The Streaming API: Change Data Capture over CometD/Bayeux long-polling at `/cometd/NN.0`.
//!
//! Wire behaviour follows `salesforce.md` §4–5: a JSON array of Bayeux messages in, a JSON
//! array out (HTTP 200 even for Bayeux errors); batched messages are answered in one array;
//! `/meta/handshake` answers `ext:{"replay":true,"payload.format":true}` and sets a
//! `BAYEUX_BROWSER` cookie (never required back); `/meta/subscribe` reads the replay
//! extension (`ext.replay: {channel: -1 | -2 | replayId}`); `/meta/connect` is held until an
//! event arrives or the long-poll timeout passes and carries the events in the same response
//! array; unknown or expired client ids get `403::Unknown client` with
//! `advice.reconnect:"handshake"`.
//!
//! Tokens (§4.5: "Salesforce session does not expire while a CometD client stays connected"):
//! a handshake needs a valid access token; once handshaken, a client keeps working when its
//! token merely reaches its lifetime, while a revoked token (revoke endpoint, or the control
//! API ending every session) gets `401::Authentication invalid` with `advice.reconnect:"none"`.
//!
//! Fault injection (the control API's `streaming_fault`) and call counters use the endpoint
//! names `cometd/handshake`, `cometd/subscribe`, `cometd/unsubscribe`, `cometd/connect`,
//! `cometd/disconnect` and `cometd/publish` (any non-meta channel).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::{Duration, Instant},
};

use axum::{
    Router,
    body::{Body, Bytes},
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
};
use rand::Rng;
use serde_json::{Map, Value, json};
use tokio::sync::watch;

use crate::events::EventLog;

/// Largest accepted request body; Salesforce answers bigger ones with HTTP 413.
pub const MAX_REQUEST_BYTES: usize = 32_768;
/// Most event messages delivered in one `/meta/connect` response.
pub const MAX_EVENTS_PER_CONNECT: usize = 1_000;
/// The oldest API version the Streaming API accepts in `/cometd/{version}`.
pub const MINIMUM_API_VERSION: f64 = 37.0;
/// The version quoted in Salesforce's "URI format" error texts.
const URI_FORMAT_VERSION: &str = "66.0";
/// The only connection type Salesforce supports.
const LONG_POLLING: &str = "long-polling";

/// What the simulated org gives the Streaming API; implemented by the simulator's state.
pub trait StreamingOrg: Send + Sync + 'static {
    /// The change-event log subscribers read from.
    fn events(&self) -> &EventLog;
    /// What the `Authorization` header value ("Bearer x" or "OAuth x") holds.
    fn authenticate(&self, authorization: Option<&str>) -> TokenStatus;
    /// None when subscribing to `channel` is allowed; else the Bayeux error string, e.g.
    /// `403::User not allowed to subscribe CDC without View All Data permissions`.
    fn cdc_refusal(&self, channel: &str) -> Option<String>;
    /// Counts one call, e.g. `cometd/handshake`.
    fn record_call(&self, endpoint: &str);
    /// A fault the control API injected for `endpoint`, if any.
    fn streaming_fault(&self, endpoint: &str) -> Option<StreamingFault>;
}

/// The state of the access token a Bayeux request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenStatus {
    /// A valid access token.
    Valid,
    /// A token that reached its lifetime but was not revoked: no new handshake, but an
    /// already handshaken client keeps working.
    Expired,
    /// Unknown, malformed or revoked.
    Invalid,
}

/// A fault injected into one Bayeux message type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamingFault {
    /// Answer the message with `successful:false` and this `error` (e.g. `503::Server is too busy.  Please try your request again later.`).
    Fail { bayeux_error: String },
    /// Wait this long before handling the message.
    Delay(Duration),
    /// Close the HTTP connection without an answer.
    Drop,
}

/// Timing knobs.
#[derive(Debug, Clone, Copy)]
pub struct CometdConfig {
    /// How long a `/meta/connect` is held when no event arrives (110 s on Salesforce).
    pub long_poll_timeout: Duration,
    /// Client ids expire when no connect was pending or answered for this long (40 s on Salesforce).
    pub client_timeout: Duration,
}

impl Default for CometdConfig {
    fn default() -> Self {
        CometdConfig {
            long_poll_timeout: Duration::from_secs(110),
            client_timeout: Duration::from_secs(40),
        }
    }
}

/// One subscription of a client, with its own cursor into the event log.
#[derive(Debug, Clone)]
struct Subscription {
    channel: String,
    /// The entities delivered on the channel; `None` for `/data/ChangeEvents` (every selected entity).
    entities: Option<Vec<String>>,
    /// The replay id of the last event delivered (or the replay starting point).
    cursor: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Closed {
    Disconnected,
    Expired,
}

struct SessionState {
    subscriptions: Vec<Subscription>,
    last_seen: Instant,
    pending_connects: usize,
    connect_generation: u64,
    connected_once: bool,
    closed: Option<Closed>,
}

impl SessionState {
    fn expired(&self, now: Instant, timeout: Duration) -> bool {
        self.pending_connects == 0 && now.saturating_duration_since(self.last_seen) > timeout
    }

    /// Takes up to `max` pending event messages over all subscriptions, oldest first, and
    /// advances each subscription's cursor past what is returned.
    fn take_events(&mut self, log: &EventLog, max: usize) -> Vec<Value> {
        let mut pending: Vec<(i64, usize, Value)> = Vec::new();
        for (index, sub) in self.subscriptions.iter().enumerate() {
            for event in log.events_after(sub.cursor, sub.entities.as_deref(), max) {
                pending.push((event.replay_id, index, event.to_message(&sub.channel)));
            }
        }
        if pending.is_empty() {
            return Vec::new();
        }
        // Each subscription's list is ascending, so a global prefix is a prefix of each list.
        pending.sort_by_key(|(replay_id, index, _)| (*replay_id, *index));
        pending.truncate(max);
        for (replay_id, index, _) in &pending {
            if let Some(sub) = self.subscriptions.get_mut(*index) {
                sub.cursor = sub.cursor.max(*replay_id);
            }
        }
        pending.into_iter().map(|(_, _, message)| message).collect()
    }
}

struct Session {
    id: String,
    state: Mutex<SessionState>,
    /// Bumped whenever a held connect must re-check its session (subscribe, disconnect,
    /// expiry, a newer connect).
    wake: watch::Sender<u64>,
}

impl Session {
    fn lock(&self) -> MutexGuard<'_, SessionState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wake(&self) {
        self.wake.send_modify(|n| *n = n.wrapping_add(1));
    }

    fn close(&self, reason: Closed) {
        self.lock().closed.get_or_insert(reason);
        self.wake();
    }
}

/// Decrements the pending-connect count when a held connect ends (answered or cancelled).
struct PendingConnect<'a>(&'a Session);

impl Drop for PendingConnect<'_> {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.pending_connects = state.pending_connects.saturating_sub(1);
        state.last_seen = Instant::now();
    }
}

/// The Streaming API server: owns the CometD client sessions.
pub struct Cometd<S> {
    org: Arc<S>,
    config: CometdConfig,
    sessions: Mutex<HashMap<String, Arc<Session>>>,
}

/// What a request turns into.
enum Outcome {
    Reply {
        messages: Vec<Value>,
        set_cookie: bool,
    },
    Drop,
    Http(StatusCode, &'static str),
}

impl<S: StreamingOrg> Cometd<S> {
    pub fn new(org: Arc<S>, config: CometdConfig) -> Arc<Self> {
        Arc::new(Cometd {
            org,
            config,
            sessions: Mutex::new(HashMap::new()),
        })
    }

    /// `POST /cometd/{version}` and `POST /cometd/{version}/{handshake|connect|subscribe|unsubscribe|disconnect}`.
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new()
            .route("/cometd/{version}", post(handle::<S>))
            .route("/cometd/{version}/{kind}", post(handle::<S>))
            .with_state(Arc::clone(self))
    }

    /// Forgets every client: the next message from any of them gets `403::Unknown client`
    /// (held connects are answered that way at once).
    pub fn expire_all_clients(&self) {
        let drained: Vec<Arc<Session>> = self.sessions().drain().map(|(_, s)| s).collect();
        for session in drained {
            session.close(Closed::Expired);
        }
    }

    /// The number of live (not expired, not disconnected) clients.
    pub fn client_count(&self) -> usize {
        self.prune_expired();
        self.sessions().len()
    }

    fn sessions(&self) -> MutexGuard<'_, HashMap<String, Arc<Session>>> {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn prune_expired(&self) {
        let now = Instant::now();
        let mut expired = Vec::new();
        self.sessions().retain(|_, session| {
            let alive = !session.lock().expired(now, self.config.client_timeout);
            if !alive {
                expired.push(Arc::clone(session));
            }
            alive
        });
        for session in expired {
            session.close(Closed::Expired);
        }
    }

    /// The live session of `client_id`, expiring it first when it timed out.
    fn session(&self, client_id: Option<&str>) -> Option<Arc<Session>> {
        let client_id = client_id?;
        let session = {
            let mut sessions = self.sessions();
            let session = Arc::clone(sessions.get(client_id)?);
            let expired = session
                .lock()
                .expired(Instant::now(), self.config.client_timeout);
            if expired {
                sessions.remove(client_id);
            }
            (session, expired)
        };
        match session {
            (session, true) => {
                session.close(Closed::Expired);
                None
            }
            (session, false) => Some(session),
        }
    }

    async fn process(&self, version: &str, authorization: Option<&str>, body: &[u8]) -> Outcome {
        if body.len() > MAX_REQUEST_BYTES {
            return Outcome::Http(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Maximum Request Size Exceeded",
            );
        }
        let messages: Vec<Value> = match serde_json::from_slice::<Value>(body) {
            Ok(Value::Array(items)) => items,
            Ok(item @ Value::Object(_)) => vec![item],
            _ => return Outcome::Http(StatusCode::BAD_REQUEST, "Bad Bayeux message"),
        };
        let auth = match authorization {
            None => Auth::Missing,
            Some(_) => match self.org.authenticate(authorization) {
                TokenStatus::Valid => Auth::Valid,
                TokenStatus::Expired => Auth::Expired,
                TokenStatus::Invalid => Auth::Invalid,
            },
        };
        let authenticated = auth.keeps_session();
        let version_error = version_error(version);
        let batched = messages.len() > 1;

        let mut replies: Vec<Value> = Vec::with_capacity(messages.len());
        let mut connects: Vec<Map<String, Value>> = Vec::new();
        let mut set_cookie = false;
        for message in messages {
            let Value::Object(message) = message else {
                replies.push(json!({"successful": false, "error": "400::Invalid message"}));
                continue;
            };
            if channel_of(&message) == "/meta/connect" {
                // Connects are answered last so the other replies are never held.
                connects.push(message);
                continue;
            }
            match self.apply_fault(&message).await {
                Err(FaultOutcome::Drop) => return Outcome::Drop,
                Err(FaultOutcome::Reply(reply)) => replies.push(reply),
                Ok(()) => {
                    let reply = self.dispatch(&message, auth, version_error.as_deref());
                    if channel_of(&message) == "/meta/handshake"
                        && reply.get("successful") == Some(&Value::Bool(true))
                    {
                        set_cookie = true;
                    }
                    replies.push(reply);
                }
            }
        }
        for message in connects {
            match self.apply_fault(&message).await {
                Err(FaultOutcome::Drop) => return Outcome::Drop,
                Err(FaultOutcome::Reply(reply)) => replies.push(reply),
                Ok(()) => {
                    if !authenticated {
                        replies.push(auth_invalid(&message));
                    } else if let Some(error) = &version_error {
                        replies.push(Value::Object(failure(&message, error)));
                    } else {
                        let may_hold = !batched;
                        let (events, reply) = self.connect(&message, may_hold).await;
                        replies.extend(events);
                        replies.push(reply);
                    }
                }
            }
        }
        Outcome::Reply {
            messages: replies,
            set_cookie,
        }
    }

    /// Records the call and applies an injected fault: `Err` when the message must not be
    /// handled normally.
    async fn apply_fault(&self, message: &Map<String, Value>) -> Result<(), FaultOutcome> {
        let endpoint = endpoint_of(channel_of(message));
        self.org.record_call(endpoint);
        match self.org.streaming_fault(endpoint) {
            None => Ok(()),
            Some(StreamingFault::Delay(delay)) => {
                tokio::time::sleep(delay).await;
                Ok(())
            }
            Some(StreamingFault::Drop) => Err(FaultOutcome::Drop),
            Some(StreamingFault::Fail { bayeux_error }) => {
                let mut reply = failure(message, &bayeux_error);
                if endpoint == "cometd/connect" {
                    reply.insert(
                        "advice".into(),
                        json!({"reconnect": "retry", "interval": 0}),
                    );
                }
                Err(FaultOutcome::Reply(Value::Object(reply)))
            }
        }
    }

    /// Every message type except `/meta/connect`.
    fn dispatch(
        &self,
        message: &Map<String, Value>,
        auth: Auth,
        version_error: Option<&str>,
    ) -> Value {
        let channel = channel_of(message);
        if channel == "/meta/handshake" {
            return Value::Object(self.handshake(message, auth, version_error));
        }
        if !auth.keeps_session() {
            return auth_invalid(message);
        }
        if let Some(error) = version_error {
            return Value::Object(failure(message, error));
        }
        let Some(session) = self.session(client_id_of(message)) else {
            return unknown_client(message);
        };
        let reply = match channel {
            "/meta/subscribe" => self.subscribe(message, &session),
            "/meta/unsubscribe" => unsubscribe(message, &session),
            "/meta/disconnect" => self.disconnect(message, &session),
            other if other.starts_with("/meta/") => failure(message, "400::Unknown meta channel"),
            // Salesforce CDC channels cannot be published to over CometD (unconfirmed text).
            _ => failure(message, "403::Publish denied"),
        };
        Value::Object(reply)
    }

    fn handshake(
        &self,
        message: &Map<String, Value>,
        auth: Auth,
        version_error: Option<&str>,
    ) -> Map<String, Value> {
        match auth {
            Auth::Missing => {
                return handshake_denied(message, "401::Request requires authentication");
            }
            Auth::Invalid | Auth::Expired => {
                return handshake_denied(message, "401::Authentication invalid");
            }
            Auth::Valid => {}
        }
        if let Some(error) = version_error {
            return failure(message, error);
        }
        if let Some(Value::Array(types)) = message.get("supportedConnectionTypes")
            && !types.is_empty()
            && !types.iter().any(|t| t.as_str() == Some(LONG_POLLING))
        {
            let offered = types
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(",");
            return failure(message, &format!("400::Invalid connection type {offered}"));
        }
        self.prune_expired();
        let id = random_id(27);
        let session = Arc::new(Session {
            id: id.clone(),
            state: Mutex::new(SessionState {
                subscriptions: Vec::new(),
                last_seen: Instant::now(),
                pending_connects: 0,
                connect_generation: 0,
                connected_once: false,
                closed: None,
            }),
            wake: watch::channel(0).0,
        });
        self.sessions().insert(id.clone(), session);
        let mut reply = Map::new();
        reply.insert(
            "ext".into(),
            json!({"replay": true, "payload.format": true}),
        );
        reply.insert("minimumVersion".into(), json!("1.0"));
        reply.insert("clientId".into(), json!(id));
        reply.insert("supportedConnectionTypes".into(), json!([LONG_POLLING]));
        reply.insert("channel".into(), json!("/meta/handshake"));
        if let Some(message_id) = message.get("id") {
            reply.insert("id".into(), message_id.clone());
        }
        reply.insert("version".into(), json!("1.0"));
        reply.insert("successful".into(), json!(true));
        reply
    }

    fn subscribe(&self, message: &Map<String, Value>, session: &Session) -> Map<String, Value> {
        let mut reply = base_reply(message);
        let subscription = message.get("subscription").cloned().unwrap_or(Value::Null);
        reply.insert("subscription".into(), subscription.clone());
        let fail = |mut reply: Map<String, Value>, error: &str| {
            reply.insert("error".into(), json!(error));
            reply.insert("successful".into(), json!(false));
            reply
        };
        let channel = match subscription.as_str() {
            None | Some("") => return fail(reply, "400::Channel name not specified"),
            Some(channel) if !channel.starts_with('/') => {
                return fail(
                    reply,
                    "400::Channel subscriptions must start with a leading '/'",
                );
            }
            Some(channel) => channel.to_string(),
        };
        if channel.starts_with("/meta/") || channel.starts_with("/service/") {
            return fail(reply, "403::Restricted channel");
        }
        let Some(entities) = cdc_entities(&channel) else {
            return fail(
                reply,
                &format!("400::The channel you requested to subscribe to doesn't exist {channel}"),
            );
        };
        if let Some(refusal) = self.org.cdc_refusal(&channel) {
            return fail(reply, &refusal);
        }
        let log = self.org.events();
        let requested = message
            .get("ext")
            .and_then(|ext| ext.get("replay"))
            .and_then(|replay| replay.get(&channel));
        let cursor = match requested {
            None | Some(Value::Null) => log.tip(),
            Some(value) => match value
                .as_i64()
                .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
            {
                Some(-1) => log.tip(),
                Some(-2) => log.earliest_cursor(),
                Some(replay_id) => match log.validate_replay_id(replay_id) {
                    Ok(()) => replay_id,
                    // Salesforce prints the id in literal braces: `The replayId {12} ...`.
                    Err(_) => {
                        return fail(
                            reply,
                            &format!("400::{}", invalid_replay_text(&replay_id.to_string())),
                        );
                    }
                },
                None => {
                    return fail(
                        reply,
                        &format!("400::{}", invalid_replay_text(&value.to_string())),
                    );
                }
            },
        };
        {
            let mut state = session.lock();
            state.subscriptions.retain(|sub| sub.channel != channel);
            state.subscriptions.push(Subscription {
                channel,
                entities,
                cursor,
            });
        }
        session.wake();
        reply.insert("successful".into(), json!(true));
        reply
    }

    fn disconnect(&self, message: &Map<String, Value>, session: &Session) -> Map<String, Value> {
        self.sessions().remove(&session.id);
        session.close(Closed::Disconnected);
        let mut reply = base_reply(message);
        reply.insert("successful".into(), json!(true));
        reply
    }

    /// `/meta/connect`: the event messages to deliver and the connect reply.
    async fn connect(&self, message: &Map<String, Value>, may_hold: bool) -> (Vec<Value>, Value) {
        if let Some(kind) = message.get("connectionType").and_then(Value::as_str)
            && kind != LONG_POLLING
        {
            return (
                Vec::new(),
                Value::Object(failure(
                    message,
                    &format!("400::Invalid connection type {kind}"),
                )),
            );
        }
        let Some(session) = self.session(client_id_of(message)) else {
            return (Vec::new(), unknown_client(message));
        };
        let (generation, first) = {
            let mut state = session.lock();
            if state.closed.is_some() {
                return (Vec::new(), unknown_client(message));
            }
            state.pending_connects += 1;
            state.connect_generation += 1;
            state.last_seen = Instant::now();
            let first = !state.connected_once;
            state.connected_once = true;
            (state.connect_generation, first)
        };
        let _pending = PendingConnect(&session);
        // Answers an older held connect of this client (it sees a newer generation).
        session.wake();
        // Subscribed before checking, so no publish or wake-up in between is missed.
        let mut published = self.org.events().subscribe();
        let mut woken = session.wake.subscribe();

        let client_timeout_zero = message
            .get("advice")
            .and_then(|advice| advice.get("timeout"))
            .and_then(Value::as_u64)
            == Some(0);
        let hold = may_hold && !first && !client_timeout_zero;
        let deadline = tokio::time::Instant::now() + self.config.long_poll_timeout;
        loop {
            {
                let mut state = session.lock();
                match state.closed {
                    Some(Closed::Expired) => return (Vec::new(), unknown_client(message)),
                    Some(Closed::Disconnected) => {
                        let mut reply = base_reply(message);
                        reply.insert("successful".into(), json!(true));
                        reply.insert("advice".into(), json!({"reconnect": "none", "interval": 0}));
                        return (Vec::new(), Value::Object(reply));
                    }
                    None => {}
                }
                if state.connect_generation != generation {
                    return (Vec::new(), self.connect_ok(message));
                }
                let events = state.take_events(self.org.events(), MAX_EVENTS_PER_CONNECT);
                if !events.is_empty() || !hold {
                    return (events, self.connect_ok(message));
                }
            }
            tokio::select! {
                changed = published.changed() => {
                    if changed.is_err() {
                        // The log is gone: nothing can arrive any more.
                        tokio::time::sleep_until(deadline).await;
                        return (Vec::new(), self.connect_ok(message));
                    }
                }
                _ = woken.changed() => {}
                () = tokio::time::sleep_until(deadline) => return (Vec::new(), self.connect_ok(message)),
            }
        }
    }

    fn connect_ok(&self, message: &Map<String, Value>) -> Value {
        let mut reply = base_reply(message);
        reply.insert("successful".into(), json!(true));
        reply.insert("advice".into(), self.advice());
        Value::Object(reply)
    }

    fn advice(&self) -> Value {
        let timeout = u64::try_from(self.config.long_poll_timeout.as_millis()).unwrap_or(u64::MAX);
        json!({"reconnect": "retry", "interval": 0, "timeout": timeout})
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Auth {
    Missing,
    Invalid,
    Expired,
    Valid,
}

impl Auth {
    /// Whether a handshaken client may go on (subscribe, connect, ...): a valid token, or one
    /// that only reached its lifetime.
    fn keeps_session(self) -> bool {
        matches!(self, Auth::Valid | Auth::Expired)
    }
}

enum FaultOutcome {
    Drop,
    Reply(Value),
}

fn unsubscribe(message: &Map<String, Value>, session: &Session) -> Map<String, Value> {
    let mut reply = base_reply(message);
    let subscription = message.get("subscription").cloned().unwrap_or(Value::Null);
    if let Some(channel) = subscription.as_str() {
        session
            .lock()
            .subscriptions
            .retain(|sub| sub.channel != channel);
    }
    reply.insert("subscription".into(), subscription);
    reply.insert("successful".into(), json!(true));
    reply
}

fn channel_of(message: &Map<String, Value>) -> &str {
    message.get("channel").and_then(Value::as_str).unwrap_or("")
}

fn client_id_of(message: &Map<String, Value>) -> Option<&str> {
    message.get("clientId").and_then(Value::as_str)
}

/// The counter / fault name of a message's channel.
fn endpoint_of(channel: &str) -> &'static str {
    match channel {
        "/meta/handshake" => "cometd/handshake",
        "/meta/connect" => "cometd/connect",
        "/meta/subscribe" => "cometd/subscribe",
        "/meta/unsubscribe" => "cometd/unsubscribe",
        "/meta/disconnect" => "cometd/disconnect",
        _ => "cometd/publish",
    }
}

/// `channel`, `id` and `clientId` echoed from the request.
fn base_reply(message: &Map<String, Value>) -> Map<String, Value> {
    let mut reply = Map::new();
    if let Some(client_id) = message.get("clientId") {
        reply.insert("clientId".into(), client_id.clone());
    }
    reply.insert("channel".into(), json!(channel_of(message)));
    if let Some(id) = message.get("id") {
        reply.insert("id".into(), id.clone());
    }
    if let Some(subscription) = message.get("subscription") {
        reply.insert("subscription".into(), subscription.clone());
    }
    reply
}

fn failure(message: &Map<String, Value>, error: &str) -> Map<String, Value> {
    let mut reply = base_reply(message);
    reply.insert("error".into(), json!(error));
    reply.insert("successful".into(), json!(false));
    reply
}

fn unknown_client(message: &Map<String, Value>) -> Value {
    let mut reply = failure(message, "403::Unknown client");
    reply.insert(
        "advice".into(),
        json!({"interval": 0, "reconnect": "handshake"}),
    );
    Value::Object(reply)
}

fn auth_invalid(message: &Map<String, Value>) -> Value {
    let mut reply = failure(message, "401::Authentication invalid");
    reply.insert("advice".into(), json!({"reconnect": "none", "interval": 0}));
    Value::Object(reply)
}

fn handshake_denied(message: &Map<String, Value>, reason: &str) -> Map<String, Value> {
    let mut reply = failure(message, "403::Handshake denied");
    reply.insert("ext".into(), json!({"sfdc": {"failureReason": reason}}));
    reply.insert("advice".into(), json!({"reconnect": "none"}));
    reply
}

fn invalid_replay_text(replay_id: &str) -> String {
    format!(
        "The replayId {{{replay_id}}} you provided was invalid.  Please provide a valid ID, -2 to replay all events, or -1 to replay only new events."
    )
}

/// The Bayeux error for the `{version}` path segment, if it is not accepted.
fn version_error(version: &str) -> Option<String> {
    let parsed = version
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && version.contains('.'));
    match parsed {
        Some(v) if v >= MINIMUM_API_VERSION => None,
        Some(_) => Some(format!(
            "400::Unsupported API version. Only API versions '37.0' and later are supported. URI format: '/cometd/{URI_FORMAT_VERSION}'"
        )),
        None => Some(format!(
            "400::API version in the URI is mandatory. URI format: '/cometd/{URI_FORMAT_VERSION}'"
        )),
    }
}

/// The entities a CDC channel delivers: `Some(None)` for `/data/ChangeEvents` (every
/// selected entity), `Some(Some([entity]))` for `/data/<Entity>ChangeEvent` (custom objects
/// `/data/<Name>__ChangeEvent` → `<Name>__c`), `None` when it is not a CDC channel.
fn cdc_entities(channel: &str) -> Option<Option<Vec<String>>> {
    let name = channel.strip_prefix("/data/")?;
    if name == "ChangeEvents" {
        return Some(None);
    }
    let entity = name.strip_suffix("ChangeEvent")?;
    if entity.is_empty()
        || !entity
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return None;
    }
    let entity = if entity.ends_with("__") {
        format!("{entity}c")
    } else {
        entity.to_string()
    };
    Some(Some(vec![entity]))
}

/// A lowercase base-36 id like Salesforce's client ids (`41kdiuvgig2tfxdh9weakuiwyh`).
fn random_id(len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

const MESSAGE_KINDS: [&str; 5] = [
    "handshake",
    "connect",
    "subscribe",
    "unsubscribe",
    "disconnect",
];

async fn handle<S: StreamingOrg>(
    State(cometd): State<Arc<Cometd<S>>>,
    Path(params): Path<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if params
        .get("kind")
        .is_some_and(|kind| !MESSAGE_KINDS.contains(&kind.as_str()))
    {
        return StatusCode::NOT_FOUND.into_response();
    }
    let version = params.get("version").map_or("", String::as_str);
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    match cometd.process(version, authorization, &body).await {
        Outcome::Http(status, text) => (status, text).into_response(),
        Outcome::Drop => crate::endpoints::drop_response(),
        Outcome::Reply {
            messages,
            set_cookie,
        } => {
            let body = match serde_json::to_vec(&messages) {
                Ok(body) => body,
                Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
            };
            let mut response = Response::new(Body::from(body));
            let response_headers = response.headers_mut();
            response_headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json;charset=UTF-8"),
            );
            if set_cookie
                && let Ok(cookie) =
                    HeaderValue::from_str(&format!("BAYEUX_BROWSER={}; Path=/", random_id(16)))
            {
                response_headers.insert(header::SET_COOKIE, cookie);
            }
            response
        }
    }
}
