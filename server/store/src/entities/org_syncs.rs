//! Entity for the `org_syncs` table.

use sea_orm::entity::prelude::*;

/// One synchronized Salesforce object (Contact or Lead) of an organization.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "org_syncs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organization_id: i64,
    /// `Contact` or `Lead`; unique per organization and never changed.
    pub object: String,
    /// `cdc` or `rest`.
    pub method: String,
    /// REST polling interval.
    pub interval_minutes: Option<i32>,
    /// CDC channel, e.g. `/data/ContactChangeEvent`.
    pub channel: Option<String>,
    pub enabled: bool,
    /// `active`, `paused`, `error` or `circuit_open`.
    pub status: String,
    pub last_sync_at: Option<DateTimeUtc>,
    /// Running total of errors.
    pub error_count: i64,
    /// Failures in a row; five open the circuit.
    pub consecutive_failures: i32,
    #[sea_orm(column_type = "Text")]
    pub last_error: Option<String>,
    pub circuit_opened_at: Option<DateTimeUtc>,
    /// Last CDC replay id whose effects are committed.
    pub replay_id: Option<String>,
    /// Last REST `SystemModstamp` whose page is committed.
    pub watermark: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
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
    #[sea_orm(has_many = "super::data_sources::Entity")]
    DataSources,
    #[sea_orm(has_many = "super::sf_records::Entity")]
    SfRecords,
    #[sea_orm(has_many = "super::sync_runs::Entity")]
    SyncRuns,
}

impl Related<super::organizations::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organization.def()
    }
}

impl Related<super::data_sources::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::DataSources.def()
    }
}

impl Related<super::sf_records::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SfRecords.def()
    }
}

impl Related<super::sync_runs::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SyncRuns.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
