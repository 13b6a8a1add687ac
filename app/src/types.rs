//! Plain data exchanged between server functions and pages. No database types cross the wire.

use serde::{Deserialize, Serialize};

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
}

/// The Salesforce card's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SalesforceCardView {
    /// No token stored yet.
    NotConnected,
    /// Connected: the instance the token was issued against and the user who authorized it.
    Connected {
        instance_url: String,
        username: String,
    },
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

/// One campaign of the organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignView {
    pub id: i64,
    pub name: String,
    pub created_at: String,
}

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
    Internal,
}

impl FormError {
    const ALL: [FormError; 8] = [
        FormError::InvalidCredentials,
        FormError::WrongSetupCode,
        FormError::SetupDone,
        FormError::MissingField,
        FormError::PasswordsDiffer,
        FormError::PasswordTooShort,
        FormError::UsernameTaken,
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
            FormError::PasswordTooShort => "Choose a password of at least 10 characters.",
            FormError::UsernameTaken => "That username is already taken.",
            FormError::Internal => {
                "Something went wrong on the server. Try again; if it keeps happening, check the server log."
            }
        }
    }
}

/// The shortest password orgsync accepts.
pub const MIN_PASSWORD_LEN: usize = 10;
