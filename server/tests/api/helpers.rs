//! `spawn_app()`: an orgsync server on 127.0.0.1:0 with a fresh data directory, connected
//! to its own Salesforce simulator; every log line of the test binary is captured.

use std::sync::{Arc, LazyLock, Mutex};

use orgsync::{
    cli::{SalesforceArgs, ServeArgs},
    config::{Settings, StoreSettings},
    credentials,
    startup::Application,
};
use reqwest::{StatusCode, header};
use tokio_util::sync::CancellationToken;

pub const PASSWORD: &str = "correct horse battery";

/// Every log line written by any test of this binary (at the level an operator would run
/// with, plus debug for orgsync's own crates), to check that no secret is ever logged.
static LOGS: LazyLock<Arc<Mutex<Vec<u8>>>> = LazyLock::new(|| {
    let buffer = Arc::new(Mutex::new(Vec::new()));
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            "info,orgsync=debug,salesforce=debug,store=debug,tower_http=debug",
        ))
        .with_ansi(false)
        .with_writer(move || LogWriter(writer.clone()))
        .finish();
    let _ = tracing::subscriber::set_global_default(subscriber);
    buffer
});

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut buffer) = self.0.lock() {
            buffer.extend_from_slice(bytes);
        }
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Everything logged so far by this test binary.
pub fn captured_logs() -> String {
    LOGS.lock()
        .map(|buffer| String::from_utf8_lossy(&buffer).into_owned())
        .unwrap_or_default()
}

/// The simulator a test app signs in to.
pub struct TestSim {
    pub base: String,
    pub username: String,
    pub password: String,
    pub client_secret: String,
}

pub struct TestApp {
    pub base: String,
    pub db: sea_orm::DatabaseConnection,
    pub org_id: i64,
    pub data_dir: tempfile::TempDir,
    pub sim: Option<TestSim>,
    pub client: reqwest::Client,
    /// Stops everything: the server and the simulator.
    shutdown: CancellationToken,
    /// What the server was built from (a restart builds it again on the same address).
    settings: Settings,
    /// Stops the server only (a child of `shutdown`).
    server_stop: CancellationToken,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Starts a server with one organization (`integrations` on), an admin `admin` and a viewer
/// `viewer`, whose Salesforce connected app is an in-process simulator.
pub async fn spawn_app() -> TestApp {
    spawn(true, None).await
}

/// The same, without a Salesforce connected app configured.
pub async fn spawn_app_without_salesforce() -> TestApp {
    spawn(false, None).await
}

/// The same as `spawn_app`, with `--public-url` set (requests must then carry its host).
pub async fn spawn_app_with_public_url(public_url: &str) -> TestApp {
    spawn_with(true, true, Some(public_url.to_string())).await
}

/// A first-run server: no organization, no user, a setup code in the data directory.
pub async fn spawn_first_run_app() -> TestApp {
    spawn_with(false, false, None).await
}

async fn spawn(with_salesforce: bool, public_url: Option<String>) -> TestApp {
    spawn_with(with_salesforce, true, public_url).await
}

async fn spawn_with(
    with_salesforce: bool,
    with_users: bool,
    public_url: Option<String>,
) -> TestApp {
    LazyLock::force(&LOGS);
    let shutdown = CancellationToken::new();
    let data_dir = tempfile::tempdir().expect("temp dir");
    let store_args = orgsync::cli::StoreArgs {
        data_dir: Some(data_dir.path().to_path_buf()),
        database_url: None,
    };
    let mut salesforce = SalesforceArgs {
        salesforce_client_id: None,
        salesforce_client_secret: None,
        salesforce_login_url: "https://login.salesforce.com".into(),
        salesforce_api_version: "62.0".into(),
    };
    let mut test_sim = None;
    if with_salesforce {
        let simulator = sim::Simulator::new(sim::config::SimConfig {
            contacts: 20,
            leads: 5,
            ..sim::config::SimConfig::default()
        });
        let (client_id, client_secret) = simulator.client_credentials();
        let (username, password) = simulator.users().into_iter().next().expect("sim admin");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind sim");
        let base = format!("http://{}", listener.local_addr().expect("sim addr"));
        tokio::spawn(simulator.serve(listener, shutdown.clone()));
        salesforce.salesforce_client_id = Some(client_id);
        salesforce.salesforce_client_secret = Some(client_secret.clone());
        salesforce.salesforce_login_url = base.clone();
        test_sim = Some(TestSim {
            base,
            username,
            password,
            client_secret,
        });
    }
    let settings = Settings::from_args(
        &store_args,
        &ServeArgs {
            listen: "127.0.0.1:0".parse().expect("addr"),
            demo: false,
            demo_allow_remote: false,
            public_url,
            encryption_key: None,
            encryption_key_file: None,
            salesforce,
            sync: Default::default(),
        },
    );
    let db = orgsync::startup::open_store(&StoreSettings::from_args(&store_args))
        .await
        .expect("store");
    let mut org_id = 0;
    if with_users {
        let org = store::organizations::create(&db, "Acme")
            .await
            .expect("org");
        org_id = org.id;
        store::organizations::set_flag(&db, org.id, "integrations", true)
            .await
            .expect("flag");
        let hash = credentials::hash_password(PASSWORD).expect("hash");
        store::users::create(&db, org.id, "admin", &hash, store::users::Role::Admin)
            .await
            .expect("admin");
        store::users::create(&db, org.id, "viewer", &hash, store::users::Role::Viewer)
            .await
            .expect("viewer");
    }

    let app = Application::build(settings.clone()).await.expect("build");
    let address = app.local_addr().expect("addr");
    let base = format!("http://{address}");
    let server_stop = shutdown.child_token();
    let server = tokio::spawn(app.run_until_stopped(server_stop.clone()));
    TestApp {
        base,
        db,
        org_id,
        data_dir,
        sim: test_sim,
        client: test_client(),
        shutdown,
        settings: Settings {
            listen: address,
            ..settings
        },
        server_stop,
        server: Some(server),
    }
}

/// A browser-like client that does not follow redirects.
fn test_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

impl TestApp {
    /// Stops the server and starts a new one on the same address, data directory (database
    /// and encryption key) and simulator: what an operator's restart does. Nothing in the old
    /// server's memory carries over.
    pub async fn restart(&mut self) {
        self.server_stop.cancel();
        if let Some(server) = self.server.take() {
            server
                .await
                .expect("the server task")
                .expect("the server stopped cleanly");
        }
        self.server_stop = self.shutdown.child_token();
        // The stopped server's port is free again, but retry briefly in case the OS lags.
        let mut attempts = 0;
        let app = loop {
            match Application::build(self.settings.clone()).await {
                Ok(app) => break app,
                Err(error) if attempts < 50 => {
                    attempts += 1;
                    tracing::debug!(%error, "restart: the address is not free yet");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(error) => panic!("restart: {error:#}"),
            }
        };
        assert_eq!(
            format!("http://{}", app.local_addr().expect("addr")),
            self.base,
            "the new server listens where the old one did"
        );
        self.server = Some(tokio::spawn(
            app.run_until_stopped(self.server_stop.clone()),
        ));
        // Pooled connections went to the old server.
        self.client = test_client();
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Signs in through the form and returns the session cookie (`name=value`).
    pub async fn sign_in(&self, username: &str) -> String {
        let response = self
            .client
            .post(self.url("/auth/login"))
            .form(&[("username", username), ("password", PASSWORD), ("next", "")])
            .send()
            .await
            .expect("login");
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let cookie = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("orgsync_session=") && !v.starts_with("orgsync_session=;"))
            .expect("session cookie")
            .to_string();
        assert!(
            cookie.contains("HttpOnly"),
            "session cookie must be HttpOnly: {cookie}"
        );
        assert!(
            cookie.contains("SameSite=Lax"),
            "session cookie must be SameSite: {cookie}"
        );
        cookie.split(';').next().expect("cookie pair").to_string()
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> reqwest::Response {
        let mut request = self.client.get(self.url(path));
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        request.send().await.expect("get")
    }

    /// A same-origin POST, as the browser sends it.
    pub async fn post(&self, path: &str, cookie: Option<&str>) -> reqwest::Response {
        self.post_from(path, cookie, &self.base).await
    }

    pub async fn post_from(
        &self,
        path: &str,
        cookie: Option<&str>,
        origin: &str,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .post(self.url(path))
            .header(header::ORIGIN, origin)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body("");
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        request.send().await.expect("post")
    }

    /// A same-origin JSON POST (server functions that take JSON).
    pub async fn post_json(
        &self,
        path: &str,
        cookie: Option<&str>,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .post(self.url(path))
            .header(header::ORIGIN, &self.base)
            .json(body);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        request.send().await.expect("post json")
    }

    /// A same-origin form POST.
    pub async fn post_form(
        &self,
        path: &str,
        cookie: Option<&str>,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut request = self
            .client
            .post(self.url(path))
            .header(header::ORIGIN, &self.base)
            .form(form);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        request.send().await.expect("post form")
    }
}
