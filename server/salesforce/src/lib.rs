//! orgsync's Salesforce client, shared by the Integrations page and the sync engine.
//!
//! - [`OAuthClient`]: the OAuth 2.0 web-server flow with PKCE (the `oauth2` crate), the
//!   identity URL, the refresh-token grant and revocation.
//! - [`Session`]: authenticated REST calls for one organization's connection. An access token
//!   rejected with `INVALID_SESSION_ID` is refreshed once, by one caller at a time; the others
//!   wait and reuse the new token, which a [`TokenStore`] persists.
//!
//! Secrets are [`secrecy::SecretString`]s: they never show in `Debug` output, and no error of
//! this crate carries a response body that could hold one.

mod config;
mod error;
mod identity;
mod oauth;
mod session;

pub use config::{ApiVersion, ConfigError, ConnectedApp};
pub use error::{OAuthError, SalesforceError};
pub use identity::Identity;
pub use oauth::{AuthorizationStart, Grant, OAuthClient, Prompt};
pub use session::{QueryPage, Session, TokenStore, TokenStoreError};
