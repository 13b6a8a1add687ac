//! `orgsync sim`: the Salesforce simulator as its own process.

use std::time::Duration;

use anyhow::Context;
use sim::{Simulator, config::SimConfig};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::{cli::SimArgs, startup};

/// The simulator configuration the command line asks for.
pub fn config_from_args(args: &SimArgs) -> SimConfig {
    SimConfig {
        contacts: args.contacts,
        leads: args.leads,
        seed: args.seed,
        tls: args.tls,
        access_token_ttl: Duration::from_secs(args.token_ttl_secs.max(1)),
        refresh_token_ttl: args.refresh_token_ttl_secs.map(Duration::from_secs),
        event_retention: args.retention,
        ..SimConfig::default()
    }
}

/// Runs the simulator until Ctrl-C or SIGTERM.
pub async fn run(args: SimArgs) -> anyhow::Result<()> {
    let simulator = Simulator::new(config_from_args(&args));
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let scheme = if args.tls { "https" } else { "http" };
    let (client_id, _) = simulator.client_credentials();
    tracing::info!(
        "Salesforce simulator on {scheme}://{}: login URL {scheme}://{}, connected app client id {client_id}; control API under /__sim/",
        args.listen,
        args.listen
    );
    for (username, password) in simulator.users() {
        tracing::info!(%username, %password, "simulated Salesforce user");
    }
    let shutdown = CancellationToken::new();
    tokio::spawn(startup::cancel_on_signal(shutdown.clone()));
    simulator
        .serve(listener, shutdown)
        .await
        .context("simulator stopped with an error")
}
