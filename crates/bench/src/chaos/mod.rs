//! `penora-bench chaos`: concurrent streaming generations through the local cluster's nginx
//! (`cargo xtask chaos` starts it) with cancels, disconnects and upstream faults, while one
//! replica is killed with `kill -9` and restarted and PostgreSQL restarts. Then it waits for
//! the sweeper, checks the books and the answers, checks that the limits hold across
//! replicas, and prints it all as a table; any failed check fails the run.

mod checks;
mod limits;
mod streams;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::harness;

#[derive(clap::Args)]
pub struct ChaosArgs {
    /// The cluster's nginx, e.g. http://127.0.0.1:8080.
    #[arg(long)]
    url: String,
    /// The cluster's database (the checks read it with psql).
    #[arg(long)]
    database_url: String,
    /// The xtask binary and the cluster's state directory: the faults are
    /// `<xtask> cluster --state <dir> kill|start|restart-postgres`.
    #[arg(long)]
    xtask: PathBuf,
    #[arg(long)]
    state: PathBuf,
    /// Concurrent streaming generations.
    #[arg(long, default_value_t = 40)]
    streams: usize,
    /// Generations a user may run at once (the cluster's PENORA_GENERATIONS_PER_USER).
    #[arg(long, default_value_t = 10)]
    per_user: usize,
    /// The cluster's progress-save interval and fastest model's pace: what a killed replica
    /// may have delivered unsaved.
    #[arg(long, default_value_t = 250)]
    save_interval_ms: u64,
    #[arg(long, default_value_t = 20)]
    pace_ms: u64,
    /// The cluster's hold grace and sweep interval: how long to wait for the sweeper.
    #[arg(long, default_value_t = 5000)]
    grace_ms: u64,
    #[arg(long, default_value_t = 1000)]
    sweep_ms: u64,
    /// The cluster's sign-up limit per IP and hour (sign-ups it may still allow are checked).
    #[arg(long)]
    signup_limit: u32,
}

/// When each fault happened, from the start of the load.
#[derive(Debug, Default)]
pub struct Faults {
    pub kill: Duration,
    pub replica_back: Duration,
    pub pg_restart: Duration,
    pub pg_back: Duration,
}

pub async fn run(args: &ChaosArgs) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()?;
    let users = args.streams.div_ceil(args.per_user / 2).max(1);
    let mut tokens = Vec::new();
    for n in 0..users {
        let signed = harness::signup(&client, &args.url, &format!("chaos{n}@example.com")).await?;
        tokens.push(
            signed["access_token"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    let epoch = Instant::now();
    // Starts spread over six seconds: streams run across both faults.
    let spread = Duration::from_secs(6);
    let mut tasks = Vec::new();
    for i in 0..args.streams {
        let delay = spread.mul_f64(i as f64 / args.streams as f64);
        let (client, base, token) = (client.clone(), args.url.clone(), tokens[i % users].clone());
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            streams::run_one(client, base, token, i, epoch).await
        }));
    }
    let faults = tokio::task::spawn_blocking({
        let (xtask, state) = (args.xtask.clone(), args.state.clone());
        move || inject(&xtask, &state, epoch)
    });
    let mut records = Vec::new();
    for task in tasks {
        records.push(task.await?);
    }
    let faults = faults.await??;
    let limits = limits::check(&client, &args.url, &args.state, users, args.signup_limit).await?;
    let settled = checks::wait_settled(&args.database_url, args.grace_ms + 20 * args.sweep_ms)?;
    let bound = args.save_interval_ms.div_ceil(args.pace_ms.max(1)) + 1;
    let table = checks::all(&args.database_url, &records, &faults, bound, settled)?;
    checks::print(&table, &records, &faults, &limits);
    let failed = table.iter().chain(&limits).filter(|row| !row.ok).count();
    if failed > 0 {
        bail!("{failed} chaos check(s) failed");
    }
    Ok(())
}

/// The faults, on a fixed timeline: a replica killed at 1.5 s and started again 2 s later,
/// then PostgreSQL restarted.
fn inject(xtask: &PathBuf, state: &PathBuf, epoch: Instant) -> anyhow::Result<Faults> {
    let control = |args: &[&str]| {
        harness::run(
            Command::new(xtask)
                .arg("cluster")
                .arg("--state")
                .arg(state)
                .args(args),
        )
        .with_context(|| format!("cluster {args:?}"))
    };
    let mut faults = Faults::default();
    std::thread::sleep(Duration::from_millis(1500));
    faults.kill = epoch.elapsed();
    control(&["kill", "2"])?;
    std::thread::sleep(Duration::from_secs(2));
    control(&["start", "2"])?;
    faults.replica_back = epoch.elapsed();
    std::thread::sleep(Duration::from_millis(500));
    faults.pg_restart = epoch.elapsed();
    control(&["restart-postgres"])?;
    faults.pg_back = epoch.elapsed();
    Ok(faults)
}
