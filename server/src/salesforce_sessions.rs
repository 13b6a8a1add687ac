//! One authenticated Salesforce [`Session`] per connected organization, shared by every
//! caller (the console today, the sync engine next), so that a token refresh happens once per
//! organization no matter how many callers need it.
//!
//! Sessions are built from the stored, encrypted token. A refreshed access token is
//! encrypted and written back to the same token row. Set up, Reset Token and Disconnect call
//! [`SalesforceSessions::forget`], so the next caller builds a session from the new token.

use std::{collections::HashMap, sync::Arc};

use salesforce::{OAuthClient, RefreshTurn, Session, StoredGrant, TokenStore, TokenStoreError};
use sea_orm::DatabaseConnection;
use secrecy::SecretString;
use store::leases::{self, Lease};
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

    /// The organization's session, built from its stored token on first use, and again once
    /// the cached one died (its grant was refused, reset or removed: the store may hold a
    /// new one).
    pub async fn session(&self, organization_id: i64) -> Result<Arc<Session>, SessionError> {
        let mut sessions = self.sessions.lock().await;
        if let Some(session) = sessions.get(&organization_id)
            && !session.is_dead().await
        {
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
        let refresh_ciphertext = token
            .refresh_token_ciphertext
            .clone()
            .ok_or(SessionError::NoRefreshToken)?;
        let refresh = self.cipher.decrypt(
            &refresh_ciphertext,
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
            grant: Grant {
                token_id: token.id,
                issued_at: token.issued_at,
            },
            seen: std::sync::Mutex::new(Seen {
                access_token_ciphertext: token.access_token_ciphertext.clone(),
                refresh_token_ciphertext: refresh_ciphertext,
            }),
            turn: std::sync::Mutex::new(None),
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

/// How long an instance may hold an organization's refresh turn (a refresh is one HTTP call
/// of at most 30 s).
const REFRESH_TURN: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

/// How long a refresh waits for another instance's turn to end before refreshing anyway.
const REFRESH_TURN_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Which grant a session was built from: Set up and Reset Token write a new grant into the
/// same row (same id, new issue time); a refresh keeps the issue time.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Grant {
    token_id: i64,
    issued_at: chrono::DateTime<chrono::Utc>,
}

/// The stored ciphertexts this session last read or wrote: a row that holds others was
/// written by another instance.
struct Seen {
    access_token_ciphertext: String,
    refresh_token_ciphertext: String,
}

/// Writes refreshed tokens, encrypted, into the organization's token row, as long as that row
/// still holds the grant this session was built from, and takes turns with other instances
/// (the lease `token_refresh:<organization>`), so only one refreshes a grant at a time.
struct StoredToken {
    db: DatabaseConnection,
    cipher: Cipher,
    organization_id: i64,
    grant: Grant,
    seen: std::sync::Mutex<Seen>,
    /// The refresh turn held between `begin_refresh` and `end_refresh`.
    turn: std::sync::Mutex<Option<Lease>>,
}

fn failed(error: &dyn std::fmt::Display) -> TokenStoreError {
    TokenStoreError::Failed(error.to_string())
}

impl StoredToken {
    fn context(&self, column: &'static str) -> SecretContext<'static> {
        SecretContext {
            column,
            organization_id: self.organization_id,
        }
    }

    fn encrypt(
        &self,
        secret: &SecretString,
        column: &'static str,
    ) -> Result<String, TokenStoreError> {
        self.cipher
            .encrypt(secret, &self.context(column))
            .map_err(|e| failed(&e))
    }

    /// The stored row if it still holds this session's grant; [`TokenStoreError::Replaced`]
    /// when Reset Token or Disconnect changed it.
    async fn stored_grant(&self) -> Result<store::entities::oauth_tokens::Model, TokenStoreError> {
        let row = store::salesforce_connection::current_token(&self.db, self.organization_id)
            .await
            .map_err(|e| failed(&e))?
            .ok_or(TokenStoreError::Replaced)?;
        let grant = Grant {
            token_id: row.id,
            issued_at: row.issued_at,
        };
        if grant != self.grant {
            return Err(TokenStoreError::Replaced);
        }
        Ok(row)
    }

    /// The stored tokens of `row`, which become what this session has seen.
    fn adopt(
        &self,
        row: &store::entities::oauth_tokens::Model,
    ) -> Result<StoredGrant, TokenStoreError> {
        let refresh_ciphertext = row
            .refresh_token_ciphertext
            .clone()
            .ok_or(TokenStoreError::Replaced)?;
        let stored = StoredGrant {
            access_token: self
                .cipher
                .decrypt(
                    &row.access_token_ciphertext,
                    &self.context(ACCESS_TOKEN_COLUMN),
                )
                .map_err(|e| failed(&e))?,
            refresh_token: self
                .cipher
                .decrypt(&refresh_ciphertext, &self.context(REFRESH_TOKEN_COLUMN))
                .map_err(|e| failed(&e))?,
        };
        *self.seen.lock().map_err(|e| failed(&e))? = Seen {
            access_token_ciphertext: row.access_token_ciphertext.clone(),
            refresh_token_ciphertext: refresh_ciphertext,
        };
        Ok(stored)
    }

    /// Waits for the organization's refresh turn (up to [`REFRESH_TURN_WAIT`]); `None` when
    /// another instance kept it all that time.
    async fn take_turn(&self) -> Result<Option<Lease>, TokenStoreError> {
        let lease = Lease {
            name: leases::token_refresh(self.organization_id),
            holder: format!("refresh/{:016x}", rand::random::<u64>()),
        };
        let deadline = tokio::time::Instant::now() + REFRESH_TURN_WAIT;
        loop {
            let taken = leases::try_acquire(
                &self.db,
                &lease.name,
                &lease.holder,
                chrono::Utc::now(),
                REFRESH_TURN,
            )
            .await
            .map_err(|e| failed(&e))?;
            if taken {
                return Ok(Some(lease));
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(None);
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
}

#[async_trait::async_trait]
impl TokenStore for StoredToken {
    async fn begin_refresh(&self) -> Result<RefreshTurn, TokenStoreError> {
        let turn = self.take_turn().await?;
        if turn.is_none() {
            tracing::warn!(
                organization_id = self.organization_id,
                "another instance kept the token refresh turn for 30 s; refreshing anyway"
            );
        }
        let outcome = async {
            let row = self.stored_grant().await?;
            let seen = self
                .seen
                .lock()
                .map_err(|e| failed(&e))?
                .access_token_ciphertext
                .clone();
            if row.access_token_ciphertext != seen {
                return Ok(RefreshTurn::AlreadyRefreshed(self.adopt(&row)?));
            }
            Ok(RefreshTurn::Yours)
        }
        .await;
        match (&outcome, turn) {
            (Ok(RefreshTurn::Yours), Some(lease)) => {
                *self.turn.lock().map_err(|e| failed(&e))? = Some(lease);
            }
            (_, Some(lease)) => release_turn(&self.db, &lease).await,
            (_, None) => {}
        }
        outcome
    }

    async fn save_refreshed(
        &self,
        access_token: &SecretString,
        rotated_refresh_token: Option<&SecretString>,
    ) -> Result<(), TokenStoreError> {
        let access = self.encrypt(access_token, ACCESS_TOKEN_COLUMN)?;
        let rotated = rotated_refresh_token
            .map(|token| self.encrypt(token, REFRESH_TOKEN_COLUMN))
            .transpose()?;
        let used = self
            .seen
            .lock()
            .map_err(|e| failed(&e))?
            .refresh_token_ciphertext
            .clone();
        let updated = store::oauth_tokens::save_refreshed(
            &self.db,
            self.organization_id,
            self.grant.token_id,
            store::oauth_tokens::RefreshedSecrets {
                used_refresh_token_ciphertext: &used,
                access_token_ciphertext: &access,
                rotated_refresh_token_ciphertext: rotated.as_deref(),
            },
        )
        .await
        .map_err(|e| failed(&e))?;
        if !updated {
            // The row no longer holds the refresh token this session used: either the grant
            // was reset or removed (the session is over), or another instance refreshed the
            // same grant and its rotated refresh token is stored (use it).
            let row = self.stored_grant().await?;
            return Err(TokenStoreError::Superseded(self.adopt(&row)?));
        }
        *self.seen.lock().map_err(|e| failed(&e))? = Seen {
            access_token_ciphertext: access,
            refresh_token_ciphertext: rotated.unwrap_or(used),
        };
        Ok(())
    }

    async fn end_refresh(&self) {
        let lease = self.turn.lock().ok().and_then(|mut turn| turn.take());
        if let Some(lease) = lease {
            release_turn(&self.db, &lease).await;
        }
    }
}

async fn release_turn(db: &DatabaseConnection, lease: &Lease) {
    if let Err(error) = leases::release(db, lease).await {
        tracing::warn!(%error, "cannot end the token refresh turn; it lapses in a minute");
    }
}
