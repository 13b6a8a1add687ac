//! Server functions: thin adapters from the browser to the server's console.
//!
//! Each one finds the console and the caller, calls one console method and returns its
//! answer. [`ACCESS`] lists every server function with who may call it; the server refuses
//! calls to paths missing from it, and a test checks the list against the registry.

use leptos::prelude::*;

mod calls;
mod campaigns;
mod org_syncs;
pub use calls::*;
pub use campaigns::*;
pub use org_syncs::*;

use crate::{
    error::AppError,
    types::{CampaignSummary, IntegrationsView, OAuthTokenView, SessionView},
};

/// Who may call an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in user.
    SignedIn,
    /// Signed-in administrators only.
    Admin,
    /// A machine client with one of the organization's API keys (the dialer's API); the
    /// handler checks the key, a browser session counts for nothing.
    ApiKey,
}

/// Every server function's path and who may call it.
pub const ACCESS: &[(&str, Access)] = &[
    ("/api/current_session", Access::SignedIn),
    ("/api/integrations_page", Access::Admin),
    ("/api/oauth_tokens_page", Access::Admin),
    ("/api/campaigns_page", Access::Admin),
    ("/api/create_campaign", Access::Admin),
    ("/api/update_campaign", Access::Admin),
    ("/api/delete_campaign", Access::Admin),
    ("/api/campaign_page", Access::Admin),
    ("/api/save_link", Access::Admin),
    ("/api/remove_link", Access::Admin),
    ("/api/data_sources_page", Access::Admin),
    ("/api/data_source_editor", Access::Admin),
    ("/api/save_data_source", Access::Admin),
    ("/api/preview_data_source", Access::Admin),
    ("/api/delete_data_source", Access::Admin),
    ("/api/disconnect_salesforce", Access::Admin),
    ("/api/sync_settings", Access::Admin),
    ("/api/add_org_sync", Access::Admin),
    ("/api/save_org_sync", Access::Admin),
    ("/api/test_org_sync", Access::Admin),
    ("/api/remove_org_sync", Access::Admin),
    ("/api/record_call", Access::Admin),
    ("/api/retry_call", Access::Admin),
    ("/api/api_keys_page", Access::Admin),
    ("/api/create_api_key", Access::Admin),
    ("/api/revoke_api_key", Access::Admin),
];

/// The signed-in user's name, role and organization (for the top bar and navigation).
#[server(endpoint = "current_session")]
pub async fn current_session() -> Result<SessionView, AppError> {
    let (console, caller) = crate::ssr::console_and_caller().await?;
    console.session(&caller).await
}

/// The Integrations page's content.
#[server(endpoint = "integrations_page")]
pub async fn integrations_page() -> Result<IntegrationsView, AppError> {
    let (console, caller) = crate::ssr::console_and_caller().await?;
    console.integrations(&caller).await
}

/// Every OAuth token the organization stores, without secrets.
#[server(endpoint = "oauth_tokens_page")]
pub async fn oauth_tokens_page() -> Result<Vec<OAuthTokenView>, AppError> {
    let (console, caller) = crate::ssr::console_and_caller().await?;
    console.oauth_tokens(&caller).await
}

/// The organization's campaigns.
#[server(endpoint = "campaigns_page")]
pub async fn campaigns_page() -> Result<Vec<CampaignSummary>, AppError> {
    let (console, caller) = crate::ssr::console_and_caller().await?;
    console.campaigns(&caller).await
}

/// Disconnect (IN-07): removes the Salesforce token, the setting and the linked account, then
/// sends the browser back to the Integrations page with the outcome.
#[server(endpoint = "disconnect_salesforce")]
pub async fn disconnect_salesforce() -> Result<(), AppError> {
    let (console, caller) = crate::ssr::console_and_caller().await?;
    let outcome = console.disconnect_salesforce(&caller).await?;
    leptos_axum::redirect(&format!(
        "/admin/integrations?salesforce={}",
        outcome.code()
    ));
    Ok(())
}
