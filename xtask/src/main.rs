//! `cargo xtask <command>`: the project's automation, in Rust so it runs wherever cargo does.
//!
//! - `serve`: build the browser app, then run the server (SQLite, offline, no keys needed)
//! - `test`: every check CI runs (fmt, clippy, tests on SQLite and PostgreSQL, OpenAPI
//!   drift, frontend build, end-to-end browser tests)
//! - `cluster up|down`: PostgreSQL, replicas, nginx, fake provider and SMTP sink on loopback
//! - `chaos`: faults on that cluster, then the books checked
//! - `supply-chain`: licences, bans and sources (cargo-deny) and the vendored crates' hashes
//! - `build-frontend`, `e2e`, `openapi`: the pieces on their own

mod assets;
mod bench;
mod bench_export;
mod chaos;
mod cluster;
mod e2e;
mod frontend;
mod lighthouse;
mod report;
mod shell;
mod split;
mod supply_chain;
mod test;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "xtask", about = "Penora's build, run and test tasks")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the browser app and serve Penora at http://127.0.0.1:8080 (or PENORA_BIND).
    Serve,
    /// Run every check: fmt, clippy, tests on SQLite and PostgreSQL, frontend build, e2e.
    Test(test::TestArgs),
    /// Build the browser app into frontend/dist.
    BuildFrontend,
    /// Run the end-to-end browser tests against a freshly started server.
    E2e,
    /// Lighthouse on the home page (mobile, median of 3 runs): a report, not a gate.
    Lighthouse,
    /// Regenerate openapi/openapi.json from the code.
    Openapi,
    /// Check licences, bans and sources (cargo-deny) and the vendored crates' manifests.
    SupplyChain(supply_chain::SupplyChainArgs),
    /// Benchmarks against a release build: `ledger`, `export`, `proxy`.
    Bench(bench::BenchArgs),
    /// A local production-shaped cluster: `up` (PostgreSQL, replicas, nginx, fake provider,
    /// SMTP sink, all on 127.0.0.1), `down`.
    Cluster(cluster::ClusterArgs),
    /// Streams through the local cluster while a replica is killed and PostgreSQL restarts;
    /// checks the books afterwards (`--long`: 200 streams on release binaries).
    Chaos(chaos::ChaosArgs),
}

fn main() -> anyhow::Result<()> {
    let root = shell::workspace_root();
    std::env::set_current_dir(&root)?;
    match Cli::parse().command {
        Command::Serve => {
            frontend::build(&root)?;
            shell::run(
                shell::cargo()
                    .args([
                        "run",
                        "-p",
                        "penora-server",
                        "--bin",
                        "penora",
                        "--",
                        "serve",
                    ])
                    .env("PENORA_FRONTEND_DIR", frontend::dist_dir(&root)),
            )
        }
        Command::Test(args) => test::run(&root, args),
        Command::BuildFrontend => frontend::build(&root),
        Command::E2e => e2e::run(&root),
        Command::Lighthouse => lighthouse::run(&root),
        Command::SupplyChain(args) => supply_chain::run(&root, args),
        Command::Bench(args) => bench::run(&root, args),
        Command::Cluster(args) => cluster::run(&root, args),
        Command::Chaos(args) => chaos::run(&root, &args),
        Command::Openapi => {
            let out = shell::output(shell::cargo().args([
                "run",
                "-q",
                "-p",
                "penora-server",
                "--bin",
                "penora",
                "--",
                "openapi",
            ]))?;
            std::fs::write(root.join("openapi/openapi.json"), out)?;
            println!("wrote openapi/openapi.json");
            Ok(())
        }
    }
}
