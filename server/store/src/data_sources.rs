//! Data Sources (DS-01): what the sync engine needs of them so far, the fields they read.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::{StoreError, entities::data_sources};

/// The stored field lists (JSON arrays) of an Org Sync's Data Sources, for the field
/// planner (IG-03).
pub async fn field_lists(
    db: &impl ConnectionTrait,
    org_sync_id: i64,
) -> Result<Vec<String>, StoreError> {
    Ok(data_sources::Entity::find()
        .select_only()
        .column(data_sources::Column::Fields)
        .filter(data_sources::Column::OrgSyncId.eq(org_sync_id))
        .order_by_asc(data_sources::Column::Id)
        .into_tuple::<String>()
        .all(db)
        .await?)
}
