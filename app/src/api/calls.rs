//! Server functions of call activity and API keys (DS-05). Thin: find the campaigns
//! console, call it, return its answer.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::types::CallForm;
use crate::{
    error::AppError,
    types::{ApiKeyView, CallView, NewApiKeyView},
};

/// Record a call on a campaign record; it is written back to Salesforce as a Task.
#[server(endpoint = "record_call")]
pub async fn record_call(
    campaign_id: i64,
    sf_id: String,
    disposition: String,
    duration_seconds: String,
    notes: Option<String>,
) -> Result<CallView, AppError> {
    let (console, caller) = crate::ssr::campaigns_and_caller().await?;
    let Ok(duration_seconds) = duration_seconds.trim().parse::<i64>() else {
        return crate::ssr::with_status(Err(AppError::Validation {
            field: "duration_seconds".into(),
            message: "The duration is a number of seconds, from 0 to 86400.".into(),
        }));
    };
    let form = CallForm {
        campaign_id,
        sf_id,
        call_id: None,
        disposition,
        duration_seconds,
        notes: notes.unwrap_or_default(),
        occurred_at: None,
        subject: None,
    };
    let recorded = crate::ssr::with_status(console.record_call(&caller, form).await)?;
    // As the page does with JavaScript: to the Calls tab, where its write-back shows.
    crate::ssr::then_without_javascript_go_to(&format!("/admin/campaigns/{campaign_id}?tab=calls"));
    Ok(recorded)
}

/// Try a call Salesforce refused again.
#[server(endpoint = "retry_call")]
pub async fn retry_call(campaign_id: i64, id: i64) -> Result<(), AppError> {
    let (console, caller) = crate::ssr::campaigns_and_caller().await?;
    crate::ssr::with_status(console.retry_call(&caller, campaign_id, id).await)
}

/// The API keys page.
#[server(endpoint = "api_keys_page")]
pub async fn api_keys_page() -> Result<Vec<ApiKeyView>, AppError> {
    let (console, caller) = crate::ssr::campaigns_and_caller().await?;
    crate::ssr::with_status(console.api_keys(&caller).await)
}

/// Create an API key for the dialer.
#[server(endpoint = "create_api_key")]
pub async fn create_api_key(name: String) -> Result<NewApiKeyView, AppError> {
    let (console, caller) = crate::ssr::campaigns_and_caller().await?;
    crate::ssr::with_status(console.create_api_key(&caller, name).await)
}

/// Revoke an API key.
#[server(endpoint = "revoke_api_key")]
pub async fn revoke_api_key(id: i64) -> Result<(), AppError> {
    let (console, caller) = crate::ssr::campaigns_and_caller().await?;
    crate::ssr::with_status(console.revoke_api_key(&caller, id).await)
}
