//! One authenticated Salesforce [`Session`] per connected organization, shared by every
//! caller (the console today, the sync engine next), so that a token refresh happens once per
//! organization no matter how many callers need it.
//!
//! Sessions are built from the stored, encrypted token. A refreshed access token is
//! encrypted and written back to the same token row. Set up, Reset Token and Disconnect call
//! [`SalesforceSessions::forget`], so the next caller builds a session from the new token.

use std::{collections::HashMap, sync::Arc};

use salesforce::{OAuthClient, Session, TokenStore, TokenStoreError};
use sea_orm::DatabaseConnection;
use secrecy::SecretString;
use tokio::sync::Mutex;
use url::Url;

use crate::secrets::{Cipher, SecretContext, SecretError};

/// Where secrets of a token row live, for encryption's associated data.
pub const ACCESS_TOKEN_COLUMN: &str = "oauth_tokens.access_token";
pub const REFRESH_TOKEN_COLUMN: &str = "oauth_tokens.refresh_token";

/// Why no session could be built.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("Salesforce is not connected: run Set up on the Integrations page")]
    NotConnected,
    #[error("the stored Salesforce token has no refresh token: run Reset Token")]
    NoRefreshToken,
    #[error("the stored Salesforce token's instance URL is invalid")]
    BadInstanceUrl,
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

/// The organizations' Salesforce sessions.
pub struct SalesforceSessions {
    oauth: OAuthClient,
    db: DatabaseConnection,
    cipher: Cipher,
    sessions: Mutex<HashMap<i64, Arc<Session>>>,
}

impl SalesforceSessions {
    pub fn new(oauth: OAuthClient, db: DatabaseConnection, cipher: Cipher) -> Self {
        SalesforceSessions {
            oauth,
            db,
            cipher,
            sessions: Mutex::new(HashMap::new()),
        }
    }

    /// The organization's session, built from its stored token on first use.
    pub async fn session(&self, organization_id: i64) -> Result<Arc<Session>, SessionError> {
        let mut sessions = self.sessions.lock().await;
        if let Some(session) = sessions.get(&organization_id) {
            return Ok(session.clone());
        }
        let token = store::salesforce_connection::current_token(&self.db, organization_id)
            .await?
            .ok_or(SessionError::NotConnected)?;
        let access = self.cipher.decrypt(
            &token.access_token_ciphertext,
            &SecretContext {
                column: ACCESS_TOKEN_COLUMN,
                organization_id,
            },
        )?;
        let refresh = self.cipher.decrypt(
            token
                .refresh_token_ciphertext
                .as_deref()
                .ok_or(SessionError::NoRefreshToken)?,
            &SecretContext {
                column: REFRESH_TOKEN_COLUMN,
                organization_id,
            },
        )?;
        let instance_url =
            Url::parse(&token.instance_url).map_err(|_| SessionError::BadInstanceUrl)?;
        let store = Arc::new(StoredToken {
            db: self.db.clone(),
            cipher: self.cipher.clone(),
            organization_id,
            token_id: token.id,
            refresh_token_ciphertext: std::sync::Mutex::new(
                token.refresh_token_ciphertext.clone().unwrap_or_default(),
            ),
        });
        let session = Arc::new(Session::new(
            self.oauth.clone(),
            instance_url,
            access,
            refresh,
            store,
        ));
        sessions.insert(organization_id, session.clone());
        Ok(session)
    }

    /// The API usage of the day Salesforce last reported to the organization's session:
    /// (used, daily maximum), from `Sforce-Limit-Info`.
    pub async fn api_usage(&self, organization_id: i64) -> Option<(u64, u64)> {
        let sessions = self.sessions.lock().await;
        sessions.get(&organization_id)?.api_usage()
    }

    /// Drops the organization's session (its token changed or was removed).
    pub async fn forget(&self, organization_id: i64) {
        self.sessions.lock().await.remove(&organization_id);
    }
}

/// Writes refreshed tokens, encrypted, into the organization's token row, as long as that row
/// still holds the grant this session was built from.
struct StoredToken {
    db: DatabaseConnection,
    cipher: Cipher,
    organization_id: i64,
    token_id: i64,
    /// The stored refresh token this session refreshes with (updated when Salesforce rotates
    /// it). Reset Token and Disconnect change the row, and then a late refresh changes nothing.
    refresh_token_ciphertext: std::sync::Mutex<String>,
}

impl StoredToken {
    fn encrypt(&self, secret: &SecretString, column: &str) -> Result<String, TokenStoreError> {
        self.cipher
            .encrypt(
                secret,
                &SecretContext {
                    column,
                    organization_id: self.organization_id,
                },
            )
            .map_err(|e| TokenStoreError::Failed(e.to_string()))
    }
}

#[async_trait::async_trait]
impl TokenStore for StoredToken {
    async fn save_refreshed(
        &self,
        access_token: &SecretString,
        rotated_refresh_token: Option<&SecretString>,
    ) -> Result<(), TokenStoreError> {
        let failed = |e: &dyn std::fmt::Display| TokenStoreError::Failed(e.to_string());
        let access = self.encrypt(access_token, ACCESS_TOKEN_COLUMN)?;
        let rotated = rotated_refresh_token
            .map(|token| self.encrypt(token, REFRESH_TOKEN_COLUMN))
            .transpose()?;
        let used = self
            .refresh_token_ciphertext
            .lock()
            .map_err(|e| failed(&e))?
            .clone();
        let updated = store::oauth_tokens::save_refreshed(
            &self.db,
            self.organization_id,
            self.token_id,
            store::oauth_tokens::RefreshedSecrets {
                used_refresh_token_ciphertext: &used,
                access_token_ciphertext: &access,
                rotated_refresh_token_ciphertext: rotated.as_deref(),
            },
        )
        .await
        .map_err(|e| failed(&e))?;
        if !updated {
            return Err(TokenStoreError::Replaced);
        }
        if let Some(rotated) = rotated {
            *self
                .refresh_token_ciphertext
                .lock()
                .map_err(|e| failed(&e))? = rotated;
        }
        Ok(())
    }
}
