//! Entity for the `data_source_links` table.

use sea_orm::entity::prelude::*;

/// Attaches a Data Source to a campaign with field mappings (DS-02).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "data_source_links")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub data_source_id: i64,
    pub campaign_id: i64,
    /// JSON mapping of Salesforce fields to phone slots.
    #[sea_orm(column_type = "Text")]
    pub phone_mappings: String,
    /// JSON mapping of Salesforce fields to custom fields.
    #[sea_orm(column_type = "Text")]
    pub custom_field_mappings: String,
    pub created_at: DateTimeUtc,
}

/// Foreign keys of this table and the tables that point at it.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::data_sources::Entity",
        from = "Column::DataSourceId",
        to = "super::data_sources::Column::Id",
        on_delete = "Cascade"
    )]
    DataSource,
    #[sea_orm(
        belongs_to = "super::campaigns::Entity",
        from = "Column::CampaignId",
        to = "super::campaigns::Column::Id",
        on_delete = "Cascade"
    )]
    Campaign,
    #[sea_orm(has_many = "super::campaign_records::Entity")]
    CampaignRecords,
}

impl Related<super::data_sources::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::DataSource.def()
    }
}

impl Related<super::campaigns::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Campaign.def()
    }
}

impl Related<super::campaign_records::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CampaignRecords.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
