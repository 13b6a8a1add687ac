//! [`StoreError`]: what a store function reports, and the helpers that classify database errors.

use sea_orm::{DbErr, SqlErr};

/// Why a store operation failed.
///
/// Callers map these to their own errors: `NotFound`, `Conflict` and `Invalid` are the caller's
/// or the user's fault and carry a message fit to show; `Db` and `Corrupt` are internal (log them, show
/// a generic message).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed, or could not be reached.
    #[error("database error: {0}")]
    Db(#[from] DbErr),
    /// A row that the operation needs does not exist; names what is missing (e.g. "organization").
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A unique constraint refused the write, e.g. a username that is already taken.
    #[error("{0}")]
    Conflict(String),
    /// The request contradicts itself and nothing was written, e.g. REST polling without an
    /// interval.
    #[error("{0}")]
    Invalid(String),
    /// A column holds data the store cannot read, such as invalid JSON.
    #[error("corrupt data: {0}")]
    Corrupt(String),
    /// A fenced write was refused: the lease it was made under (named here) is held by
    /// another instance now, or was released. The work it covers must stop.
    #[error("the lease {0} is no longer held by this instance")]
    LeaseLost(String),
    /// The SQLite database file cannot be created or made private to its owner.
    #[error("cannot create or protect the database file {path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
}

impl StoreError {
    /// Classifies a failed write: a unique violation becomes [`StoreError::Conflict`] with the
    /// message from `conflict`, a foreign-key violation becomes [`StoreError::NotFound`] naming
    /// `parent` (the referenced row is missing), anything else stays [`StoreError::Db`].
    pub(crate) fn from_write(
        err: DbErr,
        parent: &'static str,
        conflict: impl FnOnce() -> String,
    ) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => StoreError::Conflict(conflict()),
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => StoreError::NotFound(parent),
            _ => StoreError::Db(err),
        }
    }
}

/// Parses a JSON column, reporting bad JSON as [`StoreError::Corrupt`] naming `what` (for example
/// "organizations.feature_flags of organization 3").
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(
    raw: &str,
    what: impl FnOnce() -> String,
) -> Result<T, StoreError> {
    serde_json::from_str(raw).map_err(|e| StoreError::Corrupt(format!("{}: {e}", what())))
}
