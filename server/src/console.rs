//! The console: every operation the UI may perform, and the one place that checks who is
//! asking. Server functions and auth routes call it; it calls the store.

mod auth;
mod auth_limits;
pub mod calls;
mod campaigns;
mod data_sources;
mod describe;
mod integration;
mod org_syncs;
mod pages;
mod sign_ins;

use std::{path::PathBuf, sync::Arc};

use app::error::AppError;
use sea_orm::DatabaseConnection;
use tokio::sync::Mutex;

pub use auth::{
    LAST_SEEN_RESOLUTION, NewSession, Refusal, SESSION_IDLE_TIMEOUT, SESSION_TTL, SetupForm,
    SignInAttempt, validate_new_password,
};
pub use auth_limits::{CLIENT_RULE, SETUP_CODE_RULE, USERNAME_RULE};
pub use campaigns::RECORDS_PER_PAGE;
pub use integration::{CallbackParams, PROVIDER, SalesforceIntegration, SignInIntent};
pub use sign_ins::{PKCE_VERIFIER_COLUMN, SIGN_IN_TTL};

use crate::{secrets::Cipher, sync::SyncCommands};

/// Use cases of the admin UI, backed by the store.
pub struct Console {
    db: DatabaseConnection,
    /// The first-run setup code while no user exists (`None` once set up).
    setup: Mutex<Option<SetupCode>>,
    /// Encrypts OAuth tokens before they are stored.
    cipher: Cipher,
    /// The Salesforce connected app, when configured.
    salesforce: Option<SalesforceIntegration>,
    /// The command port to the sync engine.
    commands: Arc<dyn SyncCommands>,
    /// Throttles on failed sign-ins and setup codes.
    limits: auth_limits::AuthLimits,
    /// Salesforce describes the Data Source form reads.
    describes: describe::DescribeCache,
}

/// The one-time first-run code and the file it was written to.
struct SetupCode {
    code: String,
    file: PathBuf,
}

impl Console {
    pub fn new(
        db: DatabaseConnection,
        cipher: Cipher,
        salesforce: Option<SalesforceIntegration>,
        commands: Arc<dyn SyncCommands>,
    ) -> Arc<Self> {
        Arc::new(Console {
            db,
            setup: Mutex::new(None),
            cipher,
            salesforce,
            commands,
            limits: auth_limits::AuthLimits::new(Arc::new(crate::sync::SystemClock)),
            describes: describe::DescribeCache::default(),
        })
    }

    /// The database this console works on.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }
}

/// Store failures are logged here with their detail and reach the user as a generic message.
fn internal(error: impl std::fmt::Debug) -> AppError {
    tracing::error!(?error, "console operation failed");
    AppError::Internal
}
