//! Start-up as a testable function: build binds the listener (port 0 allowed), opens and
//! migrates the store, and prepares the router; `run_until_stopped` serves until cancelled.

use std::{net::SocketAddr, time::Duration};

use anyhow::Context;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::{
    config::{Settings, StoreSettings},
    console::Console,
    demo, site,
    web::{self, AppState},
};

/// A built, not yet running, orgsync server.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    /// `--demo`: the in-process Salesforce simulator and its listener.
    demo_simulator: Option<(sim::Simulator, TcpListener)>,
}

/// Opens the store named by the settings (creating the data directory for SQLite) and
/// applies pending migrations.
pub async fn open_store(settings: &StoreSettings) -> anyhow::Result<sea_orm::DatabaseConnection> {
    std::fs::create_dir_all(&settings.data_dir).with_context(|| {
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

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let db = open_store(&settings.store).await?;
        let console = Console::new(db);
        let mut demo_simulator = None;
        if settings.demo {
            demo::seed(&console)
                .await
                .context("cannot create the demo data")?;
            demo_simulator = Some(demo::simulator().await?);
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
        };
        let listener = TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("cannot listen on {}", settings.listen))?;
        Ok(Application {
            listener,
            router: web::router(state),
            demo_simulator,
        })
    }

    /// The bound address (useful when the port was 0).
    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// Serves until `shutdown` is cancelled, then lets open requests finish (up to 10 s).
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let addr = self.local_addr()?;
        tracing::info!("orgsync listening on http://{addr}");
        let app = self.router.layer((
            tower_http::trace::TraceLayer::new_for_http(),
            tower_http::timeout::TimeoutLayer::with_status_code(
                axum::http::StatusCode::REQUEST_TIMEOUT,
                Duration::from_secs(30),
            ),
        ));
        if let Some((simulator, listener)) = self.demo_simulator {
            let stop = shutdown.clone();
            tokio::spawn(async move {
                if let Err(error) = simulator.serve(listener, stop).await {
                    tracing::error!(%error, "the demo Salesforce simulator stopped");
                }
            });
        }
        let graceful = shutdown.clone();
        let server = axum::serve(self.listener, app).with_graceful_shutdown(async move {
            graceful.cancelled().await;
        });
        let drained = async {
            shutdown.cancelled().await;
            tokio::time::sleep(Duration::from_secs(10)).await;
        };
        tokio::select! {
            result = server => result.context("server error")?,
            () = drained => tracing::warn!("requests still open after 10 s; stopping anyway"),
        }
        tracing::info!("orgsync stopped");
        Ok(())
    }
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
