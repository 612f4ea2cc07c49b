//! Time to the first token through Penora, against an upstream whose first byte takes
//! [`FIRST_BYTE`]: what Penora adds before the model's first word reaches the client (the
//! key's check, the limit a minute, the generation's opening; see `docs/decisions.md`).

use std::time::{Duration, Instant};

use anyhow::bail;
use penora_fake_upstream::FakeUpstream;
use serde_json::json;

use crate::proxy::Latencies;

/// How long the fake upstream takes to its first byte.
pub(crate) const FIRST_BYTE: Duration = Duration::from_millis(50);

/// Streams measured each way, direct and through Penora in turn.
const REQUESTS: usize = 200;

#[derive(Debug, Default)]
pub(crate) struct FirstToken {
    direct: Latencies,
    via: Latencies,
}

impl FirstToken {
    /// Completions billed through Penora (the unmeasured first one included).
    pub(crate) fn billed(&self) -> usize {
        self.via.0.len() + 1
    }
}

/// Measures with one client and one key, direct and through Penora in turn.
pub(crate) async fn measure(
    client: &reqwest::Client,
    fake: &FakeUpstream,
    base: &str,
    key: &str,
) -> anyhow::Result<FirstToken> {
    let direct_url = format!("{}/v1/chat/completions", fake.base_url);
    let via_url = format!("{base}/v1/chat/completions");
    // Not measured: the key's first use records it, and tells Penora what the user has.
    first_token(client, &via_url, key, "bench-slow").await?;
    let mut measured = FirstToken::default();
    for _ in 0..REQUESTS {
        let direct = first_token(client, &direct_url, "bench-key", "slow").await?;
        measured.direct.0.push(direct);
        let via = first_token(client, &via_url, key, "bench-slow").await?;
        measured.via.0.push(via);
    }
    Ok(measured)
}

/// A streamed completion: the time to its first word (read to its end).
async fn first_token(
    client: &reqwest::Client,
    url: &str,
    key: &str,
    model: &str,
) -> anyhow::Result<Duration> {
    let body = json!({
        "model": model,
        "messages": [{ "role": "user", "content": "Say sixteen words." }],
        "stream": true,
    });
    let started = Instant::now();
    let mut response = client.post(url).bearer_auth(key).json(&body).send().await?;
    let status = response.status();
    let mut seen = String::new();
    let mut first = None;
    while let Some(chunk) = response.chunk().await? {
        seen.push_str(&String::from_utf8_lossy(&chunk));
        if first.is_none() && seen.contains("word0") {
            first = Some(started.elapsed());
        }
    }
    match first {
        Some(first) if status.is_success() && seen.contains("word15") => Ok(first),
        _ => bail!("stream failed ({status}): {seen}"),
    }
}

pub(crate) fn report<'a>(results: impl Iterator<Item = (&'a str, &'a FirstToken)>) {
    println!(
        "\ntime to first token, upstream first byte {} ms, 1 client, {REQUESTS} streams each way",
        FIRST_BYTE.as_millis()
    );
    println!(
        "{:<11} {:>11} {:>11} {:>11} {:>11} {:>11} {:>11}",
        "backend", "direct p50", "direct p99", "via p50", "via p99", "added p50", "added p99"
    );
    for (name, r) in results {
        let (direct_50, direct_99) = (quantile(&r.direct, 0.5), quantile(&r.direct, 0.99));
        let (via_50, via_99) = (quantile(&r.via, 0.5), quantile(&r.via, 0.99));
        println!(
            "{name:<11} {direct_50:>9.2}ms {direct_99:>9.2}ms {via_50:>9.2}ms {via_99:>9.2}ms {:>9.2}ms {:>9.2}ms",
            via_50 - direct_50,
            via_99 - direct_99,
        );
    }
}

fn quantile(latencies: &Latencies, q: f64) -> f64 {
    Latencies(latencies.0.clone()).ms(q)
}
