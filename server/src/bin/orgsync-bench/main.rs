//! `orgsync-bench`: benchmark scenarios. Each subcommand sets up what it needs, prints
//! progress to stderr and, as its last line on stdout, one JSON object with its figures.

use std::{
    path::PathBuf,
    process::Stdio,
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};

mod campaign_scenarios;
mod engine_scenarios;
mod failover_scenario;
mod sim_client;
mod sim_scenarios;

#[derive(Debug, Parser)]
#[command(name = "orgsync-bench", about = "Benchmark scenarios for orgsync")]
struct Cli {
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Debug, Subcommand)]
enum Scenario {
    /// Cold start of `orgsync serve` (fresh data directory, migrations included) to a ready `/healthz`.
    Startup {
        /// Use this database instead of a fresh SQLite file (for example a fresh PostgreSQL database).
        #[arg(long)]
        database_url: Option<String>,
        /// How many cold starts to time (the figure is the median).
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// The simulator serving a Contact query in 2,000-record pages to a plain HTTP client.
    SimQuery {
        /// Contacts in the simulated org (all of them are read).
        #[arg(long, default_value_t = 100_000)]
        records: usize,
    },
    /// The simulator delivering CDC events to one CometD subscriber at a steady rate.
    SimCdc {
        /// Changes per second to produce.
        #[arg(long, default_value_t = 1_000)]
        rate: u32,
        /// How long to produce changes, in seconds.
        #[arg(long, default_value_t = 5)]
        seconds: u32,
    },
    /// The first REST-polling sync of N Contacts into the mirror (engine in this process,
    /// simulator as an `orgsync sim` child), and a plain client reading the same pages.
    Backfill {
        /// Contacts in the simulated org.
        #[arg(long, default_value_t = 100_000)]
        records: usize,
        /// A PostgreSQL server URL: a fresh database `orgsync_bench_*` is created on it and
        /// dropped after. Default: a fresh SQLite file.
        #[arg(long)]
        database_url: Option<String>,
    },
    /// A CDC sync: Salesforce commit to mirror row, under a steady rate of changes.
    Cdc {
        /// Changes per second.
        #[arg(long, default_value_t = 200)]
        rate: u32,
        /// How long to produce changes, in seconds.
        #[arg(long, default_value_t = 10)]
        seconds: u32,
        /// Contacts in the simulated org (backfilled before the changes start).
        #[arg(long, default_value_t = 10_000)]
        records: usize,
        /// A PostgreSQL server URL (see `backfill`). Default: a fresh SQLite file.
        #[arg(long)]
        database_url: Option<String>,
    },
    /// N live `/api/events` streams of an in-process orgsync server: time until each reads the
    /// `sync_changed` of a new Org Sync; a bare status bus as the ceiling.
    Sse {
        /// Concurrent event streams (each holds two sockets in this process: mind `ulimit -n`).
        #[arg(long, default_value_t = 500)]
        clients: usize,
    },
    /// N mirrored Contacts, three Data Sources linked to three campaigns: one full
    /// materialization into campaign records, and the store's plain write of the same rows.
    Materialize {
        /// Mirrored Contacts.
        #[arg(long, default_value_t = 100_000)]
        records: usize,
        /// A PostgreSQL server URL (see `backfill`). Default: a fresh SQLite file.
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Call outcomes written back to Salesforce as Tasks (SQLite), and a plain client creating
    /// the same Tasks through the same collections as the ceiling.
    Writeback {
        /// Call outcomes.
        #[arg(long, default_value_t = 1_000)]
        calls: usize,
    },
    /// A CDC sync feeding campaigns: Salesforce commit to every affected campaign record, with
    /// the commit-to-mirror latency of the same changes beside it.
    CampaignLatency {
        /// Changes per second.
        #[arg(long, default_value_t = 100)]
        rate: u32,
        /// How long to produce changes, in seconds.
        #[arg(long, default_value_t = 10)]
        seconds: u32,
        /// Contacts in the simulated org.
        #[arg(long, default_value_t = 10_000)]
        records: usize,
        /// Campaigns each change reaches (one Data Source and Link each).
        #[arg(long, default_value_t = 3)]
        campaigns: usize,
        /// A PostgreSQL server URL (see `backfill`). Default: a fresh SQLite file.
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Two `orgsync serve` processes on one PostgreSQL; the owner of four Org Syncs is killed:
    /// time until the other runs them all and has caught up (floor: the 30 s lease time).
    Failover {
        /// A PostgreSQL server URL: a fresh database `orgsync_bench_*` is created on it and
        /// dropped after.
        #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
        database_url: String,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // The engine's own warnings (a failed sync round, …) go to stderr; RUST_LOG overrides.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match cli.scenario {
        Scenario::Startup { database_url, runs } => startup(database_url, runs.max(1)).await,
        Scenario::SimQuery { records } => sim_scenarios::sim_query(records).await,
        Scenario::SimCdc { rate, seconds } => {
            sim_scenarios::sim_cdc(rate.max(1), seconds.max(1)).await
        }
        Scenario::Backfill {
            records,
            database_url,
        } => engine_scenarios::backfill(records.max(1), database_url).await,
        Scenario::Cdc {
            rate,
            seconds,
            records,
            database_url,
        } => engine_scenarios::cdc(rate.max(1), seconds.max(1), records.max(1), database_url).await,
        Scenario::Sse { clients } => engine_scenarios::sse(clients.max(1)).await,
        Scenario::Failover { database_url } => failover_scenario::failover(database_url).await,
        Scenario::CampaignLatency {
            rate,
            seconds,
            records,
            campaigns,
            database_url,
        } => {
            engine_scenarios::campaign_latency(
                rate.max(1),
                seconds.max(1),
                records.max(1),
                campaigns.max(1),
                database_url,
            )
            .await
        }
        Scenario::Materialize {
            records,
            database_url,
        } => campaign_scenarios::materialize_scenario(records.max(1), database_url).await,
        Scenario::Writeback { calls } => engine_scenarios::writeback(calls.max(1)).await,
    }
}

async fn startup(database_url: Option<String>, runs: usize) -> anyhow::Result<()> {
    let binary = sibling_binary("orgsync")?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()?;
    let mut timings = Vec::with_capacity(runs);
    for run in 1..=runs {
        let data_dir = tempfile::tempdir()?;
        let port = free_port()?;
        let started = Instant::now();
        let mut command = tokio::process::Command::new(&binary);
        command
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .arg("--data-dir")
            .arg(data_dir.path())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        if let Some(url) = &database_url {
            command.args(["--database-url", url]);
        }
        let mut child = command
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let url = format!("http://127.0.0.1:{port}/healthz");
        loop {
            if let Ok(response) = client.get(&url).send().await
                && response.status().is_success()
            {
                break;
            }
            if let Some(status) = child.try_wait()? {
                bail!("orgsync exited before it was ready: {status}");
            }
            if started.elapsed() > Duration::from_secs(60) {
                bail!("orgsync was not ready within 60 s");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        eprintln!("run {run}/{runs}: ready in {ms:.1} ms");
        timings.push(ms);
        child.start_kill()?;
        child.wait().await?;
    }
    timings.sort_by(f64::total_cmp);
    let median = timings[timings.len() / 2];
    let backend = if database_url.is_some() {
        "postgres"
    } else {
        "sqlite"
    };
    println!(
        "{}",
        serde_json::json!({
            "scenario": "startup",
            "ms": (median * 10.0).round() / 10.0,
            "runs": runs,
            "min_ms": (timings[0] * 10.0).round() / 10.0,
            "max_ms": (timings[timings.len() - 1] * 10.0).round() / 10.0,
            "database": backend,
        })
    );
    Ok(())
}

/// The `orgsync` binary next to this one (both are built into `target/release`).
fn sibling_binary(name: &str) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let path = exe.with_file_name(name);
    if !path.exists() {
        bail!(
            "{} not found: build it first (`cargo xtask build`)",
            path.display()
        );
    }
    Ok(path)
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}
