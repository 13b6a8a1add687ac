//! Organizations (tenants) and their feature flags.

use std::collections::BTreeMap;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, TransactionSession, TransactionTrait, sea_query::Expr,
};

use crate::{
    StoreError,
    entities::organizations::{self, Column, Entity},
    error::parse_json,
};

/// Creates an organization with no feature flags set.
///
/// Returns [`StoreError::Conflict`] if an organization with this name already exists.
pub async fn create(
    db: &impl ConnectionTrait,
    name: &str,
) -> Result<organizations::Model, StoreError> {
    organizations::ActiveModel {
        name: Set(name.to_owned()),
        feature_flags: Set("{}".to_owned()),
        created_at: Set(crate::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| {
        StoreError::from_write(e, "organization", || {
            format!("an organization named \"{name}\" already exists")
        })
    })
}

/// The organization with this exact name, if any.
pub async fn find_by_name(
    db: &impl ConnectionTrait,
    name: &str,
) -> Result<Option<organizations::Model>, StoreError> {
    Ok(Entity::find().filter(Column::Name.eq(name)).one(db).await?)
}

/// The organization with this id, if any.
pub async fn find_by_id(
    db: &impl ConnectionTrait,
    id: i64,
) -> Result<Option<organizations::Model>, StoreError> {
    Ok(Entity::find_by_id(id).one(db).await?)
}

/// Every organization, by name.
pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<organizations::Model>, StoreError> {
    Ok(Entity::find()
        .order_by_asc(Column::Name)
        .order_by_asc(Column::Id)
        .all(db)
        .await?)
}

/// The organization's feature flags (flag name to enabled). A flag that was never set is absent;
/// treat it as off.
///
/// Returns [`StoreError::Corrupt`] if the stored value is not a JSON object of booleans.
pub fn flags(org: &organizations::Model) -> Result<BTreeMap<String, bool>, StoreError> {
    parse_json(&org.feature_flags, || {
        format!("organizations.feature_flags of organization {}", org.id)
    })
}

/// Turns one feature flag on or off, leaving the others as they are, and returns the updated
/// organization.
///
/// Runs in a transaction that locks the row first, so two concurrent calls for different flags
/// both take effect. Returns [`StoreError::NotFound`] if the organization does not exist and
/// [`StoreError::Corrupt`] if its stored flags cannot be read.
pub async fn set_flag<C>(
    db: &C,
    org_id: i64,
    flag: &str,
    enabled: bool,
) -> Result<organizations::Model, StoreError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = crate::begin_write(db).await?;
    // A no-op write takes the row lock (PostgreSQL) or the write lock (SQLite) before we read, so
    // no other writer can slip in between our read and our write.
    let locked = Entity::update_many()
        .col_expr(Column::FeatureFlags, Expr::col(Column::FeatureFlags))
        .filter(Column::Id.eq(org_id))
        .exec(&txn)
        .await?;
    if locked.rows_affected == 0 {
        return Err(StoreError::NotFound("organization"));
    }
    let org = Entity::find_by_id(org_id)
        .one(&txn)
        .await?
        .ok_or(StoreError::NotFound("organization"))?;
    let mut current = flags(&org)?;
    current.insert(flag.to_owned(), enabled);
    let json = serde_json::Value::Object(
        current
            .into_iter()
            .map(|(name, on)| (name, serde_json::Value::Bool(on)))
            .collect(),
    );
    let mut active: organizations::ActiveModel = org.into();
    active.feature_flags = Set(json.to_string());
    let updated = active.update(&txn).await?;
    txn.commit().await?;
    Ok(updated)
}
