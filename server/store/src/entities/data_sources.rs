//! Entity for the `data_sources` table.

use sea_orm::entity::prelude::*;

/// A named, filtered view of one Org Sync's object (DS-01).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "data_sources")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organization_id: i64,
    /// Deleting the Org Sync deletes this row.
    pub org_sync_id: i64,
    pub name: String,
    /// JSON filter over mirrored fields.
    #[sea_orm(column_type = "Text")]
    pub filter: String,
    /// JSON array of the Salesforce fields read.
    #[sea_orm(column_type = "Text")]
    pub fields: String,
    pub created_at: DateTimeUtc,
    /// JSON array of the describe entries (name, label, kind) of the fields read.
    #[sea_orm(column_type = "Text")]
    pub field_info: String,
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
        belongs_to = "super::org_syncs::Entity",
        from = "Column::OrgSyncId",
        to = "super::org_syncs::Column::Id",
        on_delete = "Cascade"
    )]
    OrgSync,
    #[sea_orm(has_many = "super::data_source_links::Entity")]
    DataSourceLinks,
}

impl Related<super::organizations::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organization.def()
    }
}

impl Related<super::org_syncs::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::OrgSync.def()
    }
}

impl Related<super::data_source_links::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::DataSourceLinks.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
