//! orgsync's Salesforce client, shared by the Integrations page and the sync engine.
//!
//! - [`OAuthClient`]: the OAuth 2.0 web-server flow with PKCE (the `oauth2` crate), the
//!   identity URL, the refresh-token grant and revocation.
//! - [`Session`]: authenticated REST calls for one organization's connection. An access token
//!   rejected with `INVALID_SESSION_ID` is refreshed once, by one caller at a time; the others
//!   wait and reuse the new token, which a [`TokenStore`] persists.
//!   [`Session::create_collection`] creates up to 200 records in one call (sObject
//!   Collections); a write whose answer is lost is [`SalesforceError::OutcomeUnknown`].
//! - [`streaming::StreamingClient`]: Change Data Capture over the Streaming API (CometD
//!   long-polling, with replay).
//! - [`ErrorClass`]: what a caller should do about an error (re-authenticate, tell the admin,
//!   or retry).
//!
//! Secrets are [`secrecy::SecretString`]s: they never show in `Debug` output, and no error of
//! this crate carries a response body that could hold one.

mod collections;
mod config;
mod error;
mod identity;
mod ids;
mod oauth;
mod session;
pub mod streaming;

pub use collections::{ApiErrorDetail, CollectionResult, MAX_COLLECTION_RECORDS};
pub use config::{ApiVersion, ConfigError, ConnectedApp, is_https_or_loopback};
pub use error::{ErrorClass, OAuthError, SalesforceError};
pub use identity::Identity;
pub use ids::is_record_id;
pub use oauth::{AuthorizationStart, Grant, OAuthClient, Prompt};
pub use session::{
    QueryPage, RefreshTurn, Session, StoredGrant, TokenGeneration, TokenStore, TokenStoreError,
};
