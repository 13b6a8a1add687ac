//! `serve --demo`: a demo organization with the `integrations` flag on, an administrator
//! and a viewer, a few campaigns, and an in-process Salesforce simulator with sample
//! Contacts and Leads, so a newcomer sees the whole flow in one command.
//! Idempotent: running it again leaves existing demo data alone.

use app::types::INTEGRATIONS_FLAG;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::{
    config::Settings,
    console::Console,
    credentials,
    exposure::{self, Reach, RemoteRefused},
};

pub const DEMO_ORG: &str = "Demo Contact Center";
pub const DEMO_ADMIN: &str = "admin";
pub const DEMO_VIEWER: &str = "viewer";
/// Demo credentials are public by design (README); never use `--demo` on a real deployment.
pub const DEMO_PASSWORD: &str = "orgsync-demo";
const DEMO_CAMPAIGNS: [&str; 3] = ["Spring renewals", "Inbound leads follow-up", "Win-back Q4"];

/// Why `serve --demo` will not start with these settings.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DemoRefused {
    #[error(
        "`serve --demo` does not take a database URL (--database-url or ORGSYNC_DATABASE_URL): it would create accounts with a published password in that database. The demo keeps its own SQLite database in --data-dir (default `data-demo`)"
    )]
    DatabaseUrl,
    #[error(transparent)]
    Remote(#[from] RemoteRefused),
}

/// Whether `serve --demo` may start as configured: its own database only (the data
/// directory's SQLite file), and a loopback listen address unless `--demo-allow-remote`
/// (which is warned about).
pub fn admit(settings: &Settings) -> Result<Reach, DemoRefused> {
    if settings.store.has_database_url() {
        return Err(DemoRefused::DatabaseUrl);
    }
    Ok(exposure::DEMO.admit(settings.listen, settings.demo_allow_remote)?)
}

pub async fn seed(console: &Console) -> anyhow::Result<()> {
    let db = console.db();
    let org = match store::organizations::find_by_name(db, DEMO_ORG).await? {
        Some(org) => org,
        None => {
            let org = store::organizations::create(db, DEMO_ORG).await?;
            store::organizations::set_flag(db, org.id, INTEGRATIONS_FLAG, true).await?;
            for name in DEMO_CAMPAIGNS {
                store::campaigns::create(
                    db,
                    org.id,
                    &store::campaigns::CampaignSettings::named(name),
                )
                .await?;
            }
            org
        }
    };
    for (username, role) in [
        (DEMO_ADMIN, store::users::Role::Admin),
        (DEMO_VIEWER, store::users::Role::Viewer),
    ] {
        if store::users::find_by_username(db, username)
            .await?
            .is_none()
        {
            let hash = credentials::hash_password(DEMO_PASSWORD)?;
            store::users::create(db, org.id, username, &hash, role).await?;
        }
    }
    tracing::warn!(
        "demo mode: sign in as `{DEMO_ADMIN}` (or `{DEMO_VIEWER}`) with the password `{DEMO_PASSWORD}`"
    );
    Ok(())
}

/// The demo's accounts (published password) in this database, if `serve --demo` left any.
pub async fn seeded_accounts(
    db: &sea_orm::DatabaseConnection,
) -> anyhow::Result<Vec<&'static str>> {
    let Some(org) = store::organizations::find_by_name(db, DEMO_ORG).await? else {
        return Ok(Vec::new());
    };
    let mut found = Vec::new();
    for username in [DEMO_ADMIN, DEMO_VIEWER] {
        if let Some(user) = store::users::find_by_username(db, username).await?
            && user.organization_id == org.id
        {
            found.push(username);
        }
    }
    Ok(found)
}

/// A start without `--demo` on a database the demo seeded: its accounts still sign in with the
/// published password, so say so loudly.
pub async fn warn_if_seeded(db: &sea_orm::DatabaseConnection) -> anyhow::Result<()> {
    let accounts = seeded_accounts(db).await?;
    if !accounts.is_empty() {
        tracing::warn!(
            "this database holds the demo account(s) {} of \"{DEMO_ORG}\", whose password `{DEMO_PASSWORD}` is published (created by `serve --demo`): delete them, or keep demo data in its own --data-dir",
            accounts.join(", ")
        );
    }
    Ok(())
}

/// The connected app of the demo's simulator: its fixed credentials and address.
pub fn salesforce_settings(
    simulator: &sim::Simulator,
    listener: &TcpListener,
) -> anyhow::Result<crate::config::SalesforceSettings> {
    let (client_id, client_secret) = simulator.client_credentials();
    Ok(crate::config::SalesforceSettings {
        client_id: Some(client_id),
        client_secret: Some(client_secret.into()),
        login_url: format!("http://{}", listener.local_addr()?),
        api_version: "62.0".to_string(),
    })
}

/// The demo's Salesforce simulator (200 Contacts, 100 Leads), bound to a free local port.
pub async fn simulator() -> anyhow::Result<(sim::Simulator, TcpListener)> {
    let simulator = sim::Simulator::new(sim::config::SimConfig {
        contacts: 200,
        leads: 100,
        ..sim::config::SimConfig::default()
    });
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .context("cannot start the demo Salesforce simulator")?;
    let addr = listener.local_addr()?;
    tracing::warn!("demo mode: Salesforce simulator on http://{addr} (control API under /__sim/)");
    if let Some((username, password)) = simulator.users().into_iter().next() {
        tracing::warn!("demo mode: simulated Salesforce sign-in `{username}` / `{password}`");
    }
    Ok((simulator, listener))
}

/// How often the demo's simulator changes a record.
const DEMO_CHANGE_EVERY: std::time::Duration = std::time::Duration::from_secs(4);

/// `serve --demo`: a gentle stream of Salesforce changes (a new phone number on a Contact or
/// a Lead, now and then a new Lead), so a newcomer sees syncs run, Last sync move and
/// records flow. Goes through the simulator's control API, like any test would, until
/// `stop` fires.
pub async fn change_stream(simulator_base: String, stop: tokio_util::sync::CancellationToken) {
    let client = reqwest::Client::new();
    let mut tick: u64 = 0;
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(DEMO_CHANGE_EVERY) => {}
        }
        tick += 1;
        let (path, body) = match tick % 5 {
            0 => (
                "/__sim/generate/records",
                serde_json::json!({"object": "Lead", "count": 1}),
            ),
            1 | 3 => (
                "/__sim/generate/bulk-update",
                serde_json::json!({"object": "Contact", "count": 1}),
            ),
            _ => (
                "/__sim/generate/bulk-update",
                serde_json::json!({"object": "Lead", "count": 1}),
            ),
        };
        let sent = client
            .post(format!("{simulator_base}{path}"))
            .json(&body)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status);
        if let Err(error) = sent {
            tracing::debug!(%error, "the demo's change stream could not reach its simulator");
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn settings(argv: &[&str]) -> Settings {
        let cli = Cli::parse_from(argv);
        match cli.command {
            Command::Serve(serve) => Settings::from_args(&cli.store, &serve),
            other => panic!("not serve: {other:?}"),
        }
    }

    /// The issue: the demo's accounts landed in the real database (`data`).
    #[test]
    fn the_demo_keeps_its_own_data_directory_unless_one_is_given() {
        let demo = settings(&["orgsync", "serve", "--demo"]);
        assert_eq!(demo.store.data_dir, std::path::Path::new("data-demo"));
        let real = settings(&["orgsync", "serve"]);
        assert_eq!(real.store.data_dir, std::path::Path::new("data"));
        let given = settings(&["orgsync", "--data-dir", "/tmp/x", "serve", "--demo"]);
        assert_eq!(given.store.data_dir, std::path::Path::new("/tmp/x"));
    }

    #[test]
    fn the_demo_refuses_a_database_url() {
        let with_url = settings(&[
            "orgsync",
            "--database-url",
            "postgres://u@db/prod",
            "serve",
            "--demo",
        ]);
        assert_eq!(admit(&with_url), Err(DemoRefused::DatabaseUrl));
    }

    /// The issue: nothing stopped `--demo` on a public address.
    #[test]
    fn the_demo_listens_on_loopback_unless_remote_access_is_allowed() {
        assert_eq!(
            admit(&settings(&["orgsync", "serve", "--demo"])),
            Ok(Reach::Local)
        );
        let public = settings(&["orgsync", "serve", "--demo", "--listen", "0.0.0.0:3000"]);
        let refused = admit(&public).unwrap_err();
        assert!(matches!(refused, DemoRefused::Remote(_)));
        assert!(
            refused.to_string().contains("--demo-allow-remote"),
            "{refused}"
        );
        let allowed = settings(&[
            "orgsync",
            "serve",
            "--demo",
            "--listen",
            "0.0.0.0:3000",
            "--demo-allow-remote",
        ]);
        assert_eq!(admit(&allowed), Ok(Reach::Remote));
        assert!(
            Cli::try_parse_from(["orgsync", "serve", "--demo-allow-remote"]).is_err(),
            "--demo-allow-remote means nothing without --demo"
        );
    }

    /// Start-up itself refuses, before it creates anything.
    #[tokio::test]
    async fn start_up_refuses_a_public_demo_before_touching_the_data_directory() {
        let parent = tempfile::tempdir().expect("temp dir");
        let data_dir = parent.path().join("demo-data");
        let data_dir_arg = data_dir.display().to_string();
        let public = settings(&[
            "orgsync",
            "--data-dir",
            &data_dir_arg,
            "serve",
            "--demo",
            "--listen",
            "0.0.0.0:0",
        ]);
        let error = crate::startup::Application::build(public)
            .await
            .err()
            .expect("refused");
        assert!(error.to_string().contains("--demo-allow-remote"), "{error}");
        assert!(!data_dir.exists());
    }

    /// A restart without `--demo` on the demo's database finds its accounts (and warns).
    #[tokio::test]
    async fn the_demo_accounts_are_found_only_in_the_demo_organization() {
        let db = store::connect("sqlite::memory:").await.expect("db");
        store::migrate(&db).await.expect("migrate");
        assert!(seeded_accounts(&db).await.expect("look").is_empty());
        let other = store::organizations::create(&db, "Acme")
            .await
            .expect("org");
        store::users::create(
            &db,
            other.id,
            DEMO_VIEWER,
            "hash",
            store::users::Role::Viewer,
        )
        .await
        .expect("user");
        assert!(seeded_accounts(&db).await.expect("look").is_empty());
        let demo = store::organizations::create(&db, DEMO_ORG)
            .await
            .expect("org");
        store::users::create(&db, demo.id, DEMO_ADMIN, "hash", store::users::Role::Admin)
            .await
            .expect("user");
        assert_eq!(seeded_accounts(&db).await.expect("look"), vec![DEMO_ADMIN]);
    }
}
