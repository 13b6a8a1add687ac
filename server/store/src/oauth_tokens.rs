//! OAuth tokens an organization stores, one row per authorization (IN-04, IN-06, IN-09).
//!
//! The secrets arrive here already encrypted by the server; this module never sees a
//! plaintext token.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder,
};

use crate::{
    StoreError,
    entities::oauth_tokens::{self, Column, Entity},
};

/// A token to store: secrets as ciphertexts, plus where and by whom it was issued.
#[derive(Clone)]
pub struct TokenRecord {
    pub provider: String,
    pub access_token_ciphertext: String,
    pub refresh_token_ciphertext: Option<String>,
    pub instance_url: String,
    pub identity_url: String,
    pub username: String,
    pub issued_at: chrono::DateTime<chrono::Utc>,
}

/// Every OAuth token of the organization, by provider, oldest first. The models carry the encrypted secrets:
/// map them to a view without those before anything leaves the server.
pub async fn list_for_org(
    db: &impl ConnectionTrait,
    org_id: i64,
) -> Result<Vec<oauth_tokens::Model>, StoreError> {
    Ok(Entity::find()
        .filter(Column::OrganizationId.eq(org_id))
        .order_by_asc(Column::Provider)
        .order_by_asc(Column::Id)
        .all(db)
        .await?)
}

/// The organization's token with this id (another organization's token is not found).
pub async fn find(
    db: &impl ConnectionTrait,
    org_id: i64,
    id: i64,
) -> Result<Option<oauth_tokens::Model>, StoreError> {
    Ok(Entity::find_by_id(id)
        .filter(Column::OrganizationId.eq(org_id))
        .one(db)
        .await?)
}

/// Stores a new token for the organization.
///
/// Returns [`StoreError::NotFound`] if the organization does not exist.
pub async fn insert(
    db: &impl ConnectionTrait,
    org_id: i64,
    token: TokenRecord,
) -> Result<oauth_tokens::Model, StoreError> {
    let now = crate::now();
    oauth_tokens::ActiveModel {
        organization_id: Set(org_id),
        provider: Set(token.provider),
        access_token_ciphertext: Set(token.access_token_ciphertext),
        refresh_token_ciphertext: Set(token.refresh_token_ciphertext),
        instance_url: Set(token.instance_url),
        identity_url: Set(token.identity_url),
        username: Set(token.username),
        issued_at: Set(crate::at_micros(token.issued_at)),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| StoreError::from_write(e, "organization", || "token conflict".to_string()))
}

/// Replaces the token in place (Reset Token): same id, so whatever points at it stays linked.
///
/// Returns [`StoreError::NotFound`] if the organization has no token with this id.
pub async fn replace(
    db: &impl ConnectionTrait,
    org_id: i64,
    id: i64,
    token: TokenRecord,
) -> Result<oauth_tokens::Model, StoreError> {
    let existing = find(db, org_id, id)
        .await?
        .ok_or_else(|| StoreError::NotFound("OAuth token"))?;
    let mut row: oauth_tokens::ActiveModel = existing.into();
    row.provider = Set(token.provider);
    row.access_token_ciphertext = Set(token.access_token_ciphertext);
    row.refresh_token_ciphertext = Set(token.refresh_token_ciphertext);
    row.instance_url = Set(token.instance_url);
    row.identity_url = Set(token.identity_url);
    row.username = Set(token.username);
    row.issued_at = Set(crate::at_micros(token.issued_at));
    row.updated_at = Set(crate::now());
    Ok(row.update(db).await?)
}

/// Secrets obtained by a refresh-token grant, encrypted.
#[derive(Debug, Clone, Copy)]
pub struct RefreshedSecrets<'a> {
    /// The refresh token the grant was made with, as stored: the row is only updated while it
    /// still holds it, so a refresh that finishes after Reset Token or Disconnect changes nothing.
    pub used_refresh_token_ciphertext: &'a str,
    pub access_token_ciphertext: &'a str,
    /// A new refresh token, when the connected app rotates them.
    pub rotated_refresh_token_ciphertext: Option<&'a str>,
}

/// Stores the secrets of a refresh in the token row; `false` if the row is gone or now holds
/// another grant (Disconnect or Reset Token happened meanwhile).
pub async fn save_refreshed(
    db: &impl ConnectionTrait,
    org_id: i64,
    id: i64,
    secrets: RefreshedSecrets<'_>,
) -> Result<bool, StoreError> {
    let mut update = Entity::update_many()
        .col_expr(
            Column::AccessTokenCiphertext,
            sea_orm::sea_query::Expr::value(secrets.access_token_ciphertext.to_owned()),
        )
        .col_expr(
            Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(crate::now()),
        );
    if let Some(rotated) = secrets.rotated_refresh_token_ciphertext {
        update = update.col_expr(
            Column::RefreshTokenCiphertext,
            sea_orm::sea_query::Expr::value(rotated.to_owned()),
        );
    }
    let result = update
        .filter(Column::Id.eq(id))
        .filter(Column::OrganizationId.eq(org_id))
        .filter(Column::RefreshTokenCiphertext.eq(secrets.used_refresh_token_ciphertext))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Removes the token (and, by cascade, the Salesforce account linked to it); `true` if it existed.
pub async fn delete(db: &impl ConnectionTrait, org_id: i64, id: i64) -> Result<bool, StoreError> {
    let result = Entity::delete_many()
        .filter(Column::Id.eq(id))
        .filter(Column::OrganizationId.eq(org_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}
