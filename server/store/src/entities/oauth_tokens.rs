//! Entity for the `oauth_tokens` table.

use sea_orm::entity::prelude::*;

/// An OAuth token the organization holds for a provider such as Salesforce.
#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oauth_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organization_id: i64,
    /// For example `salesforce`.
    pub provider: String,
    /// Encrypted by the application; never logged.
    #[sea_orm(column_type = "Text")]
    pub access_token_ciphertext: String,
    /// Encrypted by the application; never logged.
    #[sea_orm(column_type = "Text")]
    pub refresh_token_ciphertext: Option<String>,
    pub instance_url: String,
    pub identity_url: String,
    /// The user who authorized the token.
    pub username: String,
    pub issued_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

// Hand-written so that secrets never reach a log line.
impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("id", &self.id)
            .field("organization_id", &self.organization_id)
            .field("provider", &self.provider)
            .field("access_token_ciphertext", &"<redacted>")
            .field(
                "refresh_token_ciphertext",
                &self.refresh_token_ciphertext.as_ref().map(|_| "<redacted>"),
            )
            .field("instance_url", &self.instance_url)
            .field("identity_url", &self.identity_url)
            .field("username", &self.username)
            .field("issued_at", &self.issued_at)
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

/// Foreign keys of this table and the tables that point at it.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::organizations::Entity",
        from = "Column::OrganizationId",
        to = "super::organizations::Column::Id",
        on_delete = "Cascade"
    )]
    Organization,
    #[sea_orm(has_one = "super::salesforce_accounts::Entity")]
    SalesforceAccounts,
}

impl Related<super::organizations::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organization.def()
    }
}

impl Related<super::salesforce_accounts::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SalesforceAccounts.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
