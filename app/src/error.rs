//! The one error type that crosses the wire between server functions and pages.

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

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
    #[error(
        "The {flag} feature flag is disabled for your organization. Contact orgsync support to have it enabled."
    )]
    FeatureDisabled { flag: String },
    /// The thing asked for does not exist (or belongs to another organization).
    #[error("{0} was not found.")]
    NotFound(String),
    /// The input was refused; the message says why, in the user's terms.
    #[error("{message}")]
    Validation { field: String, message: String },
    /// Something failed on the server; details are in the server log.
    #[error(
        "Something went wrong on the server. Try again; if it keeps happening, check the server log."
    )]
    Internal,
    /// The request itself failed (network, decoding) before reaching our code.
    #[error("The server could not be reached: {0}")]
    Transport(String),
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}
