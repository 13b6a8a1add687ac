//! Data Sources (DS-01): named, filtered views of one Org Sync's object, with the fields they
//! read. The filter and field list are JSON documents the `filters` crate reads; the store
//! keeps them as text.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use crate::{
    StoreError,
    entities::data_sources::{self, Column, Entity},
};

/// What an administrator sets on a Data Source. The Org Sync is chosen once, at creation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataSourceSettings {
    pub name: String,
    /// JSON of the filter.
    pub filter: String,
    /// JSON array of the Salesforce fields read (what the sync fetches).
    pub fields: String,
    /// JSON array of the describe entries of those fields.
    pub field_info: String,
}

/// The stored field lists (JSON arrays) of an Org Sync's Data Sources, for the field
/// planner (IG-03).
pub async fn field_lists(
    db: &impl ConnectionTrait,
    org_sync_id: i64,
) -> Result<Vec<String>, StoreError> {
    Ok(Entity::find()
        .select_only()
        .column(Column::Fields)
        .filter(Column::OrgSyncId.eq(org_sync_id))
        .order_by_asc(Column::Id)
        .into_tuple::<String>()
        .all(db)
        .await?)
}

/// Every Data Source of the organization, by name.
pub async fn list_for_org(
    db: &impl ConnectionTrait,
    org_id: i64,
) -> Result<Vec<data_sources::Model>, StoreError> {
    Ok(Entity::find()
        .filter(Column::OrganizationId.eq(org_id))
        .order_by_asc(Column::Name)
        .order_by_asc(Column::Id)
        .all(db)
        .await?)
}

/// The organization's Data Source with this id, if any.
pub async fn find(
    db: &impl ConnectionTrait,
    org_id: i64,
    id: i64,
) -> Result<Option<data_sources::Model>, StoreError> {
    Ok(Entity::find_by_id(id)
        .filter(Column::OrganizationId.eq(org_id))
        .one(db)
        .await?)
}

/// Creates a Data Source on the Org Sync `org_sync_id`.
///
/// Returns [`StoreError::NotFound`] if the organization or the Org Sync does not exist.
pub async fn create(
    db: &impl ConnectionTrait,
    org_id: i64,
    org_sync_id: i64,
    settings: &DataSourceSettings,
) -> Result<data_sources::Model, StoreError> {
    data_sources::ActiveModel {
        organization_id: Set(org_id),
        org_sync_id: Set(org_sync_id),
        name: Set(settings.name.clone()),
        filter: Set(settings.filter.clone()),
        fields: Set(settings.fields.clone()),
        field_info: Set(settings.field_info.clone()),
        created_at: Set(crate::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| StoreError::from_write(e, "org sync", || "a duplicate data source".into()))
}

/// Replaces the name, filter and fields of the organization's Data Source `id`; `None` if
/// there is none.
pub async fn update(
    db: &impl ConnectionTrait,
    org_id: i64,
    id: i64,
    settings: &DataSourceSettings,
) -> Result<Option<data_sources::Model>, StoreError> {
    let Some(found) = find(db, org_id, id).await? else {
        return Ok(None);
    };
    let mut row: data_sources::ActiveModel = found.into();
    row.name = Set(settings.name.clone());
    row.filter = Set(settings.filter.clone());
    row.fields = Set(settings.fields.clone());
    row.field_info = Set(settings.field_info.clone());
    Ok(Some(row.update(db).await?))
}

/// Deletes the organization's Data Source `id` and its Links (imported records stay);
/// whether there was one.
pub async fn remove(db: &impl ConnectionTrait, org_id: i64, id: i64) -> Result<bool, StoreError> {
    let deleted = Entity::delete_many()
        .filter(Column::Id.eq(id))
        .filter(Column::OrganizationId.eq(org_id))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected > 0)
}
