//! The one error type that crosses the wire between server functions and pages.

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

/// What the user reads when something failed on the server (details go to the server log).
/// The one copy of this message: every "internal error" answer uses it.
pub const SERVER_ERROR_MESSAGE: &str =
    "Something went wrong on the server. Try again; if it keeps happening, check the server log.";

/// What a page or action behind an organization's feature flag says while the flag is off.
pub fn feature_disabled_message(flag: &str) -> String {
    format!(
        "The {flag} feature flag is disabled for your organization. Contact orgsync support to have it enabled."
    )
}

/// What can go wrong when a page asks the server for something. Each variant carries only
/// what is safe to show; internal details are logged on the server, never sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// No valid session: the visitor must sign in.
    #[error("Your session has ended. Sign in again.")]
    Unauthorized,
    /// Signed in, but the role does not allow this (viewers in the Admin module).
    #[error("Your account does not have access to the Admin module.")]
    Forbidden,
    /// The organization's feature flag for this page is off.
    #[error("{}", feature_disabled_message(.flag))]
    FeatureDisabled { flag: String },
    /// The thing asked for does not exist (or belongs to another organization).
    #[error("{0} was not found.")]
    NotFound(String),
    /// The input was refused; the message says why, in the user's terms.
    #[error("{message}")]
    Validation { field: String, message: String },
    /// Something failed on the server; details are in the server log.
    #[error("{}", SERVER_ERROR_MESSAGE)]
    Internal,
    /// The request itself failed (network, decoding) before reaching our code.
    #[error("The server could not be reached: {0}")]
    Transport(String),
}

impl AppError {
    /// The HTTP status of a server function answering this error, where it is not a server
    /// failure (`None`: Leptos's `500`).
    #[cfg(feature = "ssr")]
    pub fn status(&self) -> Option<http::StatusCode> {
        match self {
            AppError::Validation { .. } => Some(http::StatusCode::UNPROCESSABLE_ENTITY),
            AppError::NotFound(_) => Some(http::StatusCode::NOT_FOUND),
            AppError::Unauthorized => Some(http::StatusCode::UNAUTHORIZED),
            AppError::Forbidden | AppError::FeatureDisabled { .. } => {
                Some(http::StatusCode::FORBIDDEN)
            }
            AppError::Internal | AppError::Transport(_) => None,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{FormError, SalesforceOutcome};

    #[test]
    fn every_internal_error_reads_the_same_message() {
        assert_eq!(AppError::Internal.to_string(), SERVER_ERROR_MESSAGE);
        assert_eq!(FormError::Internal.message(), SERVER_ERROR_MESSAGE);
        assert_eq!(SalesforceOutcome::Failed.message(), SERVER_ERROR_MESSAGE);
    }
}
