//! Entity for the `sf_records` table.

use sea_orm::entity::prelude::*;

/// The mirror: the last fetched state of one Salesforce record of an Org Sync.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sf_records")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_sync_id: i64,
    /// Salesforce record id; unique per Org Sync.
    pub sf_id: String,
    /// JSON object of the fetched fields.
    #[sea_orm(column_type = "Text")]
    pub fields: String,
    pub system_modstamp: String,
    pub deleted: bool,
    /// How many times a change was applied to the row: 1 when inserted, plus one per update.
    pub applied_count: i64,
    pub updated_at: DateTimeUtc,
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
