//! Plain data exchanged between server functions and pages. No database types cross the wire.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::error::SERVER_ERROR_MESSAGE;

mod calls;
mod campaigns;
mod org_syncs;
pub use calls::*;
pub use campaigns::*;
pub use org_syncs::*;

/// What a signed-in user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    Admin,
    Viewer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "viewer" => Some(Role::Viewer),
            _ => None,
        }
    }
}

/// The name of the feature flag that shows the Integrations page (IN-02).
pub const INTEGRATIONS_FLAG: &str = "integrations";

/// Who is signed in, for the top bar and the navigation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    pub username: String,
    pub role: Role,
    pub organization: String,
    pub integrations_enabled: bool,
}

/// The Integrations page: one card per integration (today only Salesforce).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationsView {
    pub salesforce: SalesforceCardView,
    /// The status summary below the card's buttons (IN-08), in object order.
    pub syncs: Vec<OrgSyncView>,
}

/// The Salesforce card's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SalesforceCardView {
    /// The server has no connected app configured: Set up could not work, so it is not offered.
    NotConfigured,
    /// No token stored yet: Set up.
    NotConnected,
    /// Connected: the instance the token was issued against and the user who authorized it.
    Connected {
        instance_url: String,
        username: String,
    },
}

/// The name of the window the Salesforce sign-in opens in, and of the channel its result is
/// announced on to the Integrations page.
pub const SALESFORCE_SIGN_IN_WINDOW: &str = "orgsync-salesforce-sign-in";

/// How a Salesforce sign-in or disconnect ended. The callback sends the browser to
/// `/admin/integrations?salesforce=<code>`; the page shows [`SalesforceOutcome::message`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SalesforceOutcome {
    Connected,
    TokenReplaced,
    Disconnected,
    /// The admin pressed Deny (or cancelled) at Salesforce.
    Denied,
    /// Unknown, expired, already used, or another session's `state`.
    StaleSignIn,
    /// Salesforce reported an OAuth error on the callback or refused the code.
    Refused,
    /// The connected app did not grant the `refresh_token` scope.
    NoRefreshToken,
    /// Reset Token signed in to another Salesforce org than the connected one.
    DifferentOrg,
    /// Salesforce could not be reached.
    Unreachable,
    /// The server has no connected app configured.
    NotConfigured,
    /// The `integrations` flag is off for the organization.
    FeatureDisabled,
    /// Only administrators may connect Salesforce.
    NotAllowed,
    /// The orgsync session ended before the sign-in came back.
    SignedOut,
    /// Anything else (logged on the server).
    Failed,
}

impl SalesforceOutcome {
    const ALL: [SalesforceOutcome; 14] = [
        SalesforceOutcome::Connected,
        SalesforceOutcome::TokenReplaced,
        SalesforceOutcome::Disconnected,
        SalesforceOutcome::Denied,
        SalesforceOutcome::StaleSignIn,
        SalesforceOutcome::Refused,
        SalesforceOutcome::NoRefreshToken,
        SalesforceOutcome::DifferentOrg,
        SalesforceOutcome::Unreachable,
        SalesforceOutcome::NotConfigured,
        SalesforceOutcome::FeatureDisabled,
        SalesforceOutcome::NotAllowed,
        SalesforceOutcome::SignedOut,
        SalesforceOutcome::Failed,
    ];

    /// The short code carried in the URL.
    pub fn code(self) -> &'static str {
        match self {
            SalesforceOutcome::Connected => "connected",
            SalesforceOutcome::TokenReplaced => "token-replaced",
            SalesforceOutcome::Disconnected => "disconnected",
            SalesforceOutcome::Denied => "denied",
            SalesforceOutcome::StaleSignIn => "stale",
            SalesforceOutcome::Refused => "refused",
            SalesforceOutcome::NoRefreshToken => "no-refresh-token",
            SalesforceOutcome::DifferentOrg => "different-org",
            SalesforceOutcome::Unreachable => "unreachable",
            SalesforceOutcome::NotConfigured => "not-configured",
            SalesforceOutcome::FeatureDisabled => "feature-disabled",
            SalesforceOutcome::NotAllowed => "not-allowed",
            SalesforceOutcome::SignedOut => "signed-out",
            SalesforceOutcome::Failed => "failed",
        }
    }

    /// The outcome named by a code, if it is one of ours (anything else is ignored).
    pub fn from_code(code: &str) -> Option<SalesforceOutcome> {
        Self::ALL.into_iter().find(|o| o.code() == code)
    }

    /// Whether the outcome agrees with the card it comes back to. The code travels in the URL,
    /// so a crafted link could otherwise show "Connected" above a card that is not.
    pub fn fits_card(self, connected: bool) -> bool {
        match self {
            SalesforceOutcome::Connected | SalesforceOutcome::TokenReplaced => connected,
            SalesforceOutcome::Disconnected => !connected,
            _ => true,
        }
    }

    /// True for the outcomes that changed the connection as asked.
    pub fn is_success(self) -> bool {
        matches!(
            self,
            SalesforceOutcome::Connected
                | SalesforceOutcome::TokenReplaced
                | SalesforceOutcome::Disconnected
        )
    }

    /// A short heading.
    pub fn title(self) -> &'static str {
        match self {
            SalesforceOutcome::Connected => "Connected to Salesforce",
            SalesforceOutcome::TokenReplaced => "Salesforce token replaced",
            SalesforceOutcome::Disconnected => "Salesforce disconnected",
            _ => "Salesforce was not connected",
        }
    }

    /// What the administrator reads.
    pub fn message(self) -> &'static str {
        match self {
            SalesforceOutcome::Connected => {
                "Salesforce is connected. Its token is stored under the salesforce provider in OAuth Tokens."
            }
            SalesforceOutcome::TokenReplaced => {
                "The stored Salesforce token was replaced with the new one. Every sync configuration stays as it was."
            }
            SalesforceOutcome::Disconnected => {
                "The Salesforce token was removed. Object sync configurations are kept and resume after you run Set up again."
            }
            SalesforceOutcome::Denied => {
                "The Salesforce sign-in was cancelled (access was denied), so nothing changed. Try again when you are ready."
            }
            SalesforceOutcome::StaleSignIn => {
                "This Salesforce sign-in is no longer valid: it expired, was already used, or was started from another session. Nothing changed; start again from the Integrations page."
            }
            SalesforceOutcome::Refused => {
                "Salesforce refused the sign-in, so nothing changed. Check the connected app (callback URL, OAuth scopes, permitted users) and try again."
            }
            SalesforceOutcome::NoRefreshToken => {
                "Salesforce did not grant offline access, so nothing was stored: syncs would stop within hours. Add the \"Perform requests at any time (refresh_token, offline_access)\" scope to the connected app and try again."
            }
            SalesforceOutcome::DifferentOrg => {
                "You signed in to a different Salesforce org than the connected one, so nothing changed. To switch orgs, Disconnect first, then Set up."
            }
            SalesforceOutcome::Unreachable => {
                "orgsync could not reach Salesforce, so nothing changed. Check the Salesforce login URL and the server's network access, then try again."
            }
            SalesforceOutcome::NotConfigured => {
                "Salesforce sign-in is not configured on this server. Set ORGSYNC_SALESFORCE_CLIENT_ID and ORGSYNC_SALESFORCE_CLIENT_SECRET (see the README), then restart orgsync."
            }
            SalesforceOutcome::FeatureDisabled => {
                static TEXT: LazyLock<String> =
                    LazyLock::new(|| crate::error::feature_disabled_message("integrations"));
                TEXT.as_str()
            }
            SalesforceOutcome::NotAllowed => {
                "Only organization administrators can connect Salesforce."
            }
            SalesforceOutcome::SignedOut => {
                "Your orgsync session ended before Salesforce answered, so nothing changed. Sign in again and retry."
            }
            SalesforceOutcome::Failed => SERVER_ERROR_MESSAGE,
        }
    }
}

/// One stored OAuth token, without any secret (IN-09).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthTokenView {
    pub id: i64,
    pub provider: String,
    pub instance_url: String,
    pub username: String,
    pub issued_at: String,
}

/// The shortest password orgsync accepts, as a literal so that messages can `concat!` it.
macro_rules! min_password_len {
    () => {
        10
    };
}

/// The shortest password orgsync accepts.
pub const MIN_PASSWORD_LEN: usize = min_password_len!();

/// Why a sign-in or first-run form was refused. The server redirects back to the form with
/// `?error=<code>`; the page shows [`FormError::message`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormError {
    InvalidCredentials,
    WrongSetupCode,
    SetupDone,
    MissingField,
    PasswordsDiffer,
    PasswordTooShort,
    UsernameTaken,
    OrganizationTaken,
    /// Too many failed attempts from this address or for this username (HTTP 429).
    TooManyAttempts,
    /// Too many password checks in flight (HTTP 429 or 503).
    Busy,
    Internal,
}

impl FormError {
    const ALL: [FormError; 11] = [
        FormError::InvalidCredentials,
        FormError::WrongSetupCode,
        FormError::SetupDone,
        FormError::MissingField,
        FormError::PasswordsDiffer,
        FormError::PasswordTooShort,
        FormError::UsernameTaken,
        FormError::OrganizationTaken,
        FormError::TooManyAttempts,
        FormError::Busy,
        FormError::Internal,
    ];

    /// The short code carried in the URL.
    pub fn code(self) -> &'static str {
        match self {
            FormError::InvalidCredentials => "invalid",
            FormError::WrongSetupCode => "setup-code",
            FormError::SetupDone => "setup-done",
            FormError::MissingField => "missing",
            FormError::PasswordsDiffer => "mismatch",
            FormError::PasswordTooShort => "short",
            FormError::UsernameTaken => "taken",
            FormError::OrganizationTaken => "org-taken",
            FormError::TooManyAttempts => "throttled",
            FormError::Busy => "busy",
            FormError::Internal => "internal",
        }
    }

    /// The code's error, if it is one of ours (anything else in the URL is ignored).
    pub fn from_code(code: &str) -> Option<FormError> {
        Self::ALL.into_iter().find(|e| e.code() == code)
    }

    /// What the user reads.
    pub fn message(self) -> &'static str {
        match self {
            FormError::InvalidCredentials => "Invalid username or password.",
            FormError::WrongSetupCode => "The setup code is not correct.",
            FormError::SetupDone => "orgsync is already set up. Sign in instead.",
            FormError::MissingField => "Fill in every field.",
            FormError::PasswordsDiffer => "The two passwords do not match.",
            FormError::PasswordTooShort => {
                concat!(
                    "Choose a password of at least ",
                    min_password_len!(),
                    " characters."
                )
            }
            FormError::UsernameTaken => "That username is already taken.",
            FormError::OrganizationTaken => "An organization with that name already exists.",
            FormError::TooManyAttempts => {
                "Too many failed attempts. Wait up to 15 minutes, then try again."
            }
            FormError::Busy => "The server is busy checking other sign-ins. Try again in a moment.",
            FormError::Internal => SERVER_ERROR_MESSAGE,
        }
    }
}
