//! The Salesforce account linked to an organization (IN-03, IN-07).

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::{
    StoreError,
    entities::salesforce_accounts::{self, Column, Entity},
};

/// The organization's linked Salesforce account, if it is connected.
pub async fn find_for_org(
    db: &impl ConnectionTrait,
    org_id: i64,
) -> Result<Option<salesforce_accounts::Model>, StoreError> {
    Ok(Entity::find()
        .filter(Column::OrganizationId.eq(org_id))
        .one(db)
        .await?)
}
