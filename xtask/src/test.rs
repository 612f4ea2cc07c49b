//! `cargo xtask test`: everything CI checks, in order, failing fast.

use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use anyhow::bail;

use crate::{chaos, e2e, frontend, shell, supply_chain};

const DEFAULT_PG: &str = "postgres://postgres@127.0.0.1:5432/postgres";

#[derive(clap::Args)]
pub struct TestArgs {
    /// Skip the PostgreSQL pass (local use only; CI always runs it).
    #[arg(long)]
    skip_postgres: bool,
    /// Skip the chaos run on the local cluster (local use only).
    #[arg(long)]
    skip_chaos: bool,
    /// Skip the end-to-end browser tests (local use only).
    #[arg(long)]
    skip_e2e: bool,
}

pub fn run(root: &Path, args: TestArgs) -> anyhow::Result<()> {
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    if in_ci && (args.skip_postgres || args.skip_chaos || args.skip_e2e) {
        bail!("CI runs every pass: --skip-postgres, --skip-chaos and --skip-e2e are for local use");
    }
    shell::run(shell::cargo().args(["fmt", "--all", "--", "--check"]))?;
    shell::run(shell::cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    supply_chain::run(root, supply_chain::SupplyChainArgs::default())?;
    // A fresh machine has no wasm32 target yet; clippy for it needs one.
    frontend::ensure_wasm_target()?;
    shell::run(shell::cargo().args([
        "clippy",
        "-p",
        "penora-frontend",
        "--target",
        "wasm32-unknown-unknown",
        "--",
        "-D",
        "warnings",
    ]))?;
    frontend::build(root)?;
    // The EPUB export tests validate their files with it; under CI they fail without it.
    shell::ensure_debian_package("epubcheck", "epubcheck", "the EPUB export tests")?;

    run_tests("SQLite", None)?;
    if !args.skip_postgres {
        let url =
            std::env::var("PENORA_TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_PG.to_owned());
        require_postgres(&url)?;
        run_tests("PostgreSQL", Some(&url))?;
    }
    if !args.skip_chaos {
        // The short form: 40 streams on debug binaries, a replica killed, PostgreSQL
        // restarted, the books checked (about a minute besides the build).
        chaos::run(root, &chaos::ChaosArgs::default())?;
    }
    if !args.skip_e2e {
        e2e::run(root)?;
    }
    eprintln!("xtask> all checks passed");
    Ok(())
}

fn run_tests(label: &str, postgres: Option<&str>) -> anyhow::Result<()> {
    eprintln!("xtask> tests on {label}");
    let mut cmd = shell::cargo();
    if shell::has_program("cargo-nextest") {
        cmd.args(["nextest", "run", "--workspace", "--no-fail-fast"]);
    } else {
        cmd.args(["test", "--workspace", "--no-fail-fast"]);
    }
    match postgres {
        Some(url) => cmd.env("PENORA_TEST_DATABASE_URL", url),
        None => cmd.env_remove("PENORA_TEST_DATABASE_URL"),
    };
    shell::run(&mut cmd)
}

/// The PostgreSQL pass must run, not skip: an unreachable server is a failure.
fn require_postgres(url: &str) -> anyhow::Result<()> {
    let parsed = url::Url::parse(url)?;
    let host = parsed.host_str().unwrap_or("127.0.0.1");
    let port = parsed.port().unwrap_or(5432);
    let reachable = std::net::ToSocketAddrs::to_socket_addrs(&(host, port))
        .ok()
        .and_then(|mut addrs| addrs.next())
        .is_some_and(|addr| TcpStream::connect_timeout(&addr, Duration::from_secs(3)).is_ok());
    if !reachable {
        bail!("PostgreSQL is not reachable at {host}:{port}; start it (see README) or pass --skip-postgres locally");
    }
    Ok(())
}
