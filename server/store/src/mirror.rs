//! The mirror: the last known state of every Salesforce record an Org Sync fetched (`sf_records`),
//! and the cursor that says where ingestion resumes.
//!
//! [`apply_batch`] is the only writer. It commits a page of records and the cursor after it in one
//! transaction, so after a crash the engine resumes from a cursor whose records are all stored.

use std::collections::HashMap;

use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Statement, TransactionSession, TransactionTrait,
    sea_query::{Alias, Expr, ExprTrait, OnConflict},
};
use serde_json::{Map, Value};

use crate::{
    StoreError,
    entities::{
        org_syncs,
        sf_records::{self, Column, Entity},
    },
    error::parse_json,
    leases::Fence,
};

/// Ids per `IN (…)` list when SQLite reads the stored rows of a batch.
const SELECT_CHUNK: usize = 1_000;

/// Rows per multi-row upsert on SQLite (seven parameters each, far below its limit).
const WRITE_CHUNK: usize = 1_000;

/// One Salesforce record as fetched (REST) or rebuilt from a change event (CDC).
#[derive(Clone, Debug, PartialEq)]
pub struct MirrorRecord {
    /// Salesforce record id.
    pub sf_id: String,
    /// The fetched fields; may be a subset of the fields stored so far (see [`apply_batch`]).
    pub fields: Map<String, Value>,
    /// Salesforce `SystemModstamp`, fixed format `2025-03-01T10:00:00.000+0000`, so string order
    /// is time order.
    pub system_modstamp: String,
    pub deleted: bool,
}

/// Where ingestion resumes, written with the batch it follows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cursor {
    /// REST: the `SystemModstamp` of the last committed page (`org_syncs.watermark`).
    Watermark(String),
    /// CDC: the replay id of the last committed event (`org_syncs.replay_id`).
    ReplayId(String),
}

/// What [`apply_batch`] did. Every incoming record is counted once, so the three add up to the
/// batch's length.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ApplyStats {
    /// Records that created a row.
    pub inserted: u64,
    /// Records applied to an existing row (or to a row created earlier in the same batch).
    pub updated: u64,
    /// Records identical to the row (a re-read of an unchanged record).
    pub unchanged: u64,
}

/// The state of one row while a batch is planned.
struct RowState {
    fields: Map<String, Value>,
    system_modstamp: String,
    deleted: bool,
}

impl RowState {
    fn new(record: &MirrorRecord) -> Self {
        RowState {
            fields: record.fields.clone(),
            system_modstamp: record.system_modstamp.clone(),
            deleted: record.deleted,
        }
    }

    /// Applies `record` when it changes anything (fields, deleted flag or stamp); returns
    /// whether it did.
    ///
    /// Every record the engine hands over is a read of the record's current state, made after
    /// every earlier read of the same Org Sync (one worker reads at a time), so it is the truth
    /// whatever its stamp says. The stamp cannot order reads: Salesforce stamps a change when
    /// its transaction starts, so a row's SystemModstamp can even go backwards when a long
    /// transaction commits after a short one (a late commit), and two changes in one second
    /// share a stamp. Re-reading an unchanged record (the polling overlap, a replayed event)
    /// changes nothing and is not counted as an application.
    fn apply(&mut self, record: &MirrorRecord) -> bool {
        let differs = record.deleted != self.deleted
            || record.system_modstamp != self.system_modstamp
            || record
                .fields
                .iter()
                .any(|(key, value)| self.fields.get(key) != Some(value));
        if !differs {
            return false;
        }
        for (key, value) in &record.fields {
            self.fields.insert(key.clone(), value.clone());
        }
        self.system_modstamp.clone_from(&record.system_modstamp);
        self.deleted = record.deleted;
        true
    }
}

/// Stores a page of records and then the cursor, in one transaction: either all of it is
/// committed or none of it.
///
/// A new `sf_id` is inserted. An existing row takes the incoming record when it changes
/// anything (fields, deleted flag or `SystemModstamp`): the incoming record is a later read of
/// the record's current state, and its stamp says nothing about order (see `RowState::apply`).
/// A record identical to the row leaves it unchanged. An applied record's fields are merged
/// over the stored ones (incoming keys win, stored keys it lacks are kept), so a narrower
/// field list never erases fields fetched before; each application adds one to
/// `applied_count`. Records of the same `sf_id` within the batch are applied in batch order,
/// so the last read wins.
///
/// New and changed rows are written with chunked multi-row upserts, after one read of the stored
/// rows of the batch. The transaction first takes the Org Sync's row lock (the SQLite write lock), so concurrent
/// batches of one Org Sync run one after the other. Returns [`StoreError::NotFound`] if the Org
/// Sync does not exist and [`StoreError::Corrupt`] if a stored row's fields are not a JSON
/// object; nothing is written then. A [`Fence::Lease`] is checked in the same transaction,
/// before anything is written: [`StoreError::LeaseLost`] when another instance holds it now.
pub async fn apply_batch<C>(
    db: &C,
    fence: Fence<'_>,
    org_sync_id: i64,
    records: &[MirrorRecord],
    cursor: Option<&Cursor>,
) -> Result<ApplyStats, StoreError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = crate::begin_write(db).await?;
    let locked = org_syncs::Entity::update_many()
        .col_expr(
            org_syncs::Column::Watermark,
            Expr::col(org_syncs::Column::Watermark),
        )
        .filter(org_syncs::Column::Id.eq(org_sync_id))
        .apply_if(fence.condition(), QueryFilter::filter)
        .exec(&txn)
        .await?;
    if locked.rows_affected == 0 {
        let exists = org_syncs::Entity::find_by_id(org_sync_id)
            .one(&txn)
            .await?
            .is_some();
        return Err(if exists {
            fence.lost()
        } else {
            StoreError::NotFound("org sync")
        });
    }

    // The batch's records per sf_id, in order of first appearance, each group in batch order.
    let mut order: Vec<&str> = Vec::new();
    let mut groups: HashMap<&str, Vec<&MirrorRecord>> = HashMap::with_capacity(records.len());
    for record in records {
        groups
            .entry(record.sf_id.as_str())
            .or_insert_with(|| {
                order.push(record.sf_id.as_str());
                Vec::new()
            })
            .push(record);
    }
    let stored: HashMap<String, sf_records::Model> = stored_rows(&txn, org_sync_id, &order)
        .await?
        .into_iter()
        .map(|row| (row.sf_id.clone(), row))
        .collect();

    // Every row the batch changes, with `applied_count` holding the number of records applied
    // to it here: the upsert inserts new rows with that count and adds it to existing ones.
    let now = crate::now();
    let mut stats = ApplyStats::default();
    let mut writes: Vec<PlannedRow> = Vec::new();
    for sf_id in order {
        let group = &groups[sf_id];
        let (state, applied) = match stored.get(sf_id) {
            None => {
                let Some((first, rest)) = group.split_first() else {
                    continue;
                };
                stats.inserted += 1;
                let mut state = RowState::new(first);
                let mut applied = 1;
                for record in rest {
                    if state.apply(record) {
                        applied += 1;
                        stats.updated += 1;
                    } else {
                        stats.unchanged += 1;
                    }
                }
                (state, applied)
            }
            Some(row) => {
                let mut state = RowState {
                    fields: parse_json(&row.fields, || {
                        format!("sf_records.fields of record {} ({sf_id})", row.id)
                    })?,
                    system_modstamp: row.system_modstamp.clone(),
                    deleted: row.deleted,
                };
                let mut applied = 0;
                for record in group {
                    if state.apply(record) {
                        applied += 1;
                        stats.updated += 1;
                    } else {
                        stats.unchanged += 1;
                    }
                }
                if applied == 0 {
                    continue;
                }
                (state, applied)
            }
        };
        writes.push(PlannedRow {
            sf_id: sf_id.to_owned(),
            fields: Value::Object(state.fields).to_string(),
            system_modstamp: state.system_modstamp,
            deleted: state.deleted,
            applied,
        });
    }
    upsert_rows(&txn, org_sync_id, writes, now).await?;

    if let Some(cursor) = cursor {
        let (column, value) = match cursor {
            Cursor::Watermark(w) => (org_syncs::Column::Watermark, w),
            Cursor::ReplayId(r) => (org_syncs::Column::ReplayId, r),
        };
        org_syncs::Entity::update_many()
            .col_expr(column, Expr::value(value.clone()))
            .filter(org_syncs::Column::Id.eq(org_sync_id))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(stats)
}

/// A row as [`apply_batch`] writes it: inserted, or merged into the stored row, whose
/// `applied_count` grows by `applied`.
struct PlannedRow {
    sf_id: String,
    fields: String,
    system_modstamp: String,
    deleted: bool,
    applied: i64,
}

/// The stored rows of the Org Sync among `sf_ids`.
///
/// PostgreSQL gets the ids as one array parameter (`= ANY($2)`): a list of a thousand
/// parameters costs far more to parse and plan than the lookup itself, and the statement text
/// stays the same whatever the batch size. SQLite gets `IN (…)` lists of [`SELECT_CHUNK`].
async fn stored_rows<C: ConnectionTrait>(
    txn: &C,
    org_sync_id: i64,
    sf_ids: &[&str],
) -> Result<Vec<sf_records::Model>, StoreError> {
    if txn.get_database_backend() == DbBackend::Postgres {
        let ids: Vec<String> = sf_ids.iter().map(|id| (*id).to_owned()).collect();
        let statement = Statement::from_sql_and_values(
            DbBackend::Postgres,
            r#"SELECT * FROM "sf_records" WHERE "org_sync_id" = $1 AND "sf_id" = ANY($2)"#,
            [org_sync_id.into(), ids.into()],
        );
        return Ok(Entity::find().from_raw_sql(statement).all(txn).await?);
    }
    let mut rows = Vec::with_capacity(sf_ids.len());
    for chunk in sf_ids.chunks(SELECT_CHUNK) {
        rows.extend(
            Entity::find()
                .filter(Column::OrgSyncId.eq(org_sync_id))
                .filter(Column::SfId.is_in(chunk.iter().copied()))
                .all(txn)
                .await?,
        );
    }
    Ok(rows)
}

/// Inserts new rows and merges changed ones (incoming values win, `applied_count` adds up).
/// Each `sf_id` appears once in `rows`.
///
/// PostgreSQL gets one statement with a column array per field (`UNNEST`), whatever the
/// number of rows: five array parameters instead of seven per row, so nothing to chunk, and a
/// plan that does not grow with the batch. SQLite gets multi-row upserts of [`WRITE_CHUNK`].
async fn upsert_rows<C: ConnectionTrait>(
    txn: &C,
    org_sync_id: i64,
    rows: Vec<PlannedRow>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let stored_twice = |e| {
        StoreError::from_write(e, "org sync", || {
            format!("a record of org sync {org_sync_id} was stored twice")
        })
    };
    if txn.get_database_backend() == DbBackend::Postgres {
        let mut sf_ids = Vec::with_capacity(rows.len());
        let mut fields = Vec::with_capacity(rows.len());
        let mut stamps = Vec::with_capacity(rows.len());
        let mut deleted = Vec::with_capacity(rows.len());
        let mut applied = Vec::with_capacity(rows.len());
        for row in rows {
            sf_ids.push(row.sf_id);
            fields.push(row.fields);
            stamps.push(row.system_modstamp);
            deleted.push(row.deleted);
            applied.push(row.applied);
        }
        let statement = Statement::from_sql_and_values(
            DbBackend::Postgres,
            PG_UPSERT,
            [
                org_sync_id.into(),
                sf_ids.into(),
                fields.into(),
                stamps.into(),
                deleted.into(),
                applied.into(),
                now.into(),
            ],
        );
        txn.execute_raw(statement).await.map_err(stored_twice)?;
        return Ok(());
    }
    let upsert = OnConflict::columns([Column::OrgSyncId, Column::SfId])
        .update_columns([
            Column::Fields,
            Column::SystemModstamp,
            Column::Deleted,
            Column::UpdatedAt,
        ])
        .value(
            Column::AppliedCount,
            Expr::col((Entity, Column::AppliedCount))
                .add(Expr::col((Alias::new("excluded"), Column::AppliedCount))),
        )
        .to_owned();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk = rows
            .by_ref()
            .take(WRITE_CHUNK)
            .map(|row| sf_records::ActiveModel {
                org_sync_id: Set(org_sync_id),
                sf_id: Set(row.sf_id),
                fields: Set(row.fields),
                system_modstamp: Set(row.system_modstamp),
                deleted: Set(row.deleted),
                applied_count: Set(row.applied),
                updated_at: Set(now),
                ..Default::default()
            });
        Entity::insert_many(chunk)
            .on_conflict(upsert.clone())
            .exec_without_returning(txn)
            .await
            .map_err(stored_twice)?;
    }
    Ok(())
}

/// The PostgreSQL upsert of [`upsert_rows`]: `$1` the Org Sync, `$2`..`$6` one array per
/// column, `$7` the time of the write.
const PG_UPSERT: &str = r#"INSERT INTO "sf_records"
    ("org_sync_id", "sf_id", "fields", "system_modstamp", "deleted", "applied_count", "updated_at")
SELECT $1, u.sf_id, u.fields, u.system_modstamp, u.deleted, u.applied_count, $7
FROM UNNEST($2::text[], $3::text[], $4::text[], $5::bool[], $6::bigint[])
    AS u(sf_id, fields, system_modstamp, deleted, applied_count)
ON CONFLICT ("org_sync_id", "sf_id") DO UPDATE SET
    "fields" = excluded."fields",
    "system_modstamp" = excluded."system_modstamp",
    "deleted" = excluded."deleted",
    "updated_at" = excluded."updated_at",
    "applied_count" = "sf_records"."applied_count" + excluded."applied_count""#;

/// How many records of the Org Sync are mirrored and not deleted.
pub async fn count(db: &impl ConnectionTrait, org_sync_id: i64) -> Result<u64, StoreError> {
    Ok(Entity::find()
        .filter(Column::OrgSyncId.eq(org_sync_id))
        .filter(Column::Deleted.eq(false))
        .count(db)
        .await?)
}

/// Every mirrored record of the Org Sync, deleted ones included, by `sf_id`.
pub async fn all(
    db: &impl ConnectionTrait,
    org_sync_id: i64,
) -> Result<Vec<sf_records::Model>, StoreError> {
    Ok(Entity::find()
        .filter(Column::OrgSyncId.eq(org_sync_id))
        .order_by_asc(Column::SfId)
        .all(db)
        .await?)
}

/// Up to `limit` mirrored records of the Org Sync (deleted or not) whose Salesforce ids come
/// after `after` (from the first when `None`), in id order: the mirror a page at a time.
pub async fn page_after(
    db: &impl ConnectionTrait,
    org_sync_id: i64,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<sf_records::Model>, StoreError> {
    let mut query = Entity::find().filter(Column::OrgSyncId.eq(org_sync_id));
    if let Some(after) = after {
        query = query.filter(Column::SfId.gt(after));
    }
    Ok(query
        .order_by_asc(Column::SfId)
        .limit(limit)
        .all(db)
        .await?)
}

/// The mirrored records with these Salesforce ids (deleted or not); unknown ids are skipped.
pub async fn find_many(
    db: &impl ConnectionTrait,
    org_sync_id: i64,
    sf_ids: &[String],
) -> Result<Vec<sf_records::Model>, StoreError> {
    let mut rows = Vec::with_capacity(sf_ids.len());
    for chunk in sf_ids.chunks(SELECT_CHUNK) {
        rows.extend(
            Entity::find()
                .filter(Column::OrgSyncId.eq(org_sync_id))
                .filter(Column::SfId.is_in(chunk.iter().cloned()))
                .all(db)
                .await?,
        );
    }
    Ok(rows)
}

/// The mirrored record with this Salesforce id, if any (deleted or not).
pub async fn find(
    db: &impl ConnectionTrait,
    org_sync_id: i64,
    sf_id: &str,
) -> Result<Option<sf_records::Model>, StoreError> {
    Ok(Entity::find()
        .filter(Column::OrgSyncId.eq(org_sync_id))
        .filter(Column::SfId.eq(sf_id))
        .one(db)
        .await?)
}

/// The stored fields of a mirrored record.
///
/// Returns [`StoreError::Corrupt`] if they are not a JSON object.
pub fn fields(record: &sf_records::Model) -> Result<Map<String, Value>, StoreError> {
    parse_json(&record.fields, || {
        format!(
            "sf_records.fields of record {} ({})",
            record.id, record.sf_id
        )
    })
}

/// Where ingestion resumes: `(watermark, replay_id)`.
///
/// Returns [`StoreError::NotFound`] if the Org Sync does not exist.
pub async fn cursor(
    db: &impl ConnectionTrait,
    org_sync_id: i64,
) -> Result<(Option<String>, Option<String>), StoreError> {
    let sync = org_syncs::Entity::find_by_id(org_sync_id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("org sync"))?;
    Ok((sync.watermark, sync.replay_id))
}
