//! `cargo xtask bench proxy`: Penora as a billed proxy in front of an AI provider.
//!
//! A local fake provider (OpenAI format, 16 words per completion) runs in this process; a
//! release build of `penora serve` points at it. Measured per backend (SQLite, PostgreSQL):
//! - latency Penora adds with one client: the fake called directly vs. through
//!   `/v1/chat/completions` (streaming and not), p50 and p99 of each;
//! - billed completions per second with 64 concurrent clients, streaming and not, and that
//!   every completion was billed exactly (balances checked at the end);
//! - time to the first token with an upstream whose first byte takes 50 ms, direct vs
//!   through Penora ([`crate::first_token`]);
//! - Penora's memory with 5,000 streams open at once (RSS growth per stream; `--streams
//!   10000` for more, the open-files limit raised by `cargo xtask bench`).

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use penora_fake_upstream::{FakeUpstream, Recorded, Reply, Step, Wire};

use serde_json::{json, Value};

use crate::harness::{get_json, penora, run, serve, signup, wait_ready, Backends};
use crate::held_streams::{open_streams, rss_kb};

const CLIENTS: usize = 64;
pub(crate) const USERS: usize = 64;
const WORDS: usize = 16;
const START_MC: i64 = 100_000_000_000;
const SINGLE_CLIENT_REQUESTS: usize = 400;

#[derive(clap::Args)]
pub struct ProxyArgs {
    /// Completions per throughput run (each of streaming and non-streaming).
    #[arg(long, default_value_t = 6_000)]
    completions: usize,
    /// Streams held open at once for the memory measurement.
    #[arg(long, default_value_t = 5_000)]
    streams: usize,
    #[command(flatten)]
    backends: Backends,
}

/// The text of every fast completion, one delta a word.
fn completion() -> Vec<String> {
    (0..WORDS).map(|i| format!("word{i} ")).collect()
}

/// What one fast completion costs at 1x: its billable words (102 code points make 17,
/// more than its 16 words), 10 mc each.
fn cost_mc() -> i64 {
    let words = penora_domain::billable_words_of(&completion().concat());
    penora_domain::cost_mc(words, penora_domain::Multiplier::ONE).get()
}

/// The fake provider: `fast` streams 16 words at once; `slow` the same after 50 ms (its
/// first byte); `hold` sends one word and then keeps the stream open for a minute (for the
/// open-streams measurement).
pub(crate) fn reply(request: &Recorded) -> Reply {
    let words = completion();
    if request.body["model"] == "slow" {
        let fast = Reply::events(Wire::OpenAi.stream(&words));
        return Reply::Delayed(crate::first_token::FIRST_BYTE, Box::new(fast));
    }
    if request.body["model"] == "hold" {
        let mut steps: Vec<Step> = Wire::OpenAi.opening().into_iter().map(Step::Send).collect();
        steps.push(Step::Send(Wire::OpenAi.delta("first ")));
        steps.push(Step::Pause(Duration::from_secs(60)));
        steps.extend(Wire::OpenAi.closing(10, 2).into_iter().map(Step::Send));
        return Reply::Stream(steps);
    }
    Reply::events(Wire::OpenAi.stream(&words))
}

const CATALOG: &str = r#"default_model = "offline-demo"

[[models]]
id = "offline-demo"
display_name = "Offline demo model"
provider = "offline"
upstream = "offline"
multiplier_per_mille = 1000
context_tokens = 8192
max_output_words = 4000

[[models]]
id = "bench-fast"
display_name = "Bench fast"
provider = "deepinfra"
upstream = "fast"
multiplier_per_mille = 1000
context_tokens = 8192
max_output_words = 100

[[models]]
id = "bench-slow"
display_name = "Bench slow first byte"
provider = "deepinfra"
upstream = "slow"
multiplier_per_mille = 1000
context_tokens = 8192
max_output_words = 100

[[models]]
id = "bench-hold"
display_name = "Bench hold"
provider = "deepinfra"
upstream = "hold"
multiplier_per_mille = 1000
context_tokens = 8192
max_output_words = 100
"#;

pub async fn bench(binary: &Path, args: &ProxyArgs) -> anyhow::Result<()> {
    let fake = FakeUpstream::quiet(|_, request| reply(request)).await;
    let mut results = Vec::new();
    for target in args.backends.targets("proxy")? {
        let outcome = bench_backend(binary, &target.url, &target.dir, &fake, args).await?;
        results.push((target.name, outcome));
    }
    report(&results, args);
    Ok(())
}

#[derive(Debug, Default)]
pub(crate) struct Latencies(pub(crate) Vec<Duration>);

impl Latencies {
    pub(crate) fn ms(&mut self, q: f64) -> f64 {
        self.0.sort();
        let index = ((self.0.len() as f64 * q) as usize).min(self.0.len().saturating_sub(1));
        self.0.get(index).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    }
}

#[derive(Debug, Default)]
struct Outcome {
    direct: Latencies,
    via_json: Latencies,
    via_stream: Latencies,
    json_rate: f64,
    json_load: Latencies,
    stream_rate: f64,
    stream_load: Latencies,
    unbilled: i64,
    rss_base_kb: u64,
    rss_open_kb: u64,
    streams_open: usize,
    first_token: crate::first_token::FirstToken,
}

fn report(results: &[(&str, Outcome)], args: &ProxyArgs) {
    println!("\nPenora in front of a local fake provider ({WORDS} words per completion)");
    println!(
        "\nadded latency, 1 client, {SINGLE_CLIENT_REQUESTS} requests each (time to the last byte)"
    );
    println!(
        "{:<11} {:>11} {:>11} {:>13} {:>13} {:>13} {:>13}",
        "backend",
        "direct p50",
        "direct p99",
        "+json p50",
        "+json p99",
        "+stream p50",
        "+stream p99"
    );
    for (name, r) in results {
        let direct_50 = Latencies(r.direct.0.clone()).ms(0.5);
        let direct_99 = Latencies(r.direct.0.clone()).ms(0.99);
        println!(
            "{name:<11} {direct_50:>10.2}ms {direct_99:>10.2}ms {:>12.2}ms {:>12.2}ms {:>12.2}ms {:>12.2}ms",
            Latencies(r.via_json.0.clone()).ms(0.5) - direct_50,
            Latencies(r.via_json.0.clone()).ms(0.99) - direct_99,
            Latencies(r.via_stream.0.clone()).ms(0.5) - direct_50,
            Latencies(r.via_stream.0.clone()).ms(0.99) - direct_99,
        );
    }
    println!(
        "\nbilled completions, {CLIENTS} clients, {} completions each way",
        args.completions
    );
    println!(
        "{:<11} {:>12} {:>9} {:>9} {:>12} {:>9} {:>9} {:>9}",
        "backend", "json/s", "p50 ms", "p99 ms", "stream/s", "p50 ms", "p99 ms", "unbilled"
    );
    for (name, r) in results {
        println!(
            "{name:<11} {:>12.0} {:>9.2} {:>9.2} {:>12.0} {:>9.2} {:>9.2} {:>9}",
            r.json_rate,
            Latencies(r.json_load.0.clone()).ms(0.5),
            Latencies(r.json_load.0.clone()).ms(0.99),
            r.stream_rate,
            Latencies(r.stream_load.0.clone()).ms(0.5),
            Latencies(r.stream_load.0.clone()).ms(0.99),
            r.unbilled
        );
    }
    crate::first_token::report(results.iter().map(|(name, r)| (*name, &r.first_token)));
    println!("\nmemory with streams open at once (penora's RSS)");
    println!(
        "{:<11} {:>8} {:>12} {:>12} {:>14}",
        "backend", "streams", "before MB", "open MB", "per stream kB"
    );
    for (name, r) in results {
        let per =
            (r.rss_open_kb.saturating_sub(r.rss_base_kb)) as f64 / r.streams_open.max(1) as f64;
        println!(
            "{name:<11} {:>8} {:>12.1} {:>12.1} {:>14.1}",
            r.streams_open,
            r.rss_base_kb as f64 / 1024.0,
            r.rss_open_kb as f64 / 1024.0,
            per
        );
    }
}

async fn bench_backend(
    binary: &Path,
    database_url: &str,
    dir: &Path,
    fake: &FakeUpstream,
    args: &ProxyArgs,
) -> anyhow::Result<Outcome> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.streams)
        .build()?;
    let (server, base) = start(binary, database_url, dir, fake, &client).await?;
    let pid = server.0.id();
    let keys = personal_keys(&client, &base).await?;
    let mut outcome = Outcome {
        first_token: crate::first_token::measure(&client, fake, &base, &keys[0]).await?,
        ..Outcome::default()
    };

    // One client: the fake directly, then through Penora.
    let direct_url = format!("{}/v1/chat/completions", fake.base_url);
    let via_url = format!("{base}/v1/chat/completions");
    // Every key once before measuring: a key's first use in a minute also records it (a
    // write), a one-off that is not the latency of a request.
    let warm = USERS;
    for i in 0..SINGLE_CLIENT_REQUESTS + warm {
        let t = Instant::now();
        complete(&client, &direct_url, "bench-key", "fast", true).await?;
        if i >= warm {
            outcome.direct.0.push(t.elapsed());
        }
    }
    for (stream, into) in [
        (false, &mut outcome.via_json),
        (true, &mut outcome.via_stream),
    ] {
        for i in 0..SINGLE_CLIENT_REQUESTS + warm {
            let t = Instant::now();
            complete(&client, &via_url, &keys[i % USERS], "bench-fast", stream).await?;
            if i >= warm {
                into.0.push(t.elapsed());
            }
        }
    }
    let single = 2 * (SINGLE_CLIENT_REQUESTS + warm);

    // 64 clients.
    (outcome.json_rate, outcome.json_load) =
        load(&client, &via_url, &keys, args.completions, false).await?;
    (outcome.stream_rate, outcome.stream_load) =
        load(&client, &via_url, &keys, args.completions, true).await?;

    // Every completion billed exactly once: balances add up.
    let total = single + 2 * args.completions + outcome.first_token.billed();
    let mut spent = 0;
    for key in &keys {
        let balance = get_json(&client, &format!("{base}/api/v1/credits/balance"), key).await?;
        spent += START_MC - balance["balance_mc"].as_i64().context("balance")?;
    }
    outcome.unbilled = total as i64 * cost_mc() - spent;

    // Open streams.
    tokio::time::sleep(Duration::from_secs(1)).await;
    outcome.rss_base_kb = rss_kb(pid)?;
    let (opened, release) = open_streams(&client, &via_url, &keys, args.streams).await?;
    outcome.streams_open = opened;
    outcome.rss_open_kb = rss_kb(pid)?;
    let _ = release.send(true);
    drop(server);
    Ok(outcome)
}

/// Starts a release `penora serve` on `database_url` in front of `fake`, migrated first:
/// the server (stopped when dropped) and its base URL.
pub(crate) async fn start(
    binary: &Path,
    database_url: &str,
    dir: &Path,
    fake: &FakeUpstream,
    client: &reqwest::Client,
) -> anyhow::Result<(crate::harness::Server, String)> {
    std::fs::create_dir_all(dir)?;
    let catalog = dir.join("models.toml");
    std::fs::write(&catalog, CATALOG)?;
    let configure = |cmd: &mut std::process::Command| {
        cmd.env("PENORA_MODELS_FILE", &catalog)
            .env("DEEPINFRA_API_KEY", "bench-key")
            .env("DEEPINFRA_BASE_URL", format!("{}/v1", fake.base_url))
            .env("PENORA_WELCOME_BONUS_MC", START_MC.to_string())
            .env("PENORA_GENERATIONS_PER_USER", "100000")
            // Short completions end well within it; the 5,000 held streams would otherwise
            // write 5,000 progress saves a second.
            .env("PENORA_GENERATION_SAVE_INTERVAL_MS", "30000")
            .env(
                "PENORA_ENCRYPTION_KEY",
                "bench-encryption-key-bench-encryption-key-0123",
            );
    };
    let mut migrate = penora(binary, database_url, dir);
    configure(&mut migrate);
    run(migrate.arg("migrate"))?;
    let mut command = penora(binary, database_url, dir);
    configure(&mut command);
    let (server, base) = serve(command)?;
    wait_ready(client, &base).await?;
    Ok((server, base))
}

pub(crate) async fn personal_keys(
    client: &reqwest::Client,
    base: &str,
) -> anyhow::Result<Vec<String>> {
    let mut keys = Vec::new();
    for i in 0..USERS {
        let signed = signup(client, base, &format!("proxy-{i}@example.com")).await?;
        let token = signed["access_token"].as_str().context("signup failed")?;
        let key: Value = client
            .post(format!("{base}/api/v1/api-keys"))
            .bearer_auth(token)
            .json(&json!({ "name": "bench", "scopes": ["generate", "read"] }))
            .send()
            .await?
            .json()
            .await?;
        keys.push(key["secret"].as_str().context("no key")?.to_owned());
    }
    Ok(keys)
}

/// One completion, read to its last byte.
pub(crate) async fn complete(
    client: &reqwest::Client,
    url: &str,
    key: &str,
    model: &str,
    stream: bool,
) -> anyhow::Result<()> {
    let body = json!({
        "model": model,
        "messages": [{ "role": "user", "content": "Say sixteen words." }],
        "stream": stream,
    });
    let response = client.post(url).bearer_auth(key).json(&body).send().await?;
    let status = response.status();
    let text = response.text().await?;
    if !status.is_success() || !text.contains("word15") {
        bail!("completion failed ({status}): {text}");
    }
    Ok(())
}

pub(crate) async fn load(
    client: &reqwest::Client,
    url: &str,
    keys: &[String],
    total: usize,
    stream: bool,
) -> anyhow::Result<(f64, Latencies)> {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (client, url, key, next) = (
                client.clone(),
                url.to_owned(),
                keys[c % keys.len()].clone(),
                next.clone(),
            );
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while next.fetch_add(1, Ordering::SeqCst) < total {
                    let t = Instant::now();
                    complete(&client, &url, &key, "bench-fast", stream).await?;
                    latencies.push(t.elapsed());
                }
                anyhow::Ok(latencies)
            })
        })
        .collect();
    let mut all = Latencies::default();
    for task in futures_util::future::join_all(tasks).await {
        all.0.extend(task??);
    }
    Ok((total as f64 / started.elapsed().as_secs_f64(), all))
}
