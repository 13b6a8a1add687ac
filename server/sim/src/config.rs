//! Simulator configuration.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The Salesforce edition the org behaves like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Edition {
    /// No API access (REST answers `API_DISABLED_FOR_ORG`) and no Change Data Capture.
    Professional,
    /// 100,000 daily API requests; CDC available.
    Enterprise,
    /// 15,000 daily API requests; CDC available.
    #[default]
    Developer,
    /// 100,000 daily API requests (plus per-license adders, not modelled); CDC available.
    Unlimited,
    /// Like Unlimited.
    Performance,
}

impl Edition {
    /// The default `DailyApiRequests` allocation.
    pub fn daily_api_requests(self) -> u64 {
        match self {
            Edition::Professional => 0,
            Edition::Developer => 15_000,
            Edition::Enterprise | Edition::Unlimited | Edition::Performance => 100_000,
        }
    }

    pub fn api_enabled(self) -> bool {
        self != Edition::Professional
    }

    pub fn cdc_enabled(self) -> bool {
        self != Edition::Professional
    }

    /// Daily CDC event delivery allocation.
    pub fn daily_events(self) -> u64 {
        match self {
            Edition::Professional => 0,
            Edition::Developer => 10_000,
            Edition::Enterprise => 25_000,
            Edition::Unlimited | Edition::Performance => 50_000,
        }
    }
}

/// The connected app's default consumer key (client id).
pub const DEFAULT_CLIENT_ID: &str =
    "3MVG9orgsyncSIMULATORconnectedAppConsumerKey0000000000000000000000000000000";
/// The connected app's default consumer secret.
pub const DEFAULT_CLIENT_SECRET: &str = "ORGSYNC5IMULAT0R5ECRET";

/// Everything the simulator can be configured with.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub contacts: usize,
    pub leads: usize,
    pub seed: u64,
    /// Lifetime of access tokens.
    pub access_token_ttl: Duration,
    /// Lifetime of refresh tokens (`None`: until revoked).
    pub refresh_token_ttl: Option<Duration>,
    /// Number of CDC events kept for replay.
    pub event_retention: usize,
    /// Serve HTTPS with a generated self-signed certificate.
    pub tls: bool,
    /// The base URL clients reach the simulator at (`https://127.0.0.1:8443`); when `None`
    /// it is derived from each request's `Host` header and the scheme.
    pub base_url: Option<String>,
    /// Registered callback URLs; empty = any `http(s)://localhost|127.0.0.1|[::1]` URI.
    pub redirect_uris: Vec<String>,
    pub client_id: String,
    pub client_secret: String,
    pub edition: Edition,
    /// Entities selected for Change Data Capture.
    pub cdc_entities: Vec<String>,
    /// Number of simulated users (record owners); the first one is the admin.
    pub users: usize,
    /// Newest API version served (`62.0`).
    pub max_api_version: u32,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            contacts: 1_000,
            leads: 500,
            seed: 42,
            access_token_ttl: Duration::from_secs(2 * 60 * 60),
            refresh_token_ttl: None,
            event_retention: 100_000,
            tls: false,
            base_url: None,
            redirect_uris: Vec::new(),
            client_id: DEFAULT_CLIENT_ID.to_string(),
            client_secret: DEFAULT_CLIENT_SECRET.to_string(),
            edition: Edition::Developer,
            cdc_entities: vec!["Contact".to_string(), "Lead".to_string()],
            users: 5,
            max_api_version: 62,
        }
    }
}
