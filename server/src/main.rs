//! The `orgsync` binary: parse the command line, set up logging, run the command.

use clap::Parser;
use orgsync::{
    admin,
    cli::{Cli, Command},
    config::{Settings, StoreSettings},
    startup::{self, Application},
    telemetry,
};
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init();
    let cli = Cli::parse();
    let store_settings = StoreSettings::from_args(&cli.store);
    match cli.command {
        Command::Serve(args) => {
            let settings = Settings::from_args(&cli.store, &args);
            tracing::info!(?settings, "starting orgsync");
            let app = Application::build(settings).await?;
            let shutdown = CancellationToken::new();
            tokio::spawn(startup::cancel_on_signal(shutdown.clone()));
            app.run_until_stopped(shutdown).await
        }
        Command::Sim(args) => orgsync::sim::run(args).await,
        Command::Migrate => {
            startup::open_store(&store_settings).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Org(command) => {
            let db = startup::open_store(&store_settings).await?;
            admin::run_org(&db, command).await
        }
        Command::User(command) => {
            let db = startup::open_store(&store_settings).await?;
            admin::run_user(&db, command).await
        }
    }
}
