//! Salesforce sign-ins in progress, keyed by their OAuth `state`: a thin layer over
//! [`store::salesforce_sign_ins`], which keeps them in the database.
//!
//! A `state` is random (the `oauth2` crate's CSRF token), single-use (taken on the callback,
//! so a replayed callback finds nothing), expires after ten minutes, and remembers the
//! orgsync session that started it: a callback arriving in another session (a forged or
//! leaked link) is refused without using it up. Stored in the database, so the callback may
//! reach any instance sharing it and a restart does not cancel sign-ins in flight. Neither
//! secret is stored as it is: the state as its SHA-256 (like session tokens), the PKCE
//! verifier encrypted with the organization and column bound in.

use chrono::{TimeDelta, Utc};
use sea_orm::DatabaseConnection;
use secrecy::SecretString;
use store::{StoreError, salesforce_sign_ins as stored};

use crate::{
    credentials,
    secrets::{Cipher, SecretContext, SecretError},
};

/// How long an admin has to finish signing in at Salesforce.
pub const SIGN_IN_TTL: TimeDelta = TimeDelta::minutes(10);

/// The column the PKCE verifier's ciphertext is bound to.
pub const PKCE_VERIFIER_COLUMN: &str = "salesforce_sign_ins.pkce_verifier";

/// What the callback needs to finish a sign-in.
pub struct PendingSignIn {
    pub session_id: i64,
    pub user_id: i64,
    pub organization_id: i64,
    pub pkce_verifier: SecretString,
}

/// What [`take_if`] found.
pub enum Taken {
    /// The sign-in, now removed.
    Found(PendingSignIn),
    /// No such state (unknown, used or expired).
    Missing,
    /// The state exists but belongs to another caller: left in place for its owner.
    NotYours,
}

/// Why a sign-in could not be remembered or taken.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("the pending Salesforce sign-in could not be stored or read: {0}")]
    Store(#[from] StoreError),
    /// The verifier could not be encrypted, or a taken one does not decrypt (another key).
    #[error("the PKCE verifier of a Salesforce sign-in: {0}")]
    Secret(#[from] SecretError),
}

fn verifier_context(organization_id: i64) -> SecretContext<'static> {
    SecretContext {
        column: PKCE_VERIFIER_COLUMN,
        organization_id,
    }
}

/// Remembers a started sign-in under its `state`, for [`SIGN_IN_TTL`].
pub async fn insert(
    db: &DatabaseConnection,
    cipher: &Cipher,
    state: &str,
    sign_in: &PendingSignIn,
) -> Result<(), SignInError> {
    let now = Utc::now();
    let pkce_verifier_ciphertext = cipher.encrypt(
        &sign_in.pkce_verifier,
        &verifier_context(sign_in.organization_id),
    )?;
    stored::insert(
        db,
        stored::NewSignIn {
            state_hash: credentials::hash_token(state),
            organization_id: sign_in.organization_id,
            user_id: sign_in.user_id,
            session_id: sign_in.session_id,
            pkce_verifier_ciphertext,
            expires_at: now + SIGN_IN_TTL,
        },
        now,
    )
    .await?;
    Ok(())
}

/// Takes the sign-in for `state` (once) if `is_yours` accepts it (it sees the stored row:
/// owner and organization). One that is not the caller's stays for its owner: a wrong caller
/// cannot burn someone else's sign-in.
pub async fn take_if(
    db: &DatabaseConnection,
    cipher: &Cipher,
    state: &str,
    is_yours: impl FnOnce(&store::entities::salesforce_sign_ins::Model) -> bool,
) -> Result<Taken, SignInError> {
    let taken = stored::take_if(db, &credentials::hash_token(state), Utc::now(), is_yours).await?;
    Ok(match taken {
        stored::Taken::Missing => Taken::Missing,
        stored::Taken::NotYours => Taken::NotYours,
        stored::Taken::Found(row) => {
            let pkce_verifier = cipher.decrypt(
                &row.pkce_verifier_ciphertext,
                &verifier_context(row.organization_id),
            )?;
            Taken::Found(PendingSignIn {
                session_id: row.session_id,
                user_id: row.user_id,
                organization_id: row.organization_id,
                pkce_verifier,
            })
        }
    })
}
