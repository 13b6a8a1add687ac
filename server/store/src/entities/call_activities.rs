//! Entity for the `call_activities` table.

use sea_orm::entity::prelude::*;

/// A call made from a campaign, written back to Salesforce as a completed Task (DS-05).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "call_activities")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organization_id: i64,
    pub campaign_id: i64,
    /// The dialer's id for the call (unique per organization); the Task's `CallObject`.
    pub call_id: String,
    /// "Contact" or "Lead".
    pub sf_object: String,
    /// The person's Salesforce Id: the Task's `WhoId`.
    pub sf_id: String,
    pub subject: String,
    pub disposition: String,
    pub duration_seconds: i64,
    #[sea_orm(column_type = "Text")]
    pub notes: String,
    pub occurred_at: DateTimeUtc,
    pub recorded_by: String,
    /// `pending`, `written` or `failed`.
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub written_at: Option<DateTimeUtc>,
    pub sf_task_id: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
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
