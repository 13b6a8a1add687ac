//! Run history of an Org Sync: one row per poll, catch-up or event batch.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, sea_query::Expr,
};

use crate::{
    StoreError,
    entities::sync_runs::{self, Column, Entity},
};

pub use crate::entities::sync_runs::{Model, RunOutcome, RunState};

/// Records that a run of the Org Sync started at `at` ([`RunState::Running`], no records yet) and
/// returns its id.
///
/// Returns [`StoreError::NotFound`] if the Org Sync does not exist.
pub async fn start(
    db: &impl ConnectionTrait,
    org_sync_id: i64,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<i64, StoreError> {
    let run = sync_runs::ActiveModel {
        org_sync_id: Set(org_sync_id),
        started_at: Set(crate::at_micros(at)),
        finished_at: Set(None),
        outcome: Set(RunState::Running),
        records: Set(0),
        message: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| StoreError::from_write(e, "org sync", || "sync run conflict".to_owned()))?;
    Ok(run.id)
}

/// Records how the run ended: when, with which outcome, how many records it processed and an
/// optional message (the error, for a failed run).
///
/// Returns [`StoreError::NotFound`] if the run does not exist.
pub async fn finish(
    db: &impl ConnectionTrait,
    run_id: i64,
    at: chrono::DateTime<chrono::Utc>,
    outcome: RunOutcome,
    records: i64,
    message: Option<String>,
) -> Result<(), StoreError> {
    let updated = Entity::update_many()
        .col_expr(Column::FinishedAt, Expr::value(crate::at_micros(at)))
        .col_expr(
            Column::Outcome,
            Expr::value(RunState::from(outcome).as_str()),
        )
        .col_expr(Column::Records, Expr::value(records))
        .col_expr(Column::Message, Expr::value(message))
        .filter(Column::Id.eq(run_id))
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        return Err(StoreError::NotFound("sync run"));
    }
    Ok(())
}

/// The Org Sync's latest `limit` runs, newest first.
pub async fn recent(
    db: &impl ConnectionTrait,
    org_sync_id: i64,
    limit: u64,
) -> Result<Vec<Model>, StoreError> {
    Ok(Entity::find()
        .filter(Column::OrgSyncId.eq(org_sync_id))
        .order_by_desc(Column::StartedAt)
        .order_by_desc(Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}
