//! Entity for the `org_syncs` table.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// The Salesforce object an Org Sync mirrors (stored as the API name, `Contact` or `Lead`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum SfObject {
    /// Stored as `Contact`.
    #[sea_orm(string_value = "Contact")]
    Contact,
    /// Stored as `Lead`.
    #[sea_orm(string_value = "Lead")]
    Lead,
}

impl SfObject {
    /// Every object an Org Sync can mirror, in display order.
    pub const ALL: [SfObject; 2] = [SfObject::Contact, SfObject::Lead];

    /// The Salesforce API name, which is also the stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            SfObject::Contact => "Contact",
            SfObject::Lead => "Lead",
        }
    }

    /// Reads an API name (`Contact` or `Lead`, exactly); `None` otherwise.
    pub fn parse(s: &str) -> Option<SfObject> {
        SfObject::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// The Change Data Capture channel of the object, e.g. `/data/ContactChangeEvent`.
    pub fn cdc_channel(self) -> String {
        format!("/data/{}ChangeEvent", self.as_str())
    }
}

impl std::fmt::Display for SfObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How an Org Sync receives changes.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum SyncMethod {
    /// Change Data Capture events over the streaming API (stored as `cdc`).
    #[sea_orm(string_value = "cdc")]
    Cdc,
    /// REST polling every `interval_minutes` (stored as `rest`).
    #[sea_orm(string_value = "rest")]
    Rest,
}

impl SyncMethod {
    /// The stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            SyncMethod::Cdc => "cdc",
            SyncMethod::Rest => "rest",
        }
    }
}

/// The health of an Org Sync.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum SyncStatus {
    /// Enabled and working (stored as `active`).
    #[sea_orm(string_value = "active")]
    Active,
    /// Disabled, or never enabled (stored as `paused`).
    #[sea_orm(string_value = "paused")]
    Paused,
    /// Enabled, but the last attempt failed (stored as `error`).
    #[sea_orm(string_value = "error")]
    Error,
    /// Enabled, but too many failures in a row stopped attempts for a while (stored as
    /// `circuit_open`).
    #[sea_orm(string_value = "circuit_open")]
    CircuitOpen,
}

impl SyncStatus {
    /// The stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            SyncStatus::Active => "active",
            SyncStatus::Paused => "paused",
            SyncStatus::Error => "error",
            SyncStatus::CircuitOpen => "circuit_open",
        }
    }
}

/// One synchronized Salesforce object (Contact or Lead) of an organization.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "org_syncs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organization_id: i64,
    /// Unique per organization and never changed.
    pub object: SfObject,
    pub method: SyncMethod,
    /// REST polling interval; `None` for CDC.
    pub interval_minutes: Option<i32>,
    /// CDC channel, e.g. `/data/ContactChangeEvent`; `None` for REST.
    pub channel: Option<String>,
    pub enabled: bool,
    pub status: SyncStatus,
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
    /// Records fetched so far by a running first backfill; `None` when none runs.
    pub backfill_records: Option<i64>,
    /// Records the running first backfill expects in total; `None` when none runs.
    pub backfill_total: Option<i64>,
    /// JSON array of the fields every mirrored record holds; `None`: the default field list.
    #[sea_orm(column_type = "Text", nullable)]
    pub fetched_fields: Option<String>,
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
