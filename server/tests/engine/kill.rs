//! IG-04 with the real binary: `orgsync serve` follows the simulator over HTTP while a random
//! workload changes its records, and is killed with SIGKILL — in the middle of the backfill
//! (its first page committed, the second in flight), in the middle of a poll's pages (REST) or
//! of an event batch (CDC), and at random moments for as long as the workload runs (at least
//! three) — each time restarted on the same database. At the end the mirror equals the simulator field for field, and no record
//! was applied more often than it had versions. For REST polling and for CDC, on SQLite and on
//! PostgreSQL.

use std::{
    fs::OpenOptions,
    io::Write,
    os::unix::fs::OpenOptionsExt,
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use rand::{Rng, SeedableRng, rngs::StdRng, seq::SliceRandom};
use reqwest::Method;
use serde_json::{Value, json};
use store::org_syncs::{SfObject, SyncMethod, SyncStatus};
use tokio::{sync::Mutex, time::Instant};
use tokio_util::sync::CancellationToken;

use super::harness::{BACKENDS, Backend, ENCRYPTION_KEY, Harness, Options};

const OBJECT: SfObject = SfObject::Contact;
/// Records the simulator serves per query page (its default batch size).
const PAGE: u64 = 2_000;
/// Seeded records: more than one page, so the backfill has a second page to be killed in.
const SEEDED: usize = 3_000;
/// Changes the workload makes at the least (creates, updates, deletes, undeletes, shared
/// stamps, late commits), besides the bulk updates that make big polls and event batches.
const WORKLOAD_CHANGES: usize = 4_000;
/// Kills at random moments, at the least.
const RANDOM_KILLS: usize = 3;
/// How long the simulator holds the call orgsync is killed in: far longer than the kill takes.
const HOLD_MS: u64 = 30_000;
/// Deadline of each wait on the running binary.
const WAIT: Duration = Duration::from_secs(60);
/// The binary's log filter: enough to see rounds, failures and restarts.
const LOG_FILTER: &str = "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ig_04_rest_polling_killed_mid_page_and_at_random_loses_and_repeats_no_change() {
    for backend in BACKENDS {
        killed_and_restarted(backend, SyncMethod::Rest, 404).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ig_04_cdc_killed_mid_page_mid_event_batch_and_at_random_loses_and_repeats_no_change() {
    for backend in BACKENDS {
        killed_and_restarted(backend, SyncMethod::Cdc, 4040).await;
    }
}

async fn killed_and_restarted(backend: Backend, method: SyncMethod, seed: u64) {
    let label = format!("{backend:?} {method:?}");
    let h = Harness::start(
        backend,
        Options {
            contacts: SEEDED,
            leads: 0,
            ..Options::default()
        },
    )
    .await;
    let seeded = h.sim_record_ids(OBJECT).await;
    // A REST sync polls every second: an interval of one "minute" of one second.
    let id = h
        .create_sync(OBJECT, method, (method == SyncMethod::Rest).then_some(1))
        .await;
    let mut orgsync = Orgsync::new(&h);
    let mut rng = StdRng::seed_from_u64(seed);

    // Kill 1: in the middle of the backfill, its first page committed, the second requested.
    hold_next_call(&h, "query/more").await;
    orgsync.start();
    orgsync
        .wait_for(
            "the backfill's first page to be committed and its second to be held",
            || async { h.pending_faults().await == 0 && h.row(id).await.watermark.is_some() },
        )
        .await;
    orgsync.kill();
    let row = h.row(id).await;
    assert!(
        row.backfill_total.is_some(),
        "{label}: killed mid-backfill, its progress shows it unfinished"
    );
    let mirrored = store::mirror::count(&h.db, id).await.expect("count");
    assert_eq!(
        mirrored, PAGE,
        "{label}: the first page and nothing else was committed before the kill"
    );

    // From here on the records keep changing, through kills and restarts alike.
    let workload = Arc::new(Mutex::new(Workload::new(&h, seed).await));
    let changes = workload.lock().await.changes.clone();
    let stop = CancellationToken::new();
    let running = tokio::spawn(keep_changing(workload.clone(), stop.clone()));

    // Kill 2: at a random moment.
    orgsync.start();
    orgsync.kill_at_random(&mut rng).await;

    // Kill 3: in the middle of a poll's pages (REST), or of an event batch (CDC).
    orgsync.start();
    match method {
        SyncMethod::Rest => {
            // More changed records than a page holds: the next poll reads two pages.
            workload.lock().await.bulk_update(PAGE as usize + 100).await;
            hold_next_call(&h, "query/more").await;
            orgsync
                .wait_for("a poll's second page to be held", || async {
                    h.pending_faults().await == 0
                })
                .await;
        }
        SyncMethod::Cdc => {
            // Once a batch is committed (a replay id stored), this run reads records only to
            // fetch those its events name (its catch-up, if it had one, is over).
            orgsync
                .wait_for("an event batch to be committed", || async {
                    h.row(id).await.replay_id.is_some()
                })
                .await;
            workload.lock().await.bulk_update(600).await;
            hold_next_call(&h, "queryAll").await;
            orgsync
                .wait_for("an event batch's records to be held", || async {
                    h.pending_faults().await == 0
                })
                .await;
        }
    }
    orgsync.kill();

    // Then more kills at random moments, for as long as the workload runs.
    let mut random_kills = 1;
    let deadline = Instant::now() + 2 * WAIT;
    while random_kills < RANDOM_KILLS || changes.load(Ordering::Relaxed) < WORKLOAD_CHANGES {
        assert!(
            Instant::now() < deadline,
            "{label}: the workload made {} of its {WORKLOAD_CHANGES} changes in {:?}",
            changes.load(Ordering::Relaxed),
            2 * WAIT
        );
        orgsync.start();
        orgsync.kill_at_random(&mut rng).await;
        random_kills += 1;
    }

    // The last run: the workload stops; orgsync catches up.
    orgsync.start();
    stop.cancel();
    running.await.expect("the workload ran without a failure");
    let deadline = Instant::now() + WAIT;
    loop {
        let differences = h.mirror_differences(id, OBJECT).await;
        if differences.is_empty() {
            break;
        }
        orgsync.assert_running("the mirror to catch up");
        assert!(
            Instant::now() < deadline,
            "{label}: {WAIT:?} after the last change the mirror still differs from the simulator: {} differences, first: {:?}",
            differences.len(),
            &differences[..differences.len().min(10)]
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let too_often = h.applied_too_often(id, OBJECT, &seeded).await;
    assert!(
        too_often.is_empty(),
        "{label}: {} records applied twice, first: {:?}",
        too_often.len(),
        &too_often[..too_often.len().min(10)]
    );
    let row = h.row(id).await;
    assert_eq!(
        row.status,
        SyncStatus::Active,
        "{label}: {:?}",
        row.last_error
    );
    assert!(
        row.backfill_total.is_none(),
        "{label}: the interrupted backfill ended, and its progress with it"
    );
    let rows = store::mirror::all(&h.db, id).await.expect("mirror");
    eprintln!(
        "{label}: killed {} times ({random_kills} at random) while the workload made {} changes; {} records mirrored, applied up to {} times each",
        orgsync.starts - 1,
        changes.load(Ordering::Relaxed),
        rows.len(),
        rows.iter().map(|r| r.applied_count).max().unwrap_or(0)
    );
    orgsync.kill();
    h.stop().await;
}

/// Holds the next call of `endpoint` in the simulator for [`HOLD_MS`]. The fault is used up
/// by that call, so once `pending_faults` is 0 the call is in flight and held.
async fn hold_next_call(h: &Harness, endpoint: &str) {
    h.fault(json!({"endpoint": endpoint, "kind": "latency", "latency_ms": HOLD_MS, "count": 1}))
        .await;
}

/// A spawned `orgsync serve` on the harness's database, simulator and encryption key. It is
/// killed (SIGKILL) when dropped, so a failing test never leaves one running; its output goes
/// to `orgsync.log` in the harness's directory, whose end is printed when a test fails.
struct Orgsync {
    args: Vec<String>,
    log: PathBuf,
    child: Option<Child>,
    starts: usize,
}

impl Orgsync {
    fn new(h: &Harness) -> Orgsync {
        let key = h.dir().join("encryption.key");
        // `serve` refuses a key file that others may read.
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&key)
            .expect("create the key file");
        file.write_all(ENCRYPTION_KEY.as_bytes())
            .expect("write the key file");
        let path = |p: PathBuf| p.to_str().expect("a UTF-8 path").to_string();
        let args = [
            "--data-dir",
            &path(h.dir().join("orgsync-data")),
            "--database-url",
            &h.database_url,
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--encryption-key-file",
            &path(key),
            "--salesforce-client-id",
            &h.client_id,
            "--salesforce-client-secret",
            &h.client_secret,
            "--salesforce-login-url",
            &h.sim,
            "--sync-poll-unit-secs",
            "1",
            "--sync-overlap-secs",
            "300",
            "--sync-cdc-retry-secs",
            "1",
            "--sync-circuit-cooldown-secs",
            "1",
            // On PostgreSQL a restarted orgsync waits for the killed one's leases to lapse.
            "--sync-lease-secs",
            "2",
        ]
        .map(str::to_string)
        .to_vec();
        Orgsync {
            args,
            log: h.dir().join("orgsync.log"),
            child: None,
            starts: 0,
        }
    }

    fn start(&mut self) {
        assert!(self.child.is_none(), "orgsync is running already");
        self.starts += 1;
        let mut log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("open the log");
        writeln!(log, "===== start {} =====", self.starts).expect("write the log");
        let stderr = log.try_clone().expect("log handle");
        let mut command = Command::new(env!("CARGO_BIN_EXE_orgsync"));
        // Only the flags above configure it, whatever the environment of the test says.
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("ORGSYNC_") {
                command.env_remove(name);
            }
        }
        let child = command
            .args(&self.args)
            .env("RUST_LOG", LOG_FILTER)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(stderr)
            .spawn()
            .expect("spawn orgsync serve");
        self.child = Some(child);
    }

    /// Fails (with the log) if orgsync exited by itself: it runs until it is killed.
    fn assert_running(&mut self, waiting_for: &str) {
        let child = self.child.as_mut().expect("orgsync was started");
        if let Some(status) = child.try_wait().expect("child status") {
            self.child = None;
            panic!("orgsync exited ({status}) while the test waited for {waiting_for}");
        }
    }

    /// SIGKILL, then reap.
    fn kill(&mut self) {
        self.assert_running("its kill");
        let mut child = self.child.take().expect("orgsync was started");
        child.kill().expect("SIGKILL orgsync");
        child.wait().expect("reap orgsync");
    }

    /// Kills orgsync a random 0.2 to 2.5 s after it was started: during start-up, a poll,
    /// a write, a long poll — wherever it happens to be.
    async fn kill_at_random(&mut self, rng: &mut StdRng) {
        let after = Duration::from_millis(rng.gen_range(200..2_500));
        tokio::time::sleep(after).await;
        self.kill();
    }

    /// Waits (real time, at most [`WAIT`]) until `condition` holds, failing if orgsync exits.
    async fn wait_for<F, Fut>(&mut self, what: &str, condition: F)
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = Instant::now() + WAIT;
        while !condition().await {
            self.assert_running(what);
            assert!(
                Instant::now() < deadline,
                "timed out after {WAIT:?} waiting for {what}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

impl Drop for Orgsync {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if std::thread::panicking() {
            eprintln!(
                "----- the end of orgsync's log ({} starts) -----\n{}",
                self.starts,
                self.log_tail(80)
            );
        }
    }
}

/// Runs the workload until `stop`, about 300 changes a second at most, so that the changes
/// spread over the kills and restarts rather than all coming before the first.
async fn keep_changing(workload: Arc<Mutex<Workload>>, stop: CancellationToken) {
    while !stop.is_cancelled() {
        workload.lock().await.step().await;
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
}

/// A random workload that keeps track of which records are live and which are deleted, so
/// each change is a single call to the simulator's control API.
struct Workload {
    sim: String,
    http: reqwest::Client,
    rng: StdRng,
    live: Vec<String>,
    deleted: Vec<String>,
    /// Changes made so far.
    changes: Arc<AtomicUsize>,
}

impl Workload {
    async fn new(h: &Harness, seed: u64) -> Workload {
        let records = h
            .sim_get(&format!(
                "/__sim/records/{}?include_deleted=true",
                OBJECT.as_str()
            ))
            .await;
        let (mut live, mut deleted) = (Vec::new(), Vec::new());
        for record in records["records"].as_array().expect("records") {
            let id = record["Id"].as_str().expect("Id").to_string();
            if record["IsDeleted"] == json!(true) {
                deleted.push(id);
            } else {
                live.push(id);
            }
        }
        Workload {
            sim: h.sim.clone(),
            http: h.http.clone(),
            rng: StdRng::seed_from_u64(seed),
            live,
            deleted,
            changes: Arc::new(AtomicUsize::new(0)),
        }
    }

    async fn call(&self, method: Method, path: &str, body: Value) -> Value {
        let response = self
            .http
            .request(method, format!("{}/__sim{path}", self.sim))
            .json(&body)
            .send()
            .await
            .expect("a simulator call");
        let status = response.status();
        let text = response.text().await.expect("a simulator answer");
        assert!(status.is_success(), "{path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// A few distinct live records.
    fn some_live(&mut self, count: usize) -> Vec<String> {
        self.live
            .choose_multiple(&mut self.rng, count)
            .cloned()
            .collect()
    }

    /// One random change: a create, update, delete or undelete, or a few records updated with
    /// one shared SystemModstamp, or committed late with an older one.
    async fn step(&mut self) {
        let object = OBJECT.as_str();
        let n = self.changes.load(Ordering::Relaxed);
        match self.rng.gen_range(0..100) {
            0..=19 => {
                let phone = format!("+1555{:07}", self.rng.gen_range(0..9_999_999));
                let created = self
                    .call(
                        Method::POST,
                        &format!("/records/{object}"),
                        json!({"LastName": format!("Killed{n}"), "Phone": phone}),
                    )
                    .await;
                self.live
                    .push(created["id"].as_str().expect("new id").to_string());
            }
            20..=59 => {
                let id = self.some_live(1).pop().expect("a live record");
                let phone = format!("+1666{:07}", self.rng.gen_range(0..9_999_999));
                self.call(
                    Method::PATCH,
                    &format!("/records/{object}/{id}"),
                    json!({"Phone": phone, "Email": format!("k{n}@example.com")}),
                )
                .await;
            }
            60..=71 => {
                let index = self.rng.gen_range(0..self.live.len());
                let id = self.live.swap_remove(index);
                self.call(
                    Method::DELETE,
                    &format!("/records/{object}/{id}"),
                    Value::Null,
                )
                .await;
                self.deleted.push(id);
            }
            72..=79 if !self.deleted.is_empty() => {
                let index = self.rng.gen_range(0..self.deleted.len());
                let id = self.deleted.swap_remove(index);
                self.call(
                    Method::POST,
                    &format!("/records/{object}/{id}/undelete"),
                    json!({}),
                )
                .await;
                self.live.push(id);
            }
            72..=89 => {
                let count = self.rng.gen_range(2..20);
                let ids = self.some_live(count);
                self.call(
                    Method::POST,
                    "/generate/shared-modstamp",
                    json!({"object": object, "ids": ids}),
                )
                .await;
            }
            _ => {
                // Lags within the sync's 300 s overlap, as Salesforce's late commits are.
                let count = self.rng.gen_range(1..5);
                let ids = self.some_live(count);
                let lag = self.rng.gen_range(1..120);
                self.call(
                    Method::POST,
                    "/generate/late-commit",
                    json!({"object": object, "ids": ids, "lag_seconds": lag}),
                )
                .await;
            }
        }
        self.changes.fetch_add(1, Ordering::Relaxed);
    }

    /// Updates `count` live records in one transaction (a new phone each).
    async fn bulk_update(&mut self, count: usize) {
        let ids = self.some_live(count);
        self.call(
            Method::POST,
            "/generate/bulk-update",
            json!({"object": OBJECT.as_str(), "ids": ids}),
        )
        .await;
    }
}
