//! `orgsync sim`: the Salesforce simulator as its own process.

use std::time::Duration;

use anyhow::Context;
use sim::{Simulator, config::SimConfig};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::{cli::SimArgs, exposure, startup};

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

/// Runs the simulator until Ctrl-C or SIGTERM. A non-loopback listen address is refused
/// without `--allow-remote`.
pub async fn run(args: SimArgs) -> anyhow::Result<()> {
    exposure::SIMULATOR.admit(args.listen, args.allow_remote)?;
    let simulator = Simulator::new(config_from_args(&args));
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    announce(&simulator, &args);
    let shutdown = CancellationToken::new();
    tokio::spawn(startup::cancel_on_signal(shutdown.clone()));
    simulator
        .serve(listener, shutdown)
        .await
        .context("simulator stopped with an error")
}

/// Logs where the simulator listens and who can sign in: usernames only, never a password or
/// the client secret (both are in server/sim/README.md).
fn announce(simulator: &Simulator, args: &SimArgs) {
    let scheme = if args.tls { "https" } else { "http" };
    let (client_id, _) = simulator.client_credentials();
    tracing::info!(
        "Salesforce simulator on {scheme}://{listen}: login URL {scheme}://{listen}, connected app client id {client_id}; control API under /__sim/",
        listen = args.listen,
    );
    let usernames: Vec<String> = simulator
        .users()
        .into_iter()
        .map(|(username, _)| username)
        .collect();
    tracing::info!(
        users = %usernames.join(", "),
        "simulated Salesforce users (passwords: server/sim/README.md)"
    );
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn sim_args(extra: &[&str]) -> SimArgs {
        let mut argv = vec!["orgsync", "sim"];
        argv.extend_from_slice(extra);
        match Cli::parse_from(argv).command {
            Command::Sim(args) => args,
            other => panic!("not sim: {other:?}"),
        }
    }

    /// Everything `announce` logs, at every level.
    fn logged_by_announce(args: &SimArgs) -> String {
        #[derive(Clone, Default)]
        struct Buffer(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Buffer {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.lock().expect("buffer").extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        let simulator = Simulator::new(config_from_args(args));
        tracing::subscriber::with_default(subscriber, || announce(&simulator, args));
        let bytes = buffer.0.lock().expect("buffer").clone();
        String::from_utf8(bytes).expect("utf-8 log")
    }

    /// The issue: every simulated user's password was logged at start-up.
    #[test]
    fn start_up_logs_usernames_but_no_password_or_client_secret() {
        let args = sim_args(&["--contacts", "1", "--leads", "1"]);
        let logged = logged_by_announce(&args);
        let simulator = Simulator::new(config_from_args(&args));
        let users = simulator.users();
        assert!(!users.is_empty());
        for (username, password) in users {
            assert!(logged.contains(&username), "{username} missing: {logged}");
            assert!(!logged.contains(&password), "password logged: {logged}");
        }
        let (_, secret) = simulator.client_credentials();
        assert!(!logged.contains(&secret), "client secret logged: {logged}");
    }

    /// The issue: `orgsync sim --listen 0.0.0.0:…` served its open control API to the network.
    #[tokio::test]
    async fn a_non_loopback_address_is_refused_without_allow_remote() {
        // Before the fix, `run` bound the address and served: the timeout makes that a failure.
        let error = tokio::time::timeout(
            Duration::from_secs(5),
            run(sim_args(&["--listen", "0.0.0.0:0"])),
        )
        .await
        .expect("refused at once, not served")
        .expect_err("refused");
        assert!(error.to_string().contains("--allow-remote"), "{error}");
        assert!(sim_args(&["--listen", "0.0.0.0:0", "--allow-remote"]).allow_remote);
    }
}
