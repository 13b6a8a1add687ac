//! OAuth tokens an organization stores, one row per authorization (IN-04, IN-09).

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::{
    StoreError,
    entities::oauth_tokens::{self, Column, Entity},
};

/// Every OAuth token of the organization, oldest first. The models carry the encrypted secrets:
/// map them to a view without those before anything leaves the server.
pub async fn list_for_org(
    db: &impl ConnectionTrait,
    org_id: i64,
) -> Result<Vec<oauth_tokens::Model>, StoreError> {
    Ok(Entity::find()
        .filter(Column::OrganizationId.eq(org_id))
        .order_by_asc(Column::Id)
        .all(db)
        .await?)
}
