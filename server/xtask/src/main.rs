//! `cargo xtask`: the build helper behind the README's commands.
//!
//!   cargo xtask build   install missing build tools, build the site (wasm, JS, CSS, public
//!                       files), then the release binaries with the site embedded
//!   cargo xtask demo    build, then run `orgsync serve --demo` (extra args are passed on)
//!   cargo xtask test    build, then every test: fmt, clippy, Rust tests (SQLite and
//!                       PostgreSQL), the simulator's conformance with real Salesforce
//!                       clients, Playwright end-to-end in Debian's Chromium
//!
//! Why not cargo-leptos: its install takes 12+ minutes here and it builds wasm and server
//! concurrently, while the single binary must embed a finished site (see README).
//! Tools go into `target/tools`, so nothing outside the checkout changes except rustup's
//! wasm32 target; nothing downloads a prebuilt binary except npm's `binaryen` package.

use std::{
    env, fs,
    path::{Path, PathBuf},
    process::{Command, ExitCode},
    time::Instant,
};

/// npm's binaryen (Debian's 108 breaks hydration; see README).
const BINARYEN_VERSION: &str = "132.0.0";
const OUTPUT_NAME: &str = "orgsync";

type Result<T> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("build") => build().map(|_| ()),
        Some("demo") => build().and_then(|root| demo(&root, &args[1..])),
        Some("test") => build().and_then(|root| test(&root)),
        Some("site") => workspace_root().and_then(|root| {
            let tools = ensure_tools(&root)?;
            build_site(&root, &tools)
        }),
        _ => {
            eprintln!("usage: cargo xtask <build|demo|test|site>");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("\nxtask: FAILED: {message}");
            ExitCode::FAILURE
        }
    }
}

struct Tools {
    wasm_bindgen: PathBuf,
    wasm_opt: PathBuf,
}

fn build() -> Result<PathBuf> {
    let root = workspace_root()?;
    let tools = ensure_tools(&root)?;
    build_site(&root, &tools)?;
    step("release binaries (orgsync, orgsync-bench) with the site embedded");
    run(cargo(&root).args(["build", "--release", "--package", "server", "--bins"]))?;
    println!(
        "xtask: built {}",
        root.join("target/release/orgsync").display()
    );
    Ok(root)
}

fn demo(root: &Path, extra: &[String]) -> Result<()> {
    step("orgsync serve --demo");
    run(Command::new(root.join("target/release/orgsync"))
        .current_dir(root)
        .args(["serve", "--demo"])
        .args(extra))
}

fn test(root: &Path) -> Result<()> {
    let started = Instant::now();
    step("formatting");
    run(cargo(root).args(["fmt", "--all", "--check"]))?;
    step("clippy (warnings are errors)");
    run(cargo(root).args([
        "clippy",
        "--release",
        "--workspace",
        "--exclude",
        "frontend",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    // `app` too: its browser-only code (feature `hydrate`, which `frontend` turns on) is not
    // linted by the host pass above.
    run(cargo(root).args([
        "clippy",
        "--package",
        "frontend",
        "--package",
        "app",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "wasm-release",
        "--",
        "-D",
        "warnings",
    ]))?;
    step("Rust tests (unit, store on SQLite and PostgreSQL, HTTP)");
    run(cargo(root).args(["test", "--release", "--workspace", "--exclude", "frontend"]))?;
    conformance(root)?;
    step("end-to-end tests (Playwright, Debian chromium)");
    let chromium = Path::new("/usr/bin/chromium");
    if !chromium.exists() {
        return Err("/usr/bin/chromium is missing: install Debian's `chromium` package (apt-get install chromium)".into());
    }
    let end2end = root.join("end2end");
    run(Command::new("npm")
        .current_dir(&end2end)
        .args(["ci", "--no-audit", "--no-fund"])
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1"))?;
    run(Command::new("npx")
        .current_dir(&end2end)
        .args(["playwright", "test"])
        .env("ORGSYNC_BIN", root.join("target/release/orgsync")))?;
    println!(
        "xtask: every test passed in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Real Salesforce clients (simple-salesforce under pytest, the cometd npm client) against the
/// release binary's `orgsync sim --tls`; the script starts and stops the simulator itself.
fn conformance(root: &Path) -> Result<()> {
    step("simulator conformance (simple-salesforce, cometd) against `orgsync sim --tls`");
    run(Command::new("bash")
        .current_dir(root)
        .arg(root.join("server/sim/conformance/run.sh"))
        .arg(root.join("target/release/orgsync")))
}

fn ensure_tools(root: &Path) -> Result<Tools> {
    step("build tools");
    let installed =
        capture(
            Command::new("rustup")
                .current_dir(root)
                .args(["target", "list", "--installed"]),
        )?;
    if !installed
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        run(Command::new("rustup").current_dir(root).args([
            "target",
            "add",
            "wasm32-unknown-unknown",
        ]))?;
    }

    let tools_dir = root.join("target/tools");
    let version = locked_version(root, "wasm-bindgen")?;
    let wasm_bindgen = tools_dir.join("bin/wasm-bindgen");
    let have = capture(Command::new(&wasm_bindgen).arg("--version")).unwrap_or_default();
    if !have.contains(&version) {
        println!(
            "xtask: installing wasm-bindgen-cli {version} (the version in Cargo.lock) from crates.io"
        );
        // Its own lock file wants a crate release the registry here does not have: no --locked.
        run(cargo(root)
            .args([
                "install",
                "wasm-bindgen-cli",
                "--version",
                &version,
                "--root",
            ])
            .arg(&tools_dir)
            .env("CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS", "fallback"))?;
    }

    let npm_dir = tools_dir.join("npm");
    let wasm_opt = npm_dir.join("node_modules/.bin/wasm-opt");
    let have = capture(Command::new(&wasm_opt).arg("--version")).unwrap_or_default();
    if !have.contains(BINARYEN_VERSION.split('.').next().unwrap_or_default()) {
        println!("xtask: installing wasm-opt from npm binaryen@{BINARYEN_VERSION}");
        fs::create_dir_all(&npm_dir)
            .map_err(|e| format!("cannot create {}: {e}", npm_dir.display()))?;
        run(Command::new("npm")
            .current_dir(&npm_dir)
            .args([
                "install",
                "--no-audit",
                "--no-fund",
                "--no-save",
                "--prefix",
                ".",
            ])
            .arg(format!("binaryen@{BINARYEN_VERSION}")))?;
    }
    Ok(Tools {
        wasm_bindgen,
        wasm_opt,
    })
}

fn build_site(root: &Path, tools: &Tools) -> Result<()> {
    step("wasm bundle (frontend, hydrate)");
    run(cargo(root).args([
        "build",
        "--package",
        "frontend",
        "--lib",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "wasm-release",
    ]))?;
    let site = root.join("target/site");
    let pkg = site.join("pkg");
    let staging = root.join("target/site-staging");
    let _ = fs::remove_dir_all(&staging);
    fs::create_dir_all(&staging)
        .map_err(|e| format!("cannot create {}: {e}", staging.display()))?;
    run(Command::new(&tools.wasm_bindgen)
        .arg(root.join("target/wasm32-unknown-unknown/wasm-release/frontend.wasm"))
        .args([
            "--target",
            "web",
            "--no-typescript",
            "--out-name",
            OUTPUT_NAME,
            "--out-dir",
        ])
        .arg(&staging))?;
    step("wasm-opt -Oz");
    let wasm = staging.join(format!("{OUTPUT_NAME}.wasm"));
    run(Command::new(&tools.wasm_opt)
        .arg(staging.join(format!("{OUTPUT_NAME}_bg.wasm")))
        .args([
            "-Oz",
            "--enable-bulk-memory",
            "--enable-nontrapping-float-to-int",
            "--enable-sign-ext",
            "--enable-mutable-globals",
            "--enable-reference-types",
            "--enable-multivalue",
            "-o",
        ])
        .arg(&wasm))?;
    fs::remove_file(staging.join(format!("{OUTPUT_NAME}_bg.wasm"))).map_err(|e| e.to_string())?;

    // The whole new site, beside the current one.
    let next = root.join("target/site-next");
    let _ = fs::remove_dir_all(&next);
    fs::create_dir_all(&next).map_err(|e| e.to_string())?;
    copy_dir(&root.join("public"), &next)?;
    fs::rename(&staging, next.join("pkg"))
        .map_err(|e| format!("cannot move the bundle into {}: {e}", next.display()))?;
    fs::copy(
        root.join("style/main.css"),
        next.join("pkg").join(format!("{OUTPUT_NAME}.css")),
    )
    .map_err(|e| format!("cannot copy style/main.css: {e}"))?;
    // Replace the site in one go, so the server never embeds half of it; an identical site is
    // left untouched, so the server (which embeds it) is not rebuilt for nothing.
    if same_tree(&next, &site) {
        fs::remove_dir_all(&next).map_err(|e| e.to_string())?;
        println!("xtask: the site is unchanged");
    } else {
        let _ = fs::remove_dir_all(&site);
        fs::rename(&next, &site)
            .map_err(|e| format!("cannot move the site into {}: {e}", site.display()))?;
    }

    let wasm = pkg.join(format!("{OUTPUT_NAME}.wasm"));
    let raw = fs::metadata(&wasm).map_err(|e| e.to_string())?.len();
    let gz = capture(
        Command::new("sh")
            .arg("-c")
            .arg(format!("gzip -9 -c '{}' | wc -c", wasm.display())),
    )?;
    println!(
        "xtask: site ready in {}: wasm {} KB raw, {} KB gzip -9",
        site.display(),
        raw / 1024,
        gz.trim().parse::<u64>().unwrap_or(0) / 1024
    );
    Ok(())
}

/// True when both folders hold the same files with the same bytes.
fn same_tree(a: &Path, b: &Path) -> bool {
    fn files(dir: &Path, base: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) -> std::io::Result<()> {
        for entry in fs::read_dir(dir)? {
            let path = entry?.path();
            if path.is_dir() {
                files(&path, base, out)?;
            } else {
                let relative = path.strip_prefix(base).unwrap_or(&path).to_path_buf();
                out.push((relative, fs::read(&path)?));
            }
        }
        Ok(())
    }
    let listing = |dir: &Path| {
        let mut out = Vec::new();
        files(dir, dir, &mut out).ok()?;
        out.sort();
        Some(out)
    };
    matches!((listing(a), listing(b)), (Some(x), Some(y)) if x == y)
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    for entry in fs::read_dir(from).map_err(|e| format!("cannot read {}: {e}", from.display()))? {
        let entry = entry.map_err(|e| e.to_string())?;
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            fs::create_dir_all(&target).map_err(|e| e.to_string())?;
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target)
                .map_err(|e| format!("cannot copy {}: {e}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// The version of `package` recorded in Cargo.lock.
fn locked_version(root: &Path, package: &str) -> Result<String> {
    let lock = fs::read_to_string(root.join("Cargo.lock"))
        .map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == format!("name = \"{package}\"")
            && let Some(version) = lines.next().and_then(|l| l.strip_prefix("version = \""))
        {
            return Ok(version.trim_end_matches('"').to_string());
        }
    }
    Err(format!("{package} is not in Cargo.lock"))
}

fn workspace_root() -> Result<PathBuf> {
    let manifest =
        env::var("CARGO_MANIFEST_DIR").map_err(|_| "run this through `cargo xtask`".to_string())?;
    Path::new(&manifest)
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .ok_or_else(|| "cannot find the workspace root".to_string())
}

fn cargo(root: &Path) -> Command {
    let mut command = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.current_dir(root);
    command
}

fn step(what: &str) {
    println!("\nxtask: ── {what}");
}

fn run(command: &mut Command) -> Result<()> {
    let started = Instant::now();
    let status = command
        .status()
        .map_err(|e| format!("cannot run {:?}: {e}", command.get_program()))?;
    if !status.success() {
        return Err(format!("{command:?} failed ({status})"));
    }
    println!("xtask:    done in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

fn capture(command: &mut Command) -> Result<String> {
    let output = command
        .output()
        .map_err(|e| format!("cannot run {:?}: {e}", command.get_program()))?;
    if !output.status.success() {
        return Err(format!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}
