//! Users and their roles.

use std::fmt;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, TransactionSession, TransactionTrait,
};
use serde::{Deserialize, Serialize};

use crate::{
    StoreError,
    entities::users::{self, Column, Entity},
};

/// What a user may do: administrators manage integrations and syncs, viewers only look.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Organization administrator (stored as `admin`).
    Admin,
    /// Read-only user (stored as `viewer`).
    Viewer,
}

impl Role {
    /// The value stored in `users.role`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Viewer => "viewer",
        }
    }

    /// Reads a stored or user-supplied role (`admin` or `viewer`, exactly); `None` otherwise.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "viewer" => Some(Role::Viewer),
            _ => None,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The role of a stored user.
///
/// Returns [`StoreError::Corrupt`] if the row holds something other than `admin` or `viewer`.
pub fn role(user: &users::Model) -> Result<Role, StoreError> {
    Role::parse(&user.role).ok_or_else(|| {
        StoreError::Corrupt(format!(
            "users.role of user {} is {:?}, expected \"admin\" or \"viewer\"",
            user.id, user.role
        ))
    })
}

/// How many users exist across all organizations (zero means a fresh installation).
pub async fn count(db: &impl ConnectionTrait) -> Result<u64, StoreError> {
    Ok(Entity::find().count(db).await?)
}

/// Creates a user in an organization. `password_hash` is the already-hashed password (PHC string).
///
/// Returns [`StoreError::Conflict`] if the username is taken and [`StoreError::NotFound`] if the
/// organization does not exist.
pub async fn create(
    db: &impl ConnectionTrait,
    org_id: i64,
    username: &str,
    password_hash: &str,
    role: Role,
) -> Result<users::Model, StoreError> {
    users::ActiveModel {
        organization_id: Set(org_id),
        username: Set(username.to_owned()),
        password_hash: Set(password_hash.to_owned()),
        role: Set(role.as_str().to_owned()),
        created_at: Set(crate::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| {
        StoreError::from_write(e, "organization", || {
            format!("the username \"{username}\" is already taken")
        })
    })
}

/// The user with this exact username, if any.
pub async fn find_by_username(
    db: &impl ConnectionTrait,
    username: &str,
) -> Result<Option<users::Model>, StoreError> {
    Ok(Entity::find()
        .filter(Column::Username.eq(username))
        .one(db)
        .await?)
}

/// The user with this id, if any.
pub async fn find_by_id(
    db: &impl ConnectionTrait,
    id: i64,
) -> Result<Option<users::Model>, StoreError> {
    Ok(Entity::find_by_id(id).one(db).await?)
}

/// Disables (`disabled = true`) or re-enables a user. Disabling ends every session of the
/// user in the same transaction; returns how many sessions ended.
///
/// Returns [`StoreError::NotFound`] if no user has this username.
pub async fn set_disabled<C>(db: &C, username: &str, disabled: bool) -> Result<u64, StoreError>
where
    C: ConnectionTrait + TransactionTrait,
{
    update_user(db, username, disabled, |user| {
        user.disabled_at = Set(disabled.then(crate::now));
    })
    .await
}

/// Replaces a user's password hash and ends every session of the user, in one transaction;
/// returns how many sessions ended.
///
/// Returns [`StoreError::NotFound`] if no user has this username.
pub async fn set_password_hash<C>(
    db: &C,
    username: &str,
    password_hash: &str,
) -> Result<u64, StoreError>
where
    C: ConnectionTrait + TransactionTrait,
{
    update_user(db, username, true, |user| {
        user.password_hash = Set(password_hash.to_owned());
    })
    .await
}

/// Applies `change` to the user with this username and, when `end_sessions`, ends every session
/// of the user in the same transaction (so a cut-off account has no window with a live session).
/// Returns how many sessions ended.
async fn update_user<C>(
    db: &C,
    username: &str,
    end_sessions: bool,
    change: impl FnOnce(&mut users::ActiveModel),
) -> Result<u64, StoreError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = crate::begin_write(db).await?;
    let user = find_by_username(&txn, username)
        .await?
        .ok_or(StoreError::NotFound("user"))?;
    let user_id = user.id;
    let mut active: users::ActiveModel = user.into();
    change(&mut active);
    active.update(&txn).await?;
    let ended = if end_sessions {
        crate::sessions::delete_for_user(&txn, user_id).await?
    } else {
        0
    };
    txn.commit().await?;
    Ok(ended)
}

/// Deletes a user and their sessions, in one transaction.
///
/// Returns [`StoreError::NotFound`] if no user has this username.
pub async fn delete<C>(db: &C, username: &str) -> Result<(), StoreError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = crate::begin_write(db).await?;
    let user = find_by_username(&txn, username)
        .await?
        .ok_or(StoreError::NotFound("user"))?;
    crate::sessions::delete_for_user(&txn, user.id).await?;
    Entity::delete_by_id(user.id).exec(&txn).await?;
    txn.commit().await?;
    Ok(())
}
