//! `ledger`: debits per second and latency over HTTP against a release build of
//! `penora serve`, with 32 concurrent clients, on SQLite and PostgreSQL; then checks that no
//! update was lost (every balance equals its start minus its accepted debits).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde_json::json;

use crate::harness::{get_json, output, penora, run, serve, signup, wait_ready, Backends};

const CLIENTS: usize = 32;
const USERS: usize = 32;
const WELCOME_MC: i64 = 50_000;

#[derive(clap::Args)]
pub struct LedgerArgs {
    /// Debits per backend.
    #[arg(long, default_value_t = 20_000)]
    requests: usize,
    #[command(flatten)]
    backends: Backends,
}

pub async fn bench(binary: &Path, args: &LedgerArgs) -> anyhow::Result<()> {
    let mut results = Vec::new();

    for target in args.backends.targets("bench")? {
        let outcome = bench_backend(binary, &target.url, &target.dir, args.requests).await?;
        results.push((target.name, outcome));
    }

    println!(
        "\nledger debits over HTTP, {CLIENTS} concurrent clients, {} debits per backend",
        args.requests
    );
    println!(
        "{:<12} {:>12} {:>10} {:>10} {:>10} {:>8}",
        "backend", "debits/s", "p50 ms", "p99 ms", "max ms", "lost"
    );
    for (name, r) in &results {
        println!(
            "{name:<12} {:>12.0} {:>10.2} {:>10.2} {:>10.2} {:>8}",
            r.per_second, r.p50_ms, r.p99_ms, r.max_ms, r.lost_updates
        );
    }
    if results.iter().any(|(_, r)| r.lost_updates != 0) {
        bail!("lost updates detected");
    }
    Ok(())
}

struct BenchResult {
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    lost_updates: i64,
}

async fn bench_backend(
    binary: &Path,
    database_url: &str,
    dir: &Path,
    requests: usize,
) -> anyhow::Result<BenchResult> {
    std::fs::create_dir_all(dir)?;
    run(penora(binary, database_url, dir).arg("migrate"))?;
    let key_out = output(penora(binary, database_url, dir).args([
        "admin",
        "create-app-key",
        "--name",
        "bench",
        "--scopes",
        "credits:read,credits:write",
    ]))?;
    let key = String::from_utf8(key_out)?
        .lines()
        .find_map(|l| l.strip_prefix("Secret (shown once): ").map(str::to_owned))
        .context("create-app-key printed no secret")?;
    let (_server, base) = serve(penora(binary, database_url, dir))?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .build()?;
    wait_ready(&client, &base).await?;

    let mut users = Vec::new();
    for i in 0..USERS {
        let signed = signup(&client, &base, &format!("bench-{i}@example.com")).await?;
        users.push(
            signed["user"]["id"]
                .as_str()
                .context("no user id")?
                .to_owned(),
        );
    }
    let users = Arc::new(users);

    let started = Instant::now();
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (client, base, key, users) =
                (client.clone(), base.clone(), key.clone(), users.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut accepted = vec![0i64; USERS];
                let mut i = c;
                while i < requests {
                    let u = i % USERS;
                    let t = Instant::now();
                    let r = client
                        .post(format!("{base}/api/v1/apps/users/{}/debits", users[u]))
                        .bearer_auth(&key)
                        .header("idempotency-key", format!("bench-{i}"))
                        .json(&json!({ "amount_mc": 1 }))
                        .send()
                        .await;
                    latencies.push(t.elapsed());
                    if r.is_ok_and(|r| r.status().as_u16() == 201) {
                        accepted[u] += 1;
                    }
                    i += CLIENTS;
                }
                (latencies, accepted)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut accepted = vec![0i64; USERS];
    for task in futures_util::future::join_all(tasks).await {
        let (l, a) = task?;
        latencies.extend(l);
        for (total, n) in accepted.iter_mut().zip(a) {
            *total += n;
        }
    }
    let elapsed = started.elapsed();

    let mut lost = 0;
    for (u, id) in users.iter().enumerate() {
        let b = get_json(
            &client,
            &format!("{base}/api/v1/apps/users/{id}/balance"),
            &key,
        )
        .await?;
        let expected = WELCOME_MC - accepted[u];
        lost += (b["balance_mc"].as_i64().unwrap_or_default() - expected).abs();
    }
    let total_accepted: i64 = accepted.iter().sum();
    if total_accepted != requests as i64 {
        bail!("only {total_accepted} of {requests} debits were accepted");
    }
    latencies.sort();
    let pick = |q: f64| {
        latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)].as_secs_f64()
            * 1000.0
    };
    Ok(BenchResult {
        per_second: requests as f64 / elapsed.as_secs_f64(),
        p50_ms: pick(0.50),
        p99_ms: pick(0.99),
        max_ms: latencies
            .last()
            .copied()
            .unwrap_or(Duration::ZERO)
            .as_secs_f64()
            * 1000.0,
        lost_updates: lost,
    })
}
