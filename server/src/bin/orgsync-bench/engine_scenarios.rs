//! Engine scenarios: `backfill` (the first REST poll of N Contacts into the mirror, and a
//! plain HTTP client reading the same pages as the ceiling), `cdc` (Salesforce commit to mirror
//! row under a steady change rate) and `sse` (a status change reaching N live `/api/events`
//! streams, and a bare status bus as the ceiling).
//!
//! The engine runs in this process, as it does in `orgsync serve`. The simulator of `backfill`
//! and `cdc` runs as its own `orgsync sim` process, so that its memory and CPU time are not
//! counted as the engine's.

use std::{
    collections::HashMap,
    process::Stdio,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use base64::Engine as _;
use chrono::Utc;
use orgsync::{
    salesforce_sessions::{ACCESS_TOKEN_COLUMN, REFRESH_TOKEN_COLUMN, SalesforceSessions},
    secrets::{Cipher, SecretContext},
    status::StatusBus,
    sync::{EngineDeps, EngineSettings, Supervisor, SyncCommands, SystemClock},
};
use reqwest::header;
use sea_orm::{
    ColumnTrait, ConnectOptions, ConnectionTrait, Database, DatabaseConnection, EntityTrait,
    QueryFilter,
};
use secrecy::SecretString;
use serde_json::{Value, json};
use store::{
    entities::{sf_records, sync_runs::RunState},
    oauth_tokens::TokenRecord,
    org_syncs::{SfObject, SyncMethod, SyncSettings, SyncStatus},
    salesforce_connection::SalesforceIdentity,
};
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use super::sim_client;

const API: &str = "/services/data/v62.0";
/// The callback the engine's connected app registers (the simulator accepts any localhost URI).
const CALLBACK: &str = "http://127.0.0.1:9/auth/salesforce/callback";

// ---------------------------------------------------------------------------------------------
// backfill

/// The first REST-polling sync of `records` Contacts, timed from enable to the finished run
/// with every record in the mirror; then the same query pages read by a plain HTTP client.
pub async fn backfill(records: usize, database_url: Option<String>) -> anyhow::Result<()> {
    let sim = SimProcess::start(records).await?;
    let store = Store::open(database_url.as_deref()).await?;
    let database = store.backend;
    let result = backfill_run(&sim, &store.db, records).await;
    store.close().await;
    let figures = match result {
        Ok(engine) => {
            let fetch_only = fetch_only(&sim, records).await;
            sim.stop().await;
            (engine, fetch_only?)
        }
        Err(error) => {
            sim.stop().await;
            return Err(error);
        }
    };
    let ((records_per_s, peak_rss_mb, baseline_rss_mb), fetch_only_records_per_s) = figures;
    println!(
        "{}",
        json!({
            "scenario": "backfill",
            "records": records,
            "records_per_s": records_per_s.round() as u64,
            "fetch_only_records_per_s": fetch_only_records_per_s.round() as u64,
            "peak_rss_mb": round1(peak_rss_mb),
            "baseline_rss_mb": round1(baseline_rss_mb),
            "database": database,
        })
    );
    Ok(())
}

/// Returns (records/s, peak RSS MB, baseline RSS MB).
async fn backfill_run(
    sim: &SimProcess,
    db: &DatabaseConnection,
    records: usize,
) -> anyhow::Result<(f64, f64, f64)> {
    let engine = Engine::start(sim, db).await?;
    let baseline = proc_status_mb("VmRSS")?;
    eprintln!("baseline RSS {baseline:.1} MB; enabling a REST Polling Contact sync…");
    let started = Instant::now();
    let id = engine.enable(SfObject::Contact, SyncMethod::Rest).await?;
    let deadline = Duration::from_secs(120).max(Duration::from_millis(records as u64 * 5));
    let seconds = loop {
        let runs = store::sync_runs::recent(db, id, 10).await?;
        if let Some(run) = runs.iter().find(|r| r.finished_at.is_some()) {
            let seconds = started.elapsed().as_secs_f64();
            if run.outcome == RunState::Failed {
                let message = run.message.clone().unwrap_or_default();
                engine.stop().await;
                bail!("the backfill run failed: {message}");
            }
            break seconds;
        }
        if started.elapsed() > deadline {
            let mirrored = store::mirror::count(db, id).await?;
            engine.stop().await;
            bail!("no finished run within {deadline:?} ({mirrored} of {records} records mirrored)");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let peak = proc_status_mb("VmHWM")?;
    let mirrored = store::mirror::count(db, id).await?;
    let row = store::org_syncs::find_by_id(db, id)
        .await?
        .context("the Org Sync disappeared")?;
    engine.stop().await;
    if mirrored != records as u64 {
        bail!("the first run finished with {mirrored} of {records} records in the mirror");
    }
    if row.status != SyncStatus::Active || row.last_sync_at.is_none() {
        bail!(
            "after the backfill the sync is {:?} (last sync {:?}, error {:?})",
            row.status,
            row.last_sync_at,
            row.last_error
        );
    }
    let rate = records as f64 / seconds;
    eprintln!(
        "backfill: {records} records in {seconds:.2} s = {rate:.0} records/s; peak RSS {peak:.1} MB"
    );
    Ok((rate, peak, baseline))
}

/// The engine's backfill query, read page by page by a plain HTTP client.
async fn fetch_only(sim: &SimProcess, records: usize) -> anyhow::Result<f64> {
    let token = sim_client::sign_in(
        &sim.http,
        &sim.base,
        &sim.client_id,
        sim::config::DEFAULT_CLIENT_SECRET,
        &sim.username,
        &sim.password,
    )
    .await?;
    let fields = orgsync::sync::fields::plan(SfObject::Contact, &[]);
    let soql = format!(
        "SELECT {} FROM Contact ORDER BY SystemModstamp ASC, Id ASC",
        fields.join(", ")
    );
    let http = reqwest::Client::new();
    let get = |url: String, soql: Option<&str>| {
        let mut request = http.get(&url).bearer_auth(&token);
        if let Some(soql) = soql {
            request = request.query(&[("q", soql)]);
        }
        async move {
            let response = request.send().await?;
            let status = response.status();
            let body: Value = response.json().await?;
            if !status.is_success() {
                bail!("{url}: {status} {body}");
            }
            anyhow::Ok(body)
        }
    };
    let started = Instant::now();
    let mut page = get(format!("{}{API}/queryAll", sim.base), Some(&soql)).await?;
    let mut read = 0usize;
    loop {
        read += page["records"].as_array().map_or(0, Vec::len);
        match page["nextRecordsUrl"].as_str() {
            Some(next) => page = get(format!("{}{next}", sim.base), None).await?,
            None => break,
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    if read != records {
        bail!("the fetch-only client read {read} records, expected {records}");
    }
    let rate = read as f64 / seconds;
    eprintln!("fetch only: {read} records in {seconds:.2} s = {rate:.0} records/s");
    Ok(rate)
}

// ---------------------------------------------------------------------------------------------
// cdc

/// A CDC sync of `records` Contacts: after its backfill, `rate` changes per second for
/// `seconds` through the simulator's control API, each timed from its commit (the PATCH
/// answered) until the mirror row holds it.
pub async fn cdc(
    rate: u32,
    seconds: u32,
    records: usize,
    database_url: Option<String>,
) -> anyhow::Result<()> {
    let sim = SimProcess::start(records).await?;
    let store = Store::open(database_url.as_deref()).await?;
    let database = store.backend;
    let result = cdc_run(&sim, &store.db, rate, seconds, records, 0).await;
    store.close().await;
    sim.stop().await;
    let (mut latencies, _, achieved) = result?;
    latencies.sort_by(f64::total_cmp);
    let (p50, p99, max) = (
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0),
    );
    eprintln!(
        "{} changes at {achieved:.0}/s: p50 {p50:.1} ms, p99 {p99:.1} ms, max {max:.1} ms",
        latencies.len()
    );
    println!(
        "{}",
        json!({
            "scenario": "cdc",
            "events_per_s": rate,
            "seconds": seconds,
            "changes": latencies.len(),
            "achieved_events_per_s": achieved.round() as u64,
            "p50_ms": round1(p50),
            "p99_ms": round1(p99),
            "max_ms": round1(max),
            "database": database,
        })
    );
    Ok(())
}

/// One change not yet seen in the mirror.
struct Change {
    phone: String,
    committed: Instant,
}

#[derive(Default)]
struct Pending {
    /// By record id, in commit order.
    by_id: HashMap<String, Vec<Change>>,
    /// Milliseconds from commit to mirror, one per change seen.
    latencies: Vec<f64>,
}

/// Returns the latencies (ms) to the mirror, to every affected campaign record (with
/// `campaigns` linked campaigns; empty with none) and the change rate achieved.
async fn cdc_run(
    sim: &SimProcess,
    db: &DatabaseConnection,
    rate: u32,
    seconds: u32,
    records: usize,
    campaigns: usize,
) -> anyhow::Result<(Vec<f64>, Vec<f64>, f64)> {
    let engine = Engine::start(sim, db).await?;
    let result = cdc_measure(&engine, sim, db, rate, seconds, records, campaigns).await;
    engine.stop().await;
    result
}

/// One CDC update reaching every affected campaign record: `campaigns` Data Sources over all
/// Contacts, each linked to its own campaign, so each change updates that many campaign
/// records; the mirror's latency for the same changes is the ceiling.
pub async fn campaign_latency(
    rate: u32,
    seconds: u32,
    records: usize,
    campaigns: usize,
    database_url: Option<String>,
) -> anyhow::Result<()> {
    let sim = SimProcess::start(records).await?;
    let store = Store::open(database_url.as_deref()).await?;
    let database = store.backend;
    let result = cdc_run(&sim, &store.db, rate, seconds, records, campaigns).await;
    store.close().await;
    sim.stop().await;
    let (mut mirror, mut campaign, achieved) = result?;
    mirror.sort_by(f64::total_cmp);
    campaign.sort_by(f64::total_cmp);
    eprintln!(
        "{} changes at {achieved:.0}/s: campaigns p50 {:.1} ms, p99 {:.1} ms; mirror p99 {:.1} ms",
        campaign.len(),
        percentile(&campaign, 0.50),
        percentile(&campaign, 0.99),
        percentile(&mirror, 0.99),
    );
    println!(
        "{}",
        json!({
            "scenario": "campaign-latency",
            "changes": campaign.len(),
            "campaigns": campaigns,
            "events_per_s": rate,
            "achieved_events_per_s": achieved.round() as u64,
            "p50_ms": round1(percentile(&campaign, 0.50)),
            "p99_ms": round1(percentile(&campaign, 0.99)),
            "max_ms": round1(percentile(&campaign, 1.0)),
            "mirror_p99_ms": round1(percentile(&mirror, 0.99)),
            "database": database,
        })
    );
    Ok(())
}

/// `count` Data Sources over every Contact, each linked to a campaign of its own (Primary ←
/// Phone); waits until the campaigns hold every record. Returns the campaign ids.
async fn link_campaigns(
    engine: &Engine,
    db: &DatabaseConnection,
    org_sync_id: i64,
    count: usize,
    records: usize,
) -> anyhow::Result<Vec<i64>> {
    use filters::{FieldInfo, FieldKind, Filter};
    let info = vec![
        FieldInfo::new("Phone", "Phone", FieldKind::Text),
        FieldInfo::new("FirstName", "First Name", FieldKind::Text),
        FieldInfo::new("LastName", "Last Name", FieldKind::Text),
        FieldInfo::new("DoNotCall", "Do Not Call", FieldKind::Boolean),
    ];
    let names: Vec<String> = info.iter().map(|f| f.name.clone()).collect();
    let mut campaign_ids = Vec::with_capacity(count);
    for i in 0..count {
        let source = store::data_sources::create(
            db,
            engine.org_id,
            org_sync_id,
            &store::data_sources::DataSourceSettings {
                name: format!("Everyone {i}"),
                filter: Filter::default().to_json(),
                fields: serde_json::to_string(&names)?,
                field_info: serde_json::to_string(&info)?,
            },
        )
        .await?;
        let campaign = store::campaigns::create(
            db,
            engine.org_id,
            &store::campaigns::CampaignSettings::named(&format!("Campaign {i}")),
        )
        .await?;
        store::data_source_links::create(
            db,
            source.id,
            campaign.id,
            &store::data_source_links::LinkMappings {
                phones: json!([{"slot": "Primary", "field": "Phone"}]).to_string(),
                custom_fields: "[]".into(),
            },
        )
        .await?;
        campaign_ids.push(campaign.id);
    }
    // As the console does when a Data Source is created: its fields are new to the engine,
    // so the sync's worker restarts (fetches what the mirror lacks, then listens again). The
    // changes below start while it restarts, so the restart is part of what is measured.
    let started = Instant::now();
    engine
        .supervisor
        .data_sources_changed(engine.org_id, org_sync_id, true)
        .await?;
    loop {
        let counts = store::campaign_records::state_counts(db, &campaign_ids).await?;
        let total: i64 = counts.iter().map(|c| c.count).sum();
        if total as usize >= records * count {
            break;
        }
        if started.elapsed() > Duration::from_secs(120) {
            bail!(
                "the campaigns hold {total} of {} records after 120 s",
                records * count
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!(
        "{count} campaigns filled in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    // A short pause, as an admin's next click would be; the restarted worker may still be
    // bringing its campaigns in line when the changes start.
    tokio::time::sleep(Duration::from_millis(500)).await;
    Ok(campaign_ids)
}

async fn cdc_measure(
    engine: &Engine,
    sim: &SimProcess,
    db: &DatabaseConnection,
    rate: u32,
    seconds: u32,
    records: usize,
    campaigns: usize,
) -> anyhow::Result<(Vec<f64>, Vec<f64>, f64)> {
    eprintln!("enabling a CDC Contact sync…");
    let started = Instant::now();
    let id = engine.enable(SfObject::Contact, SyncMethod::Cdc).await?;
    loop {
        let row = store::org_syncs::find_by_id(db, id)
            .await?
            .context("the Org Sync disappeared")?;
        if row.status == SyncStatus::Error {
            bail!(
                "the CDC sync stopped in Error: {}",
                row.last_error.unwrap_or_default()
            );
        }
        let mirrored = store::mirror::count(db, id).await?;
        if mirrored == records as u64 && row.last_sync_at.is_some() {
            break;
        }
        if started.elapsed() > Duration::from_secs(300) {
            bail!(
                "the CDC backfill did not finish within 300 s ({mirrored} of {records} mirrored, status {:?}, last sync {:?}, error {:?})",
                row.status,
                row.last_sync_at,
                row.last_error
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!("backfill done in {:.2} s", started.elapsed().as_secs_f64());
    // Let the worker settle into its long poll.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let campaign_ids = if campaigns > 0 {
        link_campaigns(engine, db, id, campaigns, records).await?
    } else {
        Vec::new()
    };
    let ids: Vec<String> = store::mirror::all(db, id)
        .await?
        .into_iter()
        .filter(|r| !r.deleted)
        .map(|r| r.sf_id)
        .collect();
    if ids.is_empty() {
        bail!("the mirror is empty");
    }
    let total = usize::try_from(u64::from(rate) * u64::from(seconds))?;
    let producer_done = CancellationToken::new();
    let mut probes = vec![Probe::Mirror { org_sync_id: id }];
    if !campaign_ids.is_empty() {
        probes.push(Probe::Campaigns { campaign_ids });
    }
    let pendings: Vec<Arc<Mutex<Pending>>> = probes
        .iter()
        .map(|_| Arc::new(Mutex::new(Pending::default())))
        .collect();
    let watchers: Vec<_> = probes
        .into_iter()
        .zip(&pendings)
        .map(|(probe, pending)| {
            tokio::spawn(watch(
                db.clone(),
                id,
                probe,
                pending.clone(),
                producer_done.clone(),
            ))
        })
        .collect();
    eprintln!("producing {total} changes at {rate}/s…");
    let produced = produce_changes(sim, &ids, rate, total, &pendings).await;
    producer_done.cancel();
    let produced_in = match produced {
        Ok(elapsed) => elapsed,
        Err(error) => {
            for watcher in &watchers {
                watcher.abort();
            }
            return Err(error);
        }
    };
    for watcher in watchers {
        watcher.await.context("a watcher panicked")??;
    }
    let mut timed: Vec<Vec<f64>> = pendings
        .iter()
        .map(|p| std::mem::take(&mut p.lock().expect("pending lock").latencies))
        .collect();
    for latencies in &timed {
        if latencies.len() != total {
            bail!("{} of {total} changes were timed", latencies.len());
        }
    }
    let mirror = timed.remove(0);
    let campaign = timed.pop().unwrap_or_default();
    Ok((mirror, campaign, total as f64 / produced_in.as_secs_f64()))
}

/// Where a change is looked for.
enum Probe {
    /// The mirror row.
    Mirror { org_sync_id: i64 },
    /// The record in every one of these campaigns (its Primary phone).
    Campaigns { campaign_ids: Vec<i64> },
}

impl Probe {
    /// `(record id, phone)` of the records with a change pending that `ids` names, where the
    /// change is complete (in every campaign, for campaigns).
    async fn observe(
        &self,
        db: &DatabaseConnection,
        ids: Vec<String>,
    ) -> anyhow::Result<Vec<(String, String)>> {
        match self {
            Probe::Mirror { org_sync_id } => {
                let rows = sf_records::Entity::find()
                    .filter(sf_records::Column::OrgSyncId.eq(*org_sync_id))
                    .filter(sf_records::Column::SfId.is_in(ids))
                    .all(db)
                    .await?;
                let mut seen = Vec::with_capacity(rows.len());
                for row in rows {
                    let fields: Value = serde_json::from_str(&row.fields)?;
                    if let Some(phone) = fields["Phone"].as_str() {
                        seen.push((row.sf_id, phone.to_owned()));
                    }
                }
                Ok(seen)
            }
            Probe::Campaigns { campaign_ids } => {
                let rows = store::campaign_records::existing(db, campaign_ids, Some(&ids)).await?;
                let mut phones: HashMap<String, Vec<String>> = HashMap::new();
                for row in rows {
                    let list: Vec<Value> = serde_json::from_str(&row.phones)?;
                    let raw = list
                        .first()
                        .and_then(|p| p["raw"].as_str())
                        .unwrap_or_default()
                        .to_owned();
                    phones.entry(row.sf_id).or_default().push(raw);
                }
                Ok(phones
                    .into_iter()
                    .filter(|(_, seen)| {
                        seen.len() == campaign_ids.len() && seen.iter().all(|p| *p == seen[0])
                    })
                    .map(|(id, mut seen)| (id, seen.swap_remove(0)))
                    .collect())
            }
        }
    }
}

/// Changes one Contact after the other at `rate`, each with a Phone no other change has.
async fn produce_changes(
    sim: &SimProcess,
    ids: &[String],
    rate: u32,
    total: usize,
    pendings: &[Arc<Mutex<Pending>>],
) -> anyhow::Result<Duration> {
    let http = reqwest::Client::new();
    let interval = Duration::from_secs_f64(1.0 / f64::from(rate));
    let started = Instant::now();
    for n in 0..total {
        let due = started + interval.mul_f64(n as f64);
        tokio::time::sleep_until(due.into()).await;
        let id = &ids[n % ids.len()];
        let phone = format!("+1999{n:07}");
        http.patch(format!("{}/__sim/records/Contact/{id}", sim.base))
            .json(&json!({"Phone": phone}))
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .with_context(|| format!("change {n} failed"))?;
        let committed = Instant::now();
        for pending in pendings {
            pending
                .lock()
                .expect("pending lock")
                .by_id
                .entry(id.clone())
                .or_default()
                .push(Change {
                    phone: phone.clone(),
                    committed,
                });
        }
    }
    Ok(started.elapsed())
}

/// Every 2 ms, reads where `probe` looks for the records with a change not seen yet (one
/// query) and times each change whose Phone (or a later change's) is there.
async fn watch(
    db: DatabaseConnection,
    org_sync_id: i64,
    probe: Probe,
    pending: Arc<Mutex<Pending>>,
    producer_done: CancellationToken,
) -> anyhow::Result<()> {
    let mut tick = tokio::time::interval(Duration::from_millis(2));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut done_at: Option<Instant> = None;
    loop {
        tick.tick().await;
        let ids: Vec<String> = pending
            .lock()
            .expect("pending lock")
            .by_id
            .keys()
            .cloned()
            .collect();
        if producer_done.is_cancelled() {
            let done_at = *done_at.get_or_insert_with(Instant::now);
            if ids.is_empty() {
                return Ok(());
            }
            if done_at.elapsed() > Duration::from_secs(30) {
                let missing: usize = pending
                    .lock()
                    .expect("pending lock")
                    .by_id
                    .values()
                    .map(Vec::len)
                    .sum();
                let status = store::org_syncs::find_by_id(&db, org_sync_id).await?;
                bail!(
                    "{missing} changes never arrived within 30 s of the last one (sync status {:?}, last error {:?})",
                    status.as_ref().map(|r| r.status),
                    status.and_then(|r| r.last_error)
                );
            }
        }
        if ids.is_empty() {
            continue;
        }
        let seen = probe.observe(&db, ids).await?;
        let now = Instant::now();
        let mut pending = pending.lock().expect("pending lock");
        let Pending { by_id, latencies } = &mut *pending;
        for (sf_id, phone) in seen {
            let Some(changes) = by_id.get_mut(&sf_id) else {
                continue;
            };
            // A later change of the same record supersedes the earlier ones.
            if let Some(seen) = changes.iter().position(|c| c.phone == phone) {
                for change in changes.drain(..=seen) {
                    latencies.push(ms(now - change.committed));
                }
                if changes.is_empty() {
                    by_id.remove(&sf_id);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// sse

const SSE_PASSWORD: &str = "bench password 1";

/// `clients` live `/api/events` streams of an in-process orgsync server; an Org Sync is added
/// and each stream's `sync_changed` is timed from the POST. Then a bare status bus with as many
/// receivers, timed from publish to receipt.
pub async fn sse(clients: usize) -> anyhow::Result<()> {
    check_open_files(clients)?;
    let data_dir = tempfile::tempdir()?;
    let store_args = orgsync::cli::StoreArgs {
        data_dir: Some(data_dir.path().to_path_buf()),
        database_url: None,
    };
    let serve = orgsync::cli::ServeArgs {
        listen: "127.0.0.1:0".parse()?,
        demo: false,
        demo_allow_remote: false,
        public_url: None,
        encryption_key: None,
        encryption_key_file: None,
        salesforce: orgsync::cli::SalesforceArgs {
            salesforce_client_id: None,
            salesforce_client_secret: None,
            salesforce_login_url: "https://login.salesforce.com".into(),
            salesforce_api_version: "62.0".into(),
        },
        sync: orgsync::cli::SyncArgs::default(),
    };
    let settings = orgsync::config::Settings::from_args(&store_args, &serve);
    let db = orgsync::startup::open_store(&orgsync::config::StoreSettings::from_args(&store_args))
        .await?;
    let org = store::organizations::create(&db, "Bench").await?;
    store::organizations::set_flag(&db, org.id, "integrations", true).await?;
    let hash = orgsync::credentials::hash_password(SSE_PASSWORD)?;
    store::users::create(&db, org.id, "admin", &hash, store::users::Role::Admin).await?;
    let app = orgsync::startup::Application::build(settings).await?;
    let base = format!("http://{}", app.local_addr()?);
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(app.run_until_stopped(shutdown.clone()));
    let result = sse_run(&base, clients).await;
    shutdown.cancel();
    match tokio::time::timeout(Duration::from_secs(15), server).await {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(error))) => eprintln!("the server stopped with an error: {error:#}"),
        Ok(Err(error)) => eprintln!("the server task failed: {error}"),
        Err(_) => eprintln!("the server did not stop within 15 s"),
    }
    db.close().await?;
    let mut latencies = result?;
    latencies.sort_by(f64::total_cmp);
    let mut bus = bus_only(clients).await?;
    bus.sort_by(f64::total_cmp);
    let (p50, p99, max) = (
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0),
    );
    let bus_p99 = percentile(&bus, 0.99);
    eprintln!(
        "{clients} streams: p50 {p50:.1} ms, p99 {p99:.1} ms, max {max:.1} ms; bare bus p99 {bus_p99:.2} ms"
    );
    println!(
        "{}",
        json!({
            "scenario": "sse",
            "clients": clients,
            "p50_ms": round1(p50),
            "p99_ms": round1(p99),
            "max_ms": round1(max),
            "bus_only_p99_ms": (bus_p99 * 100.0).round() / 100.0,
        })
    );
    Ok(())
}

async fn sse_run(base: &str, clients: usize) -> anyhow::Result<Vec<f64>> {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let login = browser
        .post(format!("{base}/auth/login"))
        .form(&[
            ("username", "admin"),
            ("password", SSE_PASSWORD),
            ("next", ""),
        ])
        .send()
        .await?;
    if login.status() != reqwest::StatusCode::SEE_OTHER {
        bail!("sign-in answered {}", login.status());
    }
    let cookie = login
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("orgsync_session=") && !v.starts_with("orgsync_session=;"))
        .and_then(|v| v.split(';').next())
        .context("no session cookie after sign-in")?
        .to_string();

    // One client: every stream in flight holds its own HTTP/1.1 connection.
    let streams = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .connect_timeout(Duration::from_secs(10))
        .build()?;
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<()>(clients.max(1));
    let mut tasks = Vec::with_capacity(clients);
    eprintln!("opening {clients} event streams…");
    let opening = Instant::now();
    for _ in 0..clients {
        let streams = streams.clone();
        let url = format!("{base}/api/events");
        let cookie = cookie.clone();
        let ready = ready_tx.clone();
        tasks.push(tokio::spawn(async move {
            let response = streams
                .get(url)
                .header(header::COOKIE, cookie)
                .send()
                .await?;
            if !response.status().is_success() {
                bail!("/api/events answered {}", response.status());
            }
            let mut reader = SseReader::new(response);
            let first = reader.next_status().await?;
            if first["kind"] != "snapshot" {
                bail!("the first event is not a snapshot: {first}");
            }
            let _ = ready.send(()).await;
            loop {
                let event = reader.next_status().await?;
                if event["kind"] == "sync_changed" {
                    return anyhow::Ok(Instant::now());
                }
            }
        }));
    }
    drop(ready_tx);
    for n in 0..clients {
        match tokio::time::timeout(Duration::from_secs(60), ready_rx.recv()).await {
            Ok(Some(())) => {}
            Ok(None) | Err(_) => {
                let failed = tasks.iter().filter(|t| t.is_finished()).count();
                for task in &tasks {
                    task.abort();
                }
                bail!("only {n} of {clients} streams got their snapshot ({failed} ended)");
            }
        }
    }
    eprintln!(
        "{clients} streams open with their snapshot in {:.2} s",
        opening.elapsed().as_secs_f64()
    );
    tokio::time::sleep(Duration::from_millis(200)).await;

    let posted = Instant::now();
    let response = browser
        .post(format!("{base}/api/add_org_sync"))
        .header(header::ORIGIN, base)
        .header(header::COOKIE, &cookie)
        .form(&[("object", "Contact")])
        .send()
        .await?;
    let post_ms = ms(posted.elapsed());
    let status = response.status();
    if !status.is_success() {
        let body = response.text().await.unwrap_or_default();
        bail!("add_org_sync answered {status}: {body}");
    }
    eprintln!("add_org_sync answered in {post_ms:.1} ms");
    let mut latencies = Vec::with_capacity(clients);
    for task in tasks {
        let received = tokio::time::timeout(Duration::from_secs(30), task)
            .await
            .context("a stream got no sync_changed within 30 s")?
            .context("a stream task panicked")??;
        latencies.push(ms(received - posted));
    }
    Ok(latencies)
}

/// Reads `status` events from an SSE response.
struct SseReader {
    response: reqwest::Response,
    buffer: String,
}

impl SseReader {
    fn new(response: reqwest::Response) -> Self {
        SseReader {
            response,
            buffer: String::new(),
        }
    }

    async fn next_status(&mut self) -> anyhow::Result<Value> {
        let event_line = format!("event: {}", app::types::STATUS_EVENT_NAME);
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let frame: String = self.buffer.drain(..end + 2).collect();
                if !frame.lines().any(|line| line == event_line) {
                    continue;
                }
                let data: String = frame
                    .lines()
                    .filter_map(|line| {
                        line.strip_prefix("data: ")
                            .or_else(|| line.strip_prefix("data:"))
                    })
                    .collect();
                return Ok(serde_json::from_str(&data)?);
            }
            match self.response.chunk().await? {
                Some(chunk) => self.buffer.push_str(&String::from_utf8_lossy(&chunk)),
                None => bail!("the event stream ended"),
            }
        }
    }
}

/// `clients` receivers on a bare status bus, each in its own task: publish to receipt (ms).
async fn bus_only(clients: usize) -> anyhow::Result<Vec<f64>> {
    let bus = StatusBus::default();
    let waiting = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::with_capacity(clients);
    for _ in 0..clients {
        let mut receiver = bus.subscribe();
        let waiting = waiting.clone();
        tasks.push(tokio::spawn(async move {
            waiting.fetch_add(1, Ordering::SeqCst);
            receiver.recv().await.map(|_| Instant::now())
        }));
    }
    while waiting.load(Ordering::SeqCst) < clients {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let published = Instant::now();
    bus.sync_removed(1, 1);
    let mut latencies = Vec::with_capacity(clients);
    for task in tasks {
        latencies.push(ms(task.await?? - published));
    }
    Ok(latencies)
}

/// Each stream holds two sockets in this process (client and server end).
fn check_open_files(clients: usize) -> anyhow::Result<()> {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let Some(line) = limits.lines().find(|l| l.starts_with("Max open files")) else {
        return Ok(());
    };
    let values: Vec<&str> = line.split_whitespace().skip(3).take(2).collect();
    let soft = values.first().and_then(|v| v.parse::<u64>().ok());
    let needed = clients as u64 * 2 + 128;
    if let Some(soft) = soft
        && soft < needed
    {
        let hard = values.get(1).copied().unwrap_or("?");
        bail!(
            "{clients} streams need about {needed} open files but the limit is {soft} (hard {hard}): raise it first, e.g. `ulimit -n {hard}`"
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// the simulator process, the store and the engine

/// `orgsync sim` as a child process, seeded with Contacts only.
pub(crate) struct SimProcess {
    child: tokio::process::Child,
    pub(crate) base: String,
    /// Follows no redirect (the authorize form answers 302).
    http: reqwest::Client,
    pub(crate) client_id: String,
    username: String,
    password: String,
    org_id: String,
    user_id: String,
}

impl SimProcess {
    pub(crate) async fn start(contacts: usize) -> anyhow::Result<SimProcess> {
        let binary = super::sibling_binary("orgsync")?;
        let port = super::free_port()?;
        let listen = format!("127.0.0.1:{port}");
        let base = format!("http://{listen}");
        eprintln!("starting `orgsync sim` with {contacts} Contacts…");
        let started = Instant::now();
        let mut child = tokio::process::Command::new(&binary)
            .args(["sim", "--listen", &listen, "--leads", "0", "--contacts"])
            .arg(contacts.to_string())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let org: Value = loop {
            if let Ok(response) = http.get(format!("{base}/__sim/org")).send().await
                && response.status().is_success()
            {
                break response.json().await?;
            }
            if let Some(status) = child.try_wait()? {
                bail!("orgsync sim exited before it was ready: {status}");
            }
            if started.elapsed() > Duration::from_secs(300) {
                bail!("orgsync sim was not ready within 300 s");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        eprintln!(
            "simulator ready in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        // The Developer edition's 15,000 daily API calls are not what is measured.
        http.patch(format!("{base}/__sim/org"))
            .json(&json!({"daily_api_max": 1_000_000_000u64}))
            .send()
            .await?
            .error_for_status()?;
        let text = |value: &Value, what: &str| {
            value
                .as_str()
                .map(str::to_string)
                .with_context(|| format!("no {what} in /__sim/org: {org}"))
        };
        let admin = &org["users"][0];
        Ok(SimProcess {
            client_id: text(&org["client_id"], "client_id")?,
            org_id: text(&org["org_id"], "org_id")?,
            username: text(&admin["username"], "username")?,
            password: text(&admin["password"], "password")?,
            user_id: text(&admin["id"], "user id")?,
            child,
            base,
            http,
        })
    }

    pub(crate) async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }

    /// A control-API POST (`/__sim/...`).
    pub(crate) async fn post(&self, path: &str, body: Value) -> anyhow::Result<()> {
        self.http
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await?
            .error_for_status()?;
        Ok(())
    }
}

/// The engine's database: a fresh SQLite file, or a fresh database on the given PostgreSQL
/// server, dropped by [`Store::close`].
pub(crate) struct Store {
    pub(crate) db: DatabaseConnection,
    pub(crate) backend: &'static str,
    _dir: tempfile::TempDir,
    /// The server's connection and the database to drop.
    postgres: Option<(DatabaseConnection, String)>,
    /// The fresh PostgreSQL database's URL.
    url: Option<String>,
}

impl Store {
    /// The URL of the fresh PostgreSQL database (`None` on SQLite).
    pub(crate) fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }

    pub(crate) async fn open(database_url: Option<&str>) -> anyhow::Result<Store> {
        let dir = tempfile::tempdir()?;
        let Some(url) = database_url else {
            let db = store::connect(&store::sqlite_url_for(dir.path())).await?;
            store::migrate(&db).await?;
            return Ok(Store {
                db,
                backend: "sqlite",
                _dir: dir,
                postgres: None,
                url: None,
            });
        };
        let redacted = orgsync::config::redact_url(url);
        if !url.starts_with("postgres") {
            bail!(
                "--database-url must be a PostgreSQL URL (a fresh database is created on its server), not {redacted}"
            );
        }
        let mut options = ConnectOptions::new(url.to_string());
        options
            .max_connections(1)
            .connect_timeout(Duration::from_secs(5))
            .sqlx_logging(false);
        let admin = Database::connect(options)
            .await
            .with_context(|| format!("cannot connect to {redacted}"))?;
        let name = format!("orgsync_bench_{:016x}", rand::random::<u64>());
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .with_context(|| format!("cannot create the database {name}"))?;
        let mut scratch = url::Url::parse(url).context("invalid --database-url")?;
        scratch.set_path(&format!("/{name}"));
        let opened = async {
            let db = store::connect(scratch.as_str()).await?;
            store::migrate(&db).await?;
            anyhow::Ok(db)
        }
        .await;
        match opened {
            Ok(db) => {
                eprintln!("using the fresh PostgreSQL database {name}");
                Ok(Store {
                    db,
                    backend: "postgres",
                    _dir: dir,
                    postgres: Some((admin, name)),
                    url: Some(scratch.to_string()),
                })
            }
            Err(error) => {
                drop_database(&admin, &name).await;
                Err(error)
            }
        }
    }

    pub(crate) async fn close(self) {
        if let Err(error) = self.db.close().await {
            eprintln!("closing the database: {error}");
        }
        if let Some((admin, name)) = self.postgres {
            drop_database(&admin, &name).await;
        }
    }
}

async fn drop_database(admin: &DatabaseConnection, name: &str) {
    if let Err(error) = admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await
    {
        eprintln!("cannot drop the database {name}: {error}");
    }
}

/// The sync engine with one organization connected to the simulator, as `orgsync serve` runs
/// it (product timings, wall clock).
struct Engine {
    db: DatabaseConnection,
    org_id: i64,
    sessions: Arc<SalesforceSessions>,
    supervisor: Supervisor,
    shutdown: CancellationToken,
    tracker: TaskTracker,
}

impl Engine {
    async fn start(sim: &SimProcess, db: &DatabaseConnection) -> anyhow::Result<Engine> {
        let org = store::organizations::create(db, "Bench").await?;
        let key = base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 32]>());
        let cipher = Cipher::from_base64_key(&SecretString::from(key))?;
        let app = salesforce::ConnectedApp::new(
            &sim.client_id,
            SecretString::from(sim::config::DEFAULT_CLIENT_SECRET.to_string()),
            &sim.base,
            CALLBACK,
            "62.0",
        )?;
        let oauth = salesforce::OAuthClient::new(app)?;
        connect_organization(&oauth, sim, db, org.id, &cipher).await?;
        let sessions = Arc::new(SalesforceSessions::new(oauth, db.clone(), cipher));
        let shutdown = CancellationToken::new();
        let tracker = TaskTracker::new();
        let supervisor = Supervisor::new(
            EngineDeps {
                db: db.clone(),
                sessions: Some(sessions.clone()),
                bus: StatusBus::default(),
                clock: Arc::new(SystemClock),
                settings: EngineSettings::default(),
                lease: None,
                materializing: Default::default(),
            },
            tracker.clone(),
            shutdown.clone(),
        );
        Ok(Engine {
            db: db.clone(),
            org_id: org.id,
            sessions,
            supervisor,
            shutdown,
            tracker,
        })
    }

    /// Creates an enabled Org Sync and starts its worker, as Add object + Save do.
    async fn enable(&self, object: SfObject, method: SyncMethod) -> anyhow::Result<i64> {
        let row = store::org_syncs::create(&self.db, self.org_id, object).await?;
        store::org_syncs::save_settings(
            &self.db,
            self.org_id,
            row.id,
            SyncSettings {
                method,
                interval_minutes: (method == SyncMethod::Rest).then_some(5),
                enabled: true,
            },
        )
        .await?
        .context("the new Org Sync was not found")?;
        self.supervisor.sync_changed(self.org_id, row.id).await;
        Ok(row.id)
    }

    async fn stop(self) {
        self.shutdown.cancel();
        self.tracker.close();
        if tokio::time::timeout(Duration::from_secs(10), self.tracker.wait())
            .await
            .is_err()
        {
            eprintln!("sync workers still running 10 s after shutdown");
        }
    }
}

/// Connects an organization to the simulator with its grant encrypted under `key` (base64),
/// the key an `orgsync serve` of the scenario is given.
pub(crate) async fn connect_with_key(
    sim: &SimProcess,
    db: &DatabaseConnection,
    organization_id: i64,
    key: &str,
) -> anyhow::Result<()> {
    let cipher = Cipher::from_base64_key(&SecretString::from(key.to_owned()))?;
    let app = salesforce::ConnectedApp::new(
        &sim.client_id,
        SecretString::from(sim::config::DEFAULT_CLIENT_SECRET.to_string()),
        &sim.base,
        CALLBACK,
        "62.0",
    )?;
    let oauth = salesforce::OAuthClient::new(app)?;
    connect_organization(&oauth, sim, db, organization_id, &cipher).await
}

/// Signs in the way a browser does (the simulator's authorize form, PKCE) and stores the
/// grant encrypted, as Set up does.
async fn connect_organization(
    oauth: &salesforce::OAuthClient,
    sim: &SimProcess,
    db: &DatabaseConnection,
    organization_id: i64,
    cipher: &Cipher,
) -> anyhow::Result<()> {
    let authorization = oauth.start_authorization(salesforce::Prompt::Default);
    let mut form: Vec<(String, String)> = authorization.url.query_pairs().into_owned().collect();
    form.push(("username".into(), sim.username.clone()));
    form.push(("password".into(), sim.password.clone()));
    form.push(("action".into(), "approve".into()));
    let response = sim
        .http
        .post(format!("{}/services/oauth2/authorize", sim.base))
        .form(&form)
        .send()
        .await?;
    if response.status() != reqwest::StatusCode::FOUND {
        bail!("the authorize form answered {}", response.status());
    }
    let location = response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .context("the authorize form did not redirect")?;
    let code = url::Url::parse(location)?
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .context("no code in the authorize redirect")?;
    let grant = oauth
        .exchange_code(&code, &authorization.pkce_verifier)
        .await?;
    let encrypt = |value: &SecretString, column: &str| {
        cipher.encrypt(
            value,
            &SecretContext {
                column,
                organization_id,
            },
        )
    };
    let refresh = grant
        .refresh_token
        .as_ref()
        .context("the grant has no refresh token")?;
    let record = TokenRecord {
        provider: "salesforce".into(),
        access_token_ciphertext: encrypt(&grant.access_token, ACCESS_TOKEN_COLUMN)?,
        refresh_token_ciphertext: Some(encrypt(refresh, REFRESH_TOKEN_COLUMN)?),
        instance_url: grant
            .instance_url
            .as_str()
            .trim_end_matches('/')
            .to_string(),
        identity_url: grant.identity_url.to_string(),
        username: sim.username.clone(),
        issued_at: Utc::now(),
    };
    store::salesforce_connection::connect(
        db,
        organization_id,
        record,
        SalesforceIdentity {
            username: sim.username.clone(),
            sf_user_id: sim.user_id.clone(),
            sf_org_id: sim.org_id.clone(),
        },
    )
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// writeback

/// `calls` call outcomes, recorded on Contacts of a campaign, written back as Tasks by the
/// engine's writer (timed from the nudge to the last call written), then the same number of
/// Tasks created by a plain client with the same sObject Collections calls (the ceiling).
pub async fn writeback(calls: usize) -> anyhow::Result<()> {
    let sim = SimProcess::start(calls).await?;
    let store = Store::open(None).await?;
    let result = writeback_run(&sim, &store.db, calls).await;
    store.close().await;
    sim.stop().await;
    let (seconds, api_calls, ceiling_seconds) = result?;
    println!(
        "{}",
        json!({
            "scenario": "writeback",
            "tasks": calls,
            "tasks_per_s": (calls as f64 / seconds).round() as u64,
            "api_calls": api_calls,
            "ceiling_tasks_per_s": (calls as f64 / ceiling_seconds).round() as u64,
        })
    );
    Ok(())
}

/// Returns (engine seconds, Salesforce calls the engine made for them, ceiling seconds).
async fn writeback_run(
    sim: &SimProcess,
    db: &DatabaseConnection,
    calls: usize,
) -> anyhow::Result<(f64, u64, f64)> {
    use store::{
        call_activities::{self, CallState, NewCall},
        campaign_records::{self, RecordWrite},
        campaigns::{self, CampaignSettings},
    };
    let engine = Engine::start(sim, db).await?;
    let sync = engine.enable(SfObject::Contact, SyncMethod::Rest).await?;
    let deadline = Instant::now() + Duration::from_secs(120);
    while !store::sync_runs::recent(db, sync, 10)
        .await?
        .iter()
        .any(|r| r.finished_at.is_some())
    {
        if Instant::now() > deadline {
            bail!("the Contact sync's first poll did not finish");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let listed: Value = sim
        .http
        .get(format!("{}/__sim/records/Contact", sim.base))
        .send()
        .await?
        .json()
        .await?;
    let ids: Vec<String> = listed["records"]
        .as_array()
        .context("the simulator's Contacts")?
        .iter()
        .filter_map(|r| r["Id"].as_str().map(str::to_owned))
        .collect();
    let campaign = campaigns::create(db, engine.org_id, &CampaignSettings::named("Bench"))
        .await?
        .id;
    let writes: Vec<RecordWrite> = ids
        .iter()
        .map(|id| RecordWrite {
            campaign_id: campaign,
            sf_id: id.clone(),
            sf_object: "Contact".into(),
            display_name: id.clone(),
            source_name: "Bench".into(),
            source_link_id: None,
            phones: "[]".into(),
            custom_fields: "{}".into(),
            state: "ready".into(),
        })
        .collect();
    campaign_records::write(db, &writes).await?;
    let now = Utc::now();
    for n in 0..calls {
        call_activities::record(
            db,
            NewCall {
                organization_id: engine.org_id,
                campaign_id: campaign,
                sf_id: ids[n % ids.len()].clone(),
                call_id: format!("bench-{n}"),
                subject: "Call".into(),
                disposition: "Connected".into(),
                duration_seconds: 60,
                notes: String::new(),
                occurred_at: now,
                recorded_by: "bench".into(),
            },
            now,
        )
        .await?;
    }
    sim.http
        .delete(format!("{}/__sim/counters", sim.base))
        .send()
        .await?;
    eprintln!("writing back {calls} calls…");
    let started = Instant::now();
    engine.supervisor.calls_recorded(engine.org_id, sync).await;
    let deadline = started + Duration::from_secs(120);
    loop {
        let written =
            call_activities::count_in_state(db, campaign, CallState::Written).await? as usize;
        if written == calls {
            break;
        }
        let failed = call_activities::count_in_state(db, campaign, CallState::Failed).await?;
        if failed > 0 || Instant::now() > deadline {
            engine.stop().await;
            bail!("{written} of {calls} calls written ({failed} failed)");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    let counters: Value = sim
        .http
        .get(format!("{}/__sim/counters", sim.base))
        .send()
        .await?
        .json()
        .await?;
    let endpoint = |name: &str| counters["endpoints"][name].as_u64().unwrap_or(0);
    let api_calls = endpoint("composite/sobjects") + endpoint("query");
    eprintln!("writeback: {calls} Tasks in {seconds:.2} s with {api_calls} API calls");

    // The ceiling: the same Tasks through the same collections, without orgsync's queue.
    let session = engine.sessions.session(engine.org_id).await?;
    let bodies: Vec<Value> = (0..calls)
        .map(|n| {
            json!({
                "attributes": {"type": "Task"},
                "Subject": "Call",
                "Status": "Completed",
                "TaskSubtype": "Call",
                "CallDisposition": "Connected",
                "CallDurationInSeconds": 60,
                "CallObject": format!("ceiling-{n}"),
                "WhoId": ids[n % ids.len()],
            })
        })
        .collect();
    let started = Instant::now();
    for chunk in bodies.chunks(salesforce::MAX_COLLECTION_RECORDS) {
        let results = session.create_collection(chunk, false).await?;
        if results.iter().any(|r| !r.success) {
            bail!("the ceiling's Tasks were refused: {results:?}");
        }
    }
    let ceiling = started.elapsed().as_secs_f64();
    eprintln!("ceiling: {calls} Tasks in {ceiling:.2} s");
    engine.stop().await;
    Ok((seconds, api_calls, ceiling))
}

// ---------------------------------------------------------------------------------------------
// figures

/// A field of /proc/self/status (`VmRSS`, `VmHWM`) in MB.
fn proc_status_mb(field: &str) -> anyhow::Result<f64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let kb: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kb| kb.parse().ok())
        .with_context(|| format!("no {field} in /proc/self/status"))?;
    Ok(kb / 1024.0)
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn round1(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}
