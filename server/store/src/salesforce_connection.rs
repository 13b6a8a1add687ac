//! Connecting and disconnecting an organization's Salesforce integration, each in one
//! transaction over the token, the `salesforce.oauth_token_id` setting and the linked
//! account (IN-04, IN-06, IN-07). Org Sync configurations are never touched here.

use sea_orm::{ConnectionTrait, DatabaseConnection};

use crate::{
    StoreError, app_settings, entities::oauth_tokens, oauth_tokens::TokenRecord,
    salesforce_accounts::AccountRecord,
};

/// The application setting that names the organization's Salesforce token (IN-04).
pub const TOKEN_SETTING: &str = "salesforce.oauth_token_id";

/// The Salesforce user and org a new token belongs to.
#[derive(Debug, Clone)]
pub struct SalesforceIdentity {
    pub username: String,
    pub sf_user_id: String,
    pub sf_org_id: String,
}

/// What [`connect`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connected {
    /// A first token was stored (Set up).
    New { token_id: i64 },
    /// The stored token was replaced in place (Reset Token, or Set up again). The replaced
    /// refresh token (encrypted) is returned so the caller can revoke it at Salesforce.
    Replaced {
        token_id: i64,
        replaced_refresh_token_ciphertext: Option<String>,
    },
    /// Nothing stored: the token belongs to another Salesforce org than the connected one.
    DifferentOrg { connected_org_id: String },
}

/// Stores the token and links the account. If the organization is already connected, the
/// token row is replaced in place (same id, so the setting and every sync keep pointing at
/// it) — unless the new token is for another Salesforce org, which would mix two orgs' data
/// in one mirror: then nothing changes and [`Connected::DifferentOrg`] says why.
pub async fn connect(
    db: &DatabaseConnection,
    org_id: i64,
    token: TokenRecord,
    identity: SalesforceIdentity,
) -> Result<Connected, StoreError> {
    let tx = crate::begin_write(db).await?;
    let current = current_token(&tx, org_id).await?;
    let account = crate::salesforce_accounts::find_for_org(&tx, org_id).await?;
    if let Some(account) = &account
        && account.sf_org_id != identity.sf_org_id
    {
        return Ok(Connected::DifferentOrg {
            connected_org_id: account.sf_org_id.clone(),
        });
    }
    let instance_url = token.instance_url.clone();
    let outcome = match current {
        Some(existing) => {
            crate::oauth_tokens::replace(&tx, org_id, existing.id, token).await?;
            Connected::Replaced {
                token_id: existing.id,
                replaced_refresh_token_ciphertext: existing.refresh_token_ciphertext,
            }
        }
        None => {
            let stored = crate::oauth_tokens::insert(&tx, org_id, token).await?;
            app_settings::set(&tx, org_id, TOKEN_SETTING, &stored.id.to_string()).await?;
            Connected::New {
                token_id: stored.id,
            }
        }
    };
    let (Connected::New { token_id } | Connected::Replaced { token_id, .. }) = outcome else {
        return Ok(outcome);
    };
    crate::salesforce_accounts::upsert(
        &tx,
        org_id,
        AccountRecord {
            oauth_token_id: token_id,
            instance_url,
            username: identity.username,
            sf_user_id: identity.sf_user_id,
            sf_org_id: identity.sf_org_id,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(outcome)
}

/// Removes the token, clears the setting and deletes the linked account. Returns the removed
/// token (its secrets still encrypted) so the caller can revoke it, or `None` if the
/// organization was not connected.
pub async fn disconnect(
    db: &DatabaseConnection,
    org_id: i64,
) -> Result<Option<oauth_tokens::Model>, StoreError> {
    let tx = crate::begin_write(db).await?;
    let token = current_token(&tx, org_id).await?;
    crate::salesforce_accounts::delete_for_org(&tx, org_id).await?;
    if let Some(token) = &token {
        crate::oauth_tokens::delete(&tx, org_id, token.id).await?;
    }
    app_settings::delete(&tx, org_id, TOKEN_SETTING).await?;
    tx.commit().await?;
    Ok(token)
}

/// The token named by `salesforce.oauth_token_id`, if the setting and the token exist.
pub async fn current_token(
    db: &impl ConnectionTrait,
    org_id: i64,
) -> Result<Option<oauth_tokens::Model>, StoreError> {
    let Some(value) = app_settings::get(db, org_id, TOKEN_SETTING).await? else {
        return Ok(None);
    };
    let id: i64 = value
        .parse()
        .map_err(|_| StoreError::Corrupt(format!("{TOKEN_SETTING} is {value:?}, not an id")))?;
    crate::oauth_tokens::find(db, org_id, id).await
}
