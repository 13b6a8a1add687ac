//! Authenticated REST calls for one organization's Salesforce connection.
//!
//! Calls: `GET` (JSON, SOQL `query`/`queryAll` pages, [`Session::fetch_by_ids`]), `POST` and
//! `PATCH` with JSON bodies, sObject Collections creates (`crate::collections`), all through
//! one `send` that owns the refresh logic below. A write whose answer never came fails with
//! [`SalesforceError::OutcomeUnknown`], not [`SalesforceError::Transport`]: it may have been
//! applied.
//!
//! Token handling: a call whose access token is refused (`401 INVALID_SESSION_ID`) triggers
//! one refresh-token grant, then the call is retried once. Refreshes are single-flight: the
//! first caller refreshes while the others wait on the same lock and then reuse the token it
//! got (they notice by the generation number), so a burst of calls costs one refresh. Other
//! processes holding the same grant (instances on one database) take turns through the
//! [`TokenStore`], and one that finds the grant refreshed by another uses the stored tokens
//! instead of refreshing again. The new access token is handed to the [`TokenStore`] before
//! anyone uses it; a save that finds the grant reset or removed ends the session, one that
//! finds it refreshed by another process adopts what that process stored. A refused refresh marks
//! the session dead: every later call fails fast with [`SalesforceError::Authentication`]
//! until a new sign-in replaces the session.

use std::sync::{Arc, Mutex};

use reqwest::{Method, StatusCode, header};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use tokio::sync::RwLock;
use url::Url;

use crate::{
    config::ApiVersion,
    error::{OAuthError, SalesforceError, transport},
    oauth::OAuthClient,
};

/// How many ids go into one `WHERE Id IN (...)` query of [`Session::fetch_by_ids`]: 200
/// 18-character ids keep the URL far below Salesforce's 16,384-byte limit.
const IDS_PER_QUERY: usize = 200;

/// Persists what a refresh-token grant returned (encrypted, by the server), and keeps several
/// processes holding the same grant (instances sharing one database) from refreshing it at
/// once.
#[async_trait::async_trait]
pub trait TokenStore: Send + Sync {
    /// Called before a refresh, under this session's single-flight lock. A store shared with
    /// other processes waits here while another one refreshes the grant, and returns the
    /// tokens it stored ([`RefreshTurn::AlreadyRefreshed`]) when they are newer than the ones
    /// this session holds: the session then uses them and does not refresh. Every call that
    /// returns `Ok` is followed by one [`TokenStore::end_refresh`].
    async fn begin_refresh(&self) -> Result<RefreshTurn, TokenStoreError> {
        Ok(RefreshTurn::Yours)
    }

    /// The new access token and, when the connected app rotates refresh tokens, the new
    /// refresh token.
    async fn save_refreshed(
        &self,
        access_token: &SecretString,
        rotated_refresh_token: Option<&SecretString>,
    ) -> Result<(), TokenStoreError>;

    /// Ends the turn [`TokenStore::begin_refresh`] gave.
    async fn end_refresh(&self) {}
}

/// Whose turn a refresh is.
pub enum RefreshTurn {
    /// Refresh: nobody else did since this session last read or wrote the store.
    Yours,
    /// Another process refreshed meanwhile: use these.
    AlreadyRefreshed(StoredGrant),
}

/// The tokens of the grant as the store holds them.
pub struct StoredGrant {
    pub access_token: SecretString,
    pub refresh_token: SecretString,
}

/// Why refreshed tokens were not saved.
#[derive(Debug, thiserror::Error)]
pub enum TokenStoreError {
    /// The stored grant is no longer the one this session refreshes (Reset Token or
    /// Disconnect happened meanwhile): the session is over.
    #[error("the stored Salesforce token was replaced or removed meanwhile")]
    Replaced,
    /// Another process holding the same grant refreshed it first and stored its tokens (the
    /// refresh token rotated): use those; the grant is alive.
    #[error("another instance refreshed the Salesforce token first")]
    Superseded(StoredGrant),
    /// The write failed (database unreachable...): worth trying again.
    #[error("{0}")]
    Failed(String),
}

impl std::fmt::Debug for StoredGrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoredGrant(<redacted>)")
    }
}

/// OAuth errors of a refresh that no retry fixes: only a new sign-in helps. Others
/// (`unknown_error`, `rate_limit_exceeded`...) are passing.
const PERMANENT_REFRESH_ERRORS: &[&str] = &[
    "invalid_grant",
    "invalid_client",
    "invalid_client_id",
    "invalid_client_credentials",
    "unauthorized_client",
    "inactive_user",
    "inactive_org",
    "invalid_app_access",
];

/// One page of a SOQL query.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryPage<T> {
    pub total_size: u64,
    pub done: bool,
    pub records: Vec<T>,
    #[serde(default)]
    pub next_records_url: Option<String>,
}

/// Which access token a caller used: hand it back to [`Session::refresh_access_token`] so that
/// a token someone else already refreshed is not refreshed again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenGeneration(u64);

struct AccessState {
    token: SecretString,
    /// Replaced when Salesforce rotates it on refresh.
    refresh_token: SecretString,
    /// Bumped by every refresh, so waiters can tell that someone else already refreshed.
    generation: u64,
    /// Set when the refresh token was refused: only a new sign-in helps.
    dead: Option<String>,
}

/// An organization's authenticated connection to its Salesforce instance.
pub struct Session {
    oauth: OAuthClient,
    instance_url: Url,
    access: RwLock<AccessState>,
    /// Held while refreshing: one refresh at a time for this connection.
    refreshing: tokio::sync::Mutex<()>,
    store: Arc<dyn TokenStore>,
    /// Last `Sforce-Limit-Info: api-usage=used/max` seen.
    api_usage: Mutex<Option<(u64, u64)>>,
}

impl Session {
    pub fn new(
        oauth: OAuthClient,
        instance_url: Url,
        access_token: SecretString,
        refresh_token: SecretString,
        store: Arc<dyn TokenStore>,
    ) -> Self {
        Session {
            oauth,
            instance_url,
            access: RwLock::new(AccessState {
                token: access_token,
                refresh_token,
                generation: 0,
                dead: None,
            }),
            refreshing: tokio::sync::Mutex::new(()),
            store,
            api_usage: Mutex::new(None),
        }
    }

    /// The instance REST calls go to.
    pub fn instance_url(&self) -> &Url {
        &self.instance_url
    }

    /// The REST API version calls use (`62.0`).
    pub fn api_version(&self) -> &ApiVersion {
        &self.oauth.app().api_version
    }

    /// The HTTP client calls go through (no redirects, 30 s default timeout).
    pub(crate) fn http(&self) -> &reqwest::Client {
        self.oauth.http()
    }

    /// The last API usage Salesforce reported, as (used, daily maximum).
    pub fn api_usage(&self) -> Option<(u64, u64)> {
        self.api_usage.lock().ok().and_then(|usage| *usage)
    }

    /// Whether the session is over: its refresh token was refused, or its grant was reset or
    /// removed meanwhile. A new session from the stored token is needed.
    pub async fn is_dead(&self) -> bool {
        self.access.read().await.dead.is_some()
    }

    /// The current access token, for protocols this type does not speak itself (the
    /// Streaming API), with its generation for [`Session::refresh_access_token`]. Fails once
    /// the session is dead (its refresh token was refused).
    pub async fn access_token(&self) -> Result<(SecretString, TokenGeneration), SalesforceError> {
        let (token, generation) = self.current_token().await?;
        Ok((token, TokenGeneration(generation)))
    }

    /// Refreshes the access token after Salesforce refused the one of generation `seen`,
    /// unless another caller already did (single-flight, shared with the REST calls). A
    /// refused refresh token ends the session ([`SalesforceError::Authentication`]).
    pub async fn refresh_access_token(&self, seen: TokenGeneration) -> Result<(), SalesforceError> {
        self.refresh_after(seen.0).await
    }

    /// `GET /services/data/vNN.0/limits`
    pub async fn limits(&self) -> Result<serde_json::Value, SalesforceError> {
        let path = format!("/services/data/v{}/limits", self.api_version());
        self.get_json(&path).await
    }

    /// The first page of a SOQL query (`query`), or with deleted rows (`queryAll`).
    pub async fn query<T: DeserializeOwned>(
        &self,
        soql: &str,
        include_deleted: bool,
    ) -> Result<QueryPage<T>, SalesforceError> {
        let resource = if include_deleted { "queryAll" } else { "query" };
        let mut url = self.url(&format!(
            "/services/data/v{}/{resource}",
            self.api_version()
        ))?;
        url.query_pairs_mut().append_pair("q", soql);
        let response = self.send(Method::GET, url.clone(), None).await?;
        decode(response, &url).await
    }

    /// The next page of a query, from its `nextRecordsUrl`.
    pub async fn query_more<T: DeserializeOwned>(
        &self,
        next_records_url: &str,
    ) -> Result<QueryPage<T>, SalesforceError> {
        self.get_json(next_records_url).await
    }

    /// `GET` a path on the instance (it must start with `/services/`) and decode the JSON.
    pub async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, SalesforceError> {
        let url = self.url(path)?;
        let response = self.send(Method::GET, url.clone(), None).await?;
        decode(response, &url).await
    }

    /// `POST` JSON to a path on the instance (e.g. `/services/data/v62.0/sobjects/Contact`,
    /// answered `201 {"id","success","errors"}`) and decode the JSON answer.
    pub async fn post_json<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, SalesforceError> {
        let url = self.url(path)?;
        let body = encode(body)?;
        let response = self.send(Method::POST, url.clone(), Some(body)).await?;
        decode(response, &url).await
    }

    /// `PATCH` JSON to a path on the instance (e.g. `.../sobjects/Contact/{id}`), which
    /// Salesforce answers `204 No Content`.
    pub async fn patch_json<B: Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<(), SalesforceError> {
        let url = self.url(path)?;
        let body = encode(body)?;
        let response = self.send(Method::PATCH, url.clone(), Some(body)).await?;
        expect_success(response, &url).await
    }

    /// The records of `object` with these ids, deleted ones included (`queryAll`, with
    /// `IsDeleted: true`), with `fields` plus `Id` and `IsDeleted` (always selected). Ids that
    /// match no record are absent from the answer; `attributes` is dropped from each record.
    ///
    /// The ids usually come from change events, so each must be a 15- or 18-character
    /// alphanumeric Salesforce id before it goes into SOQL; anything else fails the whole call
    /// with [`SalesforceError::InvalidInput`] (filter with [`crate::is_record_id`] first: a
    /// type-conversion event can carry wildcard ids such as `001*`). Duplicates are queried once;
    /// ids go [`IDS_PER_QUERY`] to a query, each query's pages followed through `nextRecordsUrl`.
    pub async fn fetch_by_ids(
        &self,
        object: &str,
        fields: &[&str],
        ids: &[String],
    ) -> Result<Vec<serde_json::Map<String, serde_json::Value>>, SalesforceError> {
        if !is_identifier(object) {
            return Err(SalesforceError::InvalidInput(format!(
                "{:?} is not an object name",
                printable(object)
            )));
        }
        let mut select: Vec<&str> = vec!["Id", "IsDeleted"];
        for field in fields {
            if !is_field_path(field) {
                return Err(SalesforceError::InvalidInput(format!(
                    "{:?} is not a field name",
                    printable(field)
                )));
            }
            if !select.iter().any(|f| f.eq_ignore_ascii_case(field)) {
                select.push(field);
            }
        }
        let mut unique: Vec<&str> = Vec::with_capacity(ids.len());
        for id in ids {
            if !crate::is_record_id(id) {
                return Err(SalesforceError::InvalidInput(format!(
                    "{:?} is not a Salesforce record id",
                    printable(id)
                )));
            }
            if !unique.contains(&id.as_str()) {
                unique.push(id);
            }
        }
        let select = select.join(", ");
        let mut records = Vec::new();
        for chunk in unique.chunks(IDS_PER_QUERY) {
            let list = chunk
                .iter()
                .map(|id| format!("'{id}'"))
                .collect::<Vec<_>>()
                .join(", ");
            let soql = format!("SELECT {select} FROM {object} WHERE Id IN ({list})");
            let mut page: QueryPage<serde_json::Map<String, serde_json::Value>> =
                self.query(&soql, true).await?;
            loop {
                records.extend(page.records.drain(..).map(|mut record| {
                    record.remove("attributes");
                    record
                }));
                match page.next_records_url.take() {
                    Some(next) if !page.done => page = self.query_more(&next).await?,
                    _ => break,
                }
            }
        }
        Ok(records)
    }

    /// Sends a request with the current access token; on `INVALID_SESSION_ID` refreshes once
    /// (single-flight) and sends it again. The only copy of that logic for every method.
    pub(crate) async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
    ) -> Result<reqwest::Response, SalesforceError> {
        let (token, generation) = self.current_token().await?;
        match self
            .send_once(&method, &url, body.as_deref(), &token)
            .await?
        {
            Outcome::Done(response) => Ok(response),
            Outcome::SessionInvalid => {
                self.refresh_after(generation).await?;
                let (token, _) = self.current_token().await?;
                match self
                    .send_once(&method, &url, body.as_deref(), &token)
                    .await?
                {
                    Outcome::Done(response) => Ok(response),
                    Outcome::SessionInvalid => Err(SalesforceError::Authentication(
                        "Salesforce refused the refreshed access token too".into(),
                    )),
                }
            }
        }
    }

    pub(crate) fn url(&self, path: &str) -> Result<Url, SalesforceError> {
        if !path.starts_with("/services/") {
            return Err(SalesforceError::Decode(format!(
                "refusing to call {path:?}: not a /services/ path"
            )));
        }
        self.instance_url
            .join(path)
            .map_err(|_| SalesforceError::Decode(format!("invalid path {path:?}")))
    }

    async fn current_token(&self) -> Result<(SecretString, u64), SalesforceError> {
        let access = self.access.read().await;
        match &access.dead {
            Some(reason) => Err(SalesforceError::Authentication(reason.clone())),
            None => Ok((access.token.clone(), access.generation)),
        }
    }

    async fn send_once(
        &self,
        method: &Method,
        url: &Url,
        body: Option<&[u8]>,
        token: &SecretString,
    ) -> Result<Outcome, SalesforceError> {
        let mut request = self
            .oauth
            .http()
            .request(method.clone(), url.clone())
            .bearer_auth(token.expose_secret())
            .header(header::ACCEPT, "application/json");
        if let Some(body) = body {
            request = request
                .header(header::CONTENT_TYPE, "application/json")
                .body(body.to_vec());
        }
        let response = request
            .send()
            .await
            .map_err(|e| request_failure(method, &e))?;
        self.note_api_usage(response.headers());
        if response.status() != StatusCode::UNAUTHORIZED {
            return Ok(Outcome::Done(response));
        }
        // 401: INVALID_SESSION_ID (or an unreadable body, which means the same to us).
        let text = response.text().await.unwrap_or_default();
        match first_error(&text) {
            Some((code, message)) if code != "INVALID_SESSION_ID" => Err(SalesforceError::Api {
                status: 401,
                code,
                message,
            }),
            _ => Ok(Outcome::SessionInvalid),
        }
    }

    /// Refreshes the access token unless another caller already did since `seen_generation`
    /// (in this process, or in another one sharing the store).
    async fn refresh_after(&self, seen_generation: u64) -> Result<(), SalesforceError> {
        let _one_at_a_time = self.refreshing.lock().await;
        {
            let access = self.access.read().await;
            if let Some(reason) = &access.dead {
                return Err(SalesforceError::Authentication(reason.clone()));
            }
            if access.generation != seen_generation {
                return Ok(());
            }
        }
        match self.store.begin_refresh().await {
            Ok(RefreshTurn::Yours) => {}
            Ok(RefreshTurn::AlreadyRefreshed(stored)) => {
                self.store.end_refresh().await;
                self.adopt(stored.access_token, Some(stored.refresh_token))
                    .await;
                tracing::info!(instance = %self.instance_url, "Salesforce access token refreshed by another instance");
                return Ok(());
            }
            Err(TokenStoreError::Replaced) => return Err(self.end_replaced().await),
            Err(TokenStoreError::Superseded(stored)) => {
                self.adopt(stored.access_token, Some(stored.refresh_token))
                    .await;
                return Ok(());
            }
            // Without the store's turn, refresh anyway: a token nobody can save is still
            // better than none, and the save below settles a race.
            Err(TokenStoreError::Failed(error)) => {
                tracing::warn!(%error, "cannot coordinate the token refresh with other instances")
            }
        }
        let refreshed = self.refresh_and_save().await;
        self.store.end_refresh().await;
        refreshed
    }

    /// One refresh-token grant, saved to the store.
    async fn refresh_and_save(&self) -> Result<(), SalesforceError> {
        let refresh_token = self.access.read().await.refresh_token.clone();
        match self.oauth.refresh(&refresh_token).await {
            Ok(grant) => {
                let saved = self
                    .store
                    .save_refreshed(&grant.access_token, grant.refresh_token.as_ref())
                    .await;
                match saved {
                    Ok(()) => {}
                    Err(TokenStoreError::Replaced) => {
                        // The new grant belongs to nobody now: end it at Salesforce too.
                        let orphan = grant.refresh_token.as_ref().unwrap_or(&grant.access_token);
                        if let Err(error) = self.oauth.revoke(orphan).await {
                            tracing::warn!(%error, "could not revoke a refreshed token nobody stores");
                        }
                        return Err(self.end_replaced().await);
                    }
                    Err(TokenStoreError::Superseded(stored)) => {
                        // Another instance refreshed the same grant first and its rotated
                        // refresh token is the stored one: use what it stored. Ours is not
                        // revoked: at Salesforce, revoking one refresh token of a grant can end
                        // the other instance's tokens too.
                        self.adopt(stored.access_token, Some(stored.refresh_token))
                            .await;
                        return Ok(());
                    }
                    // The grant is valid: keep using it (a rotated refresh token would be lost
                    // otherwise) and store it with the next refresh.
                    Err(TokenStoreError::Failed(error)) => tracing::error!(
                        %error,
                        "the refreshed Salesforce token could not be saved; using it anyway"
                    ),
                }
                self.adopt(grant.access_token, grant.refresh_token).await;
                tracing::info!(instance = %self.instance_url, "Salesforce access token refreshed");
                Ok(())
            }
            Err(OAuthError::Rejected { error, description })
                if PERMANENT_REFRESH_ERRORS.contains(&error.as_str()) =>
            {
                let reason = format!(
                    "the refresh token was refused ({}); run Reset Token on the Integrations page",
                    printable(&format!(
                        "{error}{}",
                        description.map(|d| format!(": {d}")).unwrap_or_default()
                    ))
                );
                self.access.write().await.dead = Some(reason.clone());
                Err(SalesforceError::Authentication(reason))
            }
            Err(error) => Err(SalesforceError::Transport(printable(&format!(
                "the access token could not be refreshed: {error}"
            )))),
        }
    }

    /// Uses a new access token (and refresh token, when it changed) from now on.
    async fn adopt(&self, access_token: SecretString, refresh_token: Option<SecretString>) {
        let mut access = self.access.write().await;
        access.token = access_token;
        if let Some(refresh_token) = refresh_token {
            access.refresh_token = refresh_token;
        }
        access.generation += 1;
    }

    /// Marks the session dead because its stored grant was reset or removed.
    async fn end_replaced(&self) -> SalesforceError {
        let reason = "the Salesforce connection was reset or disconnected meanwhile".to_string();
        self.access.write().await.dead = Some(reason.clone());
        SalesforceError::Authentication(reason)
    }

    fn note_api_usage(&self, headers: &header::HeaderMap) {
        let usage = headers
            .get("sforce-limit-info")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_api_usage);
        if let (Some(usage), Ok(mut slot)) = (usage, self.api_usage.lock()) {
            *slot = Some(usage);
        }
    }
}

enum Outcome {
    Done(reqwest::Response),
    SessionInvalid,
}

/// The error of a request that got no answer. A read is simply [`SalesforceError::Transport`].
/// A write (any method but `GET`/`HEAD`) that failed after the connection was made may have
/// reached Salesforce and been applied: [`SalesforceError::OutcomeUnknown`]. Only a failure to
/// connect proves it was never sent; a timeout counts as unknown even when it struck while
/// connecting, since reqwest does not say which phase it interrupted.
fn request_failure(method: &Method, error: &reqwest::Error) -> SalesforceError {
    let text = transport(error);
    let read_only = matches!(*method, Method::GET | Method::HEAD);
    if read_only || error.is_connect() || error.is_builder() {
        SalesforceError::Transport(text)
    } else {
        SalesforceError::OutcomeUnknown(text)
    }
}

fn encode<B: Serialize + ?Sized>(body: &B) -> Result<Vec<u8>, SalesforceError> {
    serde_json::to_vec(body)
        .map_err(|e| SalesforceError::InvalidInput(format!("the request body is not JSON: {e}")))
}

async fn decode<T: DeserializeOwned>(
    response: reqwest::Response,
    url: &Url,
) -> Result<T, SalesforceError> {
    let status = response.status();
    let text = response
        .text()
        .await
        .map_err(|e| SalesforceError::Transport(transport(&e)))?;
    if status.is_success() {
        return serde_json::from_str(&text)
            .map_err(|e| SalesforceError::Decode(format!("{e} (HTTP {status})")));
    }
    Err(api_error(status, &text, url))
}

/// For calls answered without a body (`204 No Content`).
async fn expect_success(response: reqwest::Response, url: &Url) -> Result<(), SalesforceError> {
    let status = response.status();
    let text = response
        .text()
        .await
        .map_err(|e| SalesforceError::Transport(transport(&e)))?;
    if status.is_success() {
        return Ok(());
    }
    Err(api_error(status, &text, url))
}

pub(crate) fn api_error(status: StatusCode, text: &str, url: &Url) -> SalesforceError {
    let (code, message) = first_error(text).unwrap_or_else(|| {
        (
            format!("HTTP_{}", status.as_u16()),
            "no error details".into(),
        )
    });
    if code == "NOT_FOUND"
        && let Some(object) = metadata_object(url.path())
    {
        return SalesforceError::ObjectNotFound {
            object: printable(object),
            message: printable(&message),
        };
    }
    SalesforceError::Api {
        status: status.as_u16(),
        code,
        message,
    }
}

/// The object of a metadata path (`/services/data/vNN.0/sobjects/{object}` and
/// `.../sobjects/{object}/describe`), where `NOT_FOUND` means the object itself is unknown
/// (or invisible to the user) rather than a record.
fn metadata_object(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/services/data/")?;
    let mut segments = rest.split('/').filter(|s| !s.is_empty()).skip(1);
    if segments.next()? != "sobjects" {
        return None;
    }
    let object = segments.next()?;
    match (segments.next(), segments.next()) {
        (None, _) | (Some("describe"), None) => Some(object),
        _ => None,
    }
}

/// An object API name (`Contact`, `Foo__c`).
fn is_identifier(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 80
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A field or a relationship path (`Owner.Name`).
fn is_field_path(name: &str) -> bool {
    name.len() <= 255 && name.split('.').all(is_identifier)
}

/// The first `{errorCode, message}` of a Salesforce error body (an array, sometimes an object).
fn first_error(text: &str) -> Option<(String, String)> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct ApiError {
        error_code: String,
        #[serde(default)]
        message: String,
    }
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Body {
        Many(Vec<ApiError>),
        One(ApiError),
    }
    let error = match serde_json::from_str::<Body>(text).ok()? {
        Body::Many(errors) => errors.into_iter().next()?,
        Body::One(error) => error,
    };
    Some((error.error_code, error.message))
}

/// Text from Salesforce made fit for a log line and an admin's screen: printable ASCII, at
/// most 200 characters.
pub(crate) fn printable(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .take(200)
        .collect()
}

/// `api-usage=25/15000` → (25, 15000).
fn parse_api_usage(value: &str) -> Option<(u64, u64)> {
    let usage = value
        .split(';')
        .find_map(|part| part.trim().strip_prefix("api-usage="))?;
    let (used, max) = usage.split_once('/')?;
    Some((used.trim().parse().ok()?, max.trim().parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_are_read() {
        assert_eq!(
            first_error(
                r#"[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]"#
            ),
            Some((
                "INVALID_SESSION_ID".into(),
                "Session expired or invalid".into()
            ))
        );
        assert_eq!(
            first_error(r#"{"message":"x","errorCode":"INVALID_FIELD"}"#),
            Some(("INVALID_FIELD".into(), "x".into()))
        );
        assert_eq!(first_error("<html>"), None);
        assert_eq!(first_error("[]"), None);
    }

    #[test]
    fn not_found_on_metadata_paths_names_the_object() {
        assert_eq!(
            metadata_object("/services/data/v62.0/sobjects/Foo__c/describe"),
            Some("Foo__c")
        );
        assert_eq!(
            metadata_object("/services/data/v62.0/sobjects/Foo/"),
            Some("Foo")
        );
        assert_eq!(
            metadata_object("/services/data/v62.0/sobjects/Contact/003000000000001AAA"),
            None
        );
        assert_eq!(metadata_object("/services/data/v62.0/query"), None);
        assert_eq!(metadata_object("/services/data/v62.0/sobjects"), None);
    }

    #[test]
    fn soql_names_are_identifiers() {
        assert!(is_identifier("Contact"));
        assert!(is_identifier("Foo__c"));
        assert!(!is_identifier("Contact WHERE"));
        assert!(!is_identifier(""));
        assert!(!is_identifier("1Contact"));
        assert!(is_field_path("Owner.Name"));
        assert!(!is_field_path("Name, (SELECT Id FROM Cases)"));
        assert!(!is_field_path("Owner..Name"));
    }

    #[test]
    fn api_usage_header_is_read() {
        assert_eq!(parse_api_usage("api-usage=25/15000"), Some((25, 15000)));
        assert_eq!(
            parse_api_usage("per-app-api-usage=1/10(appName=x); api-usage=7/100"),
            Some((7, 100))
        );
        assert_eq!(parse_api_usage("nothing"), None);
    }
}
