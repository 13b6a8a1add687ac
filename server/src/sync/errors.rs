//! Why a sync round failed, and how that counts (authentication and configuration stop the
//! sync in Error; transient failures and limits count toward the circuit).

use salesforce::{ErrorClass, SalesforceError, streaming::StreamingError};

use super::health::FailureKind;
use crate::salesforce_sessions::SessionError;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(
        "Salesforce sign-in is not configured on this server (ORGSYNC_SALESFORCE_CLIENT_ID and ORGSYNC_SALESFORCE_CLIENT_SECRET)"
    )]
    NotConfigured,
    #[error("{0}")]
    Session(#[from] SessionError),
    #[error("{0}")]
    Salesforce(#[from] SalesforceError),
    #[error("{0}")]
    Streaming(#[from] StreamingError),
    #[error("orgsync could not write to its database: {0}")]
    Store(#[from] store::StoreError),
    #[error("Salesforce sent a record without its {0}")]
    BadRecord(&'static str),
    /// The mirror is written, but the campaigns linked to it could not be updated; the
    /// worker brings them in line before its next round.
    #[error("orgsync could not update the campaigns: {0}")]
    Campaigns(store::StoreError),
}

impl SyncError {
    /// A fenced write found the sync's lease held by another instance.
    pub fn is_lease_lost(&self) -> bool {
        matches!(self, SyncError::Store(store::StoreError::LeaseLost(_)))
    }

    pub fn kind(&self) -> FailureKind {
        let class = match self {
            SyncError::NotConfigured => return FailureKind::Fatal,
            SyncError::Session(SessionError::Store(_)) => return FailureKind::Transient,
            SyncError::Session(_) => return FailureKind::Fatal,
            SyncError::Salesforce(error) => error.class(),
            SyncError::Streaming(error) => error.class(),
            SyncError::Store(_) | SyncError::BadRecord(_) | SyncError::Campaigns(_) => {
                return FailureKind::Transient;
            }
        };
        match class {
            ErrorClass::Authentication | ErrorClass::Configuration => FailureKind::Fatal,
            ErrorClass::Transient => FailureKind::Transient,
        }
    }

    /// The text the row shows (ST-03): Salesforce's own message where there is one, never a
    /// secret (no error of ours carries a token or a response body that could).
    pub fn message(&self) -> String {
        crate::untrusted::excerpt(&self.to_string(), 500)
    }
}
