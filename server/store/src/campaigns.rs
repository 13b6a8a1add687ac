//! Dialer campaigns: their name, phone slots, custom fields and default phone region.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, TransactionTrait,
};

use crate::{
    StoreError,
    entities::campaigns::{self, Column, Entity},
    error::parse_json,
};

/// What an administrator sets on a campaign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CampaignSettings {
    pub name: String,
    /// Phone slot names in dialing order, e.g. `["Primary", "Mobile"]`.
    pub phone_slots: Vec<String>,
    pub custom_fields: Vec<String>,
    /// ISO 3166 region (e.g. `US`) for numbers written without a country code.
    pub region: String,
}

impl CampaignSettings {
    /// A campaign with one `Primary` phone slot, no custom fields and the US region.
    pub fn named(name: &str) -> Self {
        CampaignSettings {
            name: name.to_owned(),
            phone_slots: vec!["Primary".to_owned()],
            custom_fields: Vec::new(),
            region: "US".to_owned(),
        }
    }
}

/// The settings of a stored campaign.
///
/// Returns [`StoreError::Corrupt`] if its slot or field lists are not JSON arrays of strings.
pub fn settings(campaign: &campaigns::Model) -> Result<CampaignSettings, StoreError> {
    Ok(CampaignSettings {
        name: campaign.name.clone(),
        phone_slots: parse_json(&campaign.phone_slots, || {
            format!("campaigns.phone_slots of campaign {}", campaign.id)
        })?,
        custom_fields: parse_json(&campaign.custom_fields, || {
            format!("campaigns.custom_fields of campaign {}", campaign.id)
        })?,
        region: campaign.region.clone(),
    })
}

/// Every campaign of the organization, by name.
pub async fn list_for_org(
    db: &impl ConnectionTrait,
    org_id: i64,
) -> Result<Vec<campaigns::Model>, StoreError> {
    Ok(Entity::find()
        .filter(Column::OrganizationId.eq(org_id))
        .order_by_asc(Column::Name)
        .order_by_asc(Column::Id)
        .all(db)
        .await?)
}

/// The organization's campaign with this id, if any.
pub async fn find(
    db: &impl ConnectionTrait,
    org_id: i64,
    id: i64,
) -> Result<Option<campaigns::Model>, StoreError> {
    Ok(Entity::find_by_id(id)
        .filter(Column::OrganizationId.eq(org_id))
        .one(db)
        .await?)
}

/// Creates a campaign in the organization. Names need not be unique.
///
/// Returns [`StoreError::NotFound`] if the organization does not exist.
pub async fn create(
    db: &impl ConnectionTrait,
    org_id: i64,
    settings: &CampaignSettings,
) -> Result<campaigns::Model, StoreError> {
    let mut row = campaigns::ActiveModel {
        organization_id: Set(org_id),
        created_at: Set(crate::now()),
        ..Default::default()
    };
    set_settings(&mut row, settings);
    row.insert(db).await.map_err(|e| {
        StoreError::from_write(e, "organization", || {
            format!("a campaign named \"{}\" already exists", settings.name)
        })
    })
}

/// Replaces the settings of the organization's campaign `id`; `None` if there is none.
pub async fn update(
    db: &impl ConnectionTrait,
    org_id: i64,
    id: i64,
    settings: &CampaignSettings,
) -> Result<Option<campaigns::Model>, StoreError> {
    let Some(found) = find(db, org_id, id).await? else {
        return Ok(None);
    };
    let mut row: campaigns::ActiveModel = found.into();
    set_settings(&mut row, settings);
    Ok(Some(row.update(db).await?))
}

/// What became of a campaign asked to be deleted while its calls may still be on their way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Removal {
    Removed,
    NotFound,
    /// Kept: this many of its calls are not written back to Salesforce yet.
    CallsPending(u64),
}

/// Deletes the organization's campaign `id` with its links, records and calls, unless one of
/// its calls is still pending: deleting it would lose a call Salesforce has not received.
///
/// One transaction that first locks the campaign row (`FOR UPDATE` on PostgreSQL; SQLite has
/// a single writer): a call being recorded meanwhile holds a key-share lock on that row for
/// its foreign key, so either it commits first and is counted here, or it waits and then
/// fails because the campaign is gone. Nothing pending is ever deleted.
pub async fn remove_unless_calls_pending<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    org_id: i64,
    id: i64,
) -> Result<Removal, StoreError> {
    use sea_orm::{QuerySelect, TransactionSession};
    let txn = crate::begin_write(db).await?;
    let found = Entity::find_by_id(id)
        .filter(Column::OrganizationId.eq(org_id))
        .lock_exclusive()
        .one(&txn)
        .await?;
    if found.is_none() {
        return Ok(Removal::NotFound);
    }
    let pending = crate::call_activities::count_in_state(
        &txn,
        id,
        crate::call_activities::CallState::Pending,
    )
    .await?;
    if pending > 0 {
        return Ok(Removal::CallsPending(pending));
    }
    Entity::delete_by_id(id).exec(&txn).await?;
    txn.commit().await?;
    Ok(Removal::Removed)
}

fn set_settings(row: &mut campaigns::ActiveModel, settings: &CampaignSettings) {
    row.name = Set(settings.name.clone());
    row.phone_slots = Set(json_list(&settings.phone_slots));
    row.custom_fields = Set(json_list(&settings.custom_fields));
    row.region = Set(settings.region.clone());
}

fn json_list(items: &[String]) -> String {
    serde_json::Value::from(items.to_vec()).to_string()
}
