//! `failover`: two `orgsync serve` processes on one PostgreSQL, four Org Syncs (two
//! organizations, a REST Contact sync and a CDC Lead sync each) all owned by the first; the
//! first is killed (SIGKILL, no goodbye), a Contact and a Lead are created in Salesforce, and
//! the figure is the time until the second instance holds every sync's lease and every mirror
//! has the new records. Its floor is the moment the dead owner's last lease lapses (up to the
//! lease time after the kill), which the figures show beside it.

use std::{path::Path, process::Stdio, time::Duration};

use anyhow::{Context, bail};
use base64::Engine as _;
use serde_json::json;
use store::org_syncs::{SfObject, SyncMethod, SyncSettings};
use tokio::time::Instant;

use super::engine_scenarios::{SimProcess, Store, connect_with_key};

/// The product's default lease time, which the scenario runs with.
const LEASE_SECS: u64 = 30;

pub async fn failover(database_url: String) -> anyhow::Result<()> {
    let sim = SimProcess::start(1_000).await?;
    let store = Store::open(Some(&database_url)).await?;
    let result = measure(&sim, &store).await;
    store.close().await;
    sim.stop().await;
    let Failover { seconds, lapsed } = result?;
    let tenth = |s: f64| (s * 10.0).round() / 10.0;
    println!(
        "{}",
        json!({
            "scenario": "failover",
            "syncs": 4,
            "seconds": tenth(seconds),
            "lease_secs": LEASE_SECS,
            "leases_lapsed_secs": tenth(lapsed),
            "after_lapse_secs": tenth(seconds - lapsed),
        })
    );
    Ok(())
}

/// Seconds from the kill until the other instance ran every sync and had caught up, and
/// until the dead instance's last lease lapsed (the floor: nobody may take a sync before).
struct Failover {
    seconds: f64,
    lapsed: f64,
}

async fn measure(sim: &SimProcess, store: &Store) -> anyhow::Result<Failover> {
    let dir = tempfile::tempdir()?;
    let key = base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 32]>());
    let key_file = dir.path().join("key");
    write_private(&key_file, &key)?;
    let mut syncs = Vec::new();
    for name in ["First", "Second"] {
        let org = store::organizations::create(&store.db, name).await?;
        connect_with_key(sim, &store.db, org.id, &key).await?;
        for (object, method) in [
            (SfObject::Contact, SyncMethod::Rest),
            (SfObject::Lead, SyncMethod::Cdc),
        ] {
            let row = store::org_syncs::create(&store.db, org.id, object).await?;
            store::org_syncs::save_settings(
                &store.db,
                org.id,
                row.id,
                SyncSettings {
                    method,
                    interval_minutes: (method == SyncMethod::Rest).then_some(5),
                    enabled: true,
                },
            )
            .await?
            .context("the new Org Sync was not found")?;
            syncs.push(row.id);
        }
    }
    let mut first = Instance::start(sim, store, &key_file, "first").await?;
    wait_until("the first instance to run every sync", 120, || async {
        owners_pid(&store.db, &syncs).await == Some(first.pid)
    })
    .await?;
    let second = Instance::start(sim, store, &key_file, "second").await?;
    // Both are up; every sync is the first's.
    tokio::time::sleep(Duration::from_secs(2)).await;
    if owners_pid(&store.db, &syncs).await != Some(first.pid) {
        bail!("the second instance took syncs the first still held");
    }

    eprintln!("killing the first instance (SIGKILL)…");
    first.child.start_kill()?;
    first.child.wait().await?;
    let killed = Instant::now();
    let killed_at = chrono::Utc::now();
    let last_expiry = store::leases::list(&store.db)
        .await?
        .into_iter()
        .filter(|(name, _, _)| syncs.iter().any(|id| *name == store::leases::org_sync(*id)))
        .map(|(_, _, expires_at)| expires_at)
        .max()
        .context("the killed instance held no lease")?;
    let lapsed = (last_expiry - killed_at).num_milliseconds().max(0) as f64 / 1000.0;
    let stamp = killed.elapsed().as_nanos();
    sim.post(
        "/__sim/records/Contact",
        json!({"LastName": format!("Failover{stamp}")}),
    )
    .await?;
    sim.post(
        "/__sim/records/Lead",
        json!({"LastName": format!("Failover{stamp}"), "Company": "Acme"}),
    )
    .await?;
    let marker = format!("Failover{stamp}");
    wait_until(
        "the second instance to run every sync and catch up",
        300,
        || async {
            owners_pid(&store.db, &syncs).await == Some(second.pid)
                && every_mirror_has(&store.db, &syncs, &marker).await
        },
    )
    .await?;
    let seconds = killed.elapsed().as_secs_f64();
    eprintln!("failover done in {seconds:.1} s (the last lease lapsed after {lapsed:.1} s)");
    second.stop().await;
    Ok(Failover { seconds, lapsed })
}

struct Instance {
    child: tokio::process::Child,
    pid: u32,
    _data_dir: tempfile::TempDir,
}

impl Instance {
    async fn start(
        sim: &SimProcess,
        store: &Store,
        key_file: &Path,
        name: &str,
    ) -> anyhow::Result<Instance> {
        let binary = super::sibling_binary("orgsync")?;
        let port = super::free_port()?;
        let data_dir = tempfile::tempdir()?;
        let child = tokio::process::Command::new(&binary)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .arg("--data-dir")
            .arg(data_dir.path())
            .arg("--database-url")
            .arg(
                store
                    .url()
                    .context("the failover scenario needs PostgreSQL")?,
            )
            .arg("--encryption-key-file")
            .arg(key_file)
            .args(["--salesforce-client-id", &sim.client_id])
            .args([
                "--salesforce-client-secret",
                sim::config::DEFAULT_CLIENT_SECRET,
            ])
            .args(["--salesforce-login-url", &sim.base])
            .args(["--sync-lease-secs", &LEASE_SECS.to_string()])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let pid = child.id().context("the instance has no pid")?;
        eprintln!("started the {name} instance (pid {pid})");
        Ok(Instance {
            child,
            pid,
            _data_dir: data_dir,
        })
    }

    async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}

/// The process id shared by every sync's lease holder (`host:pid:random/n`), if one process
/// holds them all.
async fn owners_pid(db: &sea_orm::DatabaseConnection, syncs: &[i64]) -> Option<u32> {
    let now = chrono::Utc::now();
    let mut pids = Vec::new();
    for id in syncs {
        let holder = store::leases::holder(db, &store::leases::org_sync(*id), now)
            .await
            .ok()??;
        let pid = holder.split(':').nth(1)?.parse::<u32>().ok()?;
        pids.push(pid);
    }
    pids.dedup();
    (pids.len() == 1).then(|| pids[0])
}

async fn every_mirror_has(db: &sea_orm::DatabaseConnection, syncs: &[i64], marker: &str) -> bool {
    for id in syncs {
        let Ok(rows) = store::mirror::all(db, *id).await else {
            return false;
        };
        if !rows.iter().any(|row| row.fields.contains(marker)) {
            return false;
        }
    }
    true
}

async fn wait_until<F, Fut>(what: &str, seconds: u64, condition: F) -> anyhow::Result<()>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while !condition().await {
        if Instant::now() > deadline {
            bail!("timed out after {seconds} s waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(contents.as_bytes())?;
    Ok(())
}
