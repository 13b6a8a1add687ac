//! The materializer (DS-03, DS-04): from the mirror into campaigns. Every mirrored record
//! that matches a linked Data Source becomes a record of the Link's campaign, with its
//! phones normalized, its custom fields mapped and its readiness assessed. A record that
//! stops matching, or is deleted in Salesforce, changes state and stays. Through two Links
//! to one campaign a record appears once, by the older Link.
//!
//! It is a function of the mirror and the Links alone, so it can run again at any time with
//! the same answer: after each mirror write for the records written, and over everything
//! when a Link, Data Source or campaign changes or a worker starts (which also catches up
//! after a crash between a mirror write and its materialization).

use std::{
    collections::{BTreeSet, HashMap, HashSet},
    time::Instant,
};

use app::types::Readiness;
use sea_orm::{DatabaseConnection, DbErr};
use serde_json::{Map, Value};
use store::{
    StoreError,
    campaign_records::{self, RecordWrite},
    campaigns::{self, CampaignSettings},
    data_source_links::{self, LinkPlan},
    entities::{campaign_records::Model as StoredRecord, sf_records},
    mirror,
};
use tokio_util::task::AbortOnDropHandle;

use super::{
    mapping::Mappings,
    phones::{Phone, PhoneNormalizer},
    readiness::{self, field},
};

/// Which mirrored records to materialize.
#[derive(Clone, Copy, Debug)]
pub enum Scope<'a> {
    /// Every record of the Org Sync.
    All,
    /// Only these Salesforce ids (the ones a mirror write just changed).
    Records(&'a [String]),
}

/// What a run changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Materialized {
    /// Campaign records inserted or changed.
    pub written: usize,
    /// The campaigns whose records changed, ascending.
    pub campaign_ids: Vec<i64>,
}

/// A Link ready to apply: its filter and mappings read, its campaign's settings known.
struct PreparedLink {
    id: i64,
    campaign_id: i64,
    data_source: String,
    filter: filters::ValidFilter,
    mappings: Mappings,
    campaign: CampaignSettings,
}

/// Brings the campaigns linked to the Org Sync `org_sync_id` in line with its mirror.
pub async fn materialize(
    db: &DatabaseConnection,
    org_sync_id: i64,
    scope: Scope<'_>,
) -> Result<Materialized, StoreError> {
    let Some(org_sync) = store::org_syncs::find_by_id(db, org_sync_id).await? else {
        return Ok(Materialized::default());
    };
    let plans = data_source_links::plans_for_org_sync(db, org_sync_id).await?;
    let object = org_sync.object.as_str();
    let held = crate::sync::fields::held(&org_sync);
    let links: Vec<PreparedLink> = plans
        .iter()
        .filter(|plan| fields_held(plan, &held))
        .filter_map(|plan| prepare(plan, object))
        .collect();
    if links.is_empty() {
        return Ok(Materialized::default());
    }
    let mut campaign_ids: Vec<i64> = links.iter().map(|l| l.campaign_id).collect();
    campaign_ids.sort_unstable();
    campaign_ids.dedup();
    let started = Instant::now();
    let only = match scope {
        Scope::All => None,
        Scope::Records(ids) => Some(ids),
    };
    let existing = campaign_records::existing(db, &campaign_ids, only).await?;
    let mut steps = MirrorSteps::new(scope);
    let mut pass = Pass {
        org_sync_id,
        object,
        link_ids: links.iter().map(|l| l.id).collect(),
        links: &links,
        campaign_ids: &campaign_ids,
        existing: existing
            .iter()
            .map(|r| ((r.campaign_id, r.sf_id.as_str()), r))
            .collect(),
        normalizer: PhoneNormalizer::default(),
    };
    // Step by step: one step's campaign records are written by a task of their own while
    // the next step's mirrored records are read and its campaign records computed, so the
    // database's writer and the rest work side by side (and the
    // worker's other duties, such as renewing its lease, get a turn between steps). Each
    // step is its own transaction: an interrupted run leaves the rest to the next one, which
    // computes the same answer.
    let mut writing: Option<AbortOnDropHandle<Result<(), StoreError>>> = None;
    let mut written = 0;
    let mut changed = BTreeSet::new();
    let mut mirrored = 0;
    let mut reading = std::time::Duration::ZERO;
    let mut computing = std::time::Duration::ZERO;
    loop {
        let read_started = Instant::now();
        let rows = steps.next(db, org_sync_id).await?;
        reading += read_started.elapsed();
        if rows.is_empty() {
            break;
        }
        mirrored += rows.len();
        let step_started = Instant::now();
        let writes = pass.desired(&rows);
        computing += step_started.elapsed();
        match writing.take() {
            Some(previous) => finish(previous).await?,
            // Nothing to wait for: still let the task's other branches run between steps.
            None => tokio::task::yield_now().await,
        }
        if writes.is_empty() {
            continue;
        }
        written += writes.len();
        changed.extend(writes.iter().map(|w| w.campaign_id));
        let db = db.clone();
        writing = Some(AbortOnDropHandle::new(tokio::spawn(async move {
            campaign_records::write(&db, &writes).await
        })));
    }
    if let Some(last) = writing.take() {
        finish(last).await?;
    }
    tracing::debug!(
        org_sync_id,
        mirrored,
        written,
        read_ms = reading.as_millis() as u64,
        computed_ms = computing.as_millis() as u64,
        total_ms = started.elapsed().as_millis() as u64,
        "materialized"
    );
    Ok(Materialized {
        written,
        campaign_ids: changed.into_iter().collect(),
    })
}

/// Mirrored records per step of a run.
const STEP: usize = 5_000;

/// The mirrored records of a run, a step at a time.
enum MirrorSteps<'a> {
    /// The whole mirror, read a page at a time in id order: the first step is written while
    /// the rest is still being read, and a run holds one page, not the whole mirror.
    All {
        /// The last Salesforce id read; `None` before the first page.
        after: Option<String>,
        done: bool,
    },
    /// These Salesforce ids, a step at a time.
    Records(std::slice::Chunks<'a, String>),
}

impl<'a> MirrorSteps<'a> {
    fn new(scope: Scope<'a>) -> Self {
        match scope {
            Scope::All => Self::All {
                after: None,
                done: false,
            },
            Scope::Records(ids) => Self::Records(ids.chunks(STEP)),
        }
    }

    /// The next step's mirrored records; empty when every one has been read.
    async fn next(
        &mut self,
        db: &DatabaseConnection,
        org_sync_id: i64,
    ) -> Result<Vec<sf_records::Model>, StoreError> {
        match self {
            Self::All { done: true, .. } => Ok(Vec::new()),
            Self::All { after, done } => {
                let rows =
                    mirror::page_after(db, org_sync_id, after.as_deref(), STEP as u64).await?;
                *done = rows.len() < STEP;
                *after = rows.last().map(|row| row.sf_id.clone());
                Ok(rows)
            }
            Self::Records(chunks) => loop {
                let Some(ids) = chunks.next() else {
                    return Ok(Vec::new());
                };
                // Ids the mirror does not hold (any more) make a step empty: go on to the next.
                let rows = mirror::find_many(db, org_sync_id, ids).await?;
                if !rows.is_empty() {
                    return Ok(rows);
                }
            },
        }
    }
}

/// Waits for a step's write.
async fn finish(write: AbortOnDropHandle<Result<(), StoreError>>) -> Result<(), StoreError> {
    write.await.map_err(|stopped| {
        StoreError::Db(DbErr::Custom(format!(
            "writing campaign records stopped: {stopped}"
        )))
    })?
}

/// One run's view of the Links, the campaigns' current records and the phones read so far.
struct Pass<'a> {
    org_sync_id: i64,
    object: &'a str,
    links: &'a [PreparedLink],
    link_ids: HashSet<i64>,
    campaign_ids: &'a [i64],
    existing: HashMap<(i64, &'a str), &'a StoredRecord>,
    normalizer: PhoneNormalizer,
}

impl Pass<'_> {
    /// The campaign records these mirrored records call for that differ from what is stored.
    fn desired(&mut self, rows: &[sf_records::Model]) -> Vec<RecordWrite> {
        let mut writes = Vec::new();
        for row in rows {
            let fields = match mirror::fields(row) {
                Ok(fields) => fields,
                Err(error) => {
                    tracing::warn!(%error, org_sync_id = self.org_sync_id, "a mirrored record is unreadable; skipped");
                    continue;
                }
            };
            for &campaign_id in self.campaign_ids {
                let current = self
                    .existing
                    .get(&(campaign_id, row.sf_id.as_str()))
                    .copied();
                let chosen = (!row.deleted)
                    .then(|| {
                        self.links
                            .iter()
                            .filter(|l| l.campaign_id == campaign_id)
                            .find(|l| l.filter.matches(&fields))
                    })
                    .flatten();
                let desired = match (chosen, current) {
                    (Some(link), _) => Some(imported(
                        link,
                        self.object,
                        row,
                        &fields,
                        &mut self.normalizer,
                    )),
                    // Ours, and no Link of this campaign wants it now: kept, marked why.
                    (None, Some(current))
                        if current
                            .source_link_id
                            .is_some_and(|id| self.link_ids.contains(&id)) =>
                    {
                        let state = if row.deleted {
                            Readiness::Deleted
                        } else {
                            Readiness::NotMatching
                        };
                        let mut kept = RecordWrite::from_row(current);
                        kept.state = state.code().to_owned();
                        Some(kept)
                    }
                    _ => None,
                };
                if let Some(desired) = desired
                    && current.map(RecordWrite::from_row).as_ref() != Some(&desired)
                {
                    writes.push(desired);
                }
            }
        }
        writes
    }
}

/// Whether the mirror holds every field the Link's Data Source reads. One that reads a field
/// not fetched yet (a Data Source just added or edited) waits for the worker to fetch it
/// (IG-03), which brings the campaigns in line again: until then the field would read as
/// empty, and records would wrongly stop matching. Its records keep their state meanwhile.
fn fields_held(plan: &LinkPlan, held: &[String]) -> bool {
    let reads: Vec<String> = serde_json::from_str(&plan.data_source.fields).unwrap_or_default();
    let missing = crate::sync::fields::not_held(held, &reads);
    if !missing.is_empty() {
        tracing::info!(link_id = plan.link.id, fields = ?missing, "a Data Source reads fields the mirror does not hold yet; its Link waits for them");
    }
    missing.is_empty()
}

/// Reads a Link's filter, mappings and campaign; a Link whose stored documents cannot be read
/// is left out (logged), and so are its records: they keep their state.
fn prepare(plan: &LinkPlan, object: &str) -> Option<PreparedLink> {
    let link_id = plan.link.id;
    let filter = match valid_filter(&plan.data_source, object) {
        Ok(filter) => filter,
        Err(error) => {
            tracing::error!(%error, link_id, "a Data Source's filter is unreadable; its Links are skipped");
            return None;
        }
    };
    let mappings =
        match Mappings::from_json(&plan.link.phone_mappings, &plan.link.custom_field_mappings) {
            Ok(mappings) => mappings,
            Err(error) => {
                tracing::error!(%error, link_id, "a Link's mappings are unreadable; it is skipped");
                return None;
            }
        };
    let campaign = match campaigns::settings(&plan.campaign) {
        Ok(settings) => settings,
        Err(error) => {
            tracing::error!(%error, link_id, "a campaign's settings are unreadable; its Link is skipped");
            return None;
        }
    };
    Some(PreparedLink {
        id: link_id,
        campaign_id: plan.campaign.id,
        data_source: plan.data_source.name.clone(),
        filter,
        mappings,
        campaign,
    })
}

/// The stored filter of a Data Source, checked against the fields it was built with.
pub fn valid_filter(
    data_source: &store::entities::data_sources::Model,
    object: &str,
) -> Result<filters::ValidFilter, filters::FilterError> {
    let fields: Vec<filters::FieldInfo> = serde_json::from_str(&data_source.field_info)
        .map_err(|e| filters::FilterError::Malformed(e.to_string()))?;
    filters::Filter::from_json(&data_source.filter)?.validate(object, &fields)
}

/// The campaign record a matching mirrored record becomes through `link`.
fn imported(
    link: &PreparedLink,
    object: &str,
    row: &sf_records::Model,
    fields: &Map<String, Value>,
    normalizer: &mut PhoneNormalizer,
) -> RecordWrite {
    let phones: Vec<Phone> = link
        .mappings
        .phones
        .iter()
        .filter_map(|mapping| {
            let raw = text(field(fields, &mapping.field))?;
            let e164 = normalizer.e164(&raw, &link.campaign.region);
            Some(Phone {
                slot: mapping.slot.clone(),
                raw,
                e164,
            })
        })
        .collect();
    let custom_fields: Map<String, Value> = link
        .mappings
        .custom_fields
        .iter()
        .filter_map(|mapping| {
            let value = text(field(fields, &mapping.field))?;
            Some((mapping.custom_field.clone(), Value::String(value)))
        })
        .collect();
    let readiness = readiness::assess(false, true, fields, &phones);
    RecordWrite {
        campaign_id: link.campaign_id,
        sf_id: row.sf_id.clone(),
        sf_object: object.to_owned(),
        display_name: display_name(fields, &row.sf_id),
        source_name: link.data_source.clone(),
        source_link_id: Some(link.id),
        phones: serde_json::to_string(&phones).unwrap_or_else(|_| "[]".into()),
        custom_fields: Value::Object(custom_fields).to_string(),
        state: readiness.code().to_owned(),
    }
}

/// A field's value as text; `None` when empty.
fn text(value: Option<&Value>) -> Option<String> {
    let text = match value? {
        Value::Null => return None,
        Value::String(text) => text.trim().to_owned(),
        other => other.to_string(),
    };
    (!text.is_empty()).then_some(text)
}

/// "First Last" as Salesforce has it, or the record id when it has no name.
fn display_name(fields: &Map<String, Value>, sf_id: &str) -> String {
    let parts: Vec<String> = ["FirstName", "LastName"]
        .into_iter()
        .filter_map(|name| text(field(fields, name)))
        .collect();
    if parts.is_empty() {
        text(field(fields, "Name")).unwrap_or_else(|| sf_id.to_owned())
    } else {
        parts.join(" ")
    }
}
