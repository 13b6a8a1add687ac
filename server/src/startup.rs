//! Start-up as a testable function: build binds the listener (port 0 allowed), opens and
//! migrates the store, and prepares the router; `run_until_stopped` serves until cancelled.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context;
use tokio::net::TcpListener;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::{
    cluster::{self, ClusterLink, InstanceId, Outbox},
    config::{SalesforceSettings, Settings, StoreSettings},
    console::{Console, SalesforceIntegration},
    demo,
    salesforce_sessions::SalesforceSessions,
    secrets::Cipher,
    site,
    status::StatusBus,
    sync::{EngineDeps, Supervisor, SystemClock},
    web::{self, AppState, origin::PublicOrigin, salesforce_routes::CALLBACK_PATH},
};

/// How long open requests and background tasks get to finish once shutdown starts.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// A built, not yet running, orgsync server.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    /// `--demo`: the in-process Salesforce simulator and its listener.
    demo_simulator: Option<(sim::Simulator, TcpListener)>,
    /// Every background task (sync workers, the demo simulator) runs on this tracker.
    tracker: TaskTracker,
    /// Fires once shutdown starts: workers and live streams end with it.
    stopping: CancellationToken,
    supervisor: Supervisor,
    /// How this instance shares the database with others.
    instances: Instances,
    db: sea_orm::DatabaseConnection,
}

/// How an instance shares its database with other instances.
enum Instances {
    /// PostgreSQL: notes to and from the others go through the relay.
    Shared(Outbox),
    /// SQLite: this instance alone, holding the database's lock file for as long as it runs.
    Alone { _lock: std::fs::File },
    /// An in-memory database (tests): nobody else can reach it.
    Private,
}

/// SQLite serves one instance: its lock file (the database file's name plus `.lock`) is taken,
/// or start-up stops with a clear message, and the leases of a previous run are forgotten (the
/// run is over, or the lock would be held). PostgreSQL is shared: notes go through the relay.
async fn share_with_other_instances(
    settings: &StoreSettings,
    db: &sea_orm::DatabaseConnection,
) -> anyhow::Result<(ClusterLink, Instances)> {
    if store::notify::supported(db) {
        let (link, outbox) = ClusterLink::shared();
        return Ok((link, Instances::Shared(outbox)));
    }
    let instances = match store::sqlite_file(&settings.database_url())? {
        Some(path) => {
            let mut name = path.into_os_string();
            name.push(".lock");
            let lock_path = std::path::PathBuf::from(name);
            let file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&lock_path)
                .with_context(|| format!("cannot open {}", lock_path.display()))?;
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
                    "another orgsync instance is using this SQLite database ({} is locked). SQLite serves one instance; run several instances on PostgreSQL (--database-url)",
                    lock_path.display()
                ),
                Err(std::fs::TryLockError::Error(error)) => {
                    return Err(error)
                        .with_context(|| format!("cannot lock {}", lock_path.display()));
                }
            }
            Instances::Alone { _lock: file }
        }
        None => Instances::Private,
    };
    store::leases::clear(db)
        .await
        .context("cannot clear the leases of the previous run")?;
    Ok((ClusterLink::single(), instances))
}

/// Opens the store named by the settings (creating the data directory, owner-only) and
/// applies pending migrations.
pub async fn open_store(settings: &StoreSettings) -> anyhow::Result<sea_orm::DatabaseConnection> {
    create_private_dir(&settings.data_dir).with_context(|| {
        format!(
            "cannot create the data directory {}",
            settings.data_dir.display()
        )
    })?;
    let url = settings.database_url();
    let db = store::connect(&url).await.with_context(|| {
        format!(
            "cannot open the database {}",
            crate::config::redact_url(&url)
        )
    })?;
    store::migrate(&db)
        .await
        .context("cannot apply database migrations")?;
    Ok(db)
}

/// Creates `dir` and any missing parent with mode 0700 (the data directory holds the database,
/// the encryption key and the setup code). An existing directory is left as it is.
fn create_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

impl Application {
    pub async fn build(mut settings: Settings) -> anyhow::Result<Self> {
        if settings.demo {
            demo::admit(&settings)?;
        }
        let db = open_store(&settings.store).await?;
        if !settings.demo {
            demo::warn_if_seeded(&db)
                .await
                .context("cannot look for demo accounts")?;
        }
        let listener = TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("cannot listen on {}", settings.listen))?;
        let public_url = settings.public_base_url(listener.local_addr()?);
        let public = PublicOrigin::parse(&public_url).context("invalid --public-url")?;
        let cipher =
            Cipher::load_or_create(settings.encryption_key.as_ref(), &settings.store.data_dir)
                .context("cannot set up the encryption of stored secrets")?;
        let mut demo_simulator = None;
        if settings.demo {
            let (simulator, sim_listener) = demo::simulator().await?;
            if settings.salesforce.client_id.is_none() {
                settings.salesforce = demo::salesforce_settings(&simulator, &sim_listener)?;
            }
            demo_simulator = Some((simulator, sim_listener));
        }
        let salesforce = salesforce_integration(&settings.salesforce, &public_url, &db, &cipher)?;
        let tracker = TaskTracker::new();
        let stopping = CancellationToken::new();
        let instance = InstanceId::new();
        let (cluster, instances) = share_with_other_instances(&settings.store, &db).await?;
        let bus = StatusBus::with_cluster(cluster.clone());
        let supervisor = Supervisor::in_cluster(
            EngineDeps {
                db: db.clone(),
                sessions: salesforce.as_ref().map(|s| s.sessions.clone()),
                bus: bus.clone(),
                clock: Arc::new(SystemClock),
                settings: settings.engine,
                lease: None,
                materializing: Default::default(),
            },
            tracker.clone(),
            stopping.clone(),
            instance,
            cluster,
        );
        let console = Console::new(db.clone(), cipher, salesforce, Arc::new(supervisor.clone()));
        if settings.demo {
            demo::seed(&console)
                .await
                .context("cannot create the demo data")?;
        }
        console
            .prepare_first_run(&settings.store.data_dir)
            .await
            .context("cannot prepare first-run setup")?;
        if !site::is_embedded() {
            tracing::warn!(
                "this binary has no embedded site: pages will not hydrate (build it with `cargo xtask build`)"
            );
        }
        let state = AppState {
            leptos_options: web::leptos_options(),
            console,
            bus,
            shutdown: stopping.clone(),
            public,
            tasks: tracker.clone(),
        };
        Ok(Application {
            listener,
            router: web::router(state),
            demo_simulator,
            tracker,
            stopping,
            supervisor,
            instances,
            db,
        })
    }

    /// The bound address (useful when the port was 0).
    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// The sync engine's supervisor (tests).
    pub fn supervisor(&self) -> &Supervisor {
        &self.supervisor
    }

    /// Serves until `shutdown` is cancelled, then stops: the sync workers and live streams
    /// end, open requests get up to 10 s to finish, and so do background tasks.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let addr = self.local_addr()?;
        tracing::info!("orgsync listening on http://{addr}");
        let app = self
            .router
            .layer(axum::middleware::from_fn(web::request_timeout))
            .layer(
                // Spans name the path only: query strings can carry OAuth codes and states.
                tower_http::trace::TraceLayer::new_for_http().make_span_with(
                    |request: &axum::http::Request<axum::body::Body>| {
                        tracing::debug_span!("request", method = %request.method(), path = %request.uri().path())
                    },
                ),
            );
        let stopping = self.stopping.clone();
        self.tracker.spawn(async move {
            shutdown.cancelled().await;
            stopping.cancel();
        });
        if let Some((simulator, listener)) = self.demo_simulator {
            let stop = self.stopping.clone();
            let simulator_base = format!("http://{}", listener.local_addr()?);
            self.tracker
                .spawn(demo::change_stream(simulator_base, self.stopping.clone()));
            self.tracker.spawn(async move {
                if let Err(error) = simulator.serve(listener, stop).await {
                    tracing::error!(%error, "the demo Salesforce simulator stopped");
                }
            });
        }
        if let Instances::Shared(outbox) = self.instances {
            self.tracker.spawn(cluster::relay(
                self.db.clone(),
                self.supervisor.instance().clone(),
                outbox,
                Arc::new(self.supervisor.clone()),
                self.tracker.clone(),
                self.stopping.clone(),
            ));
        }
        self.supervisor
            .start_all()
            .await
            .context("cannot start the sync engine")?;
        // The TCP peer's address reaches handlers as `ConnectInfo` (sign-in throttling).
        let app = app.into_make_service_with_connect_info::<SocketAddr>();
        let server = axum::serve(self.listener, app)
            .with_graceful_shutdown(self.stopping.clone().cancelled_owned());
        let stopping = self.stopping.clone();
        let drain_deadline = async move {
            stopping.cancelled().await;
            tokio::time::sleep(DRAIN_TIMEOUT).await;
        };
        tokio::select! {
            result = server => result.context("server error")?,
            () = drain_deadline => tracing::warn!("requests still open after 10 s; stopping anyway"),
        }
        self.tracker.close();
        if tokio::time::timeout(DRAIN_TIMEOUT, self.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!("background tasks still running after 10 s; stopping anyway");
        }
        tracing::info!("orgsync stopped");
        Ok(())
    }
}

/// The Salesforce connected app, if configured: a client id without a secret (or an invalid
/// URL) stops start-up with a clear message rather than failing at the first sign-in.
fn salesforce_integration(
    settings: &SalesforceSettings,
    public_url: &str,
    db: &sea_orm::DatabaseConnection,
    cipher: &Cipher,
) -> anyhow::Result<Option<SalesforceIntegration>> {
    let Some(client_id) = &settings.client_id else {
        tracing::warn!(
            "no Salesforce connected app configured (ORGSYNC_SALESFORCE_CLIENT_ID): the Integrations page cannot offer Set up"
        );
        return Ok(None);
    };
    let secret = settings.client_secret.clone().context(
        "ORGSYNC_SALESFORCE_CLIENT_SECRET is required when ORGSYNC_SALESFORCE_CLIENT_ID is set",
    )?;
    let redirect_url = format!("{public_url}{CALLBACK_PATH}");
    let app = salesforce::ConnectedApp::new(
        client_id,
        secret,
        &settings.login_url,
        &redirect_url,
        &settings.api_version,
    )
    .context("invalid Salesforce connected-app settings")?;
    tracing::info!(
        login_url = %app.login_url,
        callback = %app.redirect_url,
        api_version = %app.api_version,
        "Salesforce connected app configured (register the callback URL in the connected app)"
    );
    let oauth =
        salesforce::OAuthClient::new(app).context("cannot create the Salesforce HTTP client")?;
    let sessions = Arc::new(SalesforceSessions::new(
        oauth.clone(),
        db.clone(),
        cipher.clone(),
    ));
    Ok(Some(SalesforceIntegration::new(oauth, sessions)))
}

/// Cancels `token` on Ctrl-C or SIGTERM.
pub async fn cancel_on_signal(token: CancellationToken) {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received");
    token.cancel();
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &std::path::Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    /// The issue: the data directory was created 0755 (readable by everyone).
    #[tokio::test]
    async fn the_data_directory_and_database_are_owner_only() {
        let parent = tempfile::tempdir().unwrap();
        let data_dir = parent.path().join("new").join("data");
        let args = crate::cli::StoreArgs {
            data_dir: Some(data_dir.clone()),
            database_url: None,
        };
        let db = open_store(&StoreSettings::from_args(&args)).await.unwrap();
        assert_eq!(mode(&data_dir), 0o700);
        assert_eq!(mode(&parent.path().join("new")), 0o700);
        assert_eq!(mode(&data_dir.join("orgsync.db")), 0o600);
        db.close().await.unwrap();
    }
}
