//! Server-only glue for server functions: who is asking, and the console that answers.
//!
//! The server binary implements [`Console`] and provides it, with the request's [`Caller`],
//! to every server function and page render. Server functions stay thin: find the console,
//! call it with the caller, return its answer.

use std::sync::Arc;

use crate::{
    error::AppError,
    types::{CampaignView, IntegrationsView, OAuthTokenView, Role, SalesforceOutcome, SessionView},
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
    async fn campaigns(&self, caller: &Caller) -> Result<Vec<CampaignView>, AppError>;
    /// Disconnect Salesforce (administrators, `integrations` flag on; IN-07).
    async fn disconnect_salesforce(&self, caller: &Caller) -> Result<SalesforceOutcome, AppError>;
}

/// The console as provided in Leptos context.
pub type SharedConsole = Arc<dyn Console>;

/// The console and the caller of the current server-function call.
pub async fn console_and_caller() -> Result<(SharedConsole, Caller), AppError> {
    let console = leptos::prelude::use_context::<SharedConsole>().ok_or_else(|| {
        tracing_missing("console");
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
