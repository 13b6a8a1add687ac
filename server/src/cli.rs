//! Command-line interface: `orgsync serve | migrate | org | user`.
//!
//! Every flag has an `ORGSYNC_*` environment twin, so a container or a systemd unit can
//! configure orgsync without a command line.

use std::{net::SocketAddr, path::PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};

/// orgsync keeps Salesforce Contacts and Leads flowing into dialer campaigns.
#[derive(Debug, Parser)]
#[command(name = "orgsync", version, about, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Where the data lives. Shared by every command.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// Directory for the SQLite database, the setup code and other local state (created
    /// owner-only, 0700). Default: `data`, or `data-demo` for `serve --demo`.
    #[arg(long, global = true, env = "ORGSYNC_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL (`sqlite://...` or `postgres://...`); defaults to `orgsync.db` in the data directory.
    #[arg(
        long,
        global = true,
        env = "ORGSYNC_DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web application (applies pending migrations first).
    Serve(ServeArgs),
    /// Run the Salesforce simulator alone (OAuth, REST, CometD CDC and the control API).
    Sim(SimArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage organizations and their feature flags.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
}

/// `Debug` is written by hand below: the encryption key never reaches a log line.
#[derive(Clone, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "ORGSYNC_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,
    /// Also create a demo organization and administrator, so a newcomer sees the whole flow.
    /// Without a configured connected app, the demo signs in to its own Salesforce simulator.
    /// The demo's accounts have a published password: it keeps its data in `data-demo` unless
    /// --data-dir is given, refuses --database-url, and listens on loopback addresses only
    /// unless --demo-allow-remote is given.
    #[arg(long, env = "ORGSYNC_DEMO")]
    pub demo: bool,
    /// Let `--demo` listen on a non-loopback address: anyone who reaches it can sign in as
    /// `admin` with the published demo password.
    #[arg(long, env = "ORGSYNC_DEMO_ALLOW_REMOTE", requires = "demo")]
    pub demo_allow_remote: bool,
    /// The URL browsers use to reach orgsync (for the Salesforce callback
    /// `<public-url>/auth/salesforce/callback`). Default: http://<listen address>.
    #[arg(long, env = "ORGSYNC_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Key that encrypts stored OAuth tokens: 32 bytes, base64 (`openssl rand -base64 32`).
    /// A key given on the command line shows in `ps` to every user of the machine: prefer
    /// ORGSYNC_ENCRYPTION_KEY or --encryption-key-file. Default: generated once into
    /// <data-dir>/encryption.key (mode 0600).
    #[arg(long, env = "ORGSYNC_ENCRYPTION_KEY", hide_env_values = true)]
    pub encryption_key: Option<String>,
    /// File holding the key that encrypts stored OAuth tokens (32 bytes, base64). It must exist
    /// and be readable by its owner only (chmod 600).
    #[arg(
        long,
        env = "ORGSYNC_ENCRYPTION_KEY_FILE",
        conflicts_with = "encryption_key"
    )]
    pub encryption_key_file: Option<PathBuf>,
    #[command(flatten)]
    pub salesforce: SalesforceArgs,
    #[command(flatten)]
    pub sync: SyncArgs,
}

/// Sync engine timings. The defaults are the product's; tests and demos shorten them.
#[derive(Debug, Clone, Args)]
pub struct SyncArgs {
    /// The circuit breaker's first cool-down in seconds after five failures in a row; each
    /// failed trial doubles it, never beyond one hour.
    #[arg(
        long,
        env = "ORGSYNC_SYNC_CIRCUIT_COOLDOWN_SECS",
        default_value_t = 300
    )]
    pub sync_circuit_cooldown_secs: u64,
    /// How far (seconds) each REST poll re-reads before its watermark, to catch changes that
    /// Salesforce committed late with an older SystemModstamp.
    #[arg(long, env = "ORGSYNC_SYNC_OVERLAP_SECS", default_value_t = 300)]
    pub sync_overlap_secs: u64,
    /// Seconds in one "minute" of a polling interval. Only for tests and demos: 1 makes a
    /// 5 min interval poll every 5 s.
    #[arg(
        long,
        env = "ORGSYNC_SYNC_POLL_UNIT_SECS",
        default_value_t = 60,
        hide = true
    )]
    pub sync_poll_unit_secs: u64,
    /// Seconds a CDC sync waits before retrying after a transient failure.
    #[arg(
        long,
        env = "ORGSYNC_SYNC_CDC_RETRY_SECS",
        default_value_t = 10,
        hide = true
    )]
    pub sync_cdc_retry_secs: u64,
    /// Seconds an instance owns an Org Sync without renewing it. With several instances on one
    /// PostgreSQL, a sync whose instance died moves to another one within about this time.
    #[arg(long, env = "ORGSYNC_SYNC_LEASE_SECS", default_value_t = 30)]
    pub sync_lease_secs: u64,
}

impl Default for SyncArgs {
    fn default() -> Self {
        SyncArgs {
            sync_circuit_cooldown_secs: 300,
            sync_overlap_secs: 300,
            sync_poll_unit_secs: 60,
            sync_cdc_retry_secs: 10,
            sync_lease_secs: 30,
        }
    }
}

/// The Salesforce connected app orgsync signs in with (Setup → App Manager in Salesforce).
/// `Debug` is written by hand below: the client secret never reaches a log line.
#[derive(Clone, Args)]
pub struct SalesforceArgs {
    /// The connected app's consumer key. Without it, the Integrations page explains that
    /// Salesforce is not configured.
    #[arg(long, env = "ORGSYNC_SALESFORCE_CLIENT_ID")]
    pub salesforce_client_id: Option<String>,
    /// The connected app's consumer secret (prefer the environment variable: command lines are visible to other users).
    #[arg(long, env = "ORGSYNC_SALESFORCE_CLIENT_SECRET", hide_env_values = true)]
    pub salesforce_client_secret: Option<String>,
    /// Where admins sign in: https://login.salesforce.com (production), https://test.salesforce.com
    /// (sandbox), a My Domain URL, or a simulator.
    #[arg(
        long,
        env = "ORGSYNC_SALESFORCE_LOGIN_URL",
        default_value = "https://login.salesforce.com"
    )]
    pub salesforce_login_url: String,
    /// The Salesforce REST API version orgsync calls.
    #[arg(long, env = "ORGSYNC_SALESFORCE_API_VERSION", default_value = "62.0")]
    pub salesforce_api_version: String,
}

const REDACTED: &str = "<redacted>";

impl std::fmt::Debug for ServeArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeArgs")
            .field("listen", &self.listen)
            .field("demo", &self.demo)
            .field("demo_allow_remote", &self.demo_allow_remote)
            .field("public_url", &self.public_url)
            .field(
                "encryption_key",
                &self.encryption_key.as_ref().map(|_| REDACTED),
            )
            .field("encryption_key_file", &self.encryption_key_file)
            .field("salesforce", &self.salesforce)
            .field("sync", &self.sync)
            .finish()
    }
}

impl std::fmt::Debug for SalesforceArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SalesforceArgs")
            .field("salesforce_client_id", &self.salesforce_client_id)
            .field(
                "salesforce_client_secret",
                &self.salesforce_client_secret.as_ref().map(|_| REDACTED),
            )
            .field("salesforce_login_url", &self.salesforce_login_url)
            .field("salesforce_api_version", &self.salesforce_api_version)
            .finish()
    }
}

#[derive(Debug, Clone, Args)]
pub struct SimArgs {
    /// Address and port the simulator listens on.
    #[arg(long, env = "ORGSYNC_SIM_LISTEN", default_value = "127.0.0.1:3100")]
    pub listen: SocketAddr,
    /// Number of seeded Contacts.
    #[arg(long, env = "ORGSYNC_SIM_CONTACTS", default_value_t = 1000)]
    pub contacts: usize,
    /// Number of seeded Leads.
    #[arg(long, env = "ORGSYNC_SIM_LEADS", default_value_t = 500)]
    pub leads: usize,
    /// Seed of the generated data (same seed, same records).
    #[arg(long, env = "ORGSYNC_SIM_SEED", default_value_t = 42)]
    pub seed: u64,
    /// Serve HTTPS with a generated self-signed certificate (for clients that insist on https).
    #[arg(long, env = "ORGSYNC_SIM_TLS")]
    pub tls: bool,
    /// Lifetime of access tokens, in seconds.
    #[arg(long, env = "ORGSYNC_SIM_TOKEN_TTL", default_value_t = 7200)]
    pub token_ttl_secs: u64,
    /// Number of CDC events kept for replay.
    #[arg(long, env = "ORGSYNC_SIM_RETENTION", default_value_t = 100_000)]
    pub retention: usize,
    /// Lifetime of refresh tokens, in seconds (default: until revoked).
    #[arg(long, env = "ORGSYNC_SIM_REFRESH_TOKEN_TTL")]
    pub refresh_token_ttl_secs: Option<u64>,
    /// Listen on a non-loopback address: the control API has no authentication and the
    /// connected app's secret and users' passwords are published, so anyone who reaches the
    /// simulator controls it.
    #[arg(long, env = "ORGSYNC_SIM_ALLOW_REMOTE")]
    pub allow_remote: bool,
}

#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Create an organization (feature flags start off).
    Create {
        /// The organization's name (unique).
        name: String,
    },
    /// List organizations and their feature flags.
    List,
    /// Switch one of an organization's feature flags on or off.
    Flag {
        /// The organization's name.
        org: String,
        /// The flag, for example `integrations`.
        flag: String,
        /// `on` or `off`.
        state: FlagState,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FlagState {
    On,
    Off,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user. The password is read from ORGSYNC_PASSWORD, or from the first line of standard input.
    Create {
        /// The organization the user belongs to.
        #[arg(long)]
        org: String,
        /// The sign-in name (unique).
        #[arg(long)]
        username: String,
        /// What the user may do.
        #[arg(long, value_enum, default_value = "viewer")]
        role: RoleArg,
    },
    /// Disable a user: they cannot sign in, and every session of theirs ends now.
    Disable {
        /// The sign-in name (usernames are unique across organizations).
        username: String,
    },
    /// Enable a disabled user again.
    Enable {
        /// The sign-in name.
        username: String,
    },
    /// Delete a user and end their sessions.
    Delete {
        /// The sign-in name.
        username: String,
    },
    /// Set a new password (from ORGSYNC_PASSWORD, or the first line of standard input); every
    /// session of the user ends.
    Password {
        /// The sign-in name.
        username: String,
    },
    /// End every session of a user (sign them out everywhere).
    SignOut {
        /// The sign-in name.
        username: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleArg {
    Admin,
    Viewer,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_encryption_key_or_the_client_secret() {
        let args = ServeArgs {
            listen: "127.0.0.1:3000".parse().expect("address"),
            demo: false,
            demo_allow_remote: false,
            public_url: None,
            encryption_key: Some("key-material-do-not-print".into()),
            encryption_key_file: None,
            salesforce: SalesforceArgs {
                salesforce_client_id: Some("client-id".into()),
                salesforce_client_secret: Some("secret-do-not-print".into()),
                salesforce_login_url: "https://login.salesforce.com".into(),
                salesforce_api_version: "62.0".into(),
            },
            sync: SyncArgs::default(),
        };
        let printed = format!("{args:?}");
        assert!(printed.contains("client-id") && printed.contains("<redacted>"));
        assert!(!printed.contains("do-not-print"), "{printed}");
    }

    #[test]
    fn the_encryption_key_comes_from_one_place_only() {
        let both = Cli::try_parse_from([
            "orgsync",
            "serve",
            "--encryption-key",
            "a2V5",
            "--encryption-key-file",
            "/etc/orgsync/key",
        ]);
        assert!(both.is_err());
        let help = <Cli as clap::CommandFactory>::command()
            .find_subcommand_mut("serve")
            .expect("serve")
            .render_long_help()
            .to_string();
        assert!(help.contains("shows in `ps`"), "{help}");
        assert!(help.contains("--encryption-key-file"), "{help}");
    }
}
