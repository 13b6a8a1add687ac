//! Salesforce sign-ins in progress (Set up / Reset Token → Salesforce → callback), found by the
//! hex SHA-256 of their OAuth `state`: callers hash before every call here, and encrypt the PKCE
//! verifier before it reaches [`insert`].
//!
//! Kept in the database so that a callback can land on any instance sharing it, and a restart
//! in the middle of a sign-in does not make it stale. The rules:
//! - a sign-in is taken once ([`take_if`] deletes it in the same transaction that finds it:
//!   a replayed callback finds nothing, and of two concurrent callbacks exactly one wins);
//! - it is compared with the caller before it is taken, so a callback from another session
//!   leaves it to the session that started it;
//! - it expires at its `expires_at`; expired rows are purged whenever a sign-in starts;
//! - at most [`MAX_PENDING_PER_ORG`] wait per organization and [`MAX_PENDING`] in all, the
//!   oldest dropped first.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement, TransactionSession,
    TransactionTrait,
};

use crate::{
    StoreError,
    entities::salesforce_sign_ins::{ActiveModel, Column, Entity, Model},
};

/// At most this many sign-ins of one organization wait at once (its oldest is dropped first),
/// so one organization's admins cannot push out another organization's sign-in.
pub const MAX_PENDING_PER_ORG: u64 = 8;

/// At most this many sign-ins wait at once in all (the oldest is dropped first).
pub const MAX_PENDING: u64 = 1024;

/// PostgreSQL advisory lock held by [`insert`] until it commits: two instances counting at
/// once would both see room and overshoot the bounds. (SQLite's `BEGIN IMMEDIATE` already lets
/// one writer in at a time.) The value is arbitrary, unique within orgsync.
const INSERT_LOCK_KEY: i64 = 0x6f72_6773_7369_676e;

/// A sign-in to remember. The caller hashed the state and encrypted the verifier.
pub struct NewSignIn {
    /// Hex SHA-256 of the OAuth `state`.
    pub state_hash: String,
    pub organization_id: i64,
    pub user_id: i64,
    /// The orgsync session that started the sign-in (`sessions.id`).
    pub session_id: i64,
    pub pkce_verifier_ciphertext: String,
    pub expires_at: DateTime<Utc>,
}

/// What [`take_if`] found.
#[derive(Debug)]
pub enum Taken {
    /// The sign-in, now deleted.
    Found(Model),
    /// No such state (unknown, used or expired).
    Missing,
    /// The state exists but belongs to another caller: left in place for its owner.
    NotYours,
}

/// Stores a sign-in started at `now`, after purging expired ones and making room within the
/// bounds (the organization's oldest goes first when it has [`MAX_PENDING_PER_ORG`] waiting;
/// otherwise the oldest of all when [`MAX_PENDING`] wait).
///
/// Returns [`StoreError::NotFound`] if the organization, user or session does not exist, and
/// [`StoreError::Conflict`] if the state hash is already pending (a state generator bug).
pub async fn insert<C>(db: &C, sign_in: NewSignIn, now: DateTime<Utc>) -> Result<Model, StoreError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let now = crate::at_micros(now);
    let txn = crate::begin_write(db).await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [INSERT_LOCK_KEY.into()],
        ))
        .await?;
    }
    Entity::delete_many()
        .filter(Column::ExpiresAt.lte(now))
        .exec(&txn)
        .await?;
    let org = sign_in.organization_id;
    let of_org = Entity::find()
        .filter(Column::OrganizationId.eq(org))
        .count(&txn)
        .await?;
    if of_org >= MAX_PENDING_PER_ORG {
        drop_oldest(&txn, Some(org), of_org + 1 - MAX_PENDING_PER_ORG).await?;
    } else {
        let all = Entity::find().count(&txn).await?;
        if all >= MAX_PENDING {
            drop_oldest(&txn, None, all + 1 - MAX_PENDING).await?;
        }
    }
    let stored = ActiveModel {
        state_hash: Set(sign_in.state_hash),
        organization_id: Set(org),
        user_id: Set(sign_in.user_id),
        session_id: Set(sign_in.session_id),
        pkce_verifier_ciphertext: Set(sign_in.pkce_verifier_ciphertext),
        created_at: Set(now),
        expires_at: Set(crate::at_micros(sign_in.expires_at)),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        StoreError::from_write(e, "organization, user or session", || {
            "sign-in state already pending".to_owned()
        })
    })?;
    txn.commit().await?;
    Ok(stored)
}

/// Deletes the `count` oldest sign-ins, of one organization or of all.
async fn drop_oldest(
    txn: &impl ConnectionTrait,
    organization_id: Option<i64>,
    count: u64,
) -> Result<(), StoreError> {
    let mut oldest = Entity::find().select_only().column(Column::Id);
    if let Some(org) = organization_id {
        oldest = oldest.filter(Column::OrganizationId.eq(org));
    }
    let ids: Vec<i64> = oldest
        .order_by_asc(Column::CreatedAt)
        .order_by_asc(Column::Id)
        .limit(count)
        .into_tuple()
        .all(txn)
        .await?;
    Entity::delete_many()
        .filter(Column::Id.is_in(ids))
        .exec(txn)
        .await?;
    Ok(())
}

/// Takes the sign-in with this state hash (once) if it has not expired at `now` and
/// `is_yours` accepts it. One that is not the caller's stays for its owner: a wrong caller
/// cannot burn someone else's sign-in. An expired one is deleted and reported missing.
///
/// Safe against concurrent callbacks with the same state: the row is deleted by a conditional
/// `DELETE` whose affected-row count decides, so exactly one of them gets [`Taken::Found`].
pub async fn take_if<C>(
    db: &C,
    state_hash: &str,
    now: DateTime<Utc>,
    is_yours: impl FnOnce(&Model) -> bool,
) -> Result<Taken, StoreError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = crate::begin_write(db).await?;
    let Some(found) = Entity::find()
        .filter(Column::StateHash.eq(state_hash))
        .one(&txn)
        .await?
    else {
        return Ok(Taken::Missing);
    };
    if found.expires_at <= now {
        Entity::delete_by_id(found.id).exec(&txn).await?;
        txn.commit().await?;
        return Ok(Taken::Missing);
    }
    if !is_yours(&found) {
        return Ok(Taken::NotYours);
    }
    // Another callback may have deleted it since the read (PostgreSQL): then this one lost.
    let deleted = Entity::delete_many()
        .filter(Column::Id.eq(found.id))
        .filter(Column::StateHash.eq(state_hash))
        .exec(&txn)
        .await?;
    if deleted.rows_affected != 1 {
        return Ok(Taken::Missing);
    }
    txn.commit().await?;
    Ok(Taken::Found(found))
}
