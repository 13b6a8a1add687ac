//! Data Source Links (DS-02): a Data Source attached to a campaign, with its field mappings
//! (JSON documents the campaigns module reads; the store keeps them as text).

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, JoinType,
    QueryFilter, QueryOrder, QuerySelect, RelationTrait,
};

use crate::{
    StoreError,
    entities::{
        campaigns,
        data_source_links::{self, Column, Entity},
        data_sources,
    },
};

/// The mappings of a Link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkMappings {
    /// JSON: the phone slot mappings.
    pub phones: String,
    /// JSON: the custom field mappings.
    pub custom_fields: String,
}

/// A Link with the Data Source and campaign it joins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkPlan {
    pub link: data_source_links::Model,
    pub data_source: data_sources::Model,
    pub campaign: campaigns::Model,
}

/// The Links of the campaign `campaign_id`, oldest first.
pub async fn list_for_campaign(
    db: &impl ConnectionTrait,
    campaign_id: i64,
) -> Result<Vec<data_source_links::Model>, StoreError> {
    Ok(Entity::find()
        .filter(Column::CampaignId.eq(campaign_id))
        .order_by_asc(Column::Id)
        .all(db)
        .await?)
}

/// The Links of the Data Source `data_source_id`, oldest first.
pub async fn list_for_data_source(
    db: &impl ConnectionTrait,
    data_source_id: i64,
) -> Result<Vec<data_source_links::Model>, StoreError> {
    Ok(Entity::find()
        .filter(Column::DataSourceId.eq(data_source_id))
        .order_by_asc(Column::Id)
        .all(db)
        .await?)
}

/// Every Link whose Data Source views the Org Sync `org_sync_id`, with that Data Source and
/// the campaign, oldest Link first: what materializing the Org Sync's records needs.
pub async fn plans_for_org_sync(
    db: &impl ConnectionTrait,
    org_sync_id: i64,
) -> Result<Vec<LinkPlan>, StoreError> {
    let links = Entity::find()
        .join(
            JoinType::InnerJoin,
            data_source_links::Relation::DataSource.def(),
        )
        .filter(data_sources::Column::OrgSyncId.eq(org_sync_id))
        .order_by_asc(Column::Id)
        .all(db)
        .await?;
    // Three queries whatever the number of Links: this runs after every mirror write.
    let sources = data_sources::Entity::find()
        .filter(data_sources::Column::OrgSyncId.eq(org_sync_id))
        .all(db)
        .await?;
    let campaign_ids: Vec<i64> = links.iter().map(|l| l.campaign_id).collect();
    let campaigns = campaigns::Entity::find()
        .filter(campaigns::Column::Id.is_in(campaign_ids))
        .all(db)
        .await?;
    let mut plans = Vec::with_capacity(links.len());
    for link in links {
        let data_source = sources
            .iter()
            .find(|s| s.id == link.data_source_id)
            .cloned()
            .ok_or(StoreError::NotFound("data source"))?;
        let campaign = campaigns
            .iter()
            .find(|c| c.id == link.campaign_id)
            .cloned()
            .ok_or(StoreError::NotFound("campaign"))?;
        plans.push(LinkPlan {
            link,
            data_source,
            campaign,
        });
    }
    Ok(plans)
}

/// The Link `id` if it belongs to the campaign `campaign_id`.
pub async fn find(
    db: &impl ConnectionTrait,
    campaign_id: i64,
    id: i64,
) -> Result<Option<data_source_links::Model>, StoreError> {
    Ok(Entity::find_by_id(id)
        .filter(Column::CampaignId.eq(campaign_id))
        .one(db)
        .await?)
}

/// Attaches the Data Source to the campaign.
///
/// Returns [`StoreError::Conflict`] if it is attached already and [`StoreError::NotFound`]
/// if either is gone.
pub async fn create(
    db: &impl ConnectionTrait,
    data_source_id: i64,
    campaign_id: i64,
    mappings: &LinkMappings,
) -> Result<data_source_links::Model, StoreError> {
    data_source_links::ActiveModel {
        data_source_id: Set(data_source_id),
        campaign_id: Set(campaign_id),
        phone_mappings: Set(mappings.phones.clone()),
        custom_field_mappings: Set(mappings.custom_fields.clone()),
        created_at: Set(crate::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| {
        StoreError::from_write(e, "data source or campaign", || {
            "This Data Source is already attached to this campaign.".into()
        })
    })
}

/// Replaces the mappings of the campaign's Link `id`; `None` if there is none.
pub async fn update(
    db: &impl ConnectionTrait,
    campaign_id: i64,
    id: i64,
    mappings: &LinkMappings,
) -> Result<Option<data_source_links::Model>, StoreError> {
    let Some(found) = find(db, campaign_id, id).await? else {
        return Ok(None);
    };
    let mut row: data_source_links::ActiveModel = found.into();
    row.phone_mappings = Set(mappings.phones.clone());
    row.custom_field_mappings = Set(mappings.custom_fields.clone());
    Ok(Some(row.update(db).await?))
}

/// Detaches the campaign's Link `id`; its imported records stay. Whether there was one.
pub async fn remove(
    db: &impl ConnectionTrait,
    campaign_id: i64,
    id: i64,
) -> Result<bool, StoreError> {
    let deleted = Entity::delete_many()
        .filter(Column::Id.eq(id))
        .filter(Column::CampaignId.eq(campaign_id))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected > 0)
}
