//! Several `orgsync serve` instances on one PostgreSQL (issue 11, IG-04): each Org Sync runs on
//! exactly one of them, moves when its owner stops or dies, commands given on one instance
//! reach the worker wherever it runs, status changes reach every instance's live pages, and
//! both refreshing the token at once keeps the connection.
//!
//! The instances are real `Application`s (the web server, the supervisor, the relay) in this
//! process, with a lease of 2 s and a polling "minute" of 1 s, against one simulator.

use std::time::Duration;

use orgsync::{
    cli::{SalesforceArgs, ServeArgs, StoreArgs, SyncArgs},
    config::Settings,
    secrets::Cipher,
    startup::Application,
    sync::{Supervisor, SyncCommands},
};
use reqwest::{StatusCode, header};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use secrecy::SecretString;
use serde_json::{Value, json};
use store::org_syncs::{SfObject, SyncMethod, SyncSettings, SyncStatus};
use tokio_util::sync::CancellationToken;

use crate::harness::{Credentials, create_postgres, store_grant};

const KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
const PASSWORD: &str = "correct horse battery";
/// The lease time of these instances, in seconds.
const LEASE_SECS: u64 = 2;

/// One PostgreSQL database, one simulator, one organization connected to it.
struct Shared {
    url: String,
    db: DatabaseConnection,
    admin: DatabaseConnection,
    name: String,
    sim: String,
    client_id: String,
    client_secret: String,
    org_id: i64,
    http: reqwest::Client,
    stop_sim: CancellationToken,
}

struct Instance {
    base: String,
    supervisor: Supervisor,
    stop: CancellationToken,
    running: tokio::task::JoinHandle<anyhow::Result<()>>,
    _dir: tempfile::TempDir,
}

impl Shared {
    async fn start() -> Shared {
        let stop_sim = CancellationToken::new();
        let simulator = sim::Simulator::new(sim::config::SimConfig {
            contacts: 40,
            leads: 10,
            ..sim::config::SimConfig::default()
        });
        let (client_id, client_secret) = simulator.client_credentials();
        let (username, password) = simulator.users().into_iter().next().expect("sim admin");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind sim");
        let sim = format!("http://{}", listener.local_addr().expect("sim addr"));
        tokio::spawn(simulator.serve(listener, stop_sim.clone()));

        let (admin, name, url) = create_postgres().await;
        let db = store::connect(&url).await.expect("postgres");
        store::migrate(&db).await.expect("migrate");
        let org = store::organizations::create(&db, "Acme")
            .await
            .expect("org");
        store::organizations::set_flag(&db, org.id, "integrations", true)
            .await
            .expect("flag");
        let hash = orgsync::credentials::hash_password(PASSWORD).expect("hash");
        store::users::create(&db, org.id, "admin", &hash, store::users::Role::Admin)
            .await
            .expect("admin");
        let cipher = Cipher::from_base64_key(&SecretString::from(KEY)).expect("cipher");
        let app = salesforce::ConnectedApp::new(
            &client_id,
            SecretString::from(client_secret.clone()),
            &sim,
            "http://127.0.0.1:9/auth/salesforce/callback",
            "62.0",
        )
        .expect("connected app");
        let oauth = salesforce::OAuthClient::new(app).expect("oauth");
        store_grant(
            &oauth,
            &sim,
            &db,
            org.id,
            &cipher,
            &Credentials { username, password },
        )
        .await;
        Shared {
            url,
            db,
            admin,
            name,
            sim,
            client_id,
            client_secret,
            org_id: org.id,
            http: reqwest::Client::new(),
            stop_sim,
        }
    }

    /// An enabled Org Sync (not yet told to any instance).
    async fn enabled_sync(&self, object: SfObject, method: SyncMethod) -> i64 {
        let row = store::org_syncs::create(&self.db, self.org_id, object)
            .await
            .expect("create");
        self.save(row.id, method, true).await;
        row.id
    }

    async fn save(&self, id: i64, method: SyncMethod, enabled: bool) {
        store::org_syncs::save_settings(
            &self.db,
            self.org_id,
            id,
            SyncSettings {
                method,
                interval_minutes: (method == SyncMethod::Rest).then_some(5),
                enabled,
            },
        )
        .await
        .expect("save")
        .expect("found");
    }

    async fn instance(&self) -> Instance {
        let dir = tempfile::tempdir().expect("data dir");
        let settings = Settings::from_args(
            &StoreArgs {
                data_dir: Some(dir.path().to_path_buf()),
                database_url: Some(self.url.clone()),
            },
            &ServeArgs {
                listen: "127.0.0.1:0".parse().expect("addr"),
                demo: false,
                demo_allow_remote: false,
                public_url: None,
                encryption_key: Some(KEY.into()),
                encryption_key_file: None,
                salesforce: SalesforceArgs {
                    salesforce_client_id: Some(self.client_id.clone()),
                    salesforce_client_secret: Some(self.client_secret.clone()),
                    salesforce_login_url: self.sim.clone(),
                    salesforce_api_version: "62.0".into(),
                },
                sync: SyncArgs {
                    sync_poll_unit_secs: 1,
                    sync_cdc_retry_secs: 1,
                    sync_lease_secs: LEASE_SECS,
                    ..SyncArgs::default()
                },
            },
        );
        let app = Application::build(settings).await.expect("build");
        let base = format!("http://{}", app.local_addr().expect("addr"));
        let supervisor = app.supervisor().clone();
        let stop = CancellationToken::new();
        let running = tokio::spawn(app.run_until_stopped(stop.clone()));
        Instance {
            base,
            supervisor,
            stop,
            running,
            _dir: dir,
        }
    }

    /// The instance (by its id) holding the sync's lease, if any.
    async fn owner(&self, id: i64) -> Option<String> {
        let holder =
            store::leases::holder(&self.db, &store::leases::org_sync(id), chrono::Utc::now())
                .await
                .expect("lease");
        holder.and_then(|h| h.rsplit_once('/').map(|(instance, _)| instance.to_owned()))
    }

    async fn sim_post(&self, path: &str, body: Value) -> Value {
        self.sim_send(reqwest::Method::POST, path, body).await
    }

    async fn sim_send(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let response = self
            .http
            .request(method, format!("{}{path}", self.sim))
            .json(&body)
            .send()
            .await
            .expect("sim");
        assert!(response.status().is_success(), "{path}");
        response.json().await.unwrap_or(Value::Null)
    }

    async fn sim_calls(&self, endpoint: Option<&str>) -> u64 {
        let counters: Value = self
            .http
            .get(format!("{}/__sim/counters", self.sim))
            .send()
            .await
            .expect("counters")
            .json()
            .await
            .expect("json");
        match endpoint {
            Some(endpoint) => counters["endpoints"][endpoint].as_u64().unwrap_or(0),
            None => counters["total"].as_u64().unwrap_or(0),
        }
    }

    async fn finish(self, instances: Vec<Instance>) {
        for instance in instances {
            instance.stop().await;
        }
        self.stop_sim.cancel();
        self.db.close().await.expect("close");
        self.admin
            .execute_unprepared(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ))
            .await
            .expect("drop");
    }
}

impl Instance {
    fn id(&self) -> String {
        self.supervisor.instance().as_str().to_owned()
    }

    async fn stop(self) {
        self.stop.cancel();
        tokio::time::timeout(Duration::from_secs(15), self.running)
            .await
            .expect("the instance stops")
            .expect("no panic")
            .expect("a clean stop");
    }

    async fn sign_in(&self, http: &reqwest::Client) -> String {
        let response = http
            .post(format!("{}/auth/login", self.base))
            .header(header::ORIGIN, &self.base)
            .form(&[("username", "admin"), ("password", PASSWORD), ("next", "")])
            .send()
            .await
            .expect("login");
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("orgsync_session=") && !v.starts_with("orgsync_session=;"))
            .and_then(|v| v.split(';').next())
            .expect("session cookie")
            .to_owned()
    }
}

/// Waits (real time, bounded) until `condition` holds.
async fn wait_for<F, Fut>(what: &str, within: Duration, condition: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + within;
    while !condition().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {within:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ig_04_each_sync_runs_on_exactly_one_instance_and_moves_when_its_owner_stops() {
    let shared = Shared::start().await;
    let contact = shared
        .enabled_sync(SfObject::Contact, SyncMethod::Rest)
        .await;
    let lead = shared.enabled_sync(SfObject::Lead, SyncMethod::Cdc).await;
    let a = shared.instance().await;
    let b = shared.instance().await;
    let ids = [a.id(), b.id()];
    wait_for("both syncs owned", Duration::from_secs(10), || async {
        shared.owner(contact).await.is_some() && shared.owner(lead).await.is_some()
    })
    .await;

    // For several lease times, each sync keeps one owner, and only the owner runs it.
    let first_owners = (
        shared.owner(contact).await.expect("owner"),
        shared.owner(lead).await.expect("owner"),
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(LEASE_SECS * 3);
    while tokio::time::Instant::now() < deadline {
        for (id, owner) in [(contact, &first_owners.0), (lead, &first_owners.1)] {
            assert_eq!(shared.owner(id).await.as_ref(), Some(owner), "sync {id}");
            let (owning, other) = if *owner == ids[0] { (&a, &b) } else { (&b, &a) };
            assert!(owning.supervisor.running().await.contains(&id));
            // The other instance may try the lease (and end at once): it never holds it.
            assert_ne!(shared.owner(id).await.as_deref(), Some(other.id().as_str()));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    wait_for("the first backfill", Duration::from_secs(10), || async {
        store::mirror::count(&shared.db, contact)
            .await
            .expect("count")
            >= 40
    })
    .await;

    // The owner of the Contact sync stops: the other instance takes its syncs over, and
    // changes made meanwhile arrive.
    let (stopping, staying) = if first_owners.0 == ids[0] {
        (a, b)
    } else {
        (b, a)
    };
    let staying_id = staying.id();
    stopping.stop().await;
    shared
        .sim_post(
            "/__sim/records/Contact",
            json!({"LastName": "AfterFailover", "Phone": "+15550001111"}),
        )
        .await;
    wait_for(
        "the remaining instance to own both syncs",
        Duration::from_secs(LEASE_SECS * 3),
        || async {
            shared.owner(contact).await.as_deref() == Some(staying_id.as_str())
                && shared.owner(lead).await.as_deref() == Some(staying_id.as_str())
        },
    )
    .await;
    wait_for(
        "the change made during the failover",
        Duration::from_secs(15),
        || async {
            store::mirror::all(&shared.db, contact)
                .await
                .expect("rows")
                .iter()
                .any(|row| row.fields.contains("AfterFailover"))
        },
    )
    .await;
    shared.finish(vec![staying]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ig_04_a_sync_whose_owner_died_is_taken_over_once_its_lease_lapses() {
    let shared = Shared::start().await;
    let contact = shared
        .enabled_sync(SfObject::Contact, SyncMethod::Rest)
        .await;
    // An instance that died a moment ago still holds the lease for one lease time.
    let lapses = chrono::Utc::now() + chrono::TimeDelta::seconds(LEASE_SECS as i64);
    assert!(
        store::leases::try_acquire(
            &shared.db,
            &store::leases::org_sync(contact),
            "dead-instance/0",
            lapses - chrono::TimeDelta::seconds(LEASE_SECS as i64),
            chrono::TimeDelta::seconds(LEASE_SECS as i64),
        )
        .await
        .expect("ghost lease")
    );
    let calls_before = shared.sim_calls(None).await;
    let b = shared.instance().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        shared.owner(contact).await.as_deref(),
        Some("dead-instance"),
        "a live lease is respected"
    );
    assert_eq!(
        shared.sim_calls(None).await,
        calls_before,
        "nobody runs the sync"
    );
    wait_for(
        "the takeover after the lease lapsed",
        Duration::from_secs(LEASE_SECS * 3),
        || async { shared.owner(contact).await.as_deref() == Some(b.id().as_str()) },
    )
    .await;
    assert!(chrono::Utc::now() >= lapses, "not before the lease lapsed");
    wait_for("the backfill", Duration::from_secs(10), || async {
        store::mirror::count(&shared.db, contact)
            .await
            .expect("count")
            >= 40
    })
    .await;
    shared.finish(vec![b]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ts_01_two_instances_refreshing_a_rotating_token_at_once_keep_the_connection() {
    let shared = Shared::start().await;
    let org = shared
        .sim_send(
            reqwest::Method::PATCH,
            "/__sim/org",
            json!({"rotate_refresh_tokens": true}),
        )
        .await;
    assert_eq!(org["rotate_refresh_tokens"], json!(true), "{org}");
    let a = shared.instance().await;
    let b = shared.instance().await;
    let sessions = |i: &Instance| {
        i.supervisor
            .deps()
            .sessions
            .clone()
            .expect("Salesforce configured")
    };
    let (on_a, on_b) = (sessions(&a), sessions(&b));
    let org = shared.org_id;

    for round in 0..3 {
        shared
            .sim_post("/__sim/tokens/expire-access", json!({}))
            .await;
        let refreshes_before = shared.sim_calls(Some("oauth/token")).await;
        let (session_a, session_b) = (
            on_a.session(org).await.expect("session on a"),
            on_b.session(org).await.expect("session on b"),
        );
        let (first, second) = tokio::join!(session_a.limits(), session_b.limits());
        assert!(first.is_ok(), "round {round}, a: {first:?}");
        assert!(second.is_ok(), "round {round}, b: {second:?}");
        assert_eq!(
            shared.sim_calls(Some("oauth/token")).await - refreshes_before,
            1,
            "round {round}: one instance refreshed, the other used its token"
        );
    }
    // What is stored works for a new session too (a restarted instance).
    on_a.forget(org).await;
    let fresh = on_a.session(org).await.expect("fresh session");
    assert!(fresh.limits().await.is_ok());
    shared.finish(vec![a, b]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn st_05_an_admin_on_one_instance_sees_live_a_change_made_by_a_worker_on_another() {
    let shared = Shared::start().await;
    let contact = shared
        .enabled_sync(SfObject::Contact, SyncMethod::Rest)
        .await;
    let b = shared.instance().await;
    wait_for("b to own the sync", Duration::from_secs(10), || async {
        shared.owner(contact).await.as_deref() == Some(b.id().as_str())
    })
    .await;
    let a = shared.instance().await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http");
    let cookie = a.sign_in(&http).await;
    let mut stream = http
        .get(format!("{}/api/events", a.base))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .expect("events");
    assert_eq!(stream.status(), StatusCode::OK);
    let mut buffer = String::new();
    read_event(&mut stream, &mut buffer, |v| v["kind"] == "snapshot").await;

    // b's next poll fails: the error reaches a's page.
    shared
        .sim_post(
            "/__sim/faults",
            json!({"endpoint": "queryAll", "kind": "fail", "status": 503, "count": 1000}),
        )
        .await;
    let changed = read_event(&mut stream, &mut buffer, |v| {
        v["kind"] == "sync_changed" && v["sync"]["error_count"].as_i64().unwrap_or(0) >= 1
    })
    .await;
    assert_eq!(changed["sync"]["id"].as_i64(), Some(contact));
    assert!(changed["sync"]["last_error"].is_string(), "{changed}");
    assert_eq!(
        shared.owner(contact).await.as_deref(),
        Some(b.id().as_str()),
        "the change was made on b"
    );
    drop(stream);
    shared.finish(vec![a, b]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn os_05_disable_and_disconnect_on_one_instance_stop_the_worker_on_another() {
    let shared = Shared::start().await;
    let contact = shared
        .enabled_sync(SfObject::Contact, SyncMethod::Cdc)
        .await;
    let b = shared.instance().await;
    wait_for("b to run the sync", Duration::from_secs(10), || async {
        b.supervisor.running().await.contains(&contact)
            && shared.owner(contact).await.as_deref() == Some(b.id().as_str())
    })
    .await;
    let a = shared.instance().await;

    // Disable on a (what Save does): b's worker stops within a moment, and nobody runs it.
    shared.save(contact, SyncMethod::Cdc, false).await;
    a.supervisor.sync_changed(shared.org_id, contact).await;
    wait_for("b's worker to stop", Duration::from_secs(3), || async {
        !b.supervisor.running().await.contains(&contact)
    })
    .await;
    assert_eq!(shared.owner(contact).await, None);
    tokio::time::sleep(Duration::from_secs(LEASE_SECS)).await;
    assert!(a.supervisor.running().await.is_empty());
    assert!(b.supervisor.running().await.is_empty());

    // Enable again on a: one of them runs it.
    shared.save(contact, SyncMethod::Cdc, true).await;
    a.supervisor.sync_changed(shared.org_id, contact).await;
    wait_for("an owner again", Duration::from_secs(5), || async {
        shared.owner(contact).await.is_some()
    })
    .await;

    // Disconnect on a: wherever the worker runs, it stops calling Salesforce.
    store::salesforce_connection::disconnect(&shared.db, shared.org_id)
        .await
        .expect("disconnect");
    if let Some(sessions) = &a.supervisor.deps().sessions {
        sessions.forget(shared.org_id).await;
    }
    a.supervisor.connection_changed(shared.org_id).await;
    wait_for(
        "the sync to stop in Error",
        Duration::from_secs(5),
        || async {
            store::org_syncs::find_by_id(&shared.db, contact)
                .await
                .expect("read")
                .is_some_and(|row| row.status == SyncStatus::Error)
        },
    )
    .await;
    wait_for("both workers to stop", Duration::from_secs(5), || async {
        a.supervisor.running().await.is_empty() && b.supervisor.running().await.is_empty()
    })
    .await;
    let calls = shared.sim_calls(None).await;
    tokio::time::sleep(Duration::from_secs(LEASE_SECS * 2)).await;
    assert_eq!(
        shared.sim_calls(None).await,
        calls,
        "a disconnected organization's syncs call nobody"
    );
    shared.finish(vec![a, b]).await;
}

/// Reads SSE frames until one whose data satisfies `wanted` (10 s at most).
async fn read_event(
    response: &mut reqwest::Response,
    buffer: &mut String,
    wanted: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        while let Some(end) = buffer.find("\n\n") {
            let frame: String = buffer.drain(..end + 2).collect();
            let data: String = frame
                .lines()
                .filter_map(|line| {
                    line.strip_prefix("data: ")
                        .or_else(|| line.strip_prefix("data:"))
                })
                .collect();
            if !data.is_empty() {
                let value: Value = serde_json::from_str(&data).expect("event json");
                if wanted(&value) {
                    return value;
                }
            }
        }
        let chunk = tokio::time::timeout_at(deadline, response.chunk())
            .await
            .expect("the event in time")
            .expect("stream readable")
            .expect("stream open");
        buffer.push_str(&String::from_utf8_lossy(&chunk));
    }
}
