//! Per-organization key/value settings, such as `salesforce.oauth_token_id` (IN-04, IN-07).

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::OnConflict,
};

use crate::{
    StoreError,
    entities::app_settings::{self, Column, Entity},
};

/// The value of `key` for the organization, if set.
pub async fn get(
    db: &impl ConnectionTrait,
    org_id: i64,
    key: &str,
) -> Result<Option<String>, StoreError> {
    let row = Entity::find()
        .filter(Column::OrganizationId.eq(org_id))
        .filter(Column::Key.eq(key))
        .one(db)
        .await?;
    Ok(row.map(|setting| setting.value))
}

/// Sets `key` to `value` for the organization, replacing any previous value (one statement, an
/// upsert, so concurrent writers cannot clash).
///
/// Returns [`StoreError::NotFound`] if the organization does not exist.
pub async fn set(
    db: &impl ConnectionTrait,
    org_id: i64,
    key: &str,
    value: &str,
) -> Result<(), StoreError> {
    let setting = app_settings::ActiveModel {
        organization_id: Set(org_id),
        key: Set(key.to_owned()),
        value: Set(value.to_owned()),
        ..Default::default()
    };
    Entity::insert(setting)
        .on_conflict(
            OnConflict::columns([Column::OrganizationId, Column::Key])
                .update_column(Column::Value)
                .to_owned(),
        )
        .exec_without_returning(db)
        .await
        .map_err(|e| {
            StoreError::from_write(e, "organization", || {
                format!("the setting \"{key}\" was written concurrently")
            })
        })?;
    Ok(())
}

/// Removes `key` for the organization; `true` if it was set.
pub async fn delete(db: &impl ConnectionTrait, org_id: i64, key: &str) -> Result<bool, StoreError> {
    let result = Entity::delete_many()
        .filter(Column::OrganizationId.eq(org_id))
        .filter(Column::Key.eq(key))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}
