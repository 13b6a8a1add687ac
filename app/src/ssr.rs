//! Server-only glue for server functions: who is asking, and the console that answers.
//!
//! The server binary implements [`Console`] and provides it, with the request's [`Caller`],
//! to every server function and page render. Server functions stay thin: find the console,
//! call it with the caller, return its answer.

use std::{collections::HashMap, sync::Arc};

use crate::{
    error::AppError,
    types::{
        ApiKeyView, CallForm, CallView, CampaignForm, CampaignPageView, CampaignSummary,
        DataSourceEditorView, DataSourceForm, DataSourceView, DataSourcesView, IntegrationsView,
        LinkForm, LinkView, NewApiKeyView, OAuthTokenView, OrgSyncView, PreviewView, Role,
        SalesforceOutcome, SessionView, SyncMethod, SyncObject, SyncSettingsView, TestOutcome,
    },
};

/// The signed-in user behind a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedInUser {
    /// The session the request came with (binds OAuth sign-ins to the browser that started them).
    pub session_id: i64,
    pub user_id: i64,
    pub organization_id: i64,
    pub username: String,
    pub role: Role,
}

/// Who is asking. Resolved once per request from the session cookie by the server's
/// session layer and stored in the request's extensions.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Caller {
    #[default]
    Anonymous,
    User(SignedInUser),
}

impl Caller {
    /// The signed-in user, or `Unauthorized`.
    pub fn user(&self) -> Result<&SignedInUser, AppError> {
        match self {
            Caller::User(user) => Ok(user),
            Caller::Anonymous => Err(AppError::Unauthorized),
        }
    }

    /// The signed-in administrator, or `Unauthorized` / `Forbidden`.
    pub fn admin(&self) -> Result<&SignedInUser, AppError> {
        let user = self.user()?;
        match user.role {
            Role::Admin => Ok(user),
            Role::Viewer => Err(AppError::Forbidden),
        }
    }
}

/// The operations the UI may perform. Every method checks the caller itself.
#[async_trait::async_trait]
pub trait Console: Send + Sync {
    /// The caller's own session (any signed-in user).
    async fn session(&self, caller: &Caller) -> Result<SessionView, AppError>;
    /// The Integrations page (administrators, `integrations` flag on).
    async fn integrations(&self, caller: &Caller) -> Result<IntegrationsView, AppError>;
    /// The OAuth Tokens page (administrators).
    async fn oauth_tokens(&self, caller: &Caller) -> Result<Vec<OAuthTokenView>, AppError>;
    /// The Campaigns page (administrators).
    async fn campaigns(&self, caller: &Caller) -> Result<Vec<CampaignSummary>, AppError>;
    /// Disconnect Salesforce (administrators, `integrations` flag on; IN-07).
    async fn disconnect_salesforce(&self, caller: &Caller) -> Result<SalesforceOutcome, AppError>;
}

/// What an administrator asks of an Org Sync row (OS-03, OS-05).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncSettingsForm {
    pub method: SyncMethod,
    /// Minutes; required for REST Polling, ignored for CDC.
    pub interval_minutes: Option<u32>,
    pub enabled: bool,
}

/// The Org Syncs feature: the Sync Settings modal's operations (administrators, `integrations`
/// flag on). Every method checks the caller itself.
#[async_trait::async_trait]
pub trait OrgSyncConsole: Send + Sync {
    /// The modal's rows, the objects still addable and the API usage (OS-01).
    async fn sync_settings(&self, caller: &Caller) -> Result<SyncSettingsView, AppError>;
    /// Add object: created disabled, with CDC (OS-02).
    async fn add_org_sync(
        &self,
        caller: &Caller,
        object: SyncObject,
    ) -> Result<OrgSyncView, AppError>;
    /// Save on a row: method, interval and enable state (OS-03, OS-05).
    async fn save_org_sync(
        &self,
        caller: &Caller,
        id: i64,
        form: SyncSettingsForm,
    ) -> Result<OrgSyncView, AppError>;
    /// The remove (x) icon, after the confirm (OS-07).
    async fn remove_org_sync(&self, caller: &Caller, id: i64) -> Result<(), AppError>;
    /// Test: `SELECT Id FROM <Object> LIMIT 1` (OS-08); never touches the circuit (OS-09).
    async fn test_org_sync(&self, caller: &Caller, id: i64) -> Result<TestOutcome, AppError>;
}

/// Campaigns, Data Sources and Links (DS-01..DS-04). Campaigns are for administrators; Data
/// Sources and Links also need the `integrations` feature flag. Every method checks the
/// caller itself.
#[async_trait::async_trait]
pub trait CampaignConsole: Send + Sync {
    async fn create_campaign(
        &self,
        caller: &Caller,
        form: CampaignForm,
    ) -> Result<CampaignSummary, AppError>;
    async fn update_campaign(
        &self,
        caller: &Caller,
        id: i64,
        form: CampaignForm,
    ) -> Result<CampaignSummary, AppError>;
    async fn delete_campaign(&self, caller: &Caller, id: i64) -> Result<(), AppError>;
    /// A campaign's page with one page of its records (1-based), optionally searched.
    async fn campaign_page(
        &self,
        caller: &Caller,
        id: i64,
        search: Option<String>,
        page: u64,
    ) -> Result<CampaignPageView, AppError>;
    async fn data_sources(&self, caller: &Caller) -> Result<DataSourcesView, AppError>;
    /// The form for a new Data Source on `org_sync_id`, or for the existing one `id`.
    async fn data_source_editor(
        &self,
        caller: &Caller,
        id: Option<i64>,
        org_sync_id: Option<i64>,
    ) -> Result<DataSourceEditorView, AppError>;
    /// Creates (`id` None) or saves a Data Source; its campaigns update at once.
    async fn save_data_source(
        &self,
        caller: &Caller,
        id: Option<i64>,
        form: DataSourceForm,
    ) -> Result<DataSourceView, AppError>;
    /// How many mirrored records the form's filter matches, and the first few.
    async fn preview_data_source(
        &self,
        caller: &Caller,
        id: Option<i64>,
        form: DataSourceForm,
    ) -> Result<PreviewView, AppError>;
    /// Deletes a Data Source and its Links; imported records stay.
    async fn delete_data_source(&self, caller: &Caller, id: i64) -> Result<(), AppError>;
    /// Attaches a Data Source to the campaign (`link_id` None) or changes a Link's mappings.
    async fn save_link(
        &self,
        caller: &Caller,
        campaign_id: i64,
        link_id: Option<i64>,
        form: LinkForm,
    ) -> Result<LinkView, AppError>;
    /// Detaches a Link; imported records stay.
    async fn remove_link(
        &self,
        caller: &Caller,
        campaign_id: i64,
        link_id: i64,
    ) -> Result<(), AppError>;
    /// Records a call on a campaign record, to be written back to Salesforce (DS-05).
    async fn record_call(&self, caller: &Caller, form: CallForm) -> Result<CallView, AppError>;
    /// Puts a call Salesforce refused back in the write-back queue.
    async fn retry_call(&self, caller: &Caller, campaign_id: i64, id: i64) -> Result<(), AppError>;
    /// The organization's API keys for the dialer's API.
    async fn api_keys(&self, caller: &Caller) -> Result<Vec<ApiKeyView>, AppError>;
    /// A new API key; the answer carries the key, shown this once.
    async fn create_api_key(
        &self,
        caller: &Caller,
        name: String,
    ) -> Result<NewApiKeyView, AppError>;
    async fn revoke_api_key(&self, caller: &Caller, id: i64) -> Result<(), AppError>;
}

/// The campaigns console as provided in Leptos context.
pub type SharedCampaignConsole = Arc<dyn CampaignConsole>;

/// The campaigns console and the caller of the current server-function call.
pub async fn campaigns_and_caller() -> Result<(SharedCampaignConsole, Caller), AppError> {
    from_context_with_caller::<SharedCampaignConsole>("campaigns console").await
}

/// A server function's answer with the HTTP status its error calls for: a refused input is
/// `422`, something missing `404` (instead of Leptos's `500` for every error), so the
/// browser, logs and scripts see a refusal, not a server failure. A plain form posted
/// without JavaScript (it asks for HTML) keeps Leptos's redirect back to its page.
pub fn with_status<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    // Only a server function's own request: a page render calling it keeps its status.
    let wants_html = leptos::prelude::use_context::<http::request::Parts>()
        .is_none_or(|parts| !is_server_function_call(&parts) || asks_for_html(&parts));
    if let Err(error) = &result
        && !wants_html
        && let Some(status) = error.status()
        && let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>()
    {
        response.set_status(status);
    }
    result
}

/// After a server function succeeded for a plain form posted without JavaScript, sends the
/// browser to `path` (a path of this site) instead of Leptos's redirect back to the page the
/// form was on, which would show the same dialog again, inviting a second submission. With
/// JavaScript the page decides where to go.
pub fn then_without_javascript_go_to(path: &str) {
    let plain_form = leptos::prelude::use_context::<http::request::Parts>()
        .is_some_and(|parts| is_server_function_call(&parts) && asks_for_html(&parts));
    if plain_form {
        leptos_axum::redirect(path);
    }
}

fn is_server_function_call(parts: &http::request::Parts) -> bool {
    parts.uri.path().starts_with("/api/")
}

/// A browser's own form post asks for HTML; the hydrated app's server-function calls do not.
fn asks_for_html(parts: &http::request::Parts) -> bool {
    parts
        .headers
        .get(http::header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

/// The console as provided in Leptos context.
pub type SharedConsole = Arc<dyn Console>;

/// The Org Syncs console as provided in Leptos context.
pub type SharedOrgSyncConsole = Arc<dyn OrgSyncConsole>;

/// The console and the caller of the current server-function call.
pub async fn console_and_caller() -> Result<(SharedConsole, Caller), AppError> {
    from_context_with_caller::<SharedConsole>("console").await
}

/// The Org Syncs console and the caller of the current server-function call.
pub async fn org_syncs_and_caller() -> Result<(SharedOrgSyncConsole, Caller), AppError> {
    from_context_with_caller::<SharedOrgSyncConsole>("Org Syncs console").await
}

async fn from_context_with_caller<T: Clone + 'static>(what: &str) -> Result<(T, Caller), AppError> {
    let console = leptos::prelude::use_context::<T>().ok_or_else(|| {
        tracing_missing(what);
        AppError::Internal
    })?;
    let caller = leptos_axum::extract::<axum::Extension<Caller>>()
        .await
        .map(|axum::Extension(caller)| caller)
        .unwrap_or_default();
    Ok((console, caller))
}

fn tracing_missing(what: &str) {
    leptos::logging::error!("server function context is missing the {what}");
}

/// Work a page render starts at most once per request. The server renders the contents of a
/// `Suspense` more than once (to find its resources, then to stream them), and each pass
/// creates the page's resources anew; a resource with an effect outside orgsync (Test without
/// JavaScript queries Salesforce, OS-08) must still run once. Provided fresh for every
/// request by the server's router.
#[derive(Clone, Default)]
pub struct RenderOnce {
    tests: Arc<std::sync::Mutex<HashMap<i64, TestRun>>>,
}

type TestRun = Arc<tokio::sync::OnceCell<Result<TestOutcome, AppError>>>;

impl RenderOnce {
    /// The outcome of testing Org Sync `id` in this request: `run` the first time, the same
    /// answer after that.
    pub async fn test(
        &self,
        id: i64,
        run: impl Future<Output = Result<TestOutcome, AppError>>,
    ) -> Result<TestOutcome, AppError> {
        let cell = {
            let mut tests = self
                .tests
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            tests.entry(id).or_default().clone()
        };
        cell.get_or_init(|| run).await.clone()
    }
}
