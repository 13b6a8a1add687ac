//! Entity for the `sync_runs` table.

use sea_orm::entity::prelude::*;

/// History: one poll, catch-up or event batch of an Org Sync.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sync_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_sync_id: i64,
    pub started_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    pub outcome: String,
    /// Records processed.
    pub records: i64,
    #[sea_orm(column_type = "Text")]
    pub message: Option<String>,
}

/// Foreign keys of this table and the tables that point at it.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::org_syncs::Entity",
        from = "Column::OrgSyncId",
        to = "super::org_syncs::Column::Id",
        on_delete = "Cascade"
    )]
    OrgSync,
}

impl Related<super::org_syncs::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::OrgSync.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
