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

pub mod api_keys;
pub mod app_settings;
pub mod call_activities;
pub mod campaign_records;
pub mod campaigns;
pub mod data_source_links;
pub mod data_sources;
pub mod entities;
mod error;
pub mod first_run;
pub mod leases;
pub mod mirror;
pub mod notify;
pub mod oauth_tokens;
pub mod org_syncs;
pub mod organizations;
mod postgres;
pub mod salesforce_accounts;
pub mod salesforce_connection;
pub mod salesforce_sign_ins;
pub mod sessions;
mod sqlite_file;
pub mod sync_runs;
pub mod users;

use std::{
    path::{Path, PathBuf},
    str::FromStr,
    sync::Arc,
    time::Duration,
};

use migrations::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, Database, RuntimeErr, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
    sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode},
};

pub use error::StoreError;
pub use sea_orm::{DatabaseConnection, DbErr};

/// How long a SQLite statement waits for another writer's lock before failing with "database is
/// locked".
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Connections in a SQLite file pool: WAL lets readers work while one writer commits.
const SQLITE_MAX_CONNECTIONS: u32 = 4;

/// Page cache of each SQLite file connection, in KiB (SQLite's default is 2,000). Materializing
/// campaigns writes one table and three indexes at once; with the default cache their pages went
/// back and forth to the OS, and 100,000 Contacts materialized about 10% more slowly. Pages are
/// cached as they are read, so a small database stays small.
const SQLITE_CACHE_KIB: u32 = 16_384;

/// Name of the SQLite database file inside the data directory.
const SQLITE_FILE_NAME: &str = "orgsync.db";

/// Opens a connection pool for `url` (`sqlite:…` or `postgres://…`).
///
/// For SQLite the file is created if missing, readable by its owner only (0600, and so are its
/// `-wal` and `-shm` files; an existing file open to others is narrowed to 0600), and every
/// connection runs with WAL journaling, `foreign_keys=ON` (the schema relies on cascades) and a
/// 5 s busy timeout. A file pool holds a few connections; an in-memory database keeps one,
/// because each connection would otherwise see its own empty database. With more than one
/// connection, keep SQLite transactions short, and begin every transaction that writes with
/// [`begin_write`]: one begun with a read fails with "database is locked" when another
/// connection commits before its first write.
///
/// Statement logging is off: SQL never reaches the logs, and neither do the values it carries.
///
/// Returns [`StoreError::Db`] when the database cannot be reached or the URL is invalid, and
/// [`StoreError::File`] when the SQLite file cannot be created or made private.
pub async fn connect(url: &str) -> Result<DatabaseConnection, StoreError> {
    let mut options = ConnectOptions::new(url);
    match sqlite_target(url)? {
        Some(SqliteTarget::Memory) => {
            options.max_connections(1);
            options
                .map_sqlx_sqlite_opts(|o| o.foreign_keys(true).busy_timeout(SQLITE_BUSY_TIMEOUT));
        }
        Some(SqliteTarget::File { path, read_only }) => {
            if !read_only {
                sqlite_file::make_private(&path).map_err(|source| StoreError::File {
                    path: path.display().to_string(),
                    source,
                })?;
            }
            options.max_connections(SQLITE_MAX_CONNECTIONS);
            options.map_sqlx_sqlite_opts(|o| {
                o.create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .foreign_keys(true)
                    .busy_timeout(SQLITE_BUSY_TIMEOUT)
                    .pragma("cache_size", format!("-{SQLITE_CACHE_KIB}"))
            });
        }
        None => postgres::configure(&mut options, url),
    }
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
///
/// On PostgreSQL, instances starting together take turns (a session-level advisory lock held
/// on a connection of its own): the first migrates, the others then find nothing to do.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), StoreError> {
    if db.get_database_backend() != sea_orm::DbBackend::Postgres {
        Migrator::up(db, None).await?;
        return Ok(());
    }
    let mut turn = db
        .get_postgres_connection_pool()
        .acquire()
        .await
        .map_err(notify::sqlx_error)?;
    sea_orm::sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *turn)
        .await
        .map_err(notify::sqlx_error)?;
    let migrated = Migrator::up(db, None).await;
    if let Err(error) = sea_orm::sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *turn)
        .await
    {
        // Closing the connection ends the lock too.
        tracing::warn!(%error, "cannot release the migration lock; closing its connection");
        turn.close().await.ok();
    }
    migrated?;
    Ok(())
}

/// The advisory lock key instances take turns on to migrate ("orgsync" in ASCII).
const MIGRATION_LOCK: i64 = 0x006f_7267_7379_6e63;

/// The SQLite URL for the database file `orgsync.db` inside `data_dir` ([`connect`] creates it).
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
    format!("sqlite://{encoded}")
}

/// The database file a `sqlite:` URL opens; `None` for PostgreSQL or an in-memory database.
pub fn sqlite_file(url: &str) -> Result<Option<PathBuf>, StoreError> {
    Ok(match sqlite_target(url)? {
        Some(SqliteTarget::File { path, .. }) => Some(path),
        _ => None,
    })
}

/// Where a `sqlite:` URL keeps its database, as sqlx reads it.
#[derive(Debug, PartialEq)]
enum SqliteTarget {
    Memory,
    File { path: PathBuf, read_only: bool },
}

/// `None` for a URL that is not `sqlite:`; otherwise where sqlx will open it (its own parser
/// gives the file name, so the file orgsync creates is the file sqlx opens).
fn sqlite_target(url: &str) -> Result<Option<SqliteTarget>, StoreError> {
    if !url.starts_with("sqlite:") {
        return Ok(None);
    }
    let parsed = SqliteConnectOptions::from_str(url)
        .map_err(|e| StoreError::Db(DbErr::Conn(RuntimeErr::SqlxError(Arc::new(e)))))?;
    // sqlx keeps `mode` to itself; read it from the query as sqlx does.
    let query = url.split_once('?').map_or("", |(_, query)| query);
    let mode = form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == "mode")
        .map(|(_, value)| value.into_owned());
    let path = parsed.get_filename();
    // sqlx names a `:memory:` database `file:sqlx-in-memory-…`: a SQLite URI, not a path.
    let in_memory = mode.as_deref() == Some("memory")
        || path.as_os_str().is_empty()
        || path.to_string_lossy().starts_with("file:");
    Ok(Some(if in_memory {
        SqliteTarget::Memory
    } else {
        SqliteTarget::File {
            path: path.to_path_buf(),
            read_only: mode.as_deref() == Some("ro"),
        }
    }))
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

    #[test]
    fn sqlite_url_for_points_at_orgsync_db() {
        let url = sqlite_url_for(Path::new("/var/lib/orgsync"));
        assert_eq!(url, "sqlite:///var/lib/orgsync/orgsync.db");
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
    fn sqlite_targets_are_read_the_way_sqlx_reads_them() {
        let file = |path: &str, read_only| {
            Some(SqliteTarget::File {
                path: PathBuf::from(path),
                read_only,
            })
        };
        let target = |url: &str| sqlite_target(url).expect("a valid URL");
        assert_eq!(target("sqlite://a.db"), file("a.db", false));
        assert_eq!(target("sqlite:a.db?cache=shared"), file("a.db", false));
        assert_eq!(target("sqlite://a.db?mode=ro"), file("a.db", true));
        assert_eq!(target("sqlite::memory:"), Some(SqliteTarget::Memory));
        assert_eq!(target("sqlite://?mode=memory"), Some(SqliteTarget::Memory));
        assert_eq!(target("sqlite://:memory:"), Some(SqliteTarget::Memory));
        assert_eq!(target("postgres://localhost/x"), None);
    }

    /// The database and the files SQLite creates beside it in WAL mode are the owner's alone.
    #[cfg(unix)]
    #[tokio::test]
    async fn the_database_file_and_its_wal_files_are_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let db = connect(&sqlite_url_for(dir.path())).await.unwrap();
        migrate(&db).await.unwrap();
        for name in ["orgsync.db", "orgsync.db-wal", "orgsync.db-shm"] {
            let metadata =
                std::fs::metadata(dir.path().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(metadata.permissions().mode() & 0o777, 0o600, "{name}");
        }
        db.close().await.unwrap();
    }
}
