//! The engine against a real simulator over HTTP, on SQLite or on a fresh PostgreSQL
//! database: an organization connected with a real token (password grant, stored encrypted
//! like Set up does), the supervisor on a manual clock, and helpers to drive and compare.

use std::{
    collections::{HashMap, HashSet},
    path::Path,
    sync::{
        Arc,
        atomic::{AtomicU32, Ordering},
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use chrono::Utc;
use orgsync::{
    salesforce_sessions::{ACCESS_TOKEN_COLUMN, REFRESH_TOKEN_COLUMN, SalesforceSessions},
    secrets::{Cipher, SecretContext},
    status::StatusBus,
    sync::{BreakerPolicy, EngineDeps, EngineSettings, ManualClock, Supervisor, SyncCommands},
};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};
use secrecy::SecretString;
use serde_json::Value;
use store::{
    oauth_tokens::TokenRecord,
    org_syncs::{SfObject, SyncMethod, SyncSettings},
    salesforce_connection::SalesforceIdentity,
};
use tokio_util::{sync::CancellationToken, task::TaskTracker};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub const BACKENDS: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];

/// One poll "minute" is this long on the manual clock (it only moves when a test says).
pub const POLL_UNIT: Duration = Duration::from_secs(60);

/// How long a CDC worker waits (manual clock) before it retries after a failed round.
pub const CDC_RETRY: Duration = Duration::from_secs(5);

/// The key stored tokens are encrypted with (base64 of 32 bytes), for a spawned `orgsync serve`
/// to read from its key file.
pub const ENCRYPTION_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

pub struct Harness {
    pub sim: String,
    pub http: reqwest::Client,
    pub db: DatabaseConnection,
    /// The URL of `db`, for another process (a spawned `orgsync serve`).
    pub database_url: String,
    /// The simulator's connected app.
    pub client_id: String,
    pub client_secret: String,
    pub org_id: i64,
    pub clock: ManualClock,
    pub bus: StatusBus,
    pub supervisor: Supervisor,
    pub sessions: Arc<SalesforceSessions>,
    cipher: Cipher,
    credentials: Credentials,
    oauth: salesforce::OAuthClient,
    shutdown: CancellationToken,
    tracker: TaskTracker,
    _dir: tempfile::TempDir,
    postgres: Option<(DatabaseConnection, String)>,
}

pub struct Options {
    pub contacts: usize,
    pub leads: usize,
    pub event_retention: Option<usize>,
    /// The Salesforce HTTP client's timeout, instead of the product's 30 s (a test that
    /// makes an answer late keeps its wait short).
    pub http_timeout: Option<Duration>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            contacts: 50,
            leads: 10,
            event_retention: None,
            http_timeout: None,
        }
    }
}

impl Harness {
    pub async fn start(backend: Backend, options: Options) -> Harness {
        // RUST_LOG=orgsync=debug shows the engine's log when a test needs explaining.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let shutdown = CancellationToken::new();
        let tracker = TaskTracker::new();
        let mut config = sim::config::SimConfig {
            contacts: options.contacts,
            leads: options.leads,
            ..sim::config::SimConfig::default()
        };
        if let Some(retention) = options.event_retention {
            config.event_retention = retention;
        }
        let simulator = sim::Simulator::new(config);
        let (client_id, client_secret) = simulator.client_credentials();
        let (username, password) = simulator.users().into_iter().next().expect("sim admin");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind sim");
        let sim = format!("http://{}", listener.local_addr().expect("sim addr"));
        tracker.spawn(simulator.serve(listener, shutdown.clone()));

        let dir = tempfile::tempdir().expect("temp dir");
        let (db, database_url, postgres) = match backend {
            Backend::Sqlite => {
                let url = store::sqlite_url_for(dir.path());
                let db = store::connect(&url).await.expect("sqlite");
                (db, url, None)
            }
            Backend::Postgres => {
                let (admin, name, url) = create_postgres().await;
                let db = store::connect(&url).await.expect("postgres test database");
                (db, url, Some((admin, name)))
            }
        };
        store::migrate(&db).await.expect("migrate");
        let org = store::organizations::create(&db, "Acme")
            .await
            .expect("org");

        let http = reqwest::Client::new();
        let cipher = Cipher::from_base64_key(&SecretString::from(ENCRYPTION_KEY)).expect("cipher");
        let credentials = Credentials { username, password };
        let app = salesforce::ConnectedApp::new(
            &client_id,
            SecretString::from(client_secret.clone()),
            &sim,
            "http://127.0.0.1:9/auth/salesforce/callback",
            "62.0",
        )
        .expect("connected app");
        let oauth = match options.http_timeout {
            None => salesforce::OAuthClient::new(app),
            Some(timeout) => {
                let client = reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .timeout(timeout)
                    .build()
                    .expect("http client");
                salesforce::OAuthClient::with_http(app, client)
            }
        }
        .expect("oauth client");
        store_grant(&oauth, &sim, &db, org.id, &cipher, &credentials).await;
        let sessions = Arc::new(SalesforceSessions::new(
            oauth.clone(),
            db.clone(),
            cipher.clone(),
        ));
        let clock = ManualClock::new(Utc::now());
        let bus = StatusBus::default();
        let supervisor = Supervisor::new(
            EngineDeps {
                db: db.clone(),
                sessions: Some(sessions.clone()),
                bus: bus.clone(),
                clock: Arc::new(clock.clone()),
                settings: EngineSettings {
                    poll_unit: POLL_UNIT,
                    overlap: Duration::from_secs(300),
                    breaker: BreakerPolicy {
                        base_cooldown: Duration::from_secs(600),
                        max_cooldown: Duration::from_secs(3600),
                    },
                    cdc_retry: CDC_RETRY,
                    lease: Duration::from_secs(30),
                },
                lease: None,
                materializing: Default::default(),
            },
            tracker.clone(),
            shutdown.clone(),
        );
        Harness {
            sim,
            http,
            db,
            database_url,
            client_id,
            client_secret,
            org_id: org.id,
            clock,
            bus,
            supervisor,
            sessions,
            cipher,
            credentials,
            oauth,
            shutdown,
            tracker,
            _dir: dir,
            postgres,
        }
    }

    /// Creates an enabled Org Sync and starts its worker, as Add object + Save do.
    pub async fn enable(&self, object: SfObject, method: SyncMethod) -> i64 {
        let id = self
            .create_sync(object, method, (method == SyncMethod::Rest).then_some(5))
            .await;
        self.supervisor.sync_changed(self.org_id, id).await;
        id
    }

    /// Creates an enabled Org Sync in the store only (no worker here: a spawned `orgsync
    /// serve` starts it).
    pub async fn create_sync(
        &self,
        object: SfObject,
        method: SyncMethod,
        interval_minutes: Option<i32>,
    ) -> i64 {
        let row = store::org_syncs::create(&self.db, self.org_id, object)
            .await
            .expect("create");
        store::org_syncs::save_settings(
            &self.db,
            self.org_id,
            row.id,
            SyncSettings {
                method,
                interval_minutes,
                enabled: true,
            },
        )
        .await
        .expect("save")
        .expect("found");
        row.id
    }

    /// The temporary directory of this harness (the SQLite file lives there).
    pub fn dir(&self) -> &Path {
        self._dir.path()
    }

    /// Disables a sync, as the switch + Save do.
    pub async fn disable(&self, id: i64, method: SyncMethod) {
        store::org_syncs::save_settings(
            &self.db,
            self.org_id,
            id,
            SyncSettings {
                method,
                interval_minutes: (method == SyncMethod::Rest).then_some(5),
                enabled: false,
            },
        )
        .await
        .expect("save")
        .expect("found");
        self.supervisor.sync_changed(self.org_id, id).await;
    }

    pub async fn row(&self, id: i64) -> store::entities::org_syncs::Model {
        store::org_syncs::find_by_id(&self.db, id)
            .await
            .expect("read")
            .expect("row")
    }

    /// Finished runs of a sync so far.
    pub async fn runs(&self, id: i64) -> usize {
        store::sync_runs::recent(&self.db, id, 100_000)
            .await
            .expect("runs")
            .iter()
            .filter(|r| r.finished_at.is_some())
            .count()
    }

    /// Moves the clock by one 5-minute polling interval and waits for the poll it starts.
    pub async fn next_poll(&self, id: i64) {
        let before = self.runs(id).await;
        self.clock.advance(POLL_UNIT * 5);
        self.wait_for("the next poll", || async { self.runs(id).await > before })
            .await;
    }

    /// Waits (real time, bounded) until `condition` holds.
    pub async fn wait_for<F, Fut>(&self, what: &str, condition: F)
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        wait_until(what, Duration::from_secs(30), condition).await;
    }

    pub async fn sim_post(&self, path: &str, body: Value) -> Value {
        let response = self
            .http
            .post(format!("{}{path}", self.sim))
            .json(&body)
            .send()
            .await
            .expect("sim call");
        let status = response.status();
        let text = response.text().await.expect("sim body");
        assert!(status.is_success(), "{path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    pub async fn sim_call(&self, method: reqwest::Method, path: &str, body: Option<Value>) {
        let mut request = self.http.request(method, format!("{}{path}", self.sim));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("sim call");
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
    }

    pub async fn sim_get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.sim))
            .send()
            .await
            .expect("sim call")
            .json()
            .await
            .expect("sim json")
    }

    /// API calls the simulator counted so far (control API excluded).
    pub async fn sim_calls(&self) -> u64 {
        self.sim_get("/__sim/counters").await["total"]
            .as_u64()
            .expect("total")
    }

    /// Faults not used up yet. A fault with a count leaves the list when its last call
    /// takes it, so a latency fault of count 1 that is gone means a call is being held now.
    pub async fn pending_faults(&self) -> usize {
        self.sim_get("/__sim/faults").await["faults"]
            .as_array()
            .map_or(0, Vec::len)
    }

    /// Every record id of `object` in the simulator, deleted ones included.
    pub async fn sim_record_ids(&self, object: SfObject) -> HashSet<String> {
        let records = self
            .sim_get(&format!(
                "/__sim/records/{}?include_deleted=true",
                object.as_str()
            ))
            .await;
        records["records"]
            .as_array()
            .expect("records")
            .iter()
            .map(|r| r["Id"].as_str().expect("Id").to_string())
            .collect()
    }

    /// Mirror rows applied more often than their record had versions in the simulator: each
    /// change event is one version, and a record seeded before the run (`seeded`, which
    /// published no event) has one more. A mirror row is written once per application that
    /// changed it (`applied_count`), and every application is a read of the record's state at
    /// the time, so a row applied more often than its record had versions applied one twice,
    /// even when the final state is right. Empty when none was.
    pub async fn applied_too_often(
        &self,
        id: i64,
        object: SfObject,
        seeded: &HashSet<String>,
    ) -> Vec<String> {
        let counts = self
            .sim_get(&format!("/__sim/events/counts?entity={}", object.as_str()))
            .await;
        let complete = counts["complete"].as_bool().unwrap_or_else(|| {
            panic!("GET /__sim/events/counts answered {counts}, not {{complete, records}}")
        });
        assert!(
            complete,
            "the simulator dropped change events (retention), so versions cannot be counted"
        );
        let changes: HashMap<&str, u64> = counts["records"]
            .as_object()
            .expect("records")
            .iter()
            .map(|(id, n)| (id.as_str(), n.as_u64().expect("count")))
            .collect();
        let mirror = store::mirror::all(&self.db, id).await.expect("mirror");
        let mut problems = Vec::new();
        for row in &mirror {
            let versions = changes.get(row.sf_id.as_str()).copied().unwrap_or(0)
                + u64::from(seeded.contains(&row.sf_id));
            if u64::try_from(row.applied_count).unwrap_or(u64::MAX) > versions {
                problems.push(format!(
                    "{} applied {} times, but the simulator has {versions} versions of it",
                    row.sf_id, row.applied_count
                ));
            }
        }
        problems
    }

    pub async fn fault(&self, fault: Value) {
        self.sim_post("/__sim/faults", fault).await;
    }

    pub async fn clear_faults(&self) {
        self.sim_call(reqwest::Method::DELETE, "/__sim/faults", None)
            .await;
    }

    /// Every difference between the simulator's records (deleted ones included) and the
    /// mirror, over the fields the mirror fetched; empty when they agree.
    pub async fn mirror_differences(&self, id: i64, object: SfObject) -> Vec<String> {
        let sim = self
            .sim_get(&format!(
                "/__sim/records/{}?include_deleted=true",
                object.as_str()
            ))
            .await;
        let sim_records = sim
            .as_array()
            .cloned()
            .or_else(|| sim["records"].as_array().cloned())
            .expect("records array");
        let mirror = store::mirror::all(&self.db, id).await.expect("mirror");
        let by_id: HashMap<&str, &store::entities::sf_records::Model> =
            mirror.iter().map(|r| (r.sf_id.as_str(), r)).collect();
        let in_sim: HashSet<&str> = sim_records
            .iter()
            .filter_map(|r| r["Id"].as_str())
            .collect();
        let mut differences = Vec::new();
        let fields = orgsync::sync::fields::plan(object, &[]);
        for record in &sim_records {
            let sf_id = record["Id"].as_str().expect("Id");
            let Some(row) = by_id.get(sf_id) else {
                differences.push(format!("{sf_id} missing from the mirror"));
                continue;
            };
            let deleted = record["IsDeleted"].as_bool().unwrap_or(false);
            if row.deleted != deleted {
                differences.push(format!("{sf_id}: deleted {} vs {deleted}", row.deleted));
            }
            let stored: Value = serde_json::from_str(&row.fields).expect("fields json");
            for field in fields.iter().filter(|f| f.as_str() != "IsDeleted") {
                let want = record.get(field).cloned().unwrap_or(Value::Null);
                let have = stored.get(field).cloned().unwrap_or(Value::Null);
                if want != have {
                    differences.push(format!("{sf_id}.{field}: mirror {have} vs sim {want}"));
                }
            }
        }
        for row in &mirror {
            if !row.deleted && !in_sim.contains(row.sf_id.as_str()) {
                differences.push(format!("{} in the mirror only", row.sf_id));
            }
        }
        differences
    }

    pub async fn stop(self) {
        self.shutdown.cancel();
        self.tracker.close();
        tokio::time::timeout(Duration::from_secs(10), self.tracker.wait())
            .await
            .expect("every task ends on shutdown");
        self.db.close().await.expect("close");
        if let Some((admin, name)) = self.postgres {
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await
                .expect("drop test database");
        }
    }
}

pub async fn create_postgres() -> (DatabaseConnection, String, String) {
    let admin_url = std::env::var("ORGSYNC_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string());
    let mut options = ConnectOptions::new(admin_url.clone());
    options
        .max_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .sqlx_logging(false);
    let admin = Database::connect(options).await.unwrap_or_else(|error| {
        panic!("PostgreSQL is required for the engine tests but {admin_url} answered: {error}")
    });
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_nanos();
    let name = format!(
        "orgsync_engine_{:x}{:x}{:x}",
        std::process::id(),
        nanos,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .expect("create the test database");
    let (base, _) = admin_url.rsplit_once('/').expect("a database in the URL");
    let url = format!("{base}/{name}");
    (admin, name, url)
}

impl Harness {
    /// Enables a disabled sync again with its stored method.
    pub async fn enable_again(&self, id: i64) {
        let row = self.row(id).await;
        store::org_syncs::save_settings(
            &self.db,
            self.org_id,
            id,
            SyncSettings {
                method: row.method,
                interval_minutes: row.interval_minutes,
                enabled: true,
            },
        )
        .await
        .expect("save")
        .expect("found");
        self.supervisor.sync_changed(self.org_id, id).await;
    }

    /// Set up or Reset Token, in the console's order: a fresh grant is stored (replacing the
    /// stored token, if any), the replaced refresh token is revoked at Salesforce (best
    /// effort), the cached session is forgotten and the engine is told.
    pub async fn reconnect(&self) {
        let replaced = self.stored_refresh_token().await;
        store_grant(
            &self.oauth,
            &self.sim,
            &self.db,
            self.org_id,
            &self.cipher,
            &self.credentials,
        )
        .await;
        if let Some(replaced) = replaced {
            // Best effort, like the console: a token revoked already is refused.
            let _ = self.oauth.revoke(&replaced).await;
        }
        self.sessions.forget(self.org_id).await;
        self.supervisor.connection_changed(self.org_id).await;
    }

    /// Disconnect, in the console's order: the token, setting and linked account are removed,
    /// the session forgotten, the refresh token revoked (best effort), the engine told.
    pub async fn disconnect(&self) {
        let refresh = self.stored_refresh_token().await;
        store::salesforce_connection::disconnect(&self.db, self.org_id)
            .await
            .expect("disconnect")
            .expect("a connection to remove");
        self.sessions.forget(self.org_id).await;
        if let Some(refresh) = refresh {
            let _ = self.oauth.revoke(&refresh).await;
        }
        self.supervisor.connection_changed(self.org_id).await;
    }

    async fn stored_refresh_token(&self) -> Option<SecretString> {
        let token = store::salesforce_connection::current_token(&self.db, self.org_id)
            .await
            .expect("read the token")?;
        let ciphertext = token.refresh_token_ciphertext?;
        Some(
            self.cipher
                .decrypt(
                    &ciphertext,
                    &SecretContext {
                        column: REFRESH_TOKEN_COLUMN,
                        organization_id: self.org_id,
                    },
                )
                .expect("decrypt the refresh token"),
        )
    }
}

/// Waits (real time) until `condition` holds, polling every 25 ms; fails after `timeout`
/// saying what it waited for.
pub async fn wait_until<F, Fut>(what: &str, timeout: Duration, condition: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    while !condition().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

pub struct Credentials {
    pub username: String,
    pub password: String,
}

/// Signs in the way a browser does (the simulator's authorize form, PKCE), and stores the
/// grant encrypted like Set up and Reset Token store it.
pub async fn store_grant(
    oauth: &salesforce::OAuthClient,
    sim: &str,
    db: &DatabaseConnection,
    organization_id: i64,
    cipher: &Cipher,
    credentials: &Credentials,
) {
    use secrecy::ExposeSecret;
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http");
    let authorization = oauth.start_authorization(salesforce::Prompt::Default);
    let mut form: Vec<(String, String)> = authorization.url.query_pairs().into_owned().collect();
    form.push(("username".into(), credentials.username.clone()));
    form.push(("password".into(), credentials.password.clone()));
    form.push(("action".into(), "approve".into()));
    let response = browser
        .post(format!("{sim}/services/oauth2/authorize"))
        .form(&form)
        .send()
        .await
        .expect("authorize");
    assert_eq!(response.status(), 302, "the sign-in form redirects back");
    let location = response.headers()["location"].to_str().expect("location");
    let code = url::Url::parse(location)
        .expect("callback url")
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("a code");
    let grant = oauth
        .exchange_code(&code, &authorization.pkce_verifier)
        .await
        .expect("tokens");
    let encrypt = |value: &SecretString, column: &str| {
        cipher
            .encrypt(
                value,
                &SecretContext {
                    column,
                    organization_id,
                },
            )
            .expect("encrypt")
    };
    let refresh = grant.refresh_token.as_ref().expect("a refresh token");
    assert!(!refresh.expose_secret().is_empty());
    let record = TokenRecord {
        provider: "salesforce".into(),
        access_token_ciphertext: encrypt(&grant.access_token, ACCESS_TOKEN_COLUMN),
        refresh_token_ciphertext: Some(encrypt(refresh, REFRESH_TOKEN_COLUMN)),
        instance_url: grant
            .instance_url
            .as_str()
            .trim_end_matches('/')
            .to_string(),
        identity_url: grant.identity_url.to_string(),
        username: credentials.username.clone(),
        issued_at: Utc::now(),
    };
    store::salesforce_connection::connect(
        db,
        organization_id,
        record,
        SalesforceIdentity {
            username: credentials.username.clone(),
            sf_user_id: "005000000000001AAA".into(),
            sf_org_id: "00D000000000001AAA".into(),
        },
    )
    .await
    .expect("store the token");
}
