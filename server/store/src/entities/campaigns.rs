//! Entity for the `campaigns` table.

use sea_orm::entity::prelude::*;

/// A dialer campaign.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "campaigns")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organization_id: i64,
    pub name: String,
    pub created_at: DateTimeUtc,
    /// JSON array of phone slot names, in dialing order.
    #[sea_orm(column_type = "Text")]
    pub phone_slots: String,
    /// JSON array of custom field names.
    #[sea_orm(column_type = "Text")]
    pub custom_fields: String,
    /// ISO 3166 region for phone numbers written without a country code.
    pub region: String,
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
    #[sea_orm(has_many = "super::data_source_links::Entity")]
    DataSourceLinks,
    #[sea_orm(has_many = "super::campaign_records::Entity")]
    CampaignRecords,
    #[sea_orm(has_many = "super::call_activities::Entity")]
    CallActivities,
}

impl Related<super::organizations::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organization.def()
    }
}

impl Related<super::data_source_links::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::DataSourceLinks.def()
    }
}

impl Related<super::campaign_records::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CampaignRecords.def()
    }
}

impl Related<super::call_activities::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CallActivities.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
