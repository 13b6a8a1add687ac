//! The orgsync database layer: SeaORM entities and the queries the rest of the server runs. This is
//! the only crate with SQL in it.
//!
//! Both SQLite (the default, one file in the data directory) and PostgreSQL are supported with the
//! same entities and the same migrations. Functions take `&impl ConnectionTrait`, so callers can
//! pass a [`DatabaseConnection`] or a transaction, and return [`StoreError`], which tells a
//! missing row or a unique-constraint clash apart from a database failure.
//!
//! ```no_run
//! # async fn demo() -> Result<(), store::StoreError> {
//! let db = store::connect(&store::sqlite_url_for(std::path::Path::new("/var/lib/orgsync"))).await?;
//! store::migrate(&db).await?;
//! let org = store::organizations::create(&db, "Acme").await?;
//! # let _ = org; Ok(()) }
//! ```

pub mod app_settings;
pub mod campaigns;
pub mod data_sources;
pub mod entities;
mod error;
pub mod first_run;
pub mod mirror;
pub mod oauth_tokens;
pub mod org_syncs;
pub mod organizations;
pub mod salesforce_accounts;
pub mod salesforce_connection;
pub mod sessions;
pub mod sync_runs;
pub mod users;

use std::{path::Path, time::Duration};

use migrations::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, Database, SqliteTransactionMode, TransactionOptions, TransactionTrait,
    sqlx::sqlite::SqliteJournalMode,
};

pub use error::StoreError;
pub use sea_orm::{DatabaseConnection, DbErr};

/// How long a SQLite statement waits for another writer's lock before failing with "database is
/// locked".
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Connections in a SQLite file pool: WAL lets readers work while one writer commits.
const SQLITE_MAX_CONNECTIONS: u32 = 4;

/// Name of the SQLite database file inside the data directory.
const SQLITE_FILE_NAME: &str = "orgsync.db";

/// Opens a connection pool for `url` (`sqlite:…` or `postgres://…`).
///
/// For SQLite the file is created if missing (`mode=rwc`, unless the URL sets its own `mode`), and
/// every connection runs with WAL journaling, `foreign_keys=ON` (the schema relies on cascades)
/// and a 5 s busy timeout. A file pool holds a few connections; an in-memory database keeps one,
/// because each connection would otherwise see its own empty database. With more than one
/// connection, keep SQLite transactions short, and begin every transaction that writes with
/// [`begin_write`]: one begun with a read fails with "database is locked" when another
/// connection commits before its first write.
///
/// Statement logging is off: SQL never reaches the logs, and neither do the values it carries.
///
/// Returns [`StoreError::Db`] when the database cannot be reached or the URL is invalid.
pub async fn connect(url: &str) -> Result<DatabaseConnection, StoreError> {
    let mut options = match sqlite_location(url) {
        Some(location) => {
            let mut options = ConnectOptions::new(with_create_mode(url, &location));
            if location.in_memory {
                options.max_connections(1);
                options.map_sqlx_sqlite_opts(|o| {
                    o.foreign_keys(true).busy_timeout(SQLITE_BUSY_TIMEOUT)
                });
            } else {
                options.max_connections(SQLITE_MAX_CONNECTIONS);
                options.map_sqlx_sqlite_opts(|o| {
                    o.journal_mode(SqliteJournalMode::Wal)
                        .foreign_keys(true)
                        .busy_timeout(SQLITE_BUSY_TIMEOUT)
                });
            }
            options
        }
        None => {
            let mut options = ConnectOptions::new(url);
            // Plan every statement with its parameters. PostgreSQL otherwise switches a
            // prepared statement to a generic plan after five runs, chosen while a table is
            // still small: the mirror's `sf_id IN (...)` lookup kept a sequential scan as the
            // table grew, and a 100,000-Contact backfill slowed to 1,100 records/s.
            options
                .map_sqlx_postgres_opts(|o| o.options([("plan_cache_mode", "force_custom_plan")]));
            options
        }
    };
    options.sqlx_logging(false);
    let db = Database::connect(options).await?;
    tracing::debug!(
        backend = db.get_database_backend().as_str(),
        "connected to the database"
    );
    Ok(db)
}

/// Begins a transaction that will write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`), waiting for it up to the busy timeout; a transaction begun with a read
/// and writing later fails at once with "database is locked" whenever another connection
/// commits in between (Disconnect failed so while a sync was writing). PostgreSQL ignores the
/// mode.
pub(crate) async fn begin_write<C: TransactionTrait>(db: &C) -> Result<C::Transaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        isolation_level: None,
        access_mode: None,
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
    })
    .await
}

/// Applies every pending migration (the server calls this at start-up).
///
/// Returns [`StoreError::Db`] if a migration fails; each migration runs in a transaction, so a
/// failed one leaves the schema as it was before it.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), StoreError> {
    Migrator::up(db, None).await?;
    Ok(())
}

/// The SQLite URL for the database file `orgsync.db` inside `data_dir`, created on first connect.
///
/// Characters that the URL would otherwise misread (`%`, `?`, `#`) are percent-encoded. A path
/// that is not valid UTF-8 is converted lossily.
pub fn sqlite_url_for(data_dir: &Path) -> String {
    let path = data_dir.join(SQLITE_FILE_NAME);
    let mut encoded = String::new();
    for c in path.to_string_lossy().chars() {
        match c {
            '%' => encoded.push_str("%25"),
            '?' => encoded.push_str("%3F"),
            '#' => encoded.push_str("%23"),
            c => encoded.push(c),
        }
    }
    format!("sqlite://{encoded}?mode=rwc")
}

/// What [`connect`] needs to know about a SQLite URL.
struct SqliteLocation {
    in_memory: bool,
    has_mode: bool,
    has_params: bool,
}

/// Splits a `sqlite:` URL the way sqlx does; `None` for any other scheme.
fn sqlite_location(url: &str) -> Option<SqliteLocation> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let (database, params) = match rest.split_once('?') {
        Some((database, params)) => (database, Some(params)),
        None => (rest, None),
    };
    let param = |key: &str| {
        params
            .into_iter()
            .flat_map(|p| p.split('&'))
            .find_map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                (k == key).then_some(v)
            })
    };
    let mode = param("mode");
    Some(SqliteLocation {
        in_memory: database == ":memory:" || database.is_empty() || mode == Some("memory"),
        has_mode: mode.is_some(),
        has_params: params.is_some_and(|p| !p.is_empty()),
    })
}

/// Adds `mode=rwc` (create the file if missing) unless the URL already chose a mode.
fn with_create_mode(url: &str, location: &SqliteLocation) -> String {
    if location.in_memory || location.has_mode {
        url.to_owned()
    } else if location.has_params {
        format!("{url}&mode=rwc")
    } else {
        format!("{}?mode=rwc", url.trim_end_matches('?'))
    }
}

/// A timestamp at microsecond precision, the finest PostgreSQL stores, so that a value reads back
/// the same on both backends.
pub(crate) fn at_micros(t: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    t.trunc_subsecs(6)
}

/// The current time at microsecond precision (see [`at_micros`]).
pub(crate) fn now() -> chrono::DateTime<chrono::Utc> {
    at_micros(chrono::Utc::now())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::sqlx::sqlite::SqliteConnectOptions;

    #[test]
    fn sqlite_url_for_points_at_orgsync_db_and_creates_it() {
        let url = sqlite_url_for(Path::new("/var/lib/orgsync"));
        assert_eq!(url, "sqlite:///var/lib/orgsync/orgsync.db?mode=rwc");
        let parsed: SqliteConnectOptions = url.parse().expect("sqlx parses the URL");
        assert_eq!(
            parsed.get_filename(),
            Path::new("/var/lib/orgsync/orgsync.db")
        );
    }

    #[test]
    fn sqlite_url_for_escapes_characters_that_end_the_path() {
        let url = sqlite_url_for(Path::new("/tmp/a?b#c%d"));
        let parsed: SqliteConnectOptions = url.parse().expect("sqlx parses the URL");
        assert_eq!(parsed.get_filename(), Path::new("/tmp/a?b#c%d/orgsync.db"));
    }

    #[test]
    fn create_mode_is_added_only_when_no_mode_is_set() {
        let add = |url: &str| {
            let location = sqlite_location(url).expect("a sqlite URL");
            with_create_mode(url, &location)
        };
        assert_eq!(add("sqlite://a.db"), "sqlite://a.db?mode=rwc");
        assert_eq!(
            add("sqlite:a.db?cache=shared"),
            "sqlite:a.db?cache=shared&mode=rwc"
        );
        assert_eq!(add("sqlite://a.db?mode=ro"), "sqlite://a.db?mode=ro");
        assert_eq!(add("sqlite::memory:"), "sqlite::memory:");
        assert!(sqlite_location("postgres://localhost/x").is_none());
        assert!(sqlite_location("sqlite://?mode=memory").is_some_and(|l| l.in_memory));
    }
}
