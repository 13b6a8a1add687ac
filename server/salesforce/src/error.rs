//! What can go wrong talking to Salesforce. Messages never include tokens or response bodies
//! that could carry one.

/// A failed OAuth call (authorize, token, identity, revoke).
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum OAuthError {
    /// Salesforce answered with an OAuth error such as `invalid_grant`.
    #[error("Salesforce refused the request: {error}{}", description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Rejected {
        error: String,
        description: Option<String>,
    },
    /// Salesforce could not be reached, or the connection broke.
    #[error("Salesforce could not be reached: {0}")]
    Unreachable(String),
    /// Salesforce answered something orgsync does not understand.
    #[error("Salesforce sent an unexpected answer: {0}")]
    UnexpectedResponse(String),
}

impl OAuthError {
    /// True when the refresh token (or code) is dead: only a new sign-in helps.
    pub fn is_invalid_grant(&self) -> bool {
        matches!(self, OAuthError::Rejected { error, .. } if error == "invalid_grant")
    }
}

/// A failed REST call.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum SalesforceError {
    /// The connection could not be made or broke (counts toward the circuit breaker).
    #[error("Salesforce could not be reached: {0}")]
    Transport(String),
    /// The access token was refused and could not be refreshed: run Reset Token.
    #[error("Salesforce rejected orgsync's credentials: {0}")]
    Authentication(String),
    /// Salesforce answered with an error (`[{"errorCode","message"}]`).
    #[error("Salesforce answered {status} {code}: {message}")]
    Api {
        status: u16,
        code: String,
        message: String,
    },
    /// The answer was not what the API documents.
    #[error("Salesforce sent an unexpected answer: {0}")]
    Decode(String),
}

impl SalesforceError {
    /// Daily API quota exhausted (`REQUEST_LIMIT_EXCEEDED`).
    pub fn is_quota_exhausted(&self) -> bool {
        matches!(self, SalesforceError::Api { code, .. } if code == "REQUEST_LIMIT_EXCEEDED")
    }
}

/// The transport error's text without anything request-specific beyond the URL (which never
/// carries secrets: tokens travel in headers and form bodies).
pub(crate) fn transport(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}
