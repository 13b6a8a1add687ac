//! The Salesforce account linked to an organization (IN-03, IN-04, IN-06, IN-07).

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};

use crate::{
    StoreError,
    entities::salesforce_accounts::{self, Column, Entity},
};

/// Who authorized the connection, in which Salesforce org.
#[derive(Debug, Clone)]
pub struct AccountRecord {
    pub oauth_token_id: i64,
    pub instance_url: String,
    pub username: String,
    pub sf_user_id: String,
    pub sf_org_id: String,
}

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

/// Links the organization to a Salesforce account, or updates the link it has (one per
/// organization).
///
/// Returns [`StoreError::NotFound`] if the organization or the token does not exist.
pub async fn upsert(
    db: &impl ConnectionTrait,
    org_id: i64,
    account: AccountRecord,
) -> Result<salesforce_accounts::Model, StoreError> {
    let write_error = |e| {
        StoreError::from_write(e, "organization or OAuth token", || {
            "the Salesforce account was linked concurrently".to_string()
        })
    };
    match find_for_org(db, org_id).await? {
        Some(existing) => {
            let mut row: salesforce_accounts::ActiveModel = existing.into();
            row.oauth_token_id = Set(account.oauth_token_id);
            row.instance_url = Set(account.instance_url);
            row.username = Set(account.username);
            row.sf_user_id = Set(account.sf_user_id);
            row.sf_org_id = Set(account.sf_org_id);
            row.update(db).await.map_err(write_error)
        }
        None => salesforce_accounts::ActiveModel {
            organization_id: Set(org_id),
            oauth_token_id: Set(account.oauth_token_id),
            instance_url: Set(account.instance_url),
            username: Set(account.username),
            sf_user_id: Set(account.sf_user_id),
            sf_org_id: Set(account.sf_org_id),
            created_at: Set(crate::now()),
            ..Default::default()
        }
        .insert(db)
        .await
        .map_err(write_error),
    }
}

/// Removes the organization's linked account; `true` if there was one.
pub async fn delete_for_org(db: &impl ConnectionTrait, org_id: i64) -> Result<bool, StoreError> {
    let result = Entity::delete_many()
        .filter(Column::OrganizationId.eq(org_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}
