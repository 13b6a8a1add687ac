//! Org Syncs: which Salesforce objects an organization mirrors, how, and how healthy each sync is
//! (OS-01..OS-07).
//!
//! Functions behind an admin action take the organization id and never see another organization's
//! Org Sync; the engine's functions (`find_by_id`, `list_enabled`, `save_health`, …) work by id.

use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QueryTrait,
    sea_query::{Expr, SimpleExpr},
};

use crate::{
    StoreError,
    entities::org_syncs::{self, Column, Entity},
    leases::Fence,
};

pub use crate::entities::org_syncs::{Model, SfObject, SyncMethod, SyncStatus};

/// What an administrator chooses for an Org Sync (the Settings form).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyncSettings {
    pub method: SyncMethod,
    /// REST polling interval in minutes; required for REST, ignored for CDC. The console checks
    /// the allowed values, the store does not.
    pub interval_minutes: Option<i32>,
    pub enabled: bool,
}

/// The engine's view of an Org Sync's health, written as a whole by [`save_health`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Health {
    pub status: SyncStatus,
    pub consecutive_failures: i32,
    pub error_count: i64,
    pub last_error: Option<String>,
    pub circuit_opened_at: Option<chrono::DateTime<chrono::Utc>>,
    pub last_sync_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The organization's Org Syncs, by object (`Contact` before `Lead`).
pub async fn list(
    db: &impl ConnectionTrait,
    organization_id: i64,
) -> Result<Vec<Model>, StoreError> {
    Ok(Entity::find()
        .filter(Column::OrganizationId.eq(organization_id))
        .order_by_asc(Column::Object)
        .order_by_asc(Column::Id)
        .all(db)
        .await?)
}

/// The organization's Org Sync with this id (another organization's is not found).
pub async fn find(
    db: &impl ConnectionTrait,
    organization_id: i64,
    id: i64,
) -> Result<Option<Model>, StoreError> {
    Ok(Entity::find_by_id(id)
        .filter(Column::OrganizationId.eq(organization_id))
        .one(db)
        .await?)
}

/// The Org Sync with this id, whatever its organization (for the engine, never for a request).
pub async fn find_by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<Model>, StoreError> {
    Ok(Entity::find_by_id(id).one(db).await?)
}

/// Every enabled Org Sync of every organization, by id (the engine starts these at boot).
pub async fn list_enabled(db: &impl ConnectionTrait) -> Result<Vec<Model>, StoreError> {
    Ok(Entity::find()
        .filter(Column::Enabled.eq(true))
        .order_by_asc(Column::Id)
        .all(db)
        .await?)
}

/// Adds an Org Sync for `object`: disabled, paused, CDC on the object's channel.
///
/// Returns [`StoreError::Conflict`] if the organization already syncs this object and
/// [`StoreError::NotFound`] if the organization does not exist.
pub async fn create(
    db: &impl ConnectionTrait,
    organization_id: i64,
    object: SfObject,
) -> Result<Model, StoreError> {
    let now = crate::now();
    org_syncs::ActiveModel {
        organization_id: Set(organization_id),
        object: Set(object),
        method: Set(SyncMethod::Cdc),
        interval_minutes: Set(None),
        channel: Set(Some(object.cdc_channel())),
        enabled: Set(false),
        status: Set(SyncStatus::Paused),
        last_sync_at: Set(None),
        error_count: Set(0),
        consecutive_failures: Set(0),
        last_error: Set(None),
        circuit_opened_at: Set(None),
        replay_id: Set(None),
        watermark: Set(None),
        backfill_records: Set(None),
        backfill_total: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| {
        StoreError::from_write(e, "organization", || {
            format!("{object} records are already synchronized")
        })
    })
}

/// Saves the administrator's settings and returns the updated Org Sync, or `None` if the
/// organization has no Org Sync with this id.
///
/// CDC stores the object's channel and no interval; REST stores the interval and no channel. The
/// status follows `enabled`: disabling pauses; enabling a paused sync makes it active; saving an
/// enabled sync keeps its status (`error` or `circuit_open` stay until the engine clears them).
/// The status is decided in the UPDATE itself, so a concurrent [`save_health`] is not undone.
/// The cursor is kept across a change of method: the REST watermark and the CDC replay id are
/// separate columns, each method resumes from its own, and every apply is ordered by the
/// record's modstamp, so re-reading changes already applied by the other method is harmless.
///
/// Returns [`StoreError::Invalid`] (and writes nothing) for REST without an interval.
pub async fn save_settings(
    db: &impl ConnectionTrait,
    organization_id: i64,
    id: i64,
    settings: SyncSettings,
) -> Result<Option<Model>, StoreError> {
    let Some(current) = find(db, organization_id, id).await? else {
        return Ok(None);
    };
    let (channel, interval) = match settings.method {
        SyncMethod::Cdc => (Some(current.object.cdc_channel()), None),
        SyncMethod::Rest => match settings.interval_minutes {
            Some(minutes) => (None, Some(minutes)),
            None => {
                return Err(StoreError::Invalid(
                    "REST polling needs an interval".to_owned(),
                ));
            }
        },
    };
    let status: SimpleExpr = if settings.enabled {
        Expr::case(
            Column::Status.eq(SyncStatus::Paused.as_str()),
            SyncStatus::Active.as_str(),
        )
        .finally(Expr::col(Column::Status))
        .into()
    } else {
        Expr::value(SyncStatus::Paused.as_str())
    };
    let updated = Entity::update_many()
        .col_expr(Column::Method, Expr::value(settings.method.as_str()))
        .col_expr(Column::Channel, Expr::value(channel))
        .col_expr(Column::IntervalMinutes, Expr::value(interval))
        .col_expr(Column::Enabled, Expr::value(settings.enabled))
        .col_expr(Column::Status, status)
        .col_expr(Column::UpdatedAt, Expr::value(crate::now()))
        .filter(Column::Id.eq(id))
        .filter(Column::OrganizationId.eq(organization_id))
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        return Ok(None);
    }
    find(db, organization_id, id).await
}

/// Deletes the organization's Org Sync with this id; returns whether there was one.
///
/// The database cascades to its data sources, their campaign links, the mirrored records and
/// the run history; imported campaign records stay, detached from the removed links.
pub async fn remove(
    db: &impl ConnectionTrait,
    organization_id: i64,
    id: i64,
) -> Result<bool, StoreError> {
    let deleted = Entity::delete_many()
        .filter(Column::Id.eq(id))
        .filter(Column::OrganizationId.eq(organization_id))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected > 0)
}

/// Writes the engine's view of the sync's health (exactly the [`Health`] columns and
/// `updated_at`) and returns the Org Sync as stored, or `None` if it no longer exists.
///
/// Nothing is written while the Org Sync is disabled: a worker finishing after the administrator
/// disabled the sync must not turn its `paused` status back into `active` or `error`. The
/// returned model then shows the row as it is. Nor is anything written when `fence` is a lease
/// that is no longer held ([`StoreError::LeaseLost`]).
pub async fn save_health(
    db: &impl ConnectionTrait,
    fence: Fence<'_>,
    id: i64,
    health: &Health,
) -> Result<Option<Model>, StoreError> {
    let updated = Entity::update_many()
        .col_expr(Column::Status, Expr::value(health.status.as_str()))
        .col_expr(
            Column::ConsecutiveFailures,
            Expr::value(health.consecutive_failures),
        )
        .col_expr(Column::ErrorCount, Expr::value(health.error_count))
        .col_expr(Column::LastError, Expr::value(health.last_error.clone()))
        .col_expr(
            Column::CircuitOpenedAt,
            Expr::value(health.circuit_opened_at.map(crate::at_micros)),
        )
        .col_expr(
            Column::LastSyncAt,
            Expr::value(health.last_sync_at.map(crate::at_micros)),
        )
        .col_expr(Column::UpdatedAt, Expr::value(crate::now()))
        .filter(Column::Id.eq(id))
        .filter(Column::Enabled.eq(true))
        .apply_if(fence.condition(), QueryFilter::filter)
        .exec(db)
        .await?;
    if updated.rows_affected == 0 && !fence.holds(db).await? {
        return Err(fence.lost());
    }
    find_by_id(db, id).await
}

/// Records the progress of a first backfill as `(records fetched, total expected)`, or clears
/// it with `None` when the backfill ends. Returns whether the Org Sync exists;
/// [`StoreError::LeaseLost`] when `fence` is a lease no longer held.
pub async fn set_backfill_progress(
    db: &impl ConnectionTrait,
    fence: Fence<'_>,
    id: i64,
    progress: Option<(i64, i64)>,
) -> Result<bool, StoreError> {
    let (records, total) = progress.unzip();
    let updated = Entity::update_many()
        .col_expr(Column::BackfillRecords, Expr::value(records))
        .col_expr(Column::BackfillTotal, Expr::value(total))
        .col_expr(Column::UpdatedAt, Expr::value(crate::now()))
        .filter(Column::Id.eq(id))
        .apply_if(fence.condition(), QueryFilter::filter)
        .exec(db)
        .await?;
    fenced_outcome(db, fence, updated.rows_affected).await
}

/// Forgets the CDC replay id only (it went past Salesforce's retention): the next
/// subscription starts from the tip and a REST catch-up from the watermark covers the rest.
/// Returns whether the Org Sync exists; [`StoreError::LeaseLost`] when `fence` is a lease no
/// longer held.
pub async fn reset_replay_id(
    db: &impl ConnectionTrait,
    fence: Fence<'_>,
    id: i64,
) -> Result<bool, StoreError> {
    let updated = Entity::update_many()
        .col_expr(Column::ReplayId, Expr::value(Option::<String>::None))
        .col_expr(Column::UpdatedAt, Expr::value(crate::now()))
        .filter(Column::Id.eq(id))
        .apply_if(fence.condition(), QueryFilter::filter)
        .exec(db)
        .await?;
    fenced_outcome(db, fence, updated.rows_affected).await
}

/// `Ok(true)` when a fenced write changed its row; when it changed nothing, the lease was lost
/// ([`StoreError::LeaseLost`]) or the row is gone (`Ok(false)`).
async fn fenced_outcome(
    db: &impl ConnectionTrait,
    fence: Fence<'_>,
    rows_affected: u64,
) -> Result<bool, StoreError> {
    if rows_affected > 0 {
        return Ok(true);
    }
    if fence.holds(db).await? {
        Ok(false)
    } else {
        Err(fence.lost())
    }
}

/// Records that every mirrored record of the Org Sync now holds `fields` (a JSON array),
/// after the engine fetched them for all of them (IG-03). Returns whether the Org Sync
/// exists; [`StoreError::LeaseLost`] when `fence` is a lease no longer held.
pub async fn set_fetched_fields(
    db: &impl ConnectionTrait,
    fence: Fence<'_>,
    id: i64,
    fields: &str,
) -> Result<bool, StoreError> {
    let updated = Entity::update_many()
        .col_expr(Column::FetchedFields, Expr::value(fields.to_owned()))
        .col_expr(Column::UpdatedAt, Expr::value(crate::now()))
        .filter(Column::Id.eq(id))
        .apply_if(fence.condition(), QueryFilter::filter)
        .exec(db)
        .await?;
    fenced_outcome(db, fence, updated.rows_affected).await
}
