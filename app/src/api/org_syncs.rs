//! Server functions of the Sync Settings modal (OS-01..OS-09). Thin: find the Org Syncs
//! console, call it, return its answer. Form values arrive as text and are parsed here into
//! the console's typed form; anything unknown is a validation error, never a guess.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::types::{SyncMethod, SyncObject};
use crate::{
    error::AppError,
    types::{OrgSyncView, SyncSettingsView, TestOutcome},
};

/// The modal's content.
#[server(endpoint = "sync_settings")]
pub async fn sync_settings() -> Result<SyncSettingsView, AppError> {
    let (console, caller) = crate::ssr::org_syncs_and_caller().await?;
    console.sync_settings(&caller).await
}

/// Add object (OS-02).
#[server(endpoint = "add_org_sync")]
pub async fn add_org_sync(object: String) -> Result<OrgSyncView, AppError> {
    let (console, caller) = crate::ssr::org_syncs_and_caller().await?;
    console.add_org_sync(&caller, parse_object(&object)?).await
}

/// Save on a row (OS-03, OS-05). `enabled` is the checkbox: present means on. `object` is
/// never sent by the page: a request that tries to change the object is refused (OS-06).
#[server(endpoint = "save_org_sync")]
pub async fn save_org_sync(
    id: i64,
    method: String,
    interval_minutes: Option<u32>,
    enabled: Option<String>,
    object: Option<String>,
) -> Result<OrgSyncView, AppError> {
    if object.is_some() {
        return Err(AppError::Validation {
            field: "object".into(),
            message: "The Salesforce object of an existing Org Sync cannot be changed. To switch objects, remove the Org Sync and add a new one for the object you want.".into(),
        });
    }
    let (console, caller) = crate::ssr::org_syncs_and_caller().await?;
    let form = settings_form(&method, interval_minutes, enabled.as_deref())?;
    console.save_org_sync(&caller, id, form).await
}

/// The remove (x) icon, confirmed (OS-07).
#[server(endpoint = "remove_org_sync")]
pub async fn remove_org_sync(id: i64) -> Result<(), AppError> {
    let (console, caller) = crate::ssr::org_syncs_and_caller().await?;
    console.remove_org_sync(&caller, id).await
}

/// Test (OS-08).
#[server(endpoint = "test_org_sync")]
pub async fn test_org_sync(id: i64) -> Result<TestOutcome, AppError> {
    let (console, caller) = crate::ssr::org_syncs_and_caller().await?;
    console.test_org_sync(&caller, id).await
}

/// Test as a page render runs it (no JavaScript, `&test=<id>`): once per request, however
/// many times the server builds the page (see [`crate::ssr::RenderOnce`]).
pub async fn test_org_sync_in_page(id: i64) -> Result<TestOutcome, AppError> {
    #[cfg(feature = "ssr")]
    if let Some(once) = leptos::prelude::use_context::<crate::ssr::RenderOnce>() {
        return once.test(id, test_org_sync(id)).await;
    }
    test_org_sync(id).await
}

#[cfg(feature = "ssr")]
fn parse_object(object: &str) -> Result<SyncObject, AppError> {
    SyncObject::parse(object).ok_or_else(|| AppError::Validation {
        field: "object".into(),
        message: "Only Contact and Lead can be synchronized.".into(),
    })
}

#[cfg(feature = "ssr")]
fn settings_form(
    method: &str,
    interval_minutes: Option<u32>,
    enabled: Option<&str>,
) -> Result<crate::ssr::SyncSettingsForm, AppError> {
    let method = SyncMethod::from_code(method).ok_or_else(|| AppError::Validation {
        field: "method".into(),
        message: "Choose CDC (real-time) or REST Polling.".into(),
    })?;
    Ok(crate::ssr::SyncSettingsForm {
        method,
        interval_minutes,
        enabled: matches!(enabled, Some("true" | "on")),
    })
}
