//! `cargo xtask lighthouse`: Lighthouse (npm `lighthouse@12.2.3`, Debian's Chromium, its
//! default mobile settings and simulated slow 4G) on the home page of a freshly started
//! server, three runs, and their median performance and accessibility scores. A report,
//! not a gate: the targets are performance ≥ 90 and accessibility ≥ 95.

use std::path::Path;
use std::process::Command;

use anyhow::Context;
use serde_json::Value;

use crate::e2e::{self, Server, CHROMIUM};
use crate::{frontend, shell};

const RUNS: usize = 3;

/// What one run measured.
struct Run {
    performance: f64,
    accessibility: f64,
    lcp_ms: f64,
    fcp_ms: f64,
    tbt_ms: f64,
    bytes: f64,
}

pub fn run(root: &Path) -> anyhow::Result<()> {
    e2e::ensure_chromium()?;
    let tool = root.join("xtask/lighthouse");
    if !tool.join("node_modules/lighthouse").exists() {
        shell::run(
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&tool),
        )?;
    }
    if !frontend::is_built(root) {
        frontend::build(root)?;
    }
    e2e::build_binaries()?;
    let port = e2e::free_port()?;
    let data_dir = std::env::temp_dir().join(format!("penora-lh-{}-{port}", std::process::id()));
    let server = Server::start(root, port, &data_dir, None)?;
    let out = shell::target_dir(root).join("lighthouse");
    std::fs::create_dir_all(&out)?;
    let mut runs = Vec::new();
    for n in 1..=RUNS {
        let report = out.join(format!("home-{n}.json"));
        shell::run(
            Command::new("node")
                .arg(tool.join("node_modules/lighthouse/cli/index.js"))
                .arg(format!("http://127.0.0.1:{port}/"))
                .args([
                    "--quiet",
                    "--output=json",
                    "--only-categories=performance,accessibility",
                    "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-quic \
                     --no-first-run --disable-background-networking \
                     --disable-component-update --disable-sync",
                ])
                .arg(format!("--output-path={}", report.display()))
                .env("CHROME_PATH", CHROMIUM),
        )?;
        runs.push(read(&report)?);
    }
    drop(server);
    let _ = std::fs::remove_dir_all(&data_dir);
    print(&runs, &out);
    Ok(())
}

fn read(report: &Path) -> anyhow::Result<Run> {
    let text = std::fs::read_to_string(report)?;
    let json: Value = serde_json::from_str(&text).context("reading a Lighthouse report")?;
    let score = |category: &str| {
        json["categories"][category]["score"]
            .as_f64()
            .unwrap_or(0.0)
            * 100.0
    };
    let audit = |id: &str| {
        json["audits"][id]["numericValue"]
            .as_f64()
            .unwrap_or(f64::NAN)
    };
    Ok(Run {
        performance: score("performance"),
        accessibility: score("accessibility"),
        lcp_ms: audit("largest-contentful-paint"),
        fcp_ms: audit("first-contentful-paint"),
        tbt_ms: audit("total-blocking-time"),
        bytes: audit("total-byte-weight"),
    })
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn print(runs: &[Run], out: &Path) {
    let column = |f: fn(&Run) -> f64| median(runs.iter().map(f).collect());
    println!("\nLighthouse, home page, mobile (simulated slow 4G), median of {RUNS} runs:");
    println!(
        "  performance     {:>6.0}   (target 90)",
        column(|r| r.performance)
    );
    println!(
        "  accessibility   {:>6.0}   (target 95)",
        column(|r| r.accessibility)
    );
    println!("  largest paint   {:>6.2} s", column(|r| r.lcp_ms) / 1000.0);
    println!("  first paint     {:>6.2} s", column(|r| r.fcp_ms) / 1000.0);
    println!("  blocking time   {:>6.0} ms", column(|r| r.tbt_ms));
    println!("  transferred     {:>6.1} kB", column(|r| r.bytes) / 1000.0);
    println!("  reports: {}", out.display());
}
