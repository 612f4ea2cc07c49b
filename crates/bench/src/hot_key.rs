//! `cargo xtask bench hotkey`: one busy API key, in front of the local fake provider.
//! Measured per backend (SQLite, PostgreSQL), on one server:
//! - billed completions per second at 64 concurrent clients spread over 64 users' keys,
//!   then all 64 on one key;
//! - a quiet user's time to the first event of a stream, alone and while another user's
//!   key sends a flood of concurrent starts.

use std::path::Path;
use std::time::{Duration, Instant};

use penora_fake_upstream::FakeUpstream;
use serde_json::json;

use crate::harness::Backends;
use crate::proxy::{self, Latencies};

/// The quiet user's streams measured alone.
const QUIET: usize = 200;

#[derive(clap::Args)]
pub struct HotKeyArgs {
    /// Completions per throughput run (64 users, then one key).
    #[arg(long, default_value_t = 4_000)]
    completions: usize,
    /// Concurrent starts of the flooding key.
    #[arg(long, default_value_t = 2_000)]
    flood: usize,
    #[command(flatten)]
    backends: Backends,
}

#[derive(Debug, Default)]
struct Outcome {
    users_rate: f64,
    one_key_rate: f64,
    quiet: Latencies,
    flooded: Latencies,
    flood_ok: usize,
    flood_refused: usize,
    flood_secs: f64,
}

pub async fn bench(binary: &Path, args: &HotKeyArgs) -> anyhow::Result<()> {
    let fake = FakeUpstream::quiet(|_, request| proxy::reply(request)).await;
    let mut results = Vec::new();
    for target in args.backends.targets("hotkey")? {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(args.flood + 128)
            .build()?;
        let (server, base) = proxy::start(binary, &target.url, &target.dir, &fake, &client).await?;
        let keys = proxy::personal_keys(&client, &base).await?;
        let url = format!("{base}/v1/chat/completions");
        for key in &keys {
            proxy::complete(&client, &url, key, "bench-fast", false).await?;
        }
        let mut outcome = Outcome::default();
        (outcome.users_rate, _) =
            proxy::load(&client, &url, &keys, args.completions, false).await?;
        (outcome.one_key_rate, _) =
            proxy::load(&client, &url, &keys[..1], args.completions, false).await?;
        for _ in 0..QUIET {
            outcome
                .quiet
                .0
                .push(first_event(&client, &url, &keys[1]).await?);
        }
        flooded(&client, &url, &keys, args.flood, &mut outcome).await?;
        drop(server);
        results.push((target.name, outcome));
    }
    report(&results, args);
    Ok(())
}

/// `flood` concurrent starts on the first key while the second key's user streams one
/// generation after another until the flood has been answered.
async fn flooded(
    client: &reqwest::Client,
    url: &str,
    keys: &[String],
    flood: usize,
    outcome: &mut Outcome,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let body = json!({
        "model": "bench-fast",
        "messages": [{ "role": "user", "content": "Say sixteen words." }],
    });
    let starts: Vec<_> = (0..flood)
        .map(|_| {
            let request = client.post(url).bearer_auth(&keys[0]).json(&body);
            tokio::spawn(async move {
                let response = request.send().await?;
                let ok = response.status().is_success();
                response.bytes().await?;
                anyhow::Ok(ok)
            })
        })
        .collect();
    let all = futures_util::future::join_all(starts);
    tokio::pin!(all);
    let answers = loop {
        tokio::select! {
            answers = &mut all => break answers,
            took = first_event(client, url, &keys[1]) => outcome.flooded.0.push(took?),
        }
    };
    outcome.flood_secs = started.elapsed().as_secs_f64();
    for answer in answers {
        match answer?? {
            true => outcome.flood_ok += 1,
            false => outcome.flood_refused += 1,
        }
    }
    Ok(())
}

/// A streamed completion: the time to its first event (read to its end).
async fn first_event(client: &reqwest::Client, url: &str, key: &str) -> anyhow::Result<Duration> {
    let body = json!({
        "model": "bench-fast",
        "messages": [{ "role": "user", "content": "Say sixteen words." }],
        "stream": true,
    });
    let started = Instant::now();
    let mut response = client.post(url).bearer_auth(key).json(&body).send().await?;
    anyhow::ensure!(response.status().is_success(), "{}", response.status());
    let mut first = None;
    while let Some(chunk) = response.chunk().await? {
        if first.is_none() && !chunk.is_empty() {
            first = Some(started.elapsed());
        }
    }
    first.ok_or_else(|| anyhow::anyhow!("an empty stream"))
}

fn report(results: &[(&str, Outcome)], args: &HotKeyArgs) {
    println!(
        "\none busy key: billed completions/s, 64 clients, {} completions each",
        args.completions
    );
    println!(
        "{:<11} {:>12} {:>12} {:>8}",
        "backend", "64 users/s", "one key/s", "ratio"
    );
    for (name, r) in results {
        println!(
            "{name:<11} {:>12.0} {:>12.0} {:>8.2}",
            r.users_rate,
            r.one_key_rate,
            r.one_key_rate / r.users_rate.max(f64::MIN_POSITIVE)
        );
    }
    println!(
        "\na quiet user's time to first event, alone ({QUIET}) and during {} concurrent starts of another key",
        args.flood
    );
    println!(
        "{:<11} {:>10} {:>10} {:>11} {:>11} {:>6} {:>8} {:>8} {:>8}",
        "backend",
        "alone p50",
        "alone p99",
        "flood p50",
        "flood p99",
        "n",
        "ok",
        "refused",
        "flood s"
    );
    for (name, r) in results {
        let q = |l: &Latencies, at: f64| Latencies(l.0.clone()).ms(at);
        println!(
            "{name:<11} {:>8.2}ms {:>8.2}ms {:>9.2}ms {:>9.2}ms {:>6} {:>8} {:>8} {:>8.2}",
            q(&r.quiet, 0.5),
            q(&r.quiet, 0.99),
            q(&r.flooded, 0.5),
            q(&r.flooded, 0.99),
            r.flooded.0.len(),
            r.flood_ok,
            r.flood_refused,
            r.flood_secs
        );
    }
}
