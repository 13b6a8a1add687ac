//! Server functions of the Campaigns and Data Sources pages (DS-01..DS-04). Thin: find the
//! campaigns console, call it, return its answer. Form values arrive as text and are read
//! here into the console's typed forms.

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[cfg(feature = "ssr")]
use crate::types::{CampaignForm, LinkForm};
use crate::{
    error::AppError,
    types::{
        CampaignPageView, CampaignSummary, DataSourceEditorView, DataSourceForm, DataSourceView,
        DataSourcesView, LinkView, PreviewView,
    },
};

/// New campaign. Slots and custom fields are lists, one per line or comma-separated.
#[server(endpoint = "create_campaign")]
pub async fn create_campaign(
    name: String,
    phone_slots: String,
    custom_fields: String,
    region: String,
) -> Result<CampaignSummary, AppError> {
    let (console, caller) = crate::ssr::campaigns_and_caller().await?;
    let form = campaign_form(name, &phone_slots, &custom_fields, region);
    crate::ssr::with_status(console.create_campaign(&caller, form).await)
}

/// Rename a campaign or change its slots, custom fields or region.
#[server(endpoint = "update_campaign")]
pub async fn update_campaign(
    id: i64,
    name: String,
    phone_slots: String,
    custom_fields: String,
    region: String,
) -> Result<CampaignSummary, AppError> {
    let (console, caller) = crate::ssr::campaigns_and_caller().await?;
    let form = campaign_form(name, &phone_slots, &custom_fields, region);
    crate::ssr::with_status(console.update_campaign(&caller, id, form).await)
}

/// Delete a campaign with its Links and records.
#[server(endpoint = "delete_campaign")]
pub async fn delete_campaign(id: i64) -> Result<(), AppError> {
    let (console, caller) = crate::ssr::campaigns_and_caller().await?;
    crate::ssr::with_status(console.delete_campaign(&caller, id).await)
}

/// A campaign's page: settings, counts, Links and one page of records.
#[server(endpoint = "campaign_page")]
pub async fn campaign_page(
    id: i64,
    search: Option<String>,
    page: Option<u64>,
) -> Result<CampaignPageView, AppError> {
    let (console, caller) = crate::ssr::campaigns_and_caller().await?;
    crate::ssr::with_status(
        console
            .campaign_page(&caller, id, search, page.unwrap_or(1))
            .await,
    )
}

/// Attach a Data Source (no `link_id`) or change a Link's mappings. `phones` maps each
/// phone slot to a Salesforce field, `custom_fields` each custom field (empty: not mapped).
#[server(endpoint = "save_link")]
pub async fn save_link(
    campaign_id: i64,
    link_id: Option<i64>,
    data_source_id: Option<i64>,
    phones: Option<BTreeMap<String, String>>,
    custom_fields: Option<BTreeMap<String, String>>,
) -> Result<LinkView, AppError> {
    let (console, caller) = crate::ssr::campaigns_and_caller().await?;
    let form = LinkForm {
        data_source_id: data_source_id.unwrap_or_default(),
        phones: chosen(phones),
        custom_fields: chosen(custom_fields),
    };
    if link_id.is_none() && data_source_id.is_none() {
        return crate::ssr::with_status(Err(AppError::Validation {
            field: "data_source_id".into(),
            message: "Choose the Data Source to attach.".into(),
        }));
    }
    crate::ssr::with_status(console.save_link(&caller, campaign_id, link_id, form).await)
}

/// Detach a Link; its imported records stay.
#[server(endpoint = "remove_link")]
pub async fn remove_link(campaign_id: i64, link_id: i64) -> Result<(), AppError> {
    let (console, caller) = crate::ssr::campaigns_and_caller().await?;
    crate::ssr::with_status(console.remove_link(&caller, campaign_id, link_id).await)
}

/// The Data Sources page.
#[server(endpoint = "data_sources_page")]
pub async fn data_sources_page() -> Result<DataSourcesView, AppError> {
    let (console, caller) = crate::ssr::campaigns_and_caller().await?;
    crate::ssr::with_status(console.data_sources(&caller).await)
}

/// The Data Source form: a new one on `org_sync_id`, or the existing `id`.
#[server(endpoint = "data_source_editor")]
pub async fn data_source_editor(
    id: Option<i64>,
    org_sync_id: Option<i64>,
) -> Result<DataSourceEditorView, AppError> {
    let (console, caller) = crate::ssr::campaigns_and_caller().await?;
    crate::ssr::with_status(console.data_source_editor(&caller, id, org_sync_id).await)
}

/// Create (no `id`) or save a Data Source.
#[server(endpoint = "save_data_source", input = Json)]
pub async fn save_data_source(
    id: Option<i64>,
    form: DataSourceForm,
) -> Result<DataSourceView, AppError> {
    let (console, caller) = crate::ssr::campaigns_and_caller().await?;
    crate::ssr::with_status(console.save_data_source(&caller, id, form).await)
}

/// How many mirrored records the form's filter matches, and the first few. `id`: the Data
/// Source being edited, if any.
#[server(endpoint = "preview_data_source", input = Json)]
pub async fn preview_data_source(
    id: Option<i64>,
    form: DataSourceForm,
) -> Result<PreviewView, AppError> {
    let (console, caller) = crate::ssr::campaigns_and_caller().await?;
    crate::ssr::with_status(console.preview_data_source(&caller, id, form).await)
}

/// Delete a Data Source and its Links; imported records stay.
#[server(endpoint = "delete_data_source")]
pub async fn delete_data_source(id: i64) -> Result<(), AppError> {
    let (console, caller) = crate::ssr::campaigns_and_caller().await?;
    crate::ssr::with_status(console.delete_data_source(&caller, id).await)
}

#[cfg(feature = "ssr")]
fn campaign_form(
    name: String,
    phone_slots: &str,
    custom_fields: &str,
    region: String,
) -> CampaignForm {
    CampaignForm {
        name,
        phone_slots: list(phone_slots),
        custom_fields: list(custom_fields),
        region,
    }
}

/// Items of a list typed one per line or separated by commas.
#[cfg(feature = "ssr")]
fn list(text: &str) -> Vec<String> {
    text.split([',', '\n'])
        .map(|item| item.trim().to_owned())
        .filter(|item| !item.is_empty())
        .collect()
}

/// The mapped pairs of a mapping form (an empty choice maps nothing).
#[cfg(feature = "ssr")]
fn chosen(map: Option<BTreeMap<String, String>>) -> Vec<(String, String)> {
    map.unwrap_or_default()
        .into_iter()
        .filter(|(_, field)| !field.trim().is_empty())
        .collect()
}
