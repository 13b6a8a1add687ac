//! Change Data Capture over the Streaming API: a small CometD client (Bayeux 1.0,
//! long-polling only) at `{instance_url}/cometd/{apiVersion}`.
//!
//! Written by hand: the Rust CometD crates (`cometd` 0.1, 2019, on reqwest 0.9;
//! `cometd-client` 0.3, last released 2023, on hyper 0.14) are unmaintained, know nothing of
//! Salesforce's replay extension or its error texts, and would bring a second HTTP stack. The
//! protocol part Salesforce needs is four message types over plain HTTP POSTs.
//!
//! How it runs: [`StreamingClient::next_batch`] handshakes and subscribes on first use (with
//! the `replay` extension), then does one `/meta/connect` long poll and returns the change
//! events it delivered (possibly none: the server answers empty when its long-poll timeout
//! passes). The caller commits an event's effects, then calls
//! [`StreamingClient::acknowledge`]; whenever the client has to start over (the server forgot
//! it, the token was refused, the connection broke, a call was cancelled mid-poll) it
//! re-handshakes and resubscribes from the last acknowledged replay id. Delivery is therefore
//! at least once: events handed out but not yet acknowledged can come again.
//!
//! Wire details follow `shared/reference/salesforce.md` §4–5: errors are `"<code>::<text>"`
//! strings inside an HTTP 200 answer; `403::Unknown client` (or advice `reconnect:
//! "handshake"`) means handshake again; `401::Authentication invalid` means the access token was
//! revoked; the handshake sets a `BAYEUX_BROWSER` cookie, which is sent back (cookies are kept
//! here rather than with reqwest's cookie store, so the session's HTTP client, with whatever
//! certificates it trusts, is reused).

use std::{sync::Arc, time::Duration};

use reqwest::header;
use secrecy::ExposeSecret;
use serde_json::{Map, Value, json};
use tokio::time::Instant;
use url::Url;

use crate::{
    error::{ErrorClass, SalesforceError, transport},
    session::{Session, TokenGeneration, printable},
};

/// How long a handshake, subscribe or disconnect may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The long-poll timeout until the server advises one (Salesforce: 110 s).
const DEFAULT_LONG_POLL: Duration = Duration::from_secs(110);
/// Added to the advised long-poll timeout for the HTTP timeout of a connect.
const LONG_POLL_MARGIN: Duration = Duration::from_secs(30);
/// Advice beyond these is not followed.
const MAX_LONG_POLL: Duration = Duration::from_secs(10 * 60);
const MAX_INTERVAL: Duration = Duration::from_secs(5 * 60);
/// Handshakes one `next_batch` may do before giving up (the server keeps forgetting us).
const MAX_HANDSHAKES_PER_BATCH: usize = 3;
const LONG_POLLING: &str = "long-polling";

/// Where a subscription starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayFrom {
    /// Only events published from now on (`-1`).
    Tip,
    /// Every event Salesforce still retains (`-2`; 72 hours for CDC).
    Earliest,
    /// The events after this stored replay id.
    After(i64),
}

impl ReplayFrom {
    /// The value of the `replay` extension.
    pub fn wire_value(self) -> i64 {
        match self {
            ReplayFrom::Tip => -1,
            ReplayFrom::Earliest => -2,
            ReplayFrom::After(replay_id) => replay_id,
        }
    }
}

/// `ChangeEventHeader.changeType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeType {
    Create,
    Update,
    Delete,
    Undelete,
    /// The change could not be described (the event would be too big, ...): re-fetch the
    /// records.
    GapCreate,
    GapUpdate,
    GapDelete,
    GapUndelete,
    /// More than 100,000 changes in one transaction: resync the whole entity.
    GapOverflow,
}

impl ChangeType {
    /// `CREATE`, `GAP_UPDATE`, ...
    pub fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "CREATE" => ChangeType::Create,
            "UPDATE" => ChangeType::Update,
            "DELETE" => ChangeType::Delete,
            "UNDELETE" => ChangeType::Undelete,
            "GAP_CREATE" => ChangeType::GapCreate,
            "GAP_UPDATE" => ChangeType::GapUpdate,
            "GAP_DELETE" => ChangeType::GapDelete,
            "GAP_UNDELETE" => ChangeType::GapUndelete,
            "GAP_OVERFLOW" => ChangeType::GapOverflow,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ChangeType::Create => "CREATE",
            ChangeType::Update => "UPDATE",
            ChangeType::Delete => "DELETE",
            ChangeType::Undelete => "UNDELETE",
            ChangeType::GapCreate => "GAP_CREATE",
            ChangeType::GapUpdate => "GAP_UPDATE",
            ChangeType::GapDelete => "GAP_DELETE",
            ChangeType::GapUndelete => "GAP_UNDELETE",
            ChangeType::GapOverflow => "GAP_OVERFLOW",
        }
    }

    /// A gap event (including overflow): it carries no field values.
    pub fn is_gap(self) -> bool {
        matches!(
            self,
            ChangeType::GapCreate
                | ChangeType::GapUpdate
                | ChangeType::GapDelete
                | ChangeType::GapUndelete
                | ChangeType::GapOverflow
        )
    }
}

/// One change event as delivered on a CDC channel.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeEvent {
    /// `data.event.replayId`: acknowledge it once the event's effects are committed.
    pub replay_id: i64,
    /// `Contact`, `Lead`, ...
    pub entity_name: String,
    pub change_type: ChangeType,
    /// Usually one id; several for one change to several records in one transaction;
    /// `000000000000000AAA` in overflow events. Untrusted: check with
    /// [`crate::is_record_id`] before use.
    pub record_ids: Vec<String>,
    /// UPDATE: the changed fields (compound parts as `Name.LastName`); empty otherwise.
    pub changed_fields: Vec<String>,
    /// Epoch milliseconds of the commit.
    pub commit_timestamp: i64,
    /// The body fields (everything in the payload but the header): CREATE/UNDELETE all
    /// non-empty fields, UPDATE the changed ones (`null` = cleared), DELETE and gaps none.
    pub fields: Map<String, Value>,
}

/// Why the Streaming API could not deliver events.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StreamingError {
    /// The connection could not be made, broke or timed out.
    #[error("the Salesforce Streaming API could not be reached: {0}")]
    Transport(String),
    /// The access token was refused, and again after one refresh (or the refresh failed).
    #[error("Salesforce rejected orgsync's credentials for the Streaming API: {0}")]
    Authentication(String),
    /// Subscribing is refused in a way only the admin can fix (the channel does not exist,
    /// the user may not subscribe to Change Data Capture, ...): Salesforce's own message.
    #[error("Salesforce refused the Change Data Capture subscription: {0}")]
    Configuration(String),
    /// The replay id to resume from is no longer retained (or unknown): events may have been
    /// missed, so catch up through the REST API and subscribe again.
    #[error(
        "Salesforce no longer has the change events after replay id {replay_id} ({message}): a catch-up through the REST API is needed"
    )]
    ReplayIdUnavailable { replay_id: i64, message: String },
    /// Salesforce refused for a passing reason (server busy, daily event delivery allocation
    /// used up, an unknown error).
    #[error("the Salesforce Streaming API refused: {0}")]
    Refused(String),
    /// The answer was not Bayeux, or an event was not a change event.
    #[error("the Salesforce Streaming API sent an unexpected answer: {0}")]
    Decode(String),
}

impl StreamingError {
    /// What to do about it: see [`ErrorClass`].
    pub fn class(&self) -> ErrorClass {
        match self {
            StreamingError::Authentication(_) => ErrorClass::Authentication,
            StreamingError::Configuration(_) => ErrorClass::Configuration,
            StreamingError::Transport(_)
            | StreamingError::ReplayIdUnavailable { .. }
            | StreamingError::Refused(_)
            | StreamingError::Decode(_) => ErrorClass::Transient,
        }
    }
}

impl From<SalesforceError> for StreamingError {
    fn from(error: SalesforceError) -> Self {
        match error {
            SalesforceError::Authentication(reason) => StreamingError::Authentication(reason),
            other => StreamingError::Transport(other.to_string()),
        }
    }
}

/// A CometD client subscribed to one CDC channel (`/data/ContactChangeEvent`,
/// `/data/ChangeEvents`...). Not shared: `next_batch` takes `&mut self`, and no lock is held
/// while it long-polls.
pub struct StreamingClient {
    session: Arc<Session>,
    channel: String,
    endpoint: Url,
    start: ReplayFrom,
    acknowledged: Option<i64>,
    /// The Bayeux client id while handshaken and subscribed.
    client_id: Option<String>,
    /// Cookies the server set (`BAYEUX_BROWSER`), sent back on every request.
    cookies: Vec<(String, String)>,
    next_message_id: u64,
    /// The server's advice: how long it holds a connect, how long to wait between connects.
    long_poll: Duration,
    interval: Duration,
    connect_not_before: Option<Instant>,
    /// Set while a connect is in flight; still set at the next call when the previous call
    /// was cancelled mid-poll (its events may have been taken by the server and lost).
    polling: bool,
    /// Subscriptions made so far.
    subscriptions: u64,
    /// Set when a subscription after the first one started from the tip (nothing was
    /// acknowledged yet): events published between the two may have been skipped, and the
    /// caller must catch up by other means (see [`StreamingClient::take_resubscribed_from_tip`]).
    resubscribed_from_tip: bool,
}

impl StreamingClient {
    /// A client for `channel` that subscribes from `replay_from` on first use. Nothing is sent
    /// before the first [`StreamingClient::next_batch`].
    pub fn new(session: Arc<Session>, channel: String, replay_from: ReplayFrom) -> Self {
        let mut endpoint = session.instance_url().clone();
        endpoint.set_path(&format!("/cometd/{}", session.api_version()));
        endpoint.set_query(None);
        StreamingClient {
            session,
            channel,
            endpoint,
            start: replay_from,
            acknowledged: None,
            client_id: None,
            cookies: Vec::new(),
            next_message_id: 0,
            long_poll: DEFAULT_LONG_POLL,
            interval: Duration::ZERO,
            connect_not_before: None,
            polling: false,
            subscriptions: 0,
            resubscribed_from_tip: false,
        }
    }

    /// Handshakes and subscribes now, without waiting for events: a caller that must
    /// catch up by REST subscribes first, so that no change falls between the two.
    pub async fn subscribe(&mut self) -> Result<(), StreamingError> {
        let mut refreshed = false;
        for _ in 0..MAX_HANDSHAKES_PER_BATCH {
            if self.client_id.is_some() {
                return Ok(());
            }
            self.open(&mut refreshed).await?;
        }
        match self.client_id {
            Some(_) => Ok(()),
            None => Err(StreamingError::Refused(
                "Salesforce forgot the streaming client again right after each handshake".into(),
            )),
        }
    }

    /// True (once) when the client had to subscribe again from the tip because nothing was
    /// acknowledged yet: changes made in between were not delivered and must be read
    /// another way (a REST catch-up).
    pub fn take_resubscribed_from_tip(&mut self) -> bool {
        std::mem::take(&mut self.resubscribed_from_tip)
    }

    /// The channel this client subscribes to.
    pub fn channel(&self) -> &str {
        &self.channel
    }

    /// Records that the effects of the event with this replay id (and of every earlier one)
    /// are committed: a resubscription resumes after it.
    pub fn acknowledge(&mut self, replay_id: i64) {
        self.acknowledged = Some(self.acknowledged.map_or(replay_id, |a| a.max(replay_id)));
    }

    /// The last acknowledged replay id.
    pub fn acknowledged(&self) -> Option<i64> {
        self.acknowledged
    }

    /// Where a (re)subscription starts: after the last acknowledged event, else where the
    /// client was told to start. (With [`ReplayFrom::Tip`] and nothing acknowledged yet, a
    /// resubscription starts from the tip again: acknowledge early, or start from a stored id.)
    pub fn resume_point(&self) -> ReplayFrom {
        self.acknowledged.map_or(self.start, ReplayFrom::After)
    }

    /// Handshakes and subscribes when needed, then long-polls once (`/meta/connect`) and
    /// returns the change events delivered, oldest first; empty when the server's long-poll
    /// timeout passed without events. Cancelling the future is safe: the next call starts
    /// over from the last acknowledged event.
    pub async fn next_batch(&mut self) -> Result<Vec<ChangeEvent>, StreamingError> {
        if std::mem::take(&mut self.polling) {
            tracing::info!(channel = %self.channel, "a cancelled long poll may have lost events: subscribing again");
            self.forget_client();
        }
        let mut refreshed = false;
        let mut handshakes = 0;
        loop {
            if self.client_id.is_none() {
                if handshakes == MAX_HANDSHAKES_PER_BATCH {
                    return Err(StreamingError::Refused(
                        "Salesforce forgot the streaming client again right after each handshake"
                            .into(),
                    ));
                }
                handshakes += 1;
                self.open(&mut refreshed).await?;
                if self.client_id.is_none() {
                    continue;
                }
            }
            if let Some(at) = self.connect_not_before.take() {
                tokio::time::sleep_until(at).await;
            }
            let Some(client_id) = self.client_id.clone() else {
                continue;
            };
            let connect = json!([{
                "channel": "/meta/connect",
                "clientId": client_id,
                "connectionType": LONG_POLLING,
                "id": self.message_id(),
            }]);
            let timeout = self.long_poll + LONG_POLL_MARGIN;
            self.polling = true;
            let sent = self.post(&connect, timeout).await;
            self.polling = false;
            let (messages, generation) = match sent {
                Ok(answer) => answer,
                Err(error) => {
                    // The server may have handed this poll events that never arrived.
                    self.forget_client();
                    return Err(error);
                }
            };
            let (events, reply) = match self.split(messages, "/meta/connect") {
                Ok(split) => split,
                Err(error) => {
                    self.forget_client();
                    return Err(error);
                }
            };
            let Some(reply) = reply else {
                self.forget_client();
                return Err(StreamingError::Decode(
                    "the answer to /meta/connect has no /meta/connect reply".into(),
                ));
            };
            self.take_advice(&reply);
            let reconnect = reconnect_advice(&reply);
            if successful(&reply) {
                if reconnect == Some("handshake") {
                    self.forget_client();
                } else if reconnect == Some("none") {
                    self.forget_client();
                    if events.is_empty() {
                        return Err(StreamingError::Refused(
                            "Salesforce ended the streaming connection (advice: no reconnect)"
                                .into(),
                        ));
                    }
                }
                return Ok(events);
            }
            let error = error_text(&reply);
            let code = bayeux_code(&error);
            if code == Some(401) {
                // The access token was revoked: refresh it (once), then start over.
                tracing::info!(channel = %self.channel, "the Streaming API refused the access token: refreshing it");
                self.forget_client();
                if !events.is_empty() {
                    return Ok(events);
                }
                self.refresh(generation, &mut refreshed).await?;
                continue;
            }
            if is_unknown_client(&error) || reconnect == Some("handshake") {
                tracing::info!(channel = %self.channel, error = %printable(&error), "the Streaming API forgot the client: handshaking again");
                self.forget_client();
                if !events.is_empty() {
                    return Ok(events);
                }
                continue;
            }
            if reconnect != Some("retry") {
                self.forget_client();
            }
            if !events.is_empty() {
                return Ok(events);
            }
            return Err(StreamingError::Refused(printable(&error)));
        }
    }

    /// Best effort `/meta/disconnect`: the server frees the client at once instead of after
    /// its timeout. The next `next_batch` subscribes again from the last acknowledged event.
    pub async fn disconnect(&mut self) {
        self.polling = false;
        let Some(client_id) = self.client_id.take() else {
            return;
        };
        let message = json!([{
            "channel": "/meta/disconnect",
            "clientId": client_id,
            "id": self.message_id(),
        }]);
        if let Err(error) = self.post(&message, REQUEST_TIMEOUT).await {
            tracing::debug!(%error, "streaming disconnect failed");
        }
    }

    /// Handshake then subscribe. Leaves `client_id` unset (without error) when the server
    /// forgot the new client before the subscription: the caller handshakes again.
    async fn open(&mut self, refreshed: &mut bool) -> Result<(), StreamingError> {
        self.cookies.clear();
        let client_id = loop {
            let handshake = json!([{
                "channel": "/meta/handshake",
                "version": "1.0",
                "minimumVersion": "1.0",
                "supportedConnectionTypes": [LONG_POLLING],
                "id": self.message_id(),
            }]);
            let (messages, generation) = self.post(&handshake, REQUEST_TIMEOUT).await?;
            let (_, reply) = self.split(messages, "/meta/handshake")?;
            let reply = reply.ok_or_else(|| {
                StreamingError::Decode("the answer to /meta/handshake has no reply".into())
            })?;
            if successful(&reply) {
                match reply.get("clientId").and_then(Value::as_str) {
                    Some(id) if !id.is_empty() => break id.to_string(),
                    _ => {
                        return Err(StreamingError::Decode(
                            "the handshake reply has no clientId".into(),
                        ));
                    }
                }
            }
            let error = error_text(&reply);
            let reason = reply
                .get("ext")
                .and_then(|ext| ext.get("sfdc"))
                .and_then(|sfdc| sfdc.get("failureReason"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            if bayeux_code(&error) == Some(401) || bayeux_code(&reason) == Some(401) {
                self.refresh(generation, refreshed).await?;
                continue;
            }
            let text = if reason.is_empty() {
                printable(&error)
            } else {
                printable(&format!("{error} ({reason})"))
            };
            return Err(if error.contains("API version") {
                StreamingError::Configuration(text)
            } else {
                StreamingError::Refused(text)
            });
        };

        let replay = self.resume_point().wire_value();
        let subscribe = json!([{
            "channel": "/meta/subscribe",
            "clientId": client_id,
            "subscription": self.channel,
            "id": self.message_id(),
            "ext": {"replay": {self.channel.clone(): replay}},
        }]);
        let (messages, generation) = self.post(&subscribe, REQUEST_TIMEOUT).await?;
        let (_, reply) = self.split(messages, "/meta/subscribe")?;
        let reply = reply.ok_or_else(|| {
            StreamingError::Decode("the answer to /meta/subscribe has no reply".into())
        })?;
        if successful(&reply) {
            tracing::info!(channel = %self.channel, replay, "subscribed to Change Data Capture");
            self.client_id = Some(client_id);
            if self.subscriptions > 0 && self.resume_point() == ReplayFrom::Tip {
                self.resubscribed_from_tip = true;
            }
            self.subscriptions += 1;
            return Ok(());
        }
        // Free the handshaken client at once rather than after the server's timeout.
        self.client_id = Some(client_id);
        self.disconnect().await;
        let error = error_text(&reply);
        if error.contains("The replayId") || error.contains("replayId {") {
            return Err(StreamingError::ReplayIdUnavailable {
                replay_id: replay,
                message: printable(&error),
            });
        }
        if bayeux_code(&error) == Some(401) {
            // Handshaken a moment ago with this token: refresh, and let the caller start over.
            self.refresh(generation, refreshed).await?;
            return Ok(());
        }
        if is_unknown_client(&error) {
            return Ok(());
        }
        if is_configuration_refusal(&error) {
            return Err(StreamingError::Configuration(printable(&error)));
        }
        Err(StreamingError::Refused(printable(&error)))
    }

    /// One refresh of the access token per `next_batch`; a second refusal is final.
    async fn refresh(
        &self,
        generation: TokenGeneration,
        refreshed: &mut bool,
    ) -> Result<(), StreamingError> {
        if *refreshed {
            return Err(StreamingError::Authentication(
                "Salesforce refused the refreshed access token too".into(),
            ));
        }
        *refreshed = true;
        self.session.refresh_access_token(generation).await?;
        Ok(())
    }

    /// POSTs Bayeux messages with the current access token and the kept cookies; the answer's
    /// messages and the generation of the token that was sent.
    async fn post(
        &mut self,
        messages: &Value,
        timeout: Duration,
    ) -> Result<(Vec<Map<String, Value>>, TokenGeneration), StreamingError> {
        let (token, generation) = self.session.access_token().await?;
        let body = serde_json::to_vec(messages)
            .map_err(|e| StreamingError::Decode(format!("cannot encode a message: {e}")))?;
        let mut request = self
            .session
            .http()
            .post(self.endpoint.clone())
            .timeout(timeout)
            .bearer_auth(token.expose_secret())
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "application/json")
            .body(body);
        if let Some(cookies) = cookie_header(&self.cookies) {
            request = request.header(header::COOKIE, cookies);
        }
        let response = request
            .send()
            .await
            .map_err(|e| StreamingError::Transport(transport(&e)))?;
        keep_cookies(&mut self.cookies, response.headers());
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| StreamingError::Transport(transport(&e)))?;
        if status == reqwest::StatusCode::UNAUTHORIZED {
            // Not seen from Salesforce (it answers 200 with `401::...` errors), but mean the same.
            let channel = messages
                .get(0)
                .and_then(|message| message.get("channel"))
                .cloned()
                .unwrap_or(Value::Null);
            let mut reply = Map::new();
            reply.insert("channel".into(), channel);
            reply.insert("successful".into(), Value::Bool(false));
            reply.insert(
                "error".into(),
                json!("401::Authentication invalid (HTTP 401)"),
            );
            return Ok((vec![reply], generation));
        }
        if status.is_server_error() {
            return Err(StreamingError::Transport(format!(
                "the Streaming API answered HTTP {status}"
            )));
        }
        if !status.is_success() {
            return Err(StreamingError::Refused(format!(
                "the Streaming API answered HTTP {status}"
            )));
        }
        let answer = match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Array(items)) => items,
            Ok(item @ Value::Object(_)) => vec![item],
            Ok(_) => {
                return Err(StreamingError::Decode(
                    "the answer is not a Bayeux message array".into(),
                ));
            }
            Err(e) => {
                return Err(StreamingError::Decode(format!(
                    "the answer is not JSON: {e}"
                )));
            }
        };
        let messages = answer
            .into_iter()
            .filter_map(|item| match item {
                Value::Object(message) => Some(message),
                _ => None,
            })
            .collect();
        Ok((messages, generation))
    }

    /// The change events on this client's channel and the reply on `meta_channel`.
    #[allow(clippy::type_complexity)]
    fn split(
        &self,
        messages: Vec<Map<String, Value>>,
        meta_channel: &str,
    ) -> Result<(Vec<ChangeEvent>, Option<Map<String, Value>>), StreamingError> {
        let mut events = Vec::new();
        let mut reply = None;
        for message in messages {
            let channel = message.get("channel").and_then(Value::as_str).unwrap_or("");
            if channel == meta_channel {
                reply.get_or_insert(message);
            } else if channel == self.channel {
                let event = parse_event(&message).map_err(StreamingError::Decode)?;
                if self
                    .acknowledged
                    .is_none_or(|acked| event.replay_id > acked)
                {
                    events.push(event);
                }
            } else {
                tracing::debug!(channel = %printable(channel), "ignoring a Bayeux message");
            }
        }
        Ok((events, reply))
    }

    fn take_advice(&mut self, reply: &Map<String, Value>) {
        let Some(advice) = reply.get("advice") else {
            return;
        };
        if let Some(timeout) = advice.get("timeout").and_then(Value::as_u64) {
            self.long_poll = Duration::from_millis(timeout).min(MAX_LONG_POLL);
        }
        if let Some(interval) = advice.get("interval").and_then(Value::as_u64) {
            self.interval = Duration::from_millis(interval).min(MAX_INTERVAL);
        }
        if !self.interval.is_zero() {
            self.connect_not_before = Some(Instant::now() + self.interval);
        }
    }

    fn forget_client(&mut self) {
        self.client_id = None;
        self.connect_not_before = None;
    }

    fn message_id(&mut self) -> String {
        self.next_message_id += 1;
        self.next_message_id.to_string()
    }
}

/// Keeps the `name=value` of every `Set-Cookie` (attributes ignored: one host, one path).
fn keep_cookies(cookies: &mut Vec<(String, String)>, headers: &header::HeaderMap) {
    for value in headers.get_all(header::SET_COOKIE) {
        let Ok(text) = value.to_str() else {
            continue;
        };
        let pair = text.split(';').next().unwrap_or("");
        let Some((name, value)) = pair.split_once('=') else {
            continue;
        };
        let (name, value) = (name.trim(), value.trim());
        if name.is_empty() || name.len() + value.len() > 4096 {
            continue;
        }
        cookies.retain(|(kept, _)| kept != name);
        if cookies.len() < 16 {
            cookies.push((name.to_string(), value.to_string()));
        }
    }
}

/// The `Cookie` header for the kept cookies.
fn cookie_header(cookies: &[(String, String)]) -> Option<String> {
    (!cookies.is_empty()).then(|| {
        cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    })
}

fn successful(reply: &Map<String, Value>) -> bool {
    reply.get("successful").and_then(Value::as_bool) == Some(true)
}

fn error_text(reply: &Map<String, Value>) -> String {
    reply
        .get("error")
        .and_then(Value::as_str)
        .unwrap_or("unsuccessful, without an error")
        .to_string()
}

fn reconnect_advice(reply: &Map<String, Value>) -> Option<&str> {
    reply
        .get("advice")
        .and_then(|advice| advice.get("reconnect"))
        .and_then(Value::as_str)
}

/// The numeric code of a Bayeux error (`403::Unknown client` → 403).
fn bayeux_code(error: &str) -> Option<u16> {
    let (code, _) = error.split_once(':')?;
    code.trim().parse().ok()
}

fn is_unknown_client(error: &str) -> bool {
    bayeux_code(error) == Some(403) && error.contains("Unknown client")
}

/// Subscription refusals no retry fixes.
fn is_configuration_refusal(error: &str) -> bool {
    const TEXTS: &[&str] = &[
        "doesn't exist",
        "does not exist",
        "not allowed to subscribe",
        "Restricted channel",
        "Cannot create channel",
        "Channel name not specified",
        "must start with a leading",
    ];
    TEXTS.iter().any(|text| error.contains(text))
}

/// A delivered event message → [`ChangeEvent`].
fn parse_event(message: &Map<String, Value>) -> Result<ChangeEvent, String> {
    let data = message
        .get("data")
        .and_then(Value::as_object)
        .ok_or("an event without data")?;
    let replay_id = data
        .get("event")
        .and_then(|event| event.get("replayId"))
        .and_then(|id| id.as_i64().or_else(|| id.as_str()?.trim().parse().ok()))
        .ok_or("an event without a replayId")?;
    let mut fields = data
        .get("payload")
        .and_then(Value::as_object)
        .cloned()
        .ok_or_else(|| format!("event {replay_id} has no payload"))?;
    let header = match fields.remove("ChangeEventHeader") {
        Some(Value::Object(header)) => header,
        _ => return Err(format!("event {replay_id} has no ChangeEventHeader")),
    };
    let text = |name: &str| header.get(name).and_then(Value::as_str);
    let strings = |name: &str| -> Result<Vec<String>, String> {
        match header.get(name) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| {
                    item.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| format!("event {replay_id}: {name} holds a non-string"))
                })
                .collect(),
            Some(_) => Err(format!("event {replay_id}: {name} is not a list")),
        }
    };
    let change_type =
        text("changeType").ok_or_else(|| format!("event {replay_id} has no changeType"))?;
    Ok(ChangeEvent {
        replay_id,
        entity_name: text("entityName")
            .ok_or_else(|| format!("event {replay_id} has no entityName"))?
            .to_string(),
        change_type: ChangeType::parse(change_type).ok_or_else(|| {
            format!(
                "event {replay_id} has the unknown changeType {:?}",
                printable(change_type)
            )
        })?,
        record_ids: strings("recordIds")?,
        changed_fields: strings("changedFields")?,
        commit_timestamp: header
            .get("commitTimestamp")
            .and_then(|t| t.as_i64().or_else(|| t.as_str()?.trim().parse().ok()))
            .ok_or_else(|| format!("event {replay_id} has no commitTimestamp"))?,
        fields,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!("an object"),
        }
    }

    #[test]
    fn change_events_are_parsed() {
        let event = parse_event(&message(json!({
            "channel": "/data/ContactChangeEvent",
            "data": {
                "schema": "x",
                "payload": {
                    "ChangeEventHeader": {
                        "entityName": "Contact",
                        "recordIds": ["0035g00000ABCDeAAH"],
                        "changeType": "UPDATE",
                        "changeOrigin": "",
                        "commitTimestamp": 1608073758000_i64,
                        "changedFields": ["Phone", "LastModifiedDate"]
                    },
                    "Phone": null,
                    "LastModifiedDate": "2020-12-15T23:09:18.000Z"
                },
                "event": {"replayId": 12}
            }
        })))
        .expect("an event");
        assert_eq!(event.replay_id, 12);
        assert_eq!(event.entity_name, "Contact");
        assert_eq!(event.change_type, ChangeType::Update);
        assert_eq!(event.record_ids, vec!["0035g00000ABCDeAAH".to_string()]);
        assert_eq!(event.changed_fields, vec!["Phone", "LastModifiedDate"]);
        assert_eq!(event.commit_timestamp, 1_608_073_758_000);
        assert_eq!(event.fields.get("Phone"), Some(&Value::Null));
        assert!(!event.fields.contains_key("ChangeEventHeader"));

        let unknown = parse_event(&message(json!({"data": {
            "payload": {"ChangeEventHeader": {"entityName": "Contact", "changeType": "SNAPSHOT",
                "recordIds": [], "commitTimestamp": 1}},
            "event": {"replayId": 3}
        }})));
        assert!(unknown.is_err_and(|e| e.contains("SNAPSHOT")));
        assert!(parse_event(&message(json!({"data": {"payload": {}}}))).is_err());
    }

    #[test]
    fn change_types_round_trip() {
        for name in [
            "CREATE",
            "UPDATE",
            "DELETE",
            "UNDELETE",
            "GAP_CREATE",
            "GAP_UPDATE",
            "GAP_DELETE",
            "GAP_UNDELETE",
            "GAP_OVERFLOW",
        ] {
            let parsed = ChangeType::parse(name).expect(name);
            assert_eq!(parsed.as_str(), name);
            assert_eq!(parsed.is_gap(), name.starts_with("GAP_"));
        }
    }

    #[test]
    fn bayeux_errors_are_read() {
        assert_eq!(bayeux_code("403::Unknown client"), Some(403));
        assert_eq!(bayeux_code("401::Authentication invalid"), Some(401));
        assert_eq!(bayeux_code("nonsense"), None);
        assert!(is_unknown_client("403::Unknown client"));
        assert!(is_configuration_refusal(
            "400::The channel you requested to subscribe to doesn't exist /data/AccountChangeEvent"
        ));
        assert!(is_configuration_refusal(
            "403::User not allowed to subscribe CDC without View All Data permissions"
        ));
        assert!(!is_configuration_refusal(
            "403::Organization total events daily limit exceeded"
        ));
    }

    #[test]
    fn streaming_errors_are_classified() {
        use ErrorClass::*;
        let table = [
            (StreamingError::Transport("reset".into()), Transient),
            (StreamingError::Authentication("no".into()), Authentication),
            (
                StreamingError::Configuration("no channel".into()),
                Configuration,
            ),
            (
                StreamingError::ReplayIdUnavailable {
                    replay_id: 4,
                    message: "gone".into(),
                },
                Transient,
            ),
            (StreamingError::Refused("busy".into()), Transient),
            (StreamingError::Decode("not json".into()), Transient),
        ];
        for (error, class) in table {
            assert_eq!(error.class(), class, "{error:?}");
        }
        assert_eq!(
            StreamingError::from(SalesforceError::Authentication("dead".into())).class(),
            Authentication
        );
        assert_eq!(
            StreamingError::from(SalesforceError::Transport("down".into())).class(),
            Transient
        );
    }

    #[test]
    fn cookies_are_kept_and_sent_back() {
        let mut cookies = Vec::new();
        assert_eq!(cookie_header(&cookies), None);
        let mut headers = header::HeaderMap::new();
        headers.append(
            header::SET_COOKIE,
            header::HeaderValue::from_static("BAYEUX_BROWSER=abc123; Path=/; Secure"),
        );
        headers.append(
            header::SET_COOKIE,
            header::HeaderValue::from_static("sfdc-stream=x"),
        );
        keep_cookies(&mut cookies, &headers);
        let mut again = header::HeaderMap::new();
        again.append(
            header::SET_COOKIE,
            header::HeaderValue::from_static("BAYEUX_BROWSER=def456; Path=/"),
        );
        again.append(
            header::SET_COOKIE,
            header::HeaderValue::from_static("no-equals-sign"),
        );
        keep_cookies(&mut cookies, &again);
        assert_eq!(
            cookie_header(&cookies).as_deref(),
            Some("sfdc-stream=x; BAYEUX_BROWSER=def456")
        );
    }

    fn offline_client() -> StreamingClient {
        let app = crate::ConnectedApp::new(
            "id",
            secrecy::SecretString::from("secret"),
            "https://login.example",
            "https://orgsync.example/cb",
            "62.0",
        )
        .expect("app");
        struct NoStore;
        #[async_trait::async_trait]
        impl crate::TokenStore for NoStore {
            async fn save_refreshed(
                &self,
                _: &secrecy::SecretString,
                _: Option<&secrecy::SecretString>,
            ) -> Result<(), crate::TokenStoreError> {
                Ok(())
            }
        }
        let session = Session::new(
            crate::OAuthClient::new(app).expect("oauth"),
            Url::parse("https://acme.my.example/").expect("url"),
            secrecy::SecretString::from("access"),
            secrecy::SecretString::from("refresh"),
            Arc::new(NoStore),
        );
        StreamingClient::new(
            Arc::new(session),
            "/data/ContactChangeEvent".into(),
            ReplayFrom::Tip,
        )
    }

    #[test]
    fn the_endpoint_and_the_resume_point() {
        let mut client = offline_client();
        assert_eq!(
            client.endpoint.as_str(),
            "https://acme.my.example/cometd/62.0"
        );
        assert_eq!(client.resume_point(), ReplayFrom::Tip);
        client.acknowledge(7);
        client.acknowledge(5);
        assert_eq!(client.acknowledged(), Some(7));
        assert_eq!(client.resume_point(), ReplayFrom::After(7));
    }

    #[tokio::test]
    async fn the_servers_advice_is_followed() {
        let mut client = offline_client();
        client.take_advice(&message(
            json!({"advice": {"reconnect": "retry", "interval": 0, "timeout": 110000}}),
        ));
        assert_eq!(client.long_poll, Duration::from_secs(110));
        assert_eq!(client.connect_not_before, None);
        client.take_advice(&message(
            json!({"advice": {"interval": 2000, "timeout": 86_400_000}}),
        ));
        assert_eq!(client.long_poll, MAX_LONG_POLL);
        assert_eq!(client.interval, Duration::from_secs(2));
        assert!(
            client
                .connect_not_before
                .is_some_and(|at| at > Instant::now())
        );
    }

    #[test]
    fn replay_values() {
        assert_eq!(ReplayFrom::Tip.wire_value(), -1);
        assert_eq!(ReplayFrom::Earliest.wire_value(), -2);
        assert_eq!(ReplayFrom::After(42).wire_value(), 42);
    }
}
