//! Integration tests for the store. Every test runs twice: on a fresh SQLite file and on a fresh
//! PostgreSQL database (see `common`, which also says how to point the tests at PostgreSQL).

mod common;

use chrono::{TimeDelta, Utc};
use migrations::{Migrator, MigratorTrait, SchemaManager};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DbBackend, EntityTrait, PaginatorTrait, QueryFilter, Statement,
};
use store::{
    StoreError, app_settings, campaigns,
    entities::{
        campaign_records, data_source_links, data_sources, oauth_tokens, org_syncs,
        organizations as org_entity, salesforce_accounts, sf_records, sync_runs,
    },
    leases::Fence,
    oauth_tokens as tokens,
    org_syncs::{SfObject, SyncMethod, SyncStatus},
    organizations, salesforce_connection as connection, sessions,
    sync_runs::RunState,
    users::{self, Role},
};

use common::{on_both_backends, org, with_database};

/// Every table the migrations create.
const TABLES: [&str; 17] = [
    "organizations",
    "users",
    "sessions",
    "oauth_tokens",
    "app_settings",
    "salesforce_accounts",
    "org_syncs",
    "data_sources",
    "data_source_links",
    "sf_records",
    "campaigns",
    "campaign_records",
    "sync_runs",
    "call_activities",
    "salesforce_sign_ins",
    "leases",
    "api_keys",
];

async fn table_exists(db: &DatabaseConnection, table: &str) -> bool {
    SchemaManager::new(db)
        .has_table(table)
        .await
        .expect("look up a table")
}

// ---------------------------------------------------------------------------------------------
// Harness self-checks (no database)
// ---------------------------------------------------------------------------------------------

#[test]
fn with_database_replaces_only_the_database_name() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
        "postgres://postgres@127.0.0.1:5432/x"
    );
    assert_eq!(
        with_database("postgres://u:p@db/postgres?sslmode=disable", "x"),
        "postgres://u:p@db/x?sslmode=disable"
    );
    assert_eq!(
        with_database("postgres://db:5432", "x"),
        "postgres://db:5432/x"
    );
}

// ---------------------------------------------------------------------------------------------
// Migrations and connection
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn migrations_run_up_then_down_then_up() {
    on_both_backends(|db| async move {
        for table in TABLES {
            assert!(table_exists(&db, table).await, "{table} exists after up");
        }
        assert!(
            Migrator::get_pending_migrations(&db)
                .await
                .expect("pending migrations")
                .is_empty()
        );

        Migrator::down(&db, None).await.expect("migrate down");
        for table in TABLES {
            assert!(
                !table_exists(&db, table).await,
                "{table} is gone after down"
            );
        }

        Migrator::up(&db, None).await.expect("migrate up again");
        for table in TABLES {
            assert!(
                table_exists(&db, table).await,
                "{table} exists after up again"
            );
        }
        // The schema is usable, not just present.
        org(&db, "Acme").await;
        // Running up with nothing pending is a no-op.
        store::migrate(&db).await.expect("migrate is idempotent");
    })
    .await;
}

/// The columns `m20261203_000005_sync_engine` adds, as (table, column).
const SYNC_ENGINE_COLUMNS: [(&str, &str); 3] = [
    ("org_syncs", "backfill_total"),
    ("org_syncs", "backfill_records"),
    ("sf_records", "applied_count"),
];

async fn column_exists(db: &DatabaseConnection, table: &str, column: &str) -> bool {
    SchemaManager::new(db)
        .has_column(table, column)
        .await
        .expect("look up a column")
}

/// How many `Migrator::down` steps undo the migration `name`: it and every later one.
fn steps_to_undo(name: &str) -> u32 {
    let all = Migrator::migrations();
    let position = all
        .iter()
        .position(|m| m.name() == name)
        .expect("a known migration");
    u32::try_from(all.len() - position).expect("a few migrations")
}

/// `sf_records.sf_id`'s collation and length limit on PostgreSQL.
async fn sf_id_collation(db: &DatabaseConnection) -> (Option<String>, Option<i32>) {
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT collation_name::text, character_maximum_length::int FROM \
             information_schema.columns WHERE table_name = 'sf_records' AND column_name = 'sf_id'",
        ))
        .await
        .expect("read the column")
        .expect("sf_records.sf_id exists");
    (
        row.try_get_by_index(0).expect("collation"),
        row.try_get_by_index(1).expect("length"),
    )
}

const BYTEWISE: &str = "m20261204_000007_mirror_ids_bytewise";

#[tokio::test]
async fn the_mirror_ids_migration_makes_postgres_compare_sf_ids_bytewise() {
    on_both_backends(|db| async move {
        if db.get_database_backend() != DbBackend::Postgres {
            // SQLite compares text byte by byte already; the migration leaves it alone.
            Migrator::down(&db, Some(steps_to_undo(BYTEWISE)))
                .await
                .expect("down on SQLite");
            Migrator::up(&db, None).await.expect("up on SQLite");
            return;
        }
        assert_eq!(sf_id_collation(&db).await, (Some("C".into()), None));
        Migrator::down(&db, Some(steps_to_undo(BYTEWISE)))
            .await
            .expect("migrate down one");
        assert_eq!(sf_id_collation(&db).await, (None, None));
        Migrator::up(&db, None).await.expect("migrate up again");
        assert_eq!(sf_id_collation(&db).await, (Some("C".into()), None));
    })
    .await;
}

#[tokio::test]
async fn the_sync_engine_migration_adds_and_removes_its_columns() {
    on_both_backends(|db| async move {
        for (table, column) in SYNC_ENGINE_COLUMNS {
            assert!(column_exists(&db, table, column).await, "{table}.{column}");
        }
        let acme = org(&db, "Acme").await;
        let sync = org_sync(&db, acme.id, SfObject::Contact).await;

        // Down past it and every later migration: the columns go, the tables and their rows stay.
        Migrator::down(&db, Some(steps_to_undo("m20261203_000005_sync_engine")))
            .await
            .expect("migrate down past the sync engine");
        for (table, column) in SYNC_ENGINE_COLUMNS {
            assert!(
                !column_exists(&db, table, column).await,
                "{table}.{column} is gone after down"
            );
            assert!(table_exists(&db, table).await, "{table} stays");
        }
        let rows = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT COUNT(*) FROM org_syncs",
            ))
            .await
            .expect("count org syncs")
            .expect("a row");
        assert_eq!(rows.try_get_by_index::<i64>(0).expect("count"), 1);

        // Up again: the existing rows get the defaults.
        Migrator::up(&db, None).await.expect("migrate up again");
        let reloaded = store::org_syncs::find(&db, acme.id, sync)
            .await
            .expect("find")
            .expect("present");
        assert_eq!(
            (reloaded.backfill_records, reloaded.backfill_total),
            (None, None)
        );
    })
    .await;
}

#[tokio::test]
async fn the_session_lifecycle_migration_backfills_last_seen_and_goes_down() {
    on_both_backends(|db| async move {
        assert!(column_exists(&db, "sessions", "last_seen_at").await);
        assert!(column_exists(&db, "users", "disabled_at").await);
        let acme = org(&db, "Acme").await;
        let alice = users::create(&db, acme.id, "alice", "hash", Role::Admin)
            .await
            .expect("alice");
        sessions::create(&db, alice.id, "token", Utc::now() + TimeDelta::hours(1))
            .await
            .expect("session");
        Migrator::down(
            &db,
            Some(steps_to_undo("m20261204_000006_session_lifecycle")),
        )
        .await
        .expect("down past the session lifecycle");
        assert!(!column_exists(&db, "sessions", "last_seen_at").await);
        assert!(!column_exists(&db, "users", "disabled_at").await);
        Migrator::up(&db, None).await.expect("up again");
        let (session, user, _) = sessions::find_active(&db, "token", Utc::now(), long_ago())
            .await
            .expect("find")
            .expect("a session from before the migration still works");
        assert_eq!(session.last_seen_at, Some(session.created_at));
        assert!(user.disabled_at.is_none());
    })
    .await;
}

#[tokio::test]
async fn sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout() {
    let dir = tempfile::tempdir().expect("create a temporary directory");
    let path = dir.path().join("orgsync.db");
    assert!(!path.exists());
    let db = store::connect(&store::sqlite_url_for(dir.path()))
        .await
        .expect("open SQLite");
    assert!(path.exists(), "connect creates the database file");

    let pragma = |name: &'static str| {
        let db = db.clone();
        async move {
            db.query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                format!("PRAGMA {name}"),
            ))
            .await
            .expect("run the pragma")
            .expect("the pragma returns a row")
        }
    };
    let journal: String = pragma("journal_mode")
        .await
        .try_get_by_index(0)
        .expect("journal_mode");
    assert_eq!(journal.to_lowercase(), "wal");
    let foreign_keys: i64 = pragma("foreign_keys")
        .await
        .try_get_by_index(0)
        .expect("foreign_keys");
    assert_eq!(foreign_keys, 1);
    let busy_timeout: i64 = pragma("busy_timeout")
        .await
        .try_get_by_index(0)
        .expect("busy_timeout");
    assert_eq!(busy_timeout, 5000);
    db.close().await.expect("close SQLite");
}

#[tokio::test]
async fn connect_reports_an_unreachable_database_as_an_error() {
    let dir = tempfile::tempdir().expect("create a temporary directory");
    let missing = dir.path().join("no-such-dir").join("x.db");
    let err = store::connect(&format!("sqlite://{}", missing.display()))
        .await
        .expect_err("a file in a missing directory cannot be opened");
    // orgsync creates the file itself (owner-only) before SQLite opens it: that step fails.
    assert!(
        matches!(&err, StoreError::File { path, .. } if path.ends_with("x.db")),
        "{err:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Organizations
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn organizations_are_unique_by_name_and_keep_their_flags() {
    on_both_backends(|db| async move {
        let zed = org(&db, "Zed").await;
        let acme = org(&db, "Acme").await;
        assert!(acme.id > 0 && acme.id != zed.id);
        assert!(organizations::flags(&acme).expect("flags").is_empty());

        let err = organizations::create(&db, "Acme")
            .await
            .expect_err("duplicate name");
        assert!(
            matches!(&err, StoreError::Conflict(msg) if msg.contains("Acme")),
            "{err:?}"
        );

        let found = organizations::find_by_name(&db, "Acme")
            .await
            .expect("find by name");
        assert_eq!(found.as_ref().map(|o| o.id), Some(acme.id));
        let found = organizations::find_by_id(&db, acme.id)
            .await
            .expect("find by id");
        assert_eq!(found.map(|o| o.name), Some("Acme".to_owned()));
        assert!(
            organizations::find_by_name(&db, "Nobody")
                .await
                .expect("find by name")
                .is_none()
        );
        assert!(
            organizations::find_by_id(&db, acme.id + 1000)
                .await
                .expect("find by id")
                .is_none()
        );

        let names: Vec<String> = organizations::list(&db)
            .await
            .expect("list")
            .into_iter()
            .map(|o| o.name)
            .collect();
        assert_eq!(names, ["Acme", "Zed"]);

        // Flags round-trip, one at a time, without disturbing each other.
        organizations::set_flag(&db, acme.id, "integrations", true)
            .await
            .expect("set integrations");
        let updated = organizations::set_flag(&db, acme.id, "beta", false)
            .await
            .expect("set beta");
        let flags = organizations::flags(&updated).expect("flags");
        assert_eq!(flags.get("integrations"), Some(&true));
        assert_eq!(flags.get("beta"), Some(&false));
        assert_eq!(flags.len(), 2);

        organizations::set_flag(&db, acme.id, "integrations", false)
            .await
            .expect("clear integrations");
        let reloaded = organizations::find_by_id(&db, acme.id)
            .await
            .expect("reload")
            .expect("still there");
        let flags = organizations::flags(&reloaded).expect("flags");
        assert_eq!(flags.get("integrations"), Some(&false));
        // Other organizations are untouched.
        let zed = organizations::find_by_id(&db, zed.id)
            .await
            .expect("reload")
            .expect("still there");
        assert!(organizations::flags(&zed).expect("flags").is_empty());

        let err = organizations::set_flag(&db, acme.id + 1000, "integrations", true)
            .await
            .expect_err("missing organization");
        assert!(
            matches!(err, StoreError::NotFound("organization")),
            "{err:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn concurrent_flag_changes_are_not_lost() {
    on_both_backends(|db| async move {
        let acme = org(&db, "Acme").await;
        let flags = ["a", "b", "c", "d", "e", "f"];
        let mut tasks = Vec::new();
        for flag in flags {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                organizations::set_flag(&db, acme.id, flag, true).await
            }));
        }
        for task in tasks {
            task.await.expect("task").expect("set a flag");
        }
        let reloaded = organizations::find_by_id(&db, acme.id)
            .await
            .expect("reload")
            .expect("still there");
        let stored = organizations::flags(&reloaded).expect("flags");
        assert_eq!(stored.len(), flags.len(), "{stored:?}");
    })
    .await;
}

#[tokio::test]
async fn unreadable_flags_are_reported_as_corrupt() {
    on_both_backends(|db| async move {
        let acme = org(&db, "Acme").await;
        let mut broken: org_entity::ActiveModel = acme.clone().into();
        broken.feature_flags = Set("{not json".to_owned());
        let broken = broken.update(&db).await.expect("store bad JSON");

        let err = organizations::flags(&broken).expect_err("bad JSON");
        assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
        let err = organizations::set_flag(&db, acme.id, "integrations", true)
            .await
            .expect_err("bad JSON");
        assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
        // The failed change was rolled back.
        let reloaded = organizations::find_by_id(&db, acme.id)
            .await
            .expect("reload")
            .expect("still there");
        assert_eq!(reloaded.feature_flags, "{not json");
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// Users
// ---------------------------------------------------------------------------------------------

#[test]
fn roles_round_trip_through_their_stored_form() {
    for role in [Role::Admin, Role::Viewer] {
        assert_eq!(Role::parse(role.as_str()), Some(role));
        assert_eq!(role.to_string(), role.as_str());
    }
    assert_eq!(Role::Admin.as_str(), "admin");
    assert_eq!(Role::Viewer.as_str(), "viewer");
    assert_eq!(Role::parse("Admin"), None);
    assert_eq!(Role::parse("root"), None);
}

#[tokio::test]
async fn users_are_unique_by_username_and_keep_their_role() {
    on_both_backends(|db| async move {
        let acme = org(&db, "Acme").await;
        let other = org(&db, "Other").await;
        assert_eq!(users::count(&db).await.expect("count"), 0);

        let alice = users::create(&db, acme.id, "alice", "$argon2id$secret-hash", Role::Admin)
            .await
            .expect("create alice");
        let bob = users::create(&db, acme.id, "bob", "$argon2id$other", Role::Viewer)
            .await
            .expect("create bob");
        assert_eq!(users::count(&db).await.expect("count"), 2);
        assert_eq!(users::role(&alice).expect("role"), Role::Admin);
        assert_eq!(users::role(&bob).expect("role"), Role::Viewer);
        assert_eq!(alice.organization_id, acme.id);

        // Usernames are unique across organizations.
        let err = users::create(&db, other.id, "alice", "$argon2id$x", Role::Viewer)
            .await
            .expect_err("duplicate username");
        assert!(
            matches!(&err, StoreError::Conflict(msg) if msg.contains("alice")),
            "{err:?}"
        );
        assert_eq!(users::count(&db).await.expect("count"), 2);

        let err = users::create(&db, acme.id + 1000, "carol", "$argon2id$x", Role::Viewer)
            .await
            .expect_err("missing organization");
        assert!(
            matches!(err, StoreError::NotFound("organization")),
            "{err:?}"
        );

        let found = users::find_by_username(&db, "alice")
            .await
            .expect("find")
            .expect("alice exists");
        assert_eq!(found.id, alice.id);
        assert_eq!(found.password_hash, "$argon2id$secret-hash");
        assert_eq!(users::role(&found).expect("role"), Role::Admin);
        assert!(
            users::find_by_username(&db, "nobody")
                .await
                .expect("find")
                .is_none()
        );
        assert_eq!(
            users::find_by_id(&db, bob.id)
                .await
                .expect("find")
                .map(|u| u.username),
            Some("bob".to_owned())
        );

        // The password hash never shows up in debug output (and so in logs).
        assert!(!format!("{found:?}").contains("secret-hash"));
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// Sessions
// ---------------------------------------------------------------------------------------------

/// An idle cutoff no session is older than.
fn long_ago() -> chrono::DateTime<Utc> {
    Utc::now() - TimeDelta::days(365)
}

#[tokio::test]
async fn idle_sessions_and_disabled_users_are_refused() {
    on_both_backends(|db| async move {
        let acme = org(&db, "Acme").await;
        let alice = users::create(&db, acme.id, "alice", "hash", Role::Admin)
            .await
            .expect("create alice");
        let bob = users::create(&db, acme.id, "bob", "hash", Role::Viewer)
            .await
            .expect("create bob");
        let now = Utc::now();
        let day = TimeDelta::days(1);
        let session = sessions::create(&db, alice.id, "alice-hash", now + day)
            .await
            .expect("session");
        sessions::create(&db, bob.id, "bob-hash", now + day)
            .await
            .expect("session");
        assert!(
            session.last_seen_at.is_some(),
            "a new session was seen when created"
        );

        // Idle: last seen before the cutoff.
        let later = now + TimeDelta::hours(3);
        let cutoff = later - TimeDelta::hours(2);
        let found = sessions::find_active(&db, "alice-hash", later, cutoff)
            .await
            .expect("find");
        assert!(found.is_none(), "idle for three hours");
        sessions::touch(&db, session.id, later - TimeDelta::minutes(1))
            .await
            .expect("touch");
        let (seen, _, _) = sessions::find_active(&db, "alice-hash", later, cutoff)
            .await
            .expect("find")
            .expect("used a minute ago");
        assert!(seen.last_seen_at.expect("seen") > cutoff);

        // Sweeping idle sessions removes bob's (never used) and keeps alice's.
        assert_eq!(sessions::delete_idle(&db, cutoff).await.expect("sweep"), 1);

        // Disabled: refused and signed out; enabled again: can sign in anew.
        sessions::create(&db, alice.id, "alice-2", now + day)
            .await
            .expect("second session");
        assert_eq!(
            users::set_disabled(&db, "alice", true)
                .await
                .expect("disable"),
            2
        );
        assert!(
            sessions::find_active(&db, "alice-hash", now, long_ago())
                .await
                .expect("find")
                .is_none()
        );
        let stored = users::find_by_username(&db, "alice")
            .await
            .expect("find")
            .expect("alice");
        assert!(stored.disabled_at.is_some());
        sessions::create(&db, alice.id, "alice-3", now + day)
            .await
            .expect("a session row (as if created in a race)");
        assert!(
            sessions::find_active(&db, "alice-3", now, long_ago())
                .await
                .expect("find")
                .is_none(),
            "a disabled user's session is refused"
        );
        assert_eq!(
            users::set_disabled(&db, "alice", false)
                .await
                .expect("enable"),
            0
        );
        assert!(
            sessions::find_active(&db, "alice-3", now, long_ago())
                .await
                .expect("find")
                .is_some()
        );
        let err = users::set_disabled(&db, "nobody", true)
            .await
            .expect_err("unknown");
        assert!(matches!(err, StoreError::NotFound("user")), "{err:?}");
    })
    .await;
}

#[tokio::test]
async fn a_new_password_and_a_deletion_end_the_users_sessions() {
    on_both_backends(|db| async move {
        let acme = org(&db, "Acme").await;
        let alice = users::create(&db, acme.id, "alice", "old-hash", Role::Admin)
            .await
            .expect("create alice");
        let bob = users::create(&db, acme.id, "bob", "hash", Role::Viewer)
            .await
            .expect("create bob");
        let until = Utc::now() + TimeDelta::days(1);
        for hash in ["a1", "a2"] {
            sessions::create(&db, alice.id, hash, until)
                .await
                .expect("session");
        }
        sessions::create(&db, bob.id, "b1", until)
            .await
            .expect("session");

        assert_eq!(
            users::set_password_hash(&db, "alice", "new-hash")
                .await
                .expect("password"),
            2
        );
        let stored = users::find_by_username(&db, "alice")
            .await
            .expect("find")
            .expect("alice");
        assert_eq!(stored.password_hash, "new-hash");

        sessions::create(&db, alice.id, "a3", until)
            .await
            .expect("session");
        assert_eq!(
            sessions::delete_for_user(&db, alice.id)
                .await
                .expect("sign out"),
            1
        );

        sessions::create(&db, alice.id, "a4", until)
            .await
            .expect("session");
        users::delete(&db, "alice").await.expect("delete");
        assert!(
            users::find_by_username(&db, "alice")
                .await
                .expect("find")
                .is_none()
        );
        assert!(
            sessions::find_active(&db, "a4", Utc::now(), long_ago())
                .await
                .expect("find")
                .is_none()
        );
        // Bob is untouched throughout.
        assert!(
            sessions::find_active(&db, "b1", Utc::now(), long_ago())
                .await
                .expect("find")
                .is_some()
        );
        let err = users::delete(&db, "alice").await.expect_err("gone");
        assert!(matches!(err, StoreError::NotFound("user")), "{err:?}");
    })
    .await;
}

#[tokio::test]
async fn first_run_creates_the_organization_and_admin_together_or_not_at_all() {
    on_both_backends(|db| async move {
        let (acme, admin) = store::first_run::create_organization_and_admin(
            &db,
            "Acme",
            &["integrations"],
            "alice",
            "hash",
        )
        .await
        .expect("first run");
        assert_eq!(admin.organization_id, acme.id);
        assert_eq!(users::role(&admin).expect("role"), Role::Admin);
        let flags = organizations::flags(&acme).expect("flags");
        assert_eq!(flags.get("integrations"), Some(&true));

        // A taken username leaves no organization behind.
        let err = store::first_run::create_organization_and_admin(
            &db,
            "Globex",
            &["integrations"],
            "alice",
            "hash",
        )
        .await
        .expect_err("username taken");
        assert!(
            matches!(err, store::first_run::FirstRunError::UsernameTaken),
            "{err:?}"
        );
        assert!(
            organizations::find_by_name(&db, "Globex")
                .await
                .expect("find")
                .is_none(),
            "the organization was rolled back"
        );

        // A taken organization name says so.
        let err = store::first_run::create_organization_and_admin(&db, "Acme", &[], "bob", "hash")
            .await
            .expect_err("organization taken");
        assert!(
            matches!(err, store::first_run::FirstRunError::OrganizationTaken),
            "{err:?}"
        );
        assert!(
            users::find_by_username(&db, "bob")
                .await
                .expect("find")
                .is_none()
        );
    })
    .await;
}

#[tokio::test]
async fn sessions_are_found_until_they_expire_or_are_deleted() {
    on_both_backends(|db| async move {
        let acme = org(&db, "Acme").await;
        let alice = users::create(&db, acme.id, "alice", "hash", Role::Admin)
            .await
            .expect("create alice");
        let now = Utc::now();
        let hour = TimeDelta::hours(1);

        let live = sessions::create(&db, alice.id, "live-hash", now + hour)
            .await
            .expect("create a live session");
        let stale = sessions::create(&db, alice.id, "stale-hash", now - hour)
            .await
            .expect("create an expired session");
        assert_eq!(live.user_id, alice.id);

        let (session, user, organization) =
            sessions::find_active(&db, "live-hash", now, long_ago())
                .await
                .expect("find")
                .expect("the live session is active");
        assert_eq!(session.id, live.id);
        assert_eq!(user.id, alice.id);
        assert_eq!(organization.id, acme.id);

        // Expired: not found, whether it expired long ago or just now.
        assert!(
            sessions::find_active(&db, "stale-hash", now, long_ago())
                .await
                .expect("find")
                .is_none()
        );
        assert!(
            sessions::find_active(
                &db,
                "live-hash",
                now + hour + TimeDelta::seconds(1),
                long_ago()
            )
            .await
            .expect("find")
            .is_none()
        );
        assert!(
            sessions::find_active(&db, "unknown-hash", now, long_ago())
                .await
                .expect("find")
                .is_none()
        );

        // Token hashes are unique; unknown users are refused.
        let err = sessions::create(&db, alice.id, "live-hash", now + hour)
            .await
            .expect_err("duplicate token hash");
        assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
        let err = sessions::create(&db, alice.id + 1000, "other-hash", now + hour)
            .await
            .expect_err("missing user");
        assert!(matches!(err, StoreError::NotFound("user")), "{err:?}");

        // Only the expired session is swept.
        assert_eq!(sessions::delete_expired(&db, now).await.expect("sweep"), 1);
        assert_eq!(sessions::delete_expired(&db, now).await.expect("sweep"), 0);
        assert!(
            sessions::find_active(&db, "live-hash", now, long_ago())
                .await
                .expect("find")
                .is_some()
        );
        assert_ne!(stale.id, live.id);

        // Sign-out.
        assert!(sessions::delete(&db, "live-hash").await.expect("delete"));
        assert!(!sessions::delete(&db, "live-hash").await.expect("delete"));
        assert!(
            sessions::find_active(&db, "live-hash", now, long_ago())
                .await
                .expect("find")
                .is_none()
        );
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// App settings
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn app_settings_set_get_overwrite_and_delete() {
    on_both_backends(|db| async move {
        let acme = org(&db, "Acme").await;
        let other = org(&db, "Other").await;
        let key = "salesforce.oauth_token_id";

        assert_eq!(
            app_settings::get(&db, acme.id, key).await.expect("get"),
            None
        );

        app_settings::set(&db, acme.id, key, "1")
            .await
            .expect("set");
        assert_eq!(
            app_settings::get(&db, acme.id, key).await.expect("get"),
            Some("1".to_owned())
        );

        app_settings::set(&db, acme.id, key, "2")
            .await
            .expect("overwrite");
        assert_eq!(
            app_settings::get(&db, acme.id, key).await.expect("get"),
            Some("2".to_owned())
        );

        // Settings are per organization.
        app_settings::set(&db, other.id, key, "7")
            .await
            .expect("set other");
        assert_eq!(
            app_settings::get(&db, acme.id, key).await.expect("get"),
            Some("2".to_owned())
        );

        assert!(
            app_settings::delete(&db, acme.id, key)
                .await
                .expect("delete")
        );
        assert!(
            !app_settings::delete(&db, acme.id, key)
                .await
                .expect("delete")
        );
        assert_eq!(
            app_settings::get(&db, acme.id, key).await.expect("get"),
            None
        );
        assert_eq!(
            app_settings::get(&db, other.id, key).await.expect("get"),
            Some("7".to_owned())
        );

        let err = app_settings::set(&db, acme.id + 1000, key, "1")
            .await
            .expect_err("missing organization");
        assert!(
            matches!(err, StoreError::NotFound("organization")),
            "{err:?}"
        );
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// Listings
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn tokens_and_campaigns_are_listed_per_organization() {
    on_both_backends(|db| async move {
        let acme = org(&db, "Acme").await;
        let other = org(&db, "Other").await;
        for (org_id, user) in [
            (acme.id, "a@acme"),
            (other.id, "o@other"),
            (acme.id, "b@acme"),
        ] {
            token(&db, org_id, user).await;
        }
        for (org_id, name) in [
            (acme.id, "Renewals"),
            (other.id, "Other"),
            (acme.id, "Inbound"),
        ] {
            campaign(&db, org_id, name).await;
        }

        let usernames: Vec<String> = tokens::list_for_org(&db, acme.id)
            .await
            .expect("list tokens")
            .into_iter()
            .map(|t| t.username)
            .collect();
        assert_eq!(usernames, ["a@acme", "b@acme"]);

        let names: Vec<String> = campaigns::list_for_org(&db, acme.id)
            .await
            .expect("list campaigns")
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(names, ["Inbound", "Renewals"]);
        assert!(
            campaigns::list_for_org(&db, other.id + 1000)
                .await
                .expect("list campaigns")
                .is_empty()
        );
        let err = campaigns::create(
            &db,
            other.id + 1000,
            &campaigns::CampaignSettings::named("Nowhere"),
        )
        .await
        .expect_err("missing organization");
        assert!(
            matches!(err, StoreError::NotFound("organization")),
            "{err:?}"
        );
    })
    .await;
}

async fn token(db: &DatabaseConnection, org_id: i64, username: &str) -> oauth_tokens::Model {
    let now = Utc::now();
    oauth_tokens::ActiveModel {
        organization_id: Set(org_id),
        provider: Set("salesforce".to_owned()),
        access_token_ciphertext: Set("secret-ciphertext".to_owned()),
        refresh_token_ciphertext: Set(Some("secret-refresh".to_owned())),
        instance_url: Set("https://example.my.salesforce.com".to_owned()),
        identity_url: Set("https://login.salesforce.com/id/00D/005".to_owned()),
        username: Set(username.to_owned()),
        issued_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("insert a token")
}

#[tokio::test]
async fn removing_the_token_removes_the_linked_salesforce_account() {
    on_both_backends(|db| async move {
        let acme = org(&db, "Acme").await;
        let other = org(&db, "Other").await;
        assert!(
            store::salesforce_accounts::find_for_org(&db, acme.id)
                .await
                .expect("find")
                .is_none()
        );
        let stored = token(&db, acme.id, "admin@acme").await;
        assert!(!format!("{stored:?}").contains("secret"), "{stored:?}");
        salesforce_accounts::ActiveModel {
            organization_id: Set(acme.id),
            oauth_token_id: Set(stored.id),
            instance_url: Set(stored.instance_url.clone()),
            username: Set(stored.username.clone()),
            sf_user_id: Set("005xx".to_owned()),
            sf_org_id: Set("00Dxx".to_owned()),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&db)
        .await
        .expect("link the account");

        let account = store::salesforce_accounts::find_for_org(&db, acme.id)
            .await
            .expect("find")
            .expect("the account is linked");
        assert_eq!(account.username, "admin@acme");
        assert!(
            store::salesforce_accounts::find_for_org(&db, other.id)
                .await
                .expect("find")
                .is_none()
        );

        // Disconnect (IN-07): deleting the token takes the account with it.
        oauth_tokens::Entity::delete_by_id(stored.id)
            .exec(&db)
            .await
            .expect("delete the token");
        assert!(
            store::salesforce_accounts::find_for_org(&db, acme.id)
                .await
                .expect("find")
                .is_none()
        );
    })
    .await;
}

fn token_record(access: &str, username: &str) -> tokens::TokenRecord {
    tokens::TokenRecord {
        provider: "salesforce".to_owned(),
        access_token_ciphertext: access.to_owned(),
        refresh_token_ciphertext: Some(format!("{access}-refresh")),
        instance_url: "https://acme.my.salesforce.com".to_owned(),
        identity_url: "https://login.salesforce.com/id/00Dacme/005admin".to_owned(),
        username: username.to_owned(),
        issued_at: Utc::now(),
    }
}

fn identity(username: &str, sf_org_id: &str) -> connection::SalesforceIdentity {
    connection::SalesforceIdentity {
        username: username.to_owned(),
        sf_user_id: format!("005{username}"),
        sf_org_id: sf_org_id.to_owned(),
    }
}

#[tokio::test]
async fn connect_stores_the_token_setting_and_account_and_reset_replaces_in_place() {
    on_both_backends(|db| async move {
        let acme = org(&db, "Acme").await;
        let first = connection::connect(
            &db,
            acme.id,
            token_record("c1", "admin@acme"),
            identity("admin@acme", "00Dacme"),
        )
        .await
        .expect("connect");
        let connection::Connected::New { token_id } = first else {
            panic!("expected a new token, got {first:?}");
        };
        assert_eq!(
            app_settings::get(&db, acme.id, connection::TOKEN_SETTING)
                .await
                .expect("get"),
            Some(token_id.to_string())
        );
        let account = store::salesforce_accounts::find_for_org(&db, acme.id)
            .await
            .expect("account")
            .expect("linked");
        assert_eq!(
            (account.username.as_str(), account.oauth_token_id),
            ("admin@acme", token_id)
        );

        // Reset Token: same row, new secrets and user; the setting is unchanged.
        let again = connection::connect(
            &db,
            acme.id,
            token_record("c2", "ops@acme"),
            identity("ops@acme", "00Dacme"),
        )
        .await
        .expect("reset");
        assert_eq!(
            again,
            connection::Connected::Replaced {
                token_id,
                replaced_refresh_token_ciphertext: Some("c1-refresh".into())
            }
        );
        let stored = connection::current_token(&db, acme.id)
            .await
            .expect("token")
            .expect("present");
        assert_eq!(stored.id, token_id);
        assert_eq!(stored.access_token_ciphertext, "c2");
        assert_eq!(
            stored.refresh_token_ciphertext.as_deref(),
            Some("c2-refresh")
        );
        assert_eq!(
            tokens::list_for_org(&db, acme.id)
                .await
                .expect("list")
                .len(),
            1
        );
        let account = store::salesforce_accounts::find_for_org(&db, acme.id)
            .await
            .expect("account")
            .expect("linked");
        assert_eq!(account.username, "ops@acme");

        // A token from another Salesforce org changes nothing.
        let other = connection::connect(
            &db,
            acme.id,
            token_record("c3", "x@other"),
            identity("x@other", "00Dother"),
        )
        .await
        .expect("connect other org");
        assert_eq!(
            other,
            connection::Connected::DifferentOrg {
                connected_org_id: "00Dacme".into()
            }
        );
        let stored = connection::current_token(&db, acme.id)
            .await
            .expect("token")
            .expect("present");
        assert_eq!(stored.access_token_ciphertext, "c2");

        // A refreshed access token lands in the same row, while it holds the grant used.
        let refreshed = |used, access, rotated| tokens::RefreshedSecrets {
            used_refresh_token_ciphertext: used,
            access_token_ciphertext: access,
            rotated_refresh_token_ciphertext: rotated,
        };
        assert!(
            tokens::save_refreshed(
                &db,
                acme.id,
                token_id,
                refreshed("c2-refresh", "c2-new", None)
            )
            .await
            .expect("update")
        );
        assert!(
            !tokens::save_refreshed(
                &db,
                acme.id + 1,
                token_id,
                refreshed("c2-refresh", "x", None)
            )
            .await
            .expect("update")
        );
        let stored = tokens::find(&db, acme.id, token_id)
            .await
            .expect("find")
            .expect("present");
        assert_eq!(stored.access_token_ciphertext, "c2-new");
        // A refresh made with the replaced grant (finishing after Reset Token) changes nothing.
        assert!(
            !tokens::save_refreshed(
                &db,
                acme.id,
                token_id,
                refreshed("c1-refresh", "stale", None)
            )
            .await
            .expect("update")
        );
        // A rotated refresh token is stored with the access token.
        assert!(
            tokens::save_refreshed(
                &db,
                acme.id,
                token_id,
                refreshed("c2-refresh", "c2-newer", Some("c2-rotated"))
            )
            .await
            .expect("update")
        );
        let stored = tokens::find(&db, acme.id, token_id)
            .await
            .expect("find")
            .expect("present");
        assert_eq!(
            (
                stored.access_token_ciphertext.as_str(),
                stored.refresh_token_ciphertext.as_deref()
            ),
            ("c2-newer", Some("c2-rotated"))
        );
    })
    .await;
}

#[tokio::test]
async fn disconnect_removes_token_setting_and_account_but_keeps_org_syncs() {
    on_both_backends(|db| async move {
        let acme = org(&db, "Acme").await;
        assert!(
            connection::disconnect(&db, acme.id)
                .await
                .expect("disconnect")
                .is_none()
        );
        connection::connect(
            &db,
            acme.id,
            token_record("c1", "admin@acme"),
            identity("admin@acme", "00Dacme"),
        )
        .await
        .expect("connect");
        let sync_id = org_sync(&db, acme.id, SfObject::Contact).await;

        let removed = connection::disconnect(&db, acme.id)
            .await
            .expect("disconnect")
            .expect("a token");
        assert_eq!(removed.access_token_ciphertext, "c1");
        assert!(
            tokens::list_for_org(&db, acme.id)
                .await
                .expect("list")
                .is_empty()
        );
        assert_eq!(
            app_settings::get(&db, acme.id, connection::TOKEN_SETTING)
                .await
                .expect("get"),
            None
        );
        assert!(
            store::salesforce_accounts::find_for_org(&db, acme.id)
                .await
                .expect("account")
                .is_none()
        );
        assert!(
            org_syncs::Entity::find_by_id(sync_id)
                .one(&db)
                .await
                .expect("find")
                .is_some()
        );

        // Set up again afterwards starts from a new token.
        let again = connection::connect(
            &db,
            acme.id,
            token_record("c4", "admin@acme"),
            identity("admin@acme", "00Dacme"),
        )
        .await
        .expect("connect again");
        assert!(
            matches!(again, connection::Connected::New { .. }),
            "{again:?}"
        );
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// Cascades
// ---------------------------------------------------------------------------------------------

async fn campaign(db: &DatabaseConnection, org_id: i64, name: &str) -> i64 {
    campaigns::create(db, org_id, &campaigns::CampaignSettings::named(name))
        .await
        .expect("create a campaign")
        .id
}

async fn org_sync(db: &DatabaseConnection, org_id: i64, object: SfObject) -> i64 {
    store::org_syncs::create(db, org_id, object)
        .await
        .expect("create an org sync")
        .id
}

async fn data_source(db: &DatabaseConnection, org_id: i64, org_sync_id: i64) -> i64 {
    data_sources::ActiveModel {
        organization_id: Set(org_id),
        org_sync_id: Set(org_sync_id),
        name: Set("US leads".to_owned()),
        filter: Set(r#"{"Country":"US"}"#.to_owned()),
        fields: Set(r#"["Phone","Country"]"#.to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("insert a data source")
    .id
}

async fn link(db: &DatabaseConnection, data_source_id: i64, campaign_id: i64) -> i64 {
    data_source_links::ActiveModel {
        data_source_id: Set(data_source_id),
        campaign_id: Set(campaign_id),
        phone_mappings: Set(r#"{"Phone":"phone1"}"#.to_owned()),
        custom_field_mappings: Set("{}".to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("insert a data source link")
    .id
}

#[tokio::test]
async fn removing_an_org_sync_removes_its_sources_and_links_but_keeps_campaign_records() {
    on_both_backends(|db| async move {
        let acme = org(&db, "Acme").await;
        let campaign_id = campaign(&db, acme.id, "Renewals").await;
        let contacts = org_sync(&db, acme.id, SfObject::Contact).await;
        let leads = org_sync(&db, acme.id, SfObject::Lead).await;

        // Duplicate object for the same organization is refused by the schema.
        let duplicate = org_syncs::ActiveModel {
            organization_id: Set(acme.id),
            object: Set(SfObject::Contact),
            method: Set(SyncMethod::Rest),
            enabled: Set(false),
            status: Set(SyncStatus::Paused),
            created_at: Set(Utc::now()),
            updated_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&db)
        .await
        .expect_err("one org sync per object");
        assert!(duplicate.sql_err().is_some(), "{duplicate:?}");

        let contact_source = data_source(&db, acme.id, contacts).await;
        let lead_source = data_source(&db, acme.id, leads).await;
        let contact_link = link(&db, contact_source, campaign_id).await;
        let lead_link = link(&db, lead_source, campaign_id).await;

        for (sf_id, source_link) in [("003A", contact_link), ("00QB", lead_link)] {
            campaign_records::ActiveModel {
                campaign_id: Set(campaign_id),
                sf_id: Set(sf_id.to_owned()),
                phones: Set(r#"["+15550100"]"#.to_owned()),
                custom_fields: Set("{}".to_owned()),
                source_link_id: Set(Some(source_link)),
                updated_at: Set(Utc::now()),
                ..Default::default()
            }
            .insert(&db)
            .await
            .expect("insert a campaign record");
        }
        sf_records::ActiveModel {
            org_sync_id: Set(contacts),
            sf_id: Set("003A".to_owned()),
            fields: Set(r#"{"Phone":"+15550100"}"#.to_owned()),
            system_modstamp: Set("2026-11-23T10:00:00.000+0000".to_owned()),
            deleted: Set(false),
            updated_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&db)
        .await
        .expect("insert a mirrored record");
        sync_runs::ActiveModel {
            org_sync_id: Set(contacts),
            started_at: Set(Utc::now()),
            outcome: Set(RunState::Succeeded),
            records: Set(1),
            ..Default::default()
        }
        .insert(&db)
        .await
        .expect("insert a sync run");

        // Another organization cannot remove it.
        let other = org(&db, "Other").await;
        assert!(
            !store::org_syncs::remove(&db, other.id, contacts)
                .await
                .expect("remove")
        );
        assert!(
            store::org_syncs::find(&db, acme.id, contacts)
                .await
                .expect("find")
                .is_some()
        );

        // Remove the Contact sync (OS-07).
        assert!(
            store::org_syncs::remove(&db, acme.id, contacts)
                .await
                .expect("remove the org sync")
        );
        assert!(
            !store::org_syncs::remove(&db, acme.id, contacts)
                .await
                .expect("remove again")
        );

        // Its data sources, links, mirror and history are gone...
        let sources: Vec<i64> = data_sources::Entity::find()
            .all(&db)
            .await
            .expect("data sources")
            .into_iter()
            .map(|s| s.id)
            .collect();
        assert_eq!(sources, [lead_source]);
        let links: Vec<i64> = data_source_links::Entity::find()
            .all(&db)
            .await
            .expect("links")
            .into_iter()
            .map(|l| l.id)
            .collect();
        assert_eq!(links, [lead_link]);
        let mirrored = sf_records::Entity::find()
            .filter(sf_records::Column::OrgSyncId.eq(contacts))
            .count(&db)
            .await
            .expect("mirror");
        assert_eq!(mirrored, 0);
        let runs = sync_runs::Entity::find()
            .filter(sync_runs::Column::OrgSyncId.eq(contacts))
            .count(&db)
            .await
            .expect("runs");
        assert_eq!(runs, 0);

        // ...but the imported campaign records stay, detached from the removed link (DS-04).
        let mut records = campaign_records::Entity::find()
            .all(&db)
            .await
            .expect("campaign records");
        records.sort_by(|a, b| a.sf_id.cmp(&b.sf_id));
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].sf_id, "003A");
        assert_eq!(records[0].source_link_id, None);
        assert_eq!(records[1].sf_id, "00QB");
        assert_eq!(records[1].source_link_id, Some(lead_link));
        assert_eq!(
            campaigns::list_for_org(&db, acme.id)
                .await
                .expect("campaigns")
                .len(),
            1
        );
    })
    .await;
}

#[tokio::test]
async fn deleting_an_organization_removes_everything_it_owns() {
    on_both_backends(|db| async move {
        let acme = org(&db, "Acme").await;
        let keep = org(&db, "Keep").await;
        let alice = users::create(&db, acme.id, "alice", "hash", Role::Admin)
            .await
            .expect("create alice");
        sessions::create(&db, alice.id, "token", Utc::now() + TimeDelta::hours(1))
            .await
            .expect("create a session");
        app_settings::set(&db, acme.id, "k", "v")
            .await
            .expect("set");
        app_settings::set(&db, keep.id, "k", "v")
            .await
            .expect("set");
        let campaign_id = campaign(&db, acme.id, "Renewals").await;
        let sync = org_sync(&db, acme.id, SfObject::Lead).await;
        let source = data_source(&db, acme.id, sync).await;
        link(&db, source, campaign_id).await;

        org_entity::Entity::delete_by_id(acme.id)
            .exec(&db)
            .await
            .expect("delete the organization");

        assert_eq!(users::count(&db).await.expect("count"), 0);
        assert!(
            sessions::find_active(&db, "token", Utc::now(), long_ago())
                .await
                .expect("find")
                .is_none()
        );
        assert_eq!(
            app_settings::get(&db, keep.id, "k").await.expect("get"),
            Some("v".into())
        );
        assert_eq!(
            app_settings::get(&db, acme.id, "k").await.expect("get"),
            None
        );
        assert_eq!(
            data_source_links::Entity::find()
                .count(&db)
                .await
                .expect("links"),
            0
        );
        assert_eq!(
            org_syncs::Entity::find().count(&db).await.expect("syncs"),
            0
        );
    })
    .await;
}

/// Disconnect and Set up read, then write, in one transaction, while a sync commits mirror
/// pages on other connections. On SQLite such a transaction used to fail at once with
/// "database is locked" when a page committed between its read and its write (seen in the
/// end-to-end tests as a Disconnect answering Internal).
#[tokio::test]
async fn disconnect_and_set_up_succeed_while_a_sync_writes_the_mirror() {
    on_both_backends(|db| async move {
        let acme = org(&db, "Acme").await;
        let contact = store::org_syncs::create(&db, acme.id, SfObject::Contact)
            .await
            .expect("an org sync");
        let writer = {
            let db = db.clone();
            tokio::spawn(async move {
                for page in 0..400 {
                    let records: Vec<_> = (0..20)
                        .map(|n| store::mirror::MirrorRecord {
                            sf_id: format!("003{page:05}{n:07}"),
                            system_modstamp: "2026-12-01T10:00:00.000+0000".to_owned(),
                            deleted: false,
                            fields: serde_json::Map::new(),
                        })
                        .collect();
                    store::mirror::apply_batch(&db, Fence::Unfenced, contact.id, &records, None)
                        .await
                        .expect("a mirror page");
                }
            })
        };
        let mut round = 0;
        while !writer.is_finished() {
            connection::connect(
                &db,
                acme.id,
                token_record(&format!("token-{round}"), "admin@acme.example"),
                identity("admin@acme.example", "00Dacme"),
            )
            .await
            .expect("Set up while a sync writes");
            connection::disconnect(&db, acme.id)
                .await
                .expect("Disconnect while a sync writes");
            round += 1;
        }
        writer.await.expect("the writer");
        assert!(round > 0, "Set up and Disconnect ran beside the writer");
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// Campaign records (DS-03, DS-04)
// ---------------------------------------------------------------------------------------------

fn record_write(
    campaign_id: i64,
    sf_id: &str,
    name: &str,
    state: &str,
) -> store::campaign_records::RecordWrite {
    store::campaign_records::RecordWrite {
        campaign_id,
        sf_id: sf_id.to_owned(),
        sf_object: "Lead".to_owned(),
        display_name: name.to_owned(),
        source_name: "US leads".to_owned(),
        source_link_id: None,
        phones: r#"[{"slot":"Primary","raw":"415 555 2671","e164":"+14155552671"}]"#.to_owned(),
        custom_fields: "{}".to_owned(),
        state: state.to_owned(),
    }
}

#[tokio::test]
async fn ds_03_campaign_records_are_upserted_paged_searched_and_counted() {
    on_both_backends(|db| async move {
        let acme = org(&db, "Acme").await;
        let first = campaign(&db, acme.id, "First").await;
        let second = campaign(&db, acme.id, "Second").await;
        let mut writes: Vec<_> = (0..30)
            .map(|i| {
                record_write(
                    first,
                    &format!("00Q{i:03}"),
                    &format!("Person {i:02}"),
                    "ready",
                )
            })
            .collect();
        writes.push(record_write(
            first,
            "00Q100",
            "Under_score 100%",
            "do_not_call",
        ));
        writes.push(record_write(second, "00Q000", "Person 00", "deleted"));
        store::campaign_records::write(&db, &writes)
            .await
            .expect("write");

        // Upsert: the same (campaign, sf id) is replaced, never duplicated.
        let mut changed = record_write(first, "00Q000", "Person 00", "not_matching");
        changed.display_name = "Renamed".to_owned();
        store::campaign_records::write(&db, &[changed])
            .await
            .expect("rewrite");
        let rows = store::campaign_records::existing(&db, &[first], None)
            .await
            .expect("read");
        assert_eq!(rows.len(), 31);
        let renamed = rows.iter().find(|r| r.sf_id == "00Q000").expect("row");
        assert_eq!(
            (renamed.display_name.as_str(), renamed.state.as_str()),
            ("Renamed", "not_matching")
        );
        let some =
            store::campaign_records::existing(&db, &[first, second], Some(&["00Q000".to_owned()]))
                .await
                .expect("read some");
        assert_eq!(some.len(), 2);

        let (page, total) = store::campaign_records::page(&db, first, None, 25, 25)
            .await
            .expect("page");
        assert_eq!((page.len(), total), (6, 31));
        // Search is case-insensitive and takes % and _ literally.
        let (found, total) = store::campaign_records::page(&db, first, Some("PERSON 1"), 0, 25)
            .await
            .expect("search");
        assert_eq!(total, 10, "{found:?}");
        let (found, total) = store::campaign_records::page(&db, first, Some("_score 100%"), 0, 25)
            .await
            .expect("search");
        assert_eq!((total, found[0].sf_id.as_str()), (1, "00Q100"));
        let (_, total) = store::campaign_records::page(&db, first, Some("%"), 0, 25)
            .await
            .expect("search");
        assert_eq!(total, 1, "a literal percent sign");
        let (_, total) = store::campaign_records::page(&db, first, Some("+1415"), 0, 25)
            .await
            .expect("by phone");
        assert_eq!(total, 31);

        let mut counts = store::campaign_records::state_counts_for_org(&db, acme.id)
            .await
            .expect("counts");
        counts.sort_by(|a, b| (a.campaign_id, &a.state).cmp(&(b.campaign_id, &b.state)));
        let summary: Vec<(i64, &str, i64)> = counts
            .iter()
            .map(|c| (c.campaign_id, c.state.as_str(), c.count))
            .collect();
        assert_eq!(
            summary,
            vec![
                (first, "do_not_call", 1),
                (first, "not_matching", 1),
                (first, "ready", 29),
                (second, "deleted", 1)
            ]
        );
    })
    .await;
}
