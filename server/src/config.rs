//! Settings derived from the command line and environment, with laptop-friendly defaults.

use std::{fmt, net::SocketAddr, path::PathBuf};

use secrecy::SecretString;

use crate::{
    cli::{SalesforceArgs, ServeArgs, StoreArgs, SyncArgs},
    sync::{BreakerPolicy, EngineSettings},
};

/// Where and how the store is reached.
#[derive(Clone)]
pub struct StoreSettings {
    pub data_dir: PathBuf,
    database_url: Option<String>,
}

impl StoreSettings {
    pub fn from_args(args: &StoreArgs) -> Self {
        StoreSettings {
            data_dir: args.data_dir.clone(),
            database_url: args.database_url.clone(),
        }
    }

    /// The database URL: the configured one, or the SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| store::sqlite_url_for(&self.data_dir))
    }

    /// True when the store is the embedded SQLite file.
    pub fn is_sqlite(&self) -> bool {
        self.database_url().starts_with("sqlite:")
    }
}

/// Database URLs may carry passwords: show only the scheme and host.
impl fmt::Debug for StoreSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreSettings")
            .field("data_dir", &self.data_dir)
            .field("database", &redact_url(&self.database_url()))
            .finish()
    }
}

/// `scheme://host/db` without user or password.
pub fn redact_url(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
            format!("{scheme}://{host}")
        }
        None => "<unparseable url>".to_string(),
    }
}

/// The Salesforce connected app as configured (validated when the server starts).
#[derive(Debug, Clone)]
pub struct SalesforceSettings {
    pub client_id: Option<String>,
    /// `SecretString`: never printed by `Debug`.
    pub client_secret: Option<SecretString>,
    pub login_url: String,
    pub api_version: String,
}

impl SalesforceSettings {
    pub fn from_args(args: &SalesforceArgs) -> Self {
        SalesforceSettings {
            client_id: args
                .salesforce_client_id
                .clone()
                .filter(|id| !id.trim().is_empty()),
            client_secret: args
                .salesforce_client_secret
                .clone()
                .filter(|secret| !secret.is_empty())
                .map(SecretString::from),
            login_url: args.salesforce_login_url.clone(),
            api_version: args.salesforce_api_version.clone(),
        }
    }
}

/// Everything `orgsync serve` needs.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    pub demo: bool,
    pub store: StoreSettings,
    /// The URL browsers reach orgsync at, if configured.
    pub public_url: Option<String>,
    pub encryption_key: Option<SecretString>,
    pub salesforce: SalesforceSettings,
    pub engine: EngineSettings,
}

/// The engine's timings from the command line.
pub fn engine_settings(args: &SyncArgs) -> EngineSettings {
    let seconds = |s: u64| std::time::Duration::from_secs(s.max(1));
    let defaults = EngineSettings::default();
    EngineSettings {
        poll_unit: seconds(args.sync_poll_unit_secs),
        overlap: std::time::Duration::from_secs(args.sync_overlap_secs),
        breaker: BreakerPolicy {
            base_cooldown: seconds(args.sync_circuit_cooldown_secs)
                .min(defaults.breaker.max_cooldown),
            max_cooldown: defaults.breaker.max_cooldown,
        },
        cdc_retry: seconds(args.sync_cdc_retry_secs),
    }
}

impl Settings {
    pub fn from_args(store: &StoreArgs, serve: &ServeArgs) -> Self {
        Settings {
            listen: serve.listen,
            demo: serve.demo,
            store: StoreSettings::from_args(store),
            public_url: serve.public_url.clone(),
            encryption_key: serve.encryption_key.clone().map(SecretString::from),
            salesforce: SalesforceSettings::from_args(&serve.salesforce),
            engine: engine_settings(&serve.sync),
        }
    }

    /// The public base URL without a trailing slash: the configured one, or the listen
    /// address (`localhost` when listening on every interface).
    pub fn public_base_url(&self, bound: SocketAddr) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None if bound.ip().is_unspecified() => format!("http://localhost:{}", bound.port()),
            None => format!("http://{bound}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn redacts_credentials_from_database_urls() {
        assert_eq!(
            redact_url("postgres://user:secret@db.example:5432/orgsync"),
            "postgres://db.example:5432/orgsync"
        );
        assert_eq!(
            redact_url("sqlite://data/orgsync.db?mode=rwc"),
            "sqlite://data/orgsync.db?mode=rwc"
        );
    }
}
