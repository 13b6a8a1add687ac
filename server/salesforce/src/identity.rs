//! The identity URL (`id` in the token response): who signed in, in which org.

use serde::Deserialize;

/// The Salesforce user behind a token.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Identity {
    /// The 18-character user id.
    pub user_id: String,
    /// The 18-character org id.
    pub organization_id: String,
    /// The sign-in name, e.g. `admin@acme.example`.
    pub username: String,
}
