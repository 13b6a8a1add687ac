//! Authenticated REST calls for one organization's Salesforce connection.
//!
//! Token handling: a call whose access token is refused (`401 INVALID_SESSION_ID`) triggers
//! one refresh-token grant, then the call is retried once. Refreshes are single-flight: the
//! first caller refreshes while the others wait on the same lock and then reuse the token it
//! got (they notice by the generation number), so a burst of calls costs one refresh. The new
//! access token is handed to the [`TokenStore`] before anyone uses it. A refused refresh marks
//! the session dead: every later call fails fast with [`SalesforceError::Authentication`]
//! until a new sign-in replaces the session.

use std::sync::{Arc, Mutex};

use reqwest::{StatusCode, header};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, de::DeserializeOwned};
use tokio::sync::RwLock;
use url::Url;

use crate::{
    error::{OAuthError, SalesforceError, transport},
    oauth::OAuthClient,
};

/// Persists what a refresh-token grant returned (encrypted, by the server).
#[async_trait::async_trait]
pub trait TokenStore: Send + Sync {
    /// The new access token and, when the connected app rotates refresh tokens, the new
    /// refresh token.
    async fn save_refreshed(
        &self,
        access_token: &SecretString,
        rotated_refresh_token: Option<&SecretString>,
    ) -> Result<(), TokenStoreError>;
}

/// Why refreshed tokens were not saved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenStoreError {
    /// The stored grant is no longer the one this session refreshes (Reset Token or
    /// Disconnect happened meanwhile): the session is over.
    #[error("the stored Salesforce token was replaced or removed meanwhile")]
    Replaced,
    /// The write failed (database unreachable...): worth trying again.
    #[error("{0}")]
    Failed(String),
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

    /// The last API usage Salesforce reported, as (used, daily maximum).
    pub fn api_usage(&self) -> Option<(u64, u64)> {
        self.api_usage.lock().ok().and_then(|usage| *usage)
    }

    /// `GET /services/data/vNN.0/limits`
    pub async fn limits(&self) -> Result<serde_json::Value, SalesforceError> {
        let path = format!("/services/data/v{}/limits", self.oauth.app().api_version);
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
            self.oauth.app().api_version
        ))?;
        url.query_pairs_mut().append_pair("q", soql);
        self.get_url(url).await
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
        self.get_url(url).await
    }

    async fn get_url<T: DeserializeOwned>(&self, url: Url) -> Result<T, SalesforceError> {
        let (token, generation) = self.current_token().await?;
        let response = match self.send_get(&url, &token).await? {
            Outcome::Done(response) => response,
            Outcome::SessionInvalid => {
                self.refresh_after(generation).await?;
                let (token, _) = self.current_token().await?;
                match self.send_get(&url, &token).await? {
                    Outcome::Done(response) => response,
                    Outcome::SessionInvalid => {
                        return Err(SalesforceError::Authentication(
                            "Salesforce refused the refreshed access token too".into(),
                        ));
                    }
                }
            }
        };
        decode(response).await
    }

    fn url(&self, path: &str) -> Result<Url, SalesforceError> {
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

    async fn send_get(&self, url: &Url, token: &SecretString) -> Result<Outcome, SalesforceError> {
        let response = self
            .oauth
            .http()
            .get(url.clone())
            .bearer_auth(token.expose_secret())
            .header(header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| SalesforceError::Transport(transport(&e)))?;
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

    /// Refreshes the access token unless another caller already did since `seen_generation`.
    async fn refresh_after(&self, seen_generation: u64) -> Result<(), SalesforceError> {
        let _one_at_a_time = self.refreshing.lock().await;
        let refresh_token = {
            let access = self.access.read().await;
            if let Some(reason) = &access.dead {
                return Err(SalesforceError::Authentication(reason.clone()));
            }
            if access.generation != seen_generation {
                return Ok(());
            }
            access.refresh_token.clone()
        };
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
                        let reason =
                            "the Salesforce connection was reset or disconnected meanwhile"
                                .to_string();
                        self.access.write().await.dead = Some(reason.clone());
                        return Err(SalesforceError::Authentication(reason));
                    }
                    // The grant is valid: keep using it (a rotated refresh token would be lost
                    // otherwise) and store it with the next refresh.
                    Err(TokenStoreError::Failed(error)) => tracing::error!(
                        %error,
                        "the refreshed Salesforce token could not be saved; using it anyway"
                    ),
                }
                let mut access = self.access.write().await;
                access.token = grant.access_token;
                if let Some(rotated) = grant.refresh_token {
                    access.refresh_token = rotated;
                }
                access.generation += 1;
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

async fn decode<T: DeserializeOwned>(response: reqwest::Response) -> Result<T, SalesforceError> {
    let status = response.status();
    let text = response
        .text()
        .await
        .map_err(|e| SalesforceError::Transport(transport(&e)))?;
    if status.is_success() {
        return serde_json::from_str(&text)
            .map_err(|e| SalesforceError::Decode(format!("{e} (HTTP {status})")));
    }
    let (code, message) = first_error(&text).unwrap_or_else(|| {
        (
            format!("HTTP_{}", status.as_u16()),
            "no error details".into(),
        )
    });
    Err(SalesforceError::Api {
        status: status.as_u16(),
        code,
        message,
    })
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
fn printable(text: &str) -> String {
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
    fn api_usage_header_is_read() {
        assert_eq!(parse_api_usage("api-usage=25/15000"), Some((25, 15000)));
        assert_eq!(
            parse_api_usage("per-app-api-usage=1/10(appName=x); api-usage=7/100"),
            Some((7, 100))
        );
        assert_eq!(parse_api_usage("nothing"), None);
    }
}
