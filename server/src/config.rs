//! Settings derived from the command line and environment, with laptop-friendly defaults.

use std::{fmt, net::SocketAddr, path::PathBuf};

use crate::cli::{ServeArgs, StoreArgs};

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

/// Everything `orgsync serve` needs.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    pub demo: bool,
    pub store: StoreSettings,
}

impl Settings {
    pub fn from_args(store: &StoreArgs, serve: &ServeArgs) -> Self {
        Settings {
            listen: serve.listen,
            demo: serve.demo,
            store: StoreSettings::from_args(store),
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
