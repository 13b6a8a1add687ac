//! Entity for the `organizations` table.

use sea_orm::entity::prelude::*;

/// A tenant: everything else belongs to one organization.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organizations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Display name, unique across the installation.
    #[sea_orm(unique)]
    pub name: String,
    /// JSON object of flag name to bool; read it with `store::organizations::flags`.
    #[sea_orm(column_type = "Text")]
    pub feature_flags: String,
    pub created_at: DateTimeUtc,
}

/// Foreign keys of this table and the tables that point at it.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::users::Entity")]
    Users,
    #[sea_orm(has_many = "super::oauth_tokens::Entity")]
    OauthTokens,
    #[sea_orm(has_many = "super::app_settings::Entity")]
    AppSettings,
    #[sea_orm(has_one = "super::salesforce_accounts::Entity")]
    SalesforceAccounts,
    #[sea_orm(has_many = "super::org_syncs::Entity")]
    OrgSyncs,
    #[sea_orm(has_many = "super::data_sources::Entity")]
    DataSources,
    #[sea_orm(has_many = "super::campaigns::Entity")]
    Campaigns,
    #[sea_orm(has_many = "super::call_activities::Entity")]
    CallActivities,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Users.def()
    }
}

impl Related<super::oauth_tokens::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::OauthTokens.def()
    }
}

impl Related<super::app_settings::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::AppSettings.def()
    }
}

impl Related<super::salesforce_accounts::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SalesforceAccounts.def()
    }
}

impl Related<super::org_syncs::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::OrgSyncs.def()
    }
}

impl Related<super::data_sources::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::DataSources.def()
    }
}

impl Related<super::campaigns::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Campaigns.def()
    }
}

impl Related<super::call_activities::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CallActivities.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
