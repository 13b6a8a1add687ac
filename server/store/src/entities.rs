//! SeaORM entities, one module per table, in the classic `DeriveEntityModel` format.
//!
//! Entities stay on the server: the UI gets plain DTOs mapped from these models. JSON columns are
//! `String`s here; the query modules parse them and report bad JSON as `StoreError::Corrupt`.

pub mod api_keys;
pub mod app_settings;
pub mod call_activities;
pub mod campaign_records;
pub mod campaigns;
pub mod data_source_links;
pub mod data_sources;
pub mod leases;
pub mod oauth_tokens;
pub mod org_syncs;
pub mod organizations;
pub mod salesforce_accounts;
pub mod salesforce_sign_ins;
pub mod sessions;
pub mod sf_records;
pub mod sync_runs;
pub mod users;

/// The entity types under their table names, for `use store::entities::prelude::*`.
pub mod prelude {
    pub use super::api_keys::Entity as ApiKeys;
    pub use super::app_settings::Entity as AppSettings;
    pub use super::call_activities::Entity as CallActivities;
    pub use super::campaign_records::Entity as CampaignRecords;
    pub use super::campaigns::Entity as Campaigns;
    pub use super::data_source_links::Entity as DataSourceLinks;
    pub use super::data_sources::Entity as DataSources;
    pub use super::leases::Entity as Leases;
    pub use super::oauth_tokens::Entity as OauthTokens;
    pub use super::org_syncs::Entity as OrgSyncs;
    pub use super::organizations::Entity as Organizations;
    pub use super::salesforce_accounts::Entity as SalesforceAccounts;
    pub use super::salesforce_sign_ins::Entity as SalesforceSignIns;
    pub use super::sessions::Entity as Sessions;
    pub use super::sf_records::Entity as SfRecords;
    pub use super::sync_runs::Entity as SyncRuns;
    pub use super::users::Entity as Users;
}
