//! One module per page.

pub mod campaigns;
pub mod integrations;
pub mod login;
pub mod not_found;
pub mod oauth_tokens;
pub mod setup;
