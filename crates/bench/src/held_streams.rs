//! The proxy bench's memory measurement: many streams held open at once, and the server's
//! resident memory before and while they are.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::json;
use tokio::sync::watch;

/// Opens `count` streams that stay open (the fake holds them), waiting until each has its
/// first word; returns how many opened and a switch that lets them go.
pub(crate) async fn open_streams(
    client: &reqwest::Client,
    url: &str,
    keys: &[String],
    count: usize,
) -> anyhow::Result<(usize, watch::Sender<bool>)> {
    let (release, released) = watch::channel(false);
    let opened = Arc::new(AtomicUsize::new(0));
    for batch in 0..count.div_ceil(250) {
        for i in batch * 250..((batch + 1) * 250).min(count) {
            let (client, url, key) = (client.clone(), url.to_owned(), keys[i % keys.len()].clone());
            let (opened, mut released) = (opened.clone(), released.clone());
            tokio::spawn(async move {
                let body = json!({
                    "model": "bench-hold",
                    "messages": [{ "role": "user", "content": "Hold on." }],
                    "stream": true,
                });
                let Ok(mut response) = client.post(&url).bearer_auth(&key).json(&body).send().await
                else {
                    return;
                };
                let mut seen = String::new();
                while let Ok(Some(chunk)) = response.chunk().await {
                    seen.push_str(&String::from_utf8_lossy(&chunk));
                    if seen.contains("first") {
                        opened.fetch_add(1, Ordering::SeqCst);
                        break;
                    }
                }
                let _ = released.wait_for(|go| *go).await;
                drop(response);
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    while opened.load(Ordering::SeqCst) < count && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Let the server settle into its steady state before measuring.
    tokio::time::sleep(Duration::from_secs(1)).await;
    Ok((opened.load(Ordering::SeqCst), release))
}

pub(crate) fn rss_kb(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmRSS")
}
