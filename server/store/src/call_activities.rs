//! Call activity (DS-05): calls recorded on campaign records, queued for write-back to
//! Salesforce as completed Tasks. A call is identified by the dialer's call id, unique per
//! organization, so a report repeated by the dialer (or a double-clicked form) is one call and
//! one Task. The write-back worker takes the due ones, and marks each written (with the
//! Task's Id), failed (with Salesforce's message) or due again later (with the last error).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, TransactionSession, TransactionTrait,
    sea_query::{Expr, ExprTrait},
};

use crate::{
    StoreError,
    entities::{
        call_activities::{self, ActiveModel, Column, Entity, Model},
        campaign_records, campaigns,
    },
    leases::Fence,
};

/// Where a call's write-back stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CallState {
    /// Not in Salesforce yet (never tried, or to be tried again).
    Pending,
    /// The Task exists in Salesforce.
    Written,
    /// Salesforce refused the Task; its message is kept. Not retried.
    Failed,
}

impl CallState {
    pub fn as_str(self) -> &'static str {
        match self {
            CallState::Pending => "pending",
            CallState::Written => "written",
            CallState::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "pending" => Some(CallState::Pending),
            "written" => Some(CallState::Written),
            "failed" => Some(CallState::Failed),
            _ => None,
        }
    }
}

/// A call to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCall {
    pub organization_id: i64,
    pub campaign_id: i64,
    /// The person's Salesforce Id (a record of the campaign).
    pub sf_id: String,
    pub call_id: String,
    pub subject: String,
    pub disposition: String,
    pub duration_seconds: i64,
    pub notes: String,
    pub occurred_at: DateTime<Utc>,
    pub recorded_by: String,
}

/// What [`record`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recorded {
    /// A new call, pending write-back.
    New(Model),
    /// The same call was recorded before (same call id, campaign and person): nothing new.
    Again(Model),
}

impl Recorded {
    pub fn call(&self) -> &Model {
        match self {
            Recorded::New(call) | Recorded::Again(call) => call,
        }
    }
}

/// Records a call on the campaign record `(campaign_id, sf_id)` of the organization, due for
/// write-back at once. [`StoreError::NotFound`] when the organization has no such campaign
/// record; [`StoreError::Conflict`] when the call id was used for another call.
pub async fn record(
    db: &impl ConnectionTrait,
    call: NewCall,
    now: DateTime<Utc>,
) -> Result<Recorded, StoreError> {
    // A repeated report is the same call, also after the person left the campaign.
    if let Some(earlier) = find_by_call_id(db, call.organization_id, &call.call_id).await? {
        return same_call(earlier, &call);
    }
    let record = campaign_records::Entity::find()
        .inner_join(campaigns::Entity)
        .filter(campaigns::Column::OrganizationId.eq(call.organization_id))
        .filter(campaign_records::Column::CampaignId.eq(call.campaign_id))
        .filter(campaign_records::Column::SfId.eq(call.sf_id.as_str()))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("campaign record"))?;
    let now = crate::at_micros(now);
    let inserted = ActiveModel {
        organization_id: Set(call.organization_id),
        campaign_id: Set(call.campaign_id),
        call_id: Set(call.call_id.clone()),
        sf_object: Set(record.sf_object),
        sf_id: Set(call.sf_id.clone()),
        subject: Set(call.subject.clone()),
        disposition: Set(call.disposition.clone()),
        duration_seconds: Set(call.duration_seconds),
        notes: Set(call.notes.clone()),
        occurred_at: Set(crate::at_micros(call.occurred_at)),
        recorded_by: Set(call.recorded_by.clone()),
        state: Set(CallState::Pending.as_str().to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        written_at: Set(None),
        sf_task_id: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await;
    match inserted {
        Ok(model) => Ok(Recorded::New(model)),
        Err(error) => {
            let error = StoreError::from_write(error, "campaign", String::new);
            // Two reports of one call at once: the other one won.
            if matches!(error, StoreError::Conflict(_))
                && let Some(earlier) =
                    find_by_call_id(db, call.organization_id, &call.call_id).await?
            {
                return same_call(earlier, &call);
            }
            Err(error)
        }
    }
}

fn same_call(earlier: Model, call: &NewCall) -> Result<Recorded, StoreError> {
    if earlier.campaign_id == call.campaign_id && earlier.sf_id == call.sf_id {
        Ok(Recorded::Again(earlier))
    } else {
        Err(StoreError::Conflict(format!(
            "The call id {} was already recorded for another person",
            call.call_id
        )))
    }
}

/// The organization's call with the dialer's id `call_id`.
pub async fn find_by_call_id(
    db: &impl ConnectionTrait,
    organization_id: i64,
    call_id: &str,
) -> Result<Option<Model>, StoreError> {
    Ok(Entity::find()
        .filter(Column::OrganizationId.eq(organization_id))
        .filter(Column::CallId.eq(call_id))
        .one(db)
        .await?)
}

/// The calls made to the person `sf_id` from the campaign, newest first.
pub async fn list_for_record(
    db: &impl ConnectionTrait,
    campaign_id: i64,
    sf_id: &str,
) -> Result<Vec<Model>, StoreError> {
    Ok(Entity::find()
        .filter(Column::CampaignId.eq(campaign_id))
        .filter(Column::SfId.eq(sf_id))
        .order_by_desc(Column::OccurredAt)
        .order_by_desc(Column::Id)
        .all(db)
        .await?)
}

/// The campaign's most recent calls, newest first, at most `limit`.
pub async fn list_for_campaign(
    db: &impl ConnectionTrait,
    campaign_id: i64,
    limit: u64,
) -> Result<Vec<Model>, StoreError> {
    Ok(Entity::find()
        .filter(Column::CampaignId.eq(campaign_id))
        .order_by_desc(Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// How many of the campaign's calls are in `state`.
pub async fn count_in_state(
    db: &impl ConnectionTrait,
    campaign_id: i64,
    state: CallState,
) -> Result<u64, StoreError> {
    Ok(Entity::find()
        .filter(Column::CampaignId.eq(campaign_id))
        .filter(Column::State.eq(state.as_str()))
        .count(db)
        .await?)
}

/// The organization's pending calls on `sf_object` records that are due at `now`, oldest
/// first, at most `limit`.
pub async fn due(
    db: &impl ConnectionTrait,
    organization_id: i64,
    sf_object: &str,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<Model>, StoreError> {
    Ok(Entity::find()
        .filter(Column::OrganizationId.eq(organization_id))
        .filter(Column::SfObject.eq(sf_object))
        .filter(Column::State.eq(CallState::Pending.as_str()))
        .filter(Column::NextAttemptAt.lte(crate::at_micros(now)))
        .order_by_asc(Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// When the next pending call on `sf_object` records falls due (`None`: none pending).
pub async fn next_due_at(
    db: &impl ConnectionTrait,
    organization_id: i64,
    sf_object: &str,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    Ok(Entity::find()
        .select_only()
        .column_as(Column::NextAttemptAt.min(), "next")
        .filter(Column::OrganizationId.eq(organization_id))
        .filter(Column::SfObject.eq(sf_object))
        .filter(Column::State.eq(CallState::Pending.as_str()))
        .into_tuple::<Option<DateTime<Utc>>>()
        .one(db)
        .await?
        .flatten())
}

/// What became of one call's write-back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WriteOutcome {
    /// The Task exists: its Id.
    Written { task_id: String },
    /// Salesforce refused the Task: its message.
    Failed { message: String },
    /// Not known to be written: try again at `next_attempt_at`.
    Retry {
        message: String,
        next_attempt_at: DateTime<Utc>,
    },
}

/// Records the outcome of an attempt (see [`claim`]) to write the call `id` back, if it is
/// still pending.
/// [`StoreError::LeaseLost`] when `fence` is a lease no longer held.
pub async fn finish_attempt(
    db: &impl ConnectionTrait,
    fence: Fence<'_>,
    id: i64,
    outcome: &WriteOutcome,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let now = crate::at_micros(now);
    let update = Entity::update_many();
    let update = match outcome {
        WriteOutcome::Written { task_id } => update
            .col_expr(Column::State, Expr::value(CallState::Written.as_str()))
            .col_expr(Column::SfTaskId, Expr::value(Some(task_id.clone())))
            .col_expr(Column::WrittenAt, Expr::value(Some(now)))
            .col_expr(Column::LastError, Expr::value(None::<String>)),
        WriteOutcome::Failed { message } => update
            .col_expr(Column::State, Expr::value(CallState::Failed.as_str()))
            .col_expr(Column::LastError, Expr::value(Some(message.clone()))),
        WriteOutcome::Retry {
            message,
            next_attempt_at,
        } => update
            .col_expr(Column::LastError, Expr::value(Some(message.clone())))
            .col_expr(
                Column::NextAttemptAt,
                Expr::value(crate::at_micros(*next_attempt_at)),
            ),
    };
    let updated = update
        .filter(Column::Id.eq(id))
        .filter(Column::State.eq(CallState::Pending.as_str()))
        .apply_if(fence.condition(), QueryFilter::filter)
        .exec(db)
        .await?;
    if updated.rows_affected == 0 && !fence.holds(db).await? {
        return Err(fence.lost());
    }
    Ok(())
}

/// Claims a batch before it is sent to Salesforce, in one fenced transaction: each call's
/// attempt is counted and its next try set to `retry_at`, so that a writer stopped between
/// the send and [`finish_attempts`] (a crash, a lost lease, a restart) leaves the calls due
/// again later, and a writer whose lease moved sends nothing. Answers the calls still
/// pending (another writer may have settled some); [`StoreError::LeaseLost`] when `fence`
/// is a lease no longer held.
pub async fn claim<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    fence: Fence<'_>,
    ids: &[i64],
    retry_at: DateTime<Utc>,
) -> Result<Vec<Model>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let txn = crate::begin_write(db).await?;
    let updated = Entity::update_many()
        .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
        .col_expr(
            Column::NextAttemptAt,
            Expr::value(crate::at_micros(retry_at)),
        )
        .filter(Column::Id.is_in(ids.iter().copied()))
        .filter(Column::State.eq(CallState::Pending.as_str()))
        .apply_if(fence.condition(), QueryFilter::filter)
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 && !fence.holds(&txn).await? {
        return Err(fence.lost());
    }
    let claimed = Entity::find()
        .filter(Column::Id.is_in(ids.iter().copied()))
        .filter(Column::State.eq(CallState::Pending.as_str()))
        .order_by_asc(Column::Id)
        .all(&txn)
        .await?;
    txn.commit().await?;
    Ok(claimed)
}

/// Records the outcomes of one batch's attempts in one transaction (what [`finish_attempt`]
/// does for each). [`StoreError::LeaseLost`] when `fence` is a lease no longer held: then
/// nothing is recorded.
pub async fn finish_attempts<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    fence: Fence<'_>,
    outcomes: &[(i64, WriteOutcome)],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if outcomes.is_empty() {
        return Ok(());
    }
    let txn = crate::begin_write(db).await?;
    for (id, outcome) in outcomes {
        finish_attempt(&txn, fence, *id, outcome, now).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Puts a failed call back in the queue, due at once (an admin's retry after fixing the
/// cause in Salesforce). Returns whether the organization has such a failed call.
pub async fn retry_failed(
    db: &impl ConnectionTrait,
    organization_id: i64,
    id: i64,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let updated = Entity::update_many()
        .col_expr(Column::State, Expr::value(CallState::Pending.as_str()))
        .col_expr(Column::NextAttemptAt, Expr::value(crate::at_micros(now)))
        // A fresh start of the back-off; the writer looks for the Task before every send.
        .col_expr(Column::Attempts, Expr::value(0))
        .filter(Column::Id.eq(id))
        .filter(Column::OrganizationId.eq(organization_id))
        .filter(Column::State.eq(CallState::Failed.as_str()))
        .exec(db)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// The call `id` of the organization.
pub async fn find(
    db: &impl ConnectionTrait,
    organization_id: i64,
    id: i64,
) -> Result<Option<call_activities::Model>, StoreError> {
    Ok(Entity::find_by_id(id)
        .filter(Column::OrganizationId.eq(organization_id))
        .one(db)
        .await?)
}
