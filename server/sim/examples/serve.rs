//! Runs a simulator: `cargo run --release -p sim --example serve -- 127.0.0.1:8443 [tls]`.

use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8443".to_string());
    let tls = args.next().is_some_and(|a| a == "tls");
    let sim = sim::Simulator::new(sim::SimConfig {
        tls,
        ..Default::default()
    });
    if let Some(pem) = sim.certificate_pem() {
        std::fs::write("sim-cert.pem", pem)?;
        println!("certificate written to sim-cert.pem");
    }
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    let (client_id, secret) = sim.client_credentials();
    println!(
        "listening on {addr} (tls: {tls}); client {client_id} / {secret}; users {:?}",
        sim.users()
    );
    sim.serve(listener, CancellationToken::new()).await
}
