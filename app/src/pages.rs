//! One module per page.

pub mod api_keys;
pub mod campaign;
pub mod campaigns;
pub mod data_source_editor;
pub mod data_sources;
pub mod integrations;
pub mod login;
pub mod not_found;
pub mod oauth_tokens;
pub mod setup;
