//! Entity for the `salesforce_accounts` table.

use sea_orm::entity::prelude::*;

/// The Salesforce account linked to an organization (at most one).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "salesforce_accounts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub organization_id: i64,
    /// Deleting the token deletes this row (Disconnect).
    pub oauth_token_id: i64,
    pub instance_url: String,
    pub username: String,
    pub sf_user_id: String,
    pub sf_org_id: String,
    pub created_at: DateTimeUtc,
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
    #[sea_orm(
        belongs_to = "super::oauth_tokens::Entity",
        from = "Column::OauthTokenId",
        to = "super::oauth_tokens::Column::Id",
        on_delete = "Cascade"
    )]
    OauthToken,
}

impl Related<super::organizations::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organization.def()
    }
}

impl Related<super::oauth_tokens::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::OauthToken.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
