//! Records imported into campaigns (DS-03, DS-04): one row per campaign and Salesforce id,
//! written only by the campaigns materializer and never deleted by it (a record that stops
//! matching or is deleted in Salesforce changes state instead).

use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionSession, TransactionTrait,
    sea_query::{Expr, ExprTrait, Func, OnConflict},
};

use crate::{
    StoreError,
    entities::{
        campaign_records::{self, Column, Entity},
        campaigns,
    },
};

/// Rows per multi-row upsert (eleven parameters each, far below SQLite's limit).
const WRITE_CHUNK: usize = 1_000;

/// Ids per `IN (…)` list when reading a batch's rows.
const SELECT_CHUNK: usize = 1_000;

/// The materializer's answer for one campaign record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordWrite {
    pub campaign_id: i64,
    pub sf_id: String,
    pub sf_object: String,
    pub display_name: String,
    pub source_name: String,
    pub source_link_id: Option<i64>,
    /// JSON array of phones.
    pub phones: String,
    /// JSON object of custom field values.
    pub custom_fields: String,
    pub state: String,
}

impl RecordWrite {
    /// The write that leaves `row` exactly as it is.
    pub fn from_row(row: &campaign_records::Model) -> Self {
        RecordWrite {
            campaign_id: row.campaign_id,
            sf_id: row.sf_id.clone(),
            sf_object: row.sf_object.clone(),
            display_name: row.display_name.clone(),
            source_name: row.source_name.clone(),
            source_link_id: row.source_link_id,
            phones: row.phones.clone(),
            custom_fields: row.custom_fields.clone(),
            state: row.state.clone(),
        }
    }
}

/// How many of a campaign's records are in one state, through one Link (`None`: imported
/// through a Link since removed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateCount {
    pub campaign_id: i64,
    pub source_link_id: Option<i64>,
    pub state: String,
    pub count: i64,
}

/// The stored records of the campaigns `campaign_ids`, all of them or only those with the
/// Salesforce ids `sf_ids`.
pub async fn existing(
    db: &impl ConnectionTrait,
    campaign_ids: &[i64],
    sf_ids: Option<&[String]>,
) -> Result<Vec<campaign_records::Model>, StoreError> {
    if campaign_ids.is_empty() {
        return Ok(Vec::new());
    }
    let in_campaigns = Column::CampaignId.is_in(campaign_ids.iter().copied());
    let Some(sf_ids) = sf_ids else {
        return Ok(Entity::find().filter(in_campaigns).all(db).await?);
    };
    let mut rows = Vec::new();
    for chunk in sf_ids.chunks(SELECT_CHUNK) {
        rows.extend(
            Entity::find()
                .filter(in_campaigns.clone())
                .filter(Column::SfId.is_in(chunk.iter().cloned()))
                .all(db)
                .await?,
        );
    }
    Ok(rows)
}

/// Inserts or replaces these records (by campaign and Salesforce id) in one transaction.
pub async fn write<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    writes: &[RecordWrite],
) -> Result<(), StoreError> {
    if writes.is_empty() {
        return Ok(());
    }
    let now = crate::now();
    let txn = crate::begin_write(db).await?;
    for chunk in writes.chunks(WRITE_CHUNK) {
        let rows = chunk.iter().map(|w| campaign_records::ActiveModel {
            campaign_id: Set(w.campaign_id),
            sf_id: Set(w.sf_id.clone()),
            sf_object: Set(w.sf_object.clone()),
            display_name: Set(w.display_name.clone()),
            source_name: Set(w.source_name.clone()),
            source_link_id: Set(w.source_link_id),
            phones: Set(w.phones.clone()),
            custom_fields: Set(w.custom_fields.clone()),
            state: Set(w.state.clone()),
            updated_at: Set(now),
            created_at: Set(now),
            ..Default::default()
        });
        Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([Column::CampaignId, Column::SfId])
                    .update_columns([
                        Column::SfObject,
                        Column::DisplayName,
                        Column::SourceName,
                        Column::SourceLinkId,
                        Column::Phones,
                        Column::CustomFields,
                        Column::State,
                        Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// One page of the campaign's records by name, optionally only those whose name, Salesforce
/// id or phones contain `search`; and how many there are in all.
pub async fn page(
    db: &impl ConnectionTrait,
    campaign_id: i64,
    search: Option<&str>,
    offset: u64,
    limit: u64,
) -> Result<(Vec<campaign_records::Model>, u64), StoreError> {
    let mut query = Entity::find().filter(Column::CampaignId.eq(campaign_id));
    if let Some(search) = search.map(str::trim).filter(|s| !s.is_empty()) {
        let pattern = format!("%{}%", escape_like(&search.to_lowercase()));
        let contains = |column: Column| {
            Expr::expr(Func::lower(Expr::col(column)))
                .like(sea_orm::sea_query::LikeExpr::new(pattern.clone()).escape('\\'))
        };
        query = query.filter(
            Condition::any()
                .add(contains(Column::DisplayName))
                .add(contains(Column::SfId))
                .add(contains(Column::Phones)),
        );
    }
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_asc(Column::DisplayName)
        .order_by_asc(Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    Ok((rows, total))
}

/// How many records each campaign of the organization has in each state, per Link.
pub async fn state_counts_for_org(
    db: &impl ConnectionTrait,
    org_id: i64,
) -> Result<Vec<StateCount>, StoreError> {
    let campaign_ids = campaigns::Entity::find()
        .select_only()
        .column(campaigns::Column::Id)
        .filter(campaigns::Column::OrganizationId.eq(org_id))
        .into_tuple::<i64>()
        .all(db)
        .await?;
    state_counts(db, &campaign_ids).await
}

/// How many records the campaigns `campaign_ids` have in each state, per Link.
pub async fn state_counts(
    db: &impl ConnectionTrait,
    campaign_ids: &[i64],
) -> Result<Vec<StateCount>, StoreError> {
    if campaign_ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = Entity::find()
        .select_only()
        .column(Column::CampaignId)
        .column(Column::SourceLinkId)
        .column(Column::State)
        .column_as(Column::Id.count(), "count")
        .filter(Column::CampaignId.is_in(campaign_ids.iter().copied()))
        .group_by(Column::CampaignId)
        .group_by(Column::SourceLinkId)
        .group_by(Column::State)
        .into_tuple::<(i64, Option<i64>, String, i64)>()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(campaign_id, source_link_id, state, count)| StateCount {
            campaign_id,
            source_link_id,
            state,
            count,
        })
        .collect())
}

/// `text` with LIKE's wildcards and the escape character escaped by `\`.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}
