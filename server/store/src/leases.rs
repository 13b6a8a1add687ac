//! Leases: named, expiring ownership of shared work, so that instances sharing one database
//! never run the same work twice. An Org Sync's worker runs only while its instance holds
//! `org_sync:<id>` ([`org_sync`]); an organization's token is refreshed only under
//! `token_refresh:<organization id>` ([`token_refresh`]).
//!
//! A lease is taken when free or lapsed ([`try_acquire`]), renewed by its holder while the work
//! runs ([`renew`]), and released when the work stops ([`release`]). A holder that was too slow
//! to renew may find its lease taken: every write of leased work is fenced with a [`Fence`],
//! checked in the write's own statement or transaction, so a holder that lost its lease cannot
//! write again. On PostgreSQL the check takes a share lock on the lease row: a takeover waits
//! for a fenced write in flight to commit, and a fenced write after a takeover finds the new
//! holder. SQLite runs one writing transaction at a time, which gives the same order.
//!
//! Expiry times come from the holder's clock (the engine's injected clock), so instances'
//! clocks must roughly agree (NTP); the lease time is far longer than any sane skew.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    sea_query::{Expr, ExprTrait, OnConflict, Query, SimpleExpr},
};

use crate::{
    StoreError,
    entities::leases::{self, Column, Entity},
};

/// The lease name of an Org Sync's worker.
pub fn org_sync(org_sync_id: i64) -> String {
    format!("org_sync:{org_sync_id}")
}

/// The lease name of an organization's token refresh.
pub fn token_refresh(organization_id: i64) -> String {
    format!("token_refresh:{organization_id}")
}

/// A lease this process holds: its name and the holder string of this acquisition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    pub name: String,
    pub holder: String,
}

/// What a write of leased work is conditioned on.
#[derive(Clone, Copy, Debug)]
pub enum Fence<'a> {
    /// The caller is the only writer (tests, tools): no condition.
    Unfenced,
    /// Write only while this lease is still held by this holder.
    Lease(&'a Lease),
}

impl Fence<'_> {
    /// A condition to add to a write's `WHERE`: true while the lease is held. On PostgreSQL
    /// it share-locks the lease row until the transaction ends.
    pub(crate) fn condition(&self) -> Option<SimpleExpr> {
        let Fence::Lease(lease) = self else {
            return None;
        };
        let mut held = Query::select();
        held.expr(Expr::val(1))
            .from(Entity)
            .and_where(Expr::col(Column::Name).eq(lease.name.as_str()))
            .and_where(Expr::col(Column::Holder).eq(lease.holder.as_str()))
            .lock_shared();
        Some(Expr::exists(held))
    }

    /// Whether the fence still lets its holder write (always, unfenced): tells a write the
    /// fence refused from one that found no row.
    pub(crate) async fn holds(&self, db: &impl ConnectionTrait) -> Result<bool, StoreError> {
        match self {
            Fence::Unfenced => Ok(true),
            Fence::Lease(lease) => Ok(Entity::find_by_id(lease.name.clone())
                .one(db)
                .await?
                .is_some_and(|row| row.holder == lease.holder)),
        }
    }

    /// The error of a write that the fence refused.
    pub(crate) fn lost(&self) -> StoreError {
        match self {
            Fence::Lease(lease) => StoreError::LeaseLost(lease.name.clone()),
            Fence::Unfenced => StoreError::NotFound("lease"),
        }
    }
}

/// Takes the lease `name` for `holder` until `now + ttl` if it is free, lapsed (expired at or
/// before `now`) or already this holder's. Returns whether `holder` holds it now.
pub async fn try_acquire(
    db: &impl ConnectionTrait,
    name: &str,
    holder: &str,
    now: DateTime<Utc>,
    ttl: chrono::TimeDelta,
) -> Result<bool, StoreError> {
    let now = crate::at_micros(now);
    let row = leases::ActiveModel {
        name: sea_orm::ActiveValue::Set(name.to_owned()),
        holder: sea_orm::ActiveValue::Set(holder.to_owned()),
        acquired_at: sea_orm::ActiveValue::Set(now),
        expires_at: sea_orm::ActiveValue::Set(now + ttl),
    };
    // INSERT … ON CONFLICT (name) DO UPDATE … WHERE the stored lease lapsed or is ours: a
    // held lease is left alone and the statement changes no row.
    let taken = Entity::insert(row)
        .on_conflict(
            OnConflict::column(Column::Name)
                .update_columns([Column::Holder, Column::AcquiredAt, Column::ExpiresAt])
                .action_and_where(
                    Expr::col((Entity, Column::ExpiresAt))
                        .lte(now)
                        .or(Expr::col((Entity, Column::Holder)).eq(holder)),
                )
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(taken > 0)
}

/// Extends `lease` to `now + ttl`. Returns `false` when it is no longer held by its holder
/// (taken over, or released): the work it covers must stop.
pub async fn renew(
    db: &impl ConnectionTrait,
    lease: &Lease,
    now: DateTime<Utc>,
    ttl: chrono::TimeDelta,
) -> Result<bool, StoreError> {
    let renewed = Entity::update_many()
        .col_expr(Column::ExpiresAt, Expr::value(crate::at_micros(now) + ttl))
        .filter(Column::Name.eq(lease.name.as_str()))
        .filter(Column::Holder.eq(lease.holder.as_str()))
        .exec(db)
        .await?;
    Ok(renewed.rows_affected > 0)
}

/// Gives `lease` up (if still held), so another instance may take it at once.
pub async fn release(db: &impl ConnectionTrait, lease: &Lease) -> Result<(), StoreError> {
    Entity::delete_many()
        .filter(Column::Name.eq(lease.name.as_str()))
        .filter(Column::Holder.eq(lease.holder.as_str()))
        .exec(db)
        .await?;
    Ok(())
}

/// Forgets every lease. Only for an instance that knows it is alone on the database (SQLite,
/// whose file it holds locked): whoever held them is gone.
pub async fn clear(db: &impl ConnectionTrait) -> Result<u64, StoreError> {
    Ok(Entity::delete_many().exec(db).await?.rows_affected)
}

/// Every lease: `(name, holder, expires_at)` (diagnostics, tests).
pub async fn list(
    db: &impl ConnectionTrait,
) -> Result<Vec<(String, String, DateTime<Utc>)>, StoreError> {
    Ok(Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.name, row.holder, row.expires_at))
        .collect())
}

/// The holder of the lease `name` while it has not lapsed at `now`.
pub async fn holder(
    db: &impl ConnectionTrait,
    name: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>, StoreError> {
    Ok(Entity::find_by_id(name.to_owned())
        .one(db)
        .await?
        .filter(|row| row.expires_at > now)
        .map(|row| row.holder))
}
