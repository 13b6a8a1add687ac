//! First-run setup: the first organization and its administrator, together or not at all.

use std::collections::BTreeMap;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, TransactionSession, TransactionTrait,
};

use crate::{
    StoreError,
    entities::{organizations, users},
    users::Role,
};

/// Why first-run setup stored nothing.
#[derive(Debug, thiserror::Error)]
pub enum FirstRunError {
    #[error("an organization with this name already exists")]
    OrganizationTaken,
    #[error("this username is already taken")]
    UsernameTaken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sea_orm::DbErr> for FirstRunError {
    fn from(err: sea_orm::DbErr) -> Self {
        FirstRunError::Store(StoreError::Db(err))
    }
}

/// Creates an organization with the feature flags `flags` on and its first administrator,
/// in one transaction: a failure (a taken username, a lost connection) leaves no organization
/// behind.
pub async fn create_organization_and_admin<C>(
    db: &C,
    organization: &str,
    flags: &[&str],
    username: &str,
    password_hash: &str,
) -> Result<(organizations::Model, users::Model), FirstRunError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let flags: BTreeMap<&str, bool> = flags.iter().map(|f| (*f, true)).collect();
    let flags = serde_json::to_string(&flags)
        .map_err(|e| StoreError::Invalid(format!("feature flags: {e}")))?;
    let txn = crate::begin_write(db).await?;
    let org = organizations::ActiveModel {
        name: Set(organization.to_owned()),
        feature_flags: Set(flags),
        created_at: Set(crate::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| taken_or_store(e, FirstRunError::OrganizationTaken))?;
    let user = users::ActiveModel {
        organization_id: Set(org.id),
        username: Set(username.to_owned()),
        password_hash: Set(password_hash.to_owned()),
        role: Set(Role::Admin.as_str().to_owned()),
        created_at: Set(crate::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| taken_or_store(e, FirstRunError::UsernameTaken))?;
    txn.commit().await?;
    Ok((org, user))
}

/// A unique-key conflict on first run means the name was taken (by a concurrent first run);
/// anything else is a store error.
fn taken_or_store(error: sea_orm::DbErr, taken: FirstRunError) -> FirstRunError {
    match StoreError::from_write(error, "organization", String::new) {
        StoreError::Conflict(_) => taken,
        other => FirstRunError::Store(other),
    }
}
