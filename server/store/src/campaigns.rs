//! Dialer campaigns.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder,
};

use crate::{
    StoreError,
    entities::campaigns::{self, Column, Entity},
};

/// Every campaign of the organization, by name.
pub async fn list_for_org(
    db: &impl ConnectionTrait,
    org_id: i64,
) -> Result<Vec<campaigns::Model>, StoreError> {
    Ok(Entity::find()
        .filter(Column::OrganizationId.eq(org_id))
        .order_by_asc(Column::Name)
        .order_by_asc(Column::Id)
        .all(db)
        .await?)
}

/// Creates a campaign in the organization. Names need not be unique.
///
/// Returns [`StoreError::NotFound`] if the organization does not exist.
pub async fn create(
    db: &impl ConnectionTrait,
    org_id: i64,
    name: &str,
) -> Result<campaigns::Model, StoreError> {
    campaigns::ActiveModel {
        organization_id: Set(org_id),
        name: Set(name.to_owned()),
        created_at: Set(crate::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| {
        StoreError::from_write(e, "organization", || {
            format!("a campaign named \"{name}\" already exists")
        })
    })
}
