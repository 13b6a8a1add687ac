//! Browser sessions. The cookie carries a random token; the database keeps only its hex SHA-256
//! (`token_hash`), so callers hash before every call here.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};

use crate::{
    StoreError,
    entities::{
        organizations, sessions,
        sessions::{Column, Entity},
        users,
    },
};

/// Stores a new session for `user_id` that is valid until `expires_at`.
///
/// Returns [`StoreError::NotFound`] if the user does not exist and [`StoreError::Conflict`] if
/// the token hash is already in use (a token generator bug).
pub async fn create(
    db: &impl ConnectionTrait,
    user_id: i64,
    token_hash: &str,
    expires_at: DateTime<Utc>,
) -> Result<sessions::Model, StoreError> {
    let now = crate::now();
    sessions::ActiveModel {
        token_hash: Set(token_hash.to_owned()),
        user_id: Set(user_id),
        created_at: Set(now),
        expires_at: Set(crate::at_micros(expires_at)),
        last_seen_at: Set(Some(now)),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| StoreError::from_write(e, "user", || "session token already in use".to_owned()))
}

/// The session with this token hash if it is still valid at `now` (it expires at `expires_at`)
/// and was last seen after `idle_cutoff`, together with its user and the user's organization;
/// `None` for unknown, expired or idle tokens and for disabled users.
///
/// One query: the three rows are joined.
pub async fn find_active(
    db: &impl ConnectionTrait,
    token_hash: &str,
    now: DateTime<Utc>,
    idle_cutoff: DateTime<Utc>,
) -> Result<Option<(sessions::Model, users::Model, organizations::Model)>, StoreError> {
    let found = Entity::find()
        .filter(Column::TokenHash.eq(token_hash))
        .filter(Column::ExpiresAt.gt(now))
        .filter(Column::LastSeenAt.gt(idle_cutoff))
        .find_also_related(users::Entity)
        .and_also_related(organizations::Entity)
        .filter(users::Column::DisabledAt.is_null())
        .one(db)
        .await?;
    match found {
        None => Ok(None),
        Some((session, Some(user), Some(org))) => Ok(Some((session, user, org))),
        // Foreign keys make this impossible; say so loudly if it happens anyway.
        Some((session, _, _)) => Err(StoreError::Corrupt(format!(
            "session {} has no user or organization",
            session.id
        ))),
    }
}

/// Deletes the session with this token hash (sign-out); `true` if one existed.
pub async fn delete(db: &impl ConnectionTrait, token_hash: &str) -> Result<bool, StoreError> {
    let result = Entity::delete_many()
        .filter(Column::TokenHash.eq(token_hash))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Deletes every session that has expired at `now`; returns how many were removed.
pub async fn delete_expired(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let result = Entity::delete_many()
        .filter(Column::ExpiresAt.lte(now))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Records that the session was used at `now` (callers write at most once a minute).
pub async fn touch(
    db: &impl ConnectionTrait,
    session_id: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    Entity::update_many()
        .col_expr(
            Column::LastSeenAt,
            sea_orm::sea_query::Expr::value(crate::at_micros(now)),
        )
        .filter(Column::Id.eq(session_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes every session last seen at or before `idle_cutoff`; returns how many were removed.
pub async fn delete_idle(
    db: &impl ConnectionTrait,
    idle_cutoff: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let result = Entity::delete_many()
        .filter(Column::LastSeenAt.lte(idle_cutoff))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Ends every session of a user (sign-out everywhere); returns how many were removed.
pub async fn delete_for_user(db: &impl ConnectionTrait, user_id: i64) -> Result<u64, StoreError> {
    let result = Entity::delete_many()
        .filter(Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
