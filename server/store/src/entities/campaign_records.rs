//! Entity for the `campaign_records` table.

use sea_orm::entity::prelude::*;

/// A Salesforce record imported into a campaign.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "campaign_records")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub campaign_id: i64,
    /// Unique per campaign.
    pub sf_id: String,
    /// JSON array of the record's phones, one per mapped slot (see `campaign_records`).
    #[sea_orm(column_type = "Text")]
    pub phones: String,
    /// JSON object of custom field values.
    #[sea_orm(column_type = "Text")]
    pub custom_fields: String,
    /// Set to NULL when the Link is deleted; the record stays.
    pub source_link_id: Option<i64>,
    pub updated_at: DateTimeUtc,
    /// "Contact" or "Lead".
    pub sf_object: String,
    pub display_name: String,
    /// The Data Source it was imported through (kept when that is removed).
    pub source_name: String,
    /// `ready`, or why the record cannot be dialed.
    pub state: String,
    pub created_at: DateTimeUtc,
}

/// Foreign keys of this table and the tables that point at it.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::campaigns::Entity",
        from = "Column::CampaignId",
        to = "super::campaigns::Column::Id",
        on_delete = "Cascade"
    )]
    Campaign,
    #[sea_orm(
        belongs_to = "super::data_source_links::Entity",
        from = "Column::SourceLinkId",
        to = "super::data_source_links::Column::Id",
        on_delete = "SetNull"
    )]
    SourceLink,
}

impl Related<super::campaigns::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Campaign.def()
    }
}

impl Related<super::data_source_links::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SourceLink.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
