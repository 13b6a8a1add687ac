//! API keys for the dialer's JSON API (DS-05): created and revoked by an organization's
//! admins. The store keeps the key's SHA-256 (computed by the caller) and its first
//! characters for the list; the key itself is shown once, when it is created.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, sea_query::Expr,
};

use crate::{
    StoreError,
    entities::api_keys::{ActiveModel, Column, Entity, Model},
};

/// Stores a new key named `name` for the organization. [`StoreError::Conflict`] when the
/// organization already has a key of that name.
pub async fn create(
    db: &impl ConnectionTrait,
    organization_id: i64,
    name: &str,
    prefix: &str,
    key_hash: &str,
) -> Result<Model, StoreError> {
    ActiveModel {
        organization_id: Set(organization_id),
        name: Set(name.to_owned()),
        prefix: Set(prefix.to_owned()),
        key_hash: Set(key_hash.to_owned()),
        created_at: Set(crate::now()),
        last_used_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| {
        StoreError::from_write(e, "organization", || {
            format!("An API key named \"{name}\" already exists")
        })
    })
}

/// The organization's keys, oldest first.
pub async fn list(
    db: &impl ConnectionTrait,
    organization_id: i64,
) -> Result<Vec<Model>, StoreError> {
    Ok(Entity::find()
        .filter(Column::OrganizationId.eq(organization_id))
        .order_by_asc(Column::Id)
        .all(db)
        .await?)
}

/// The key whose hash is `key_hash`, noting that it was used at `now`.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    key_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<Model>, StoreError> {
    let Some(key) = Entity::find()
        .filter(Column::KeyHash.eq(key_hash))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Entity::update_many()
        .col_expr(Column::LastUsedAt, Expr::value(Some(crate::at_micros(now))))
        .filter(Column::Id.eq(key.id))
        .exec(db)
        .await?;
    Ok(Some(key))
}

/// Revokes (deletes) the organization's key `id`. Returns whether it existed.
pub async fn revoke(
    db: &impl ConnectionTrait,
    organization_id: i64,
    id: i64,
) -> Result<bool, StoreError> {
    let deleted = Entity::delete_many()
        .filter(Column::Id.eq(id))
        .filter(Column::OrganizationId.eq(organization_id))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected == 1)
}
