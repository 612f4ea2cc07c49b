//! `penora-bench`: the load generators behind `cargo xtask bench ledger|proxy|hotkey`.
//!
//! They live in a binary of their own, built in release beside `penora`: a debug build of
//! the HTTP client (and of the fake provider) takes CPU from the server and the database it
//! measures, lowering the very figures it reports (`docs/decisions.md`).

mod chaos;
mod first_token;
mod harness;
mod held_streams;
mod hot_key;
mod ledger;
mod proxy;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "penora-bench", about = "Penora's load benchmarks")]
struct Cli {
    /// The release `penora` binary to start.
    #[arg(long)]
    penora: PathBuf,
    #[command(subcommand)]
    what: What,
}

#[derive(Subcommand)]
enum What {
    /// Debits per second and latency over HTTP, 32 clients, SQLite then PostgreSQL.
    Ledger(ledger::LedgerArgs),
    /// Penora as a billed proxy in front of a local fake provider.
    Proxy(proxy::ProxyArgs),
    /// Faults on the local cluster (`cargo xtask chaos` starts it and runs this).
    Chaos(chaos::ChaosArgs),
    /// One busy API key: its throughput against 64 users', and a quiet user's latency
    /// while it floods.
    Hotkey(hot_key::HotKeyArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // One thread: the load generator (and the fake provider) stay off the second core as
    // much as they can, leaving it to the server and the database being measured.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        match &cli.what {
            What::Ledger(args) => ledger::bench(&cli.penora, args).await,
            What::Proxy(args) => proxy::bench(&cli.penora, args).await,
            What::Chaos(args) => chaos::run(args).await,
            What::Hotkey(args) => hot_key::bench(&cli.penora, args).await,
        }
    })
}
