//! Settings derived from the command line and environment, with laptop-friendly defaults.

use std::{fmt, net::SocketAddr, path::PathBuf};

use secrecy::SecretString;

use crate::{
    cli::{SalesforceArgs, ServeArgs, StoreArgs, SyncArgs},
    secrets::KeySource,
    sync::{BreakerPolicy, EngineSettings},
};

/// The data directory when none is given.
pub const DEFAULT_DATA_DIR: &str = "data";
/// The data directory of `serve --demo` when none is given: the demo's accounts, whose password
/// is published, never land in the real database.
pub const DEFAULT_DEMO_DATA_DIR: &str = "data-demo";

/// Where and how the store is reached.
#[derive(Clone)]
pub struct StoreSettings {
    pub data_dir: PathBuf,
    database_url: Option<String>,
}

impl StoreSettings {
    pub fn from_args(args: &StoreArgs) -> Self {
        Self::with_default_dir(args, DEFAULT_DATA_DIR)
    }

    /// For `serve --demo`: the given data directory, or `data-demo`.
    pub fn for_demo(args: &StoreArgs) -> Self {
        Self::with_default_dir(args, DEFAULT_DEMO_DATA_DIR)
    }

    fn with_default_dir(args: &StoreArgs, default_dir: &str) -> Self {
        StoreSettings {
            data_dir: args
                .data_dir
                .clone()
                .unwrap_or_else(|| PathBuf::from(default_dir)),
            database_url: args.database_url.clone(),
        }
    }

    /// The database URL: the configured one, or the SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| store::sqlite_url_for(&self.data_dir))
    }

    /// True when a database URL was configured (rather than the data directory's SQLite file).
    pub fn has_database_url(&self) -> bool {
        self.database_url.is_some()
    }
}

/// Database URLs may carry passwords: the password and query values are redacted.
impl fmt::Debug for StoreSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreSettings")
            .field("data_dir", &self.data_dir)
            .field("database", &redact_url(&self.database_url()))
            .finish()
    }
}

/// What replaces a secret in a printed URL.
const REDACTED: &str = "redacted";

/// Query parameters whose values are shown: they choose how to connect and carry no secret.
/// Every other value is redacted, so a parameter this list does not know (`password`,
/// `sslpassword`, `passfile`, a future driver's token…) never reaches a log line.
const SHOWN_PARAMETERS: [&str; 10] = [
    "mode",
    "cache",
    "immutable",
    "sslmode",
    "host",
    "port",
    "dbname",
    "user",
    "application_name",
    "connect_timeout",
];

/// A database URL fit for a log line: the password and the value of every query parameter
/// not known to be harmless become `redacted`; the fragment is dropped. Scheme, user, host,
/// port and path stay, so the message still says which database it means.
pub fn redact_url(raw: &str) -> String {
    let Ok(mut url) = url::Url::parse(raw) else {
        return "<unparseable url>".to_string();
    };
    if url.password().is_some() {
        // Fails only for URLs that cannot carry a password, and this one carries one.
        let _ = url.set_password(Some(REDACTED));
    }
    url.set_fragment(None);
    if url.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(key, value)| {
                let value = if SHOWN_PARAMETERS.contains(&key.as_ref()) {
                    value.into_owned()
                } else {
                    REDACTED.to_string()
                };
                (key.into_owned(), value)
            })
            .collect();
        url.set_query(None);
        if !pairs.is_empty() {
            url.query_pairs_mut().extend_pairs(pairs);
        }
    }
    url.to_string()
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
    /// `--demo-allow-remote`: the demo may listen on a non-loopback address.
    pub demo_allow_remote: bool,
    pub store: StoreSettings,
    /// The URL browsers reach orgsync at, if configured.
    pub public_url: Option<String>,
    /// Where the key of stored secrets comes from, if not the data directory's key file.
    pub encryption_key: Option<KeySource>,
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
        lease: seconds(args.sync_lease_secs),
    }
}

impl Settings {
    pub fn from_args(store: &StoreArgs, serve: &ServeArgs) -> Self {
        Settings {
            listen: serve.listen,
            demo: serve.demo,
            demo_allow_remote: serve.demo_allow_remote,
            store: if serve.demo {
                StoreSettings::for_demo(store)
            } else {
                StoreSettings::from_args(store)
            },
            public_url: serve.public_url.clone(),
            encryption_key: KeySource::from_args(serve),
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
    fn redacts_the_password_of_database_urls() {
        assert_eq!(
            redact_url("postgres://user:secret@db.example:5432/orgsync"),
            "postgres://user:redacted@db.example:5432/orgsync"
        );
        assert_eq!(
            redact_url("postgres://db.example/orgsync"),
            "postgres://db.example/orgsync"
        );
    }

    /// The issue: `?password=` (and its kin) was printed as given, twice at start-up.
    #[test]
    fn redacts_secrets_carried_in_the_query() {
        let redacted = redact_url(
            "postgres://u@host/db?password=hunter2&sslmode=require&sslpassword=keypass&passfile=/home/u/.pgpass&options=-c%20x#frag",
        );
        assert_eq!(
            redacted,
            "postgres://u@host/db?password=redacted&sslmode=require&sslpassword=redacted&passfile=redacted&options=redacted"
        );
        for secret in ["hunter2", "keypass", ".pgpass", "frag"] {
            assert!(!redacted.contains(secret), "{secret} in {redacted}");
        }
    }

    #[test]
    fn keeps_sqlite_urls_readable() {
        assert_eq!(
            redact_url("sqlite://data/orgsync.db?mode=rwc"),
            "sqlite://data/orgsync.db?mode=rwc"
        );
        assert_eq!(
            redact_url("sqlite:///var/lib/orgsync/orgsync.db"),
            "sqlite:///var/lib/orgsync/orgsync.db"
        );
        assert_eq!(redact_url("not a url"), "<unparseable url>");
    }
}
