//! Makes sure the site folder exists (the embed needs it) and rebuilds when it changes.
//! `cargo xtask build` fills it before compiling the server.

fn main() {
    let site = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/site");
    if let Err(error) = std::fs::create_dir_all(&site) {
        println!(
            "cargo::warning=could not create {}: {error}",
            site.display()
        );
    }
    println!("cargo::rerun-if-changed={}", site.display());
}
