//! The test harness shared by the store's integration tests: every test runs twice, on a fresh
//! SQLite file and on a fresh PostgreSQL database (created as `orgsync_test_<random>` and dropped
//! afterwards).
//!
//! PostgreSQL is required: set `ORGSYNC_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`) to a server where that user may create
//! databases. If it cannot be reached the tests fail; they never skip.

// Each test binary compiles this module and uses only part of it.
#![allow(dead_code)]

use std::{
    future::Future,
    sync::atomic::{AtomicU32, Ordering},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};
use store::{entities::organizations as org_entity, organizations};

const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Runs `test` on a fresh, migrated SQLite file, then on a fresh, migrated PostgreSQL database.
/// A panic in either run fails the test after the database has been cleaned up.
pub async fn on_both_backends<F, Fut>(test: F)
where
    F: Fn(DatabaseConnection) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    // SQLite: a new file in a temporary directory.
    let dir = tempfile::tempdir().expect("create a temporary directory");
    let db = store::connect(&store::sqlite_url_for(dir.path()))
        .await
        .expect("open the SQLite test database");
    store::migrate(&db).await.expect("migrate SQLite");
    let outcome = tokio::spawn(test(db.clone())).await;
    db.close().await.expect("close SQLite");
    if let Err(err) = outcome {
        eprintln!("the test failed on SQLite");
        std::panic::resume_unwind(err.into_panic());
    }

    // PostgreSQL: a new database on the test server.
    let pg = TestPostgres::create().await;
    let db = store::connect(&pg.url)
        .await
        .expect("connect to the PostgreSQL test database");
    store::migrate(&db).await.expect("migrate PostgreSQL");
    let outcome = tokio::spawn(test(db.clone())).await;
    db.close().await.expect("close PostgreSQL");
    pg.drop_database().await;
    if let Err(err) = outcome {
        eprintln!("the test failed on PostgreSQL");
        std::panic::resume_unwind(err.into_panic());
    }
}

/// A throw-away database on the PostgreSQL test server.
struct TestPostgres {
    admin: DatabaseConnection,
    name: String,
    url: String,
}

impl TestPostgres {
    /// Creates `orgsync_test_<random>`; panics with a clear message if the server is unreachable.
    async fn create() -> Self {
        let admin_url = std::env::var("ORGSYNC_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
        let mut options = ConnectOptions::new(admin_url.clone());
        options
            .max_connections(1)
            .connect_timeout(Duration::from_secs(5))
            .acquire_timeout(Duration::from_secs(5))
            .sqlx_logging(false);
        let admin = Database::connect(options).await.unwrap_or_else(|err| {
            panic!(
                "PostgreSQL is required for the store tests but could not be reached at \
                 {admin_url}: {err}. Start PostgreSQL or point ORGSYNC_TEST_POSTGRES_URL at a \
                 server where this user may create databases."
            )
        });
        let name = unique_database_name();
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .unwrap_or_else(|err| panic!("could not create the test database {name}: {err}"));
        let url = with_database(&admin_url, &name);
        Self { admin, name, url }
    }

    async fn drop_database(self) {
        self.admin
            .execute_unprepared(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ))
            .await
            .unwrap_or_else(|err| panic!("could not drop the test database {}: {err}", self.name));
        self.admin
            .close()
            .await
            .expect("close the admin connection");
    }
}

fn unique_database_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_nanos();
    format!(
        "orgsync_test_{:x}{:x}{:x}",
        std::process::id(),
        nanos,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// `url` with its database name replaced by `name` (query parameters kept).
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let host_start = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[host_start..]
        .find('/')
        .map_or(base.len(), |i| host_start + i);
    let query = query.map(|q| format!("?{q}")).unwrap_or_default();
    format!("{}/{name}{query}", &base[..authority_end])
}

/// Creates an organization named `name`.
pub async fn org(db: &DatabaseConnection, name: &str) -> org_entity::Model {
    organizations::create(db, name)
        .await
        .expect("create an organization")
}
