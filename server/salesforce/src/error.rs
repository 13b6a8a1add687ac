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

/// What a caller should do about an error: the sync engine's circuit breaker and the admin's
/// status line are driven by this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// Salesforce refused orgsync's credentials (after one refresh): only Reset Token helps.
    Authentication,
    /// No retry fixes it: the admin must change something in Salesforce or in orgsync
    /// (a field or object that does not exist or is not visible, the API or Change Data
    /// Capture not enabled, an expired password...).
    Configuration,
    /// Worth retrying later (network, 5xx, API quota, broken answers, anything unknown);
    /// counts toward the circuit breaker.
    Transient,
}

/// A failed REST call.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum SalesforceError {
    /// The connection could not be made or broke (counts toward the circuit breaker). For a
    /// write this means Salesforce never got the request: nothing changed.
    #[error("Salesforce could not be reached: {0}")]
    Transport(String),
    /// A write was sent but its answer never came (timeout, connection dropped, or an answer
    /// that could not be read): Salesforce may or may not have applied it. Look before
    /// sending it again (e.g. query for what it would have created).
    #[error("Salesforce did not answer the write, which may or may not have taken effect: {0}")]
    OutcomeUnknown(String),
    /// The access token was refused and could not be refreshed: run Reset Token.
    #[error("Salesforce rejected orgsync's credentials: {0}")]
    Authentication(String),
    /// Salesforce answered with an error (`[{"errorCode","message"}]`).
    #[error("{}", api_text(*status, code, message))]
    Api {
        status: u16,
        code: String,
        message: String,
    },
    /// `NOT_FOUND` for an object's metadata (`sobjects/{object}`, `.../describe`) or for a
    /// create: the object does not exist or orgsync's user cannot see it.
    #[error(
        "Salesforce has no object {object} that orgsync's user can see ({message}): check the object name and the user's permissions"
    )]
    ObjectNotFound { object: String, message: String },
    /// orgsync refused to send a request built from bad input (a record id that is not a
    /// Salesforce id, an object or field name that is not an identifier).
    #[error("orgsync refused to send the request to Salesforce: {0}")]
    InvalidInput(String),
    /// orgsync refused to send more records than one call takes (sObject Collections: 200):
    /// nothing was sent.
    #[error("orgsync refused to send {count} records in one call to Salesforce (at most {max})")]
    TooManyRecords { count: usize, max: usize },
    /// The answer was not what the API documents.
    #[error("Salesforce sent an unexpected answer: {0}")]
    Decode(String),
}

/// Error codes that no retry fixes: the admin must act.
const CONFIGURATION_CODES: &[&str] = &[
    "INVALID_FIELD",
    "INVALID_TYPE",
    "MALFORMED_QUERY",
    "API_DISABLED_FOR_ORG",
    "API_CURRENTLY_DISABLED",
    "FUNCTIONALITY_NOT_ENABLED",
    "INVALID_OPERATION_WITH_EXPIRED_PASSWORD",
    "PASSWORD_LOCKOUT",
];

/// Prefixes of configuration error codes (`INSUFFICIENT_ACCESS`,
/// `INSUFFICIENT_ACCESS_OR_READONLY`, `INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY`...).
const CONFIGURATION_PREFIXES: &[&str] = &["INSUFFICIENT_ACCESS"];

impl SalesforceError {
    /// Daily API quota exhausted (`REQUEST_LIMIT_EXCEEDED` `TotalRequests Limit exceeded.`),
    /// as opposed to too many long-running requests at once (`ConcurrentPerOrgLongTxn`).
    pub fn is_quota_exhausted(&self) -> bool {
        matches!(self, SalesforceError::Api { code, message, .. }
            if code == "REQUEST_LIMIT_EXCEEDED" && !is_concurrency_limit(message))
    }

    /// What to do about it: see [`ErrorClass`].
    pub fn class(&self) -> ErrorClass {
        match self {
            SalesforceError::Authentication(_) => ErrorClass::Authentication,
            SalesforceError::Api { status: 401, .. } => ErrorClass::Authentication,
            SalesforceError::Api { code, .. } if is_configuration_code(code) => {
                ErrorClass::Configuration
            }
            SalesforceError::ObjectNotFound { .. } => ErrorClass::Configuration,
            SalesforceError::Transport(_)
            | SalesforceError::OutcomeUnknown(_)
            | SalesforceError::Api { .. }
            | SalesforceError::InvalidInput(_)
            | SalesforceError::TooManyRecords { .. }
            | SalesforceError::Decode(_) => ErrorClass::Transient,
        }
    }
}

fn is_configuration_code(code: &str) -> bool {
    CONFIGURATION_CODES.contains(&code)
        || CONFIGURATION_PREFIXES.iter().any(|p| code.starts_with(p))
}

fn is_concurrency_limit(message: &str) -> bool {
    message.contains("ConcurrentPerOrgLongTxn")
}

/// The text of an API error; `REQUEST_LIMIT_EXCEEDED` says in plain words which limit was hit.
fn api_text(status: u16, code: &str, message: &str) -> String {
    if code == "REQUEST_LIMIT_EXCEEDED" {
        return if is_concurrency_limit(message) {
            format!(
                "Salesforce refused the call: too many long-running requests at once ({code}: {message}); orgsync will retry"
            )
        } else {
            format!(
                "Salesforce's daily API quota is used up ({code}: {message}); orgsync will retry when Salesforce accepts calls again (see Setup → Company Information → API Requests, Last 24 Hours)"
            )
        };
    }
    format!("Salesforce answered {status} {code}: {message}")
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

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, code: &str, message: &str) -> SalesforceError {
        SalesforceError::Api {
            status,
            code: code.into(),
            message: message.into(),
        }
    }

    #[test]
    fn errors_are_classified() {
        use ErrorClass::*;
        let table = [
            (
                SalesforceError::Authentication("refused".into()),
                Authentication,
            ),
            (
                api(401, "INVALID_SESSION_ID", "Session expired or invalid"),
                Authentication,
            ),
            (
                api(401, "INVALID_AUTH_HEADER", "INVALID_HEADER_TYPE"),
                Authentication,
            ),
            (
                api(400, "INVALID_FIELD", "No such column 'Foo'"),
                Configuration,
            ),
            (
                api(400, "INVALID_TYPE", "sObject type 'X' is not supported"),
                Configuration,
            ),
            (
                api(400, "MALFORMED_QUERY", "unexpected token"),
                Configuration,
            ),
            (
                api(403, "API_DISABLED_FOR_ORG", "The REST API is not enabled"),
                Configuration,
            ),
            (api(403, "INSUFFICIENT_ACCESS", "no"), Configuration),
            (
                api(400, "INSUFFICIENT_ACCESS_OR_READONLY", "no"),
                Configuration,
            ),
            (
                api(400, "INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY", "no"),
                Configuration,
            ),
            (
                api(403, "INVALID_OPERATION_WITH_EXPIRED_PASSWORD", "expired"),
                Configuration,
            ),
            (
                SalesforceError::ObjectNotFound {
                    object: "Foo".into(),
                    message: "The requested resource does not exist".into(),
                },
                Configuration,
            ),
            (
                api(
                    403,
                    "REQUEST_LIMIT_EXCEEDED",
                    "TotalRequests Limit exceeded.",
                ),
                Transient,
            ),
            (
                api(
                    403,
                    "REQUEST_LIMIT_EXCEEDED",
                    "ConcurrentPerOrgLongTxn Limit exceeded.",
                ),
                Transient,
            ),
            (api(503, "SERVER_UNAVAILABLE", "try later"), Transient),
            (api(500, "UNKNOWN_EXCEPTION", "boom"), Transient),
            (
                api(404, "NOT_FOUND", "The requested resource does not exist"),
                Transient,
            ),
            (api(400, "SOMETHING_NEW", "?"), Transient),
            (SalesforceError::Transport("timed out".into()), Transient),
            (
                SalesforceError::Decode("EOF while parsing".into()),
                Transient,
            ),
            (SalesforceError::InvalidInput("bad id".into()), Transient),
            (
                SalesforceError::OutcomeUnknown("connection closed".into()),
                Transient,
            ),
            (
                SalesforceError::TooManyRecords {
                    count: 201,
                    max: 200,
                },
                Transient,
            ),
        ];
        for (error, class) in table {
            assert_eq!(error.class(), class, "{error:?}");
        }
    }

    #[test]
    fn the_quota_error_says_what_happened() {
        let daily = api(
            403,
            "REQUEST_LIMIT_EXCEEDED",
            "TotalRequests Limit exceeded.",
        );
        assert!(daily.is_quota_exhausted());
        let text = daily.to_string();
        assert!(text.contains("daily API quota is used up"), "{text}");
        assert!(text.contains("TotalRequests Limit exceeded."), "{text}");

        let concurrent = api(
            403,
            "REQUEST_LIMIT_EXCEEDED",
            "ConcurrentPerOrgLongTxn Limit exceeded.",
        );
        assert!(!concurrent.is_quota_exhausted());
        assert!(concurrent.to_string().contains("long-running requests"));
        assert_eq!(
            api(400, "INVALID_FIELD", "x").to_string(),
            "Salesforce answered 400 INVALID_FIELD: x"
        );
    }
}
