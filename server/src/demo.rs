//! `serve --demo`: a demo organization with the `integrations` flag on, an administrator
//! and a viewer, a few campaigns, and an in-process Salesforce simulator with sample
//! Contacts and Leads, so a newcomer sees the whole flow in one command.
//! Idempotent: running it again leaves existing demo data alone.

use app::types::INTEGRATIONS_FLAG;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::{console::Console, credentials};

pub const DEMO_ORG: &str = "Demo Contact Center";
pub const DEMO_ADMIN: &str = "admin";
pub const DEMO_VIEWER: &str = "viewer";
/// Demo credentials are public by design (README); never use `--demo` on a real deployment.
pub const DEMO_PASSWORD: &str = "orgsync-demo";
const DEMO_CAMPAIGNS: [&str; 3] = ["Spring renewals", "Inbound leads follow-up", "Win-back Q4"];

pub async fn seed(console: &Console) -> anyhow::Result<()> {
    let db = console.db();
    let org = match store::organizations::find_by_name(db, DEMO_ORG).await? {
        Some(org) => org,
        None => {
            let org = store::organizations::create(db, DEMO_ORG).await?;
            store::organizations::set_flag(db, org.id, INTEGRATIONS_FLAG, true).await?;
            for name in DEMO_CAMPAIGNS {
                store::campaigns::create(db, org.id, name).await?;
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
