//! Entity for the `call_activities` table.

use sea_orm::entity::prelude::*;

/// A call made from a campaign, to be written back to Salesforce as a Task.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "call_activities")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organization_id: i64,
    pub campaign_id: i64,
    pub sf_id: String,
    pub subject: String,
    pub outcome: String,
    pub occurred_at: DateTimeUtc,
    /// NULL until the Task exists in Salesforce.
    pub written_back_at: Option<DateTimeUtc>,
    pub sf_task_id: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub last_error: Option<String>,
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
        belongs_to = "super::campaigns::Entity",
        from = "Column::CampaignId",
        to = "super::campaigns::Column::Id",
        on_delete = "Cascade"
    )]
    Campaign,
}

impl Related<super::organizations::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organization.def()
    }
}

impl Related<super::campaigns::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Campaign.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
