//! Entity for the `sync_runs` table.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Where a run stands: running until it is finished with a [`RunOutcome`].
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    /// Started and not finished yet (stored as `running`).
    #[sea_orm(string_value = "running")]
    Running,
    /// Finished without error (stored as `succeeded`).
    #[sea_orm(string_value = "succeeded")]
    Succeeded,
    /// Finished with an error (stored as `failed`).
    #[sea_orm(string_value = "failed")]
    Failed,
}

impl RunState {
    /// The stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Running => "running",
            RunState::Succeeded => "succeeded",
            RunState::Failed => "failed",
        }
    }
}

/// How a finished run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunOutcome {
    Succeeded,
    Failed,
}

impl From<RunOutcome> for RunState {
    fn from(outcome: RunOutcome) -> Self {
        match outcome {
            RunOutcome::Succeeded => RunState::Succeeded,
            RunOutcome::Failed => RunState::Failed,
        }
    }
}

/// History: one poll, catch-up or event batch of an Org Sync.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sync_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_sync_id: i64,
    pub started_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    pub outcome: RunState,
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
