//! `cargo xtask bench <what>`: builds `penora` and the load generators (`penora-bench`) in
//! release, in one cargo run, then runs the benchmark. `export` has its own runner.

use std::path::Path;
use std::process::Command;

use anyhow::bail;

use crate::shell;

#[derive(clap::Args)]
pub struct BenchArgs {
    /// What to measure: `ledger`, `proxy`, `hotkey` or `export`.
    what: String,
    /// Passed on to the benchmark, e.g. `--skip-postgres`, `--requests 40000`
    /// (`cargo xtask bench ledger -- --help` lists them).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    options: Vec<String>,
}

pub fn run(root: &Path, args: BenchArgs) -> anyhow::Result<()> {
    match args.what.as_str() {
        "export" => crate::bench_export::run(root),
        "ledger" | "proxy" | "hotkey" => {
            shell::run(shell::cargo().args([
                "build",
                "--release",
                "-p",
                "penora-server",
                "-p",
                "penora-bench",
                "--bin",
                "penora",
                "--bin",
                "penora-bench",
            ]))?;
            let release = shell::target_dir(root).join("release");
            // Thousands of streams open at once need more open files than the usual 1,024 or
            // 20,000 (the load generator holds both ends of its fake provider's connections
            // too); root may raise the hard limit, others keep theirs.
            shell::run(
                Command::new("sh")
                    .arg("-c")
                    .arg("ulimit -n 65536 2>/dev/null; exec \"$0\" \"$@\"")
                    .arg(release.join("penora-bench"))
                    .arg("--penora")
                    .arg(release.join("penora"))
                    .arg(&args.what)
                    .args(&args.options),
            )
        }
        other => bail!("unknown benchmark {other:?}; available: ledger, proxy, hotkey, export"),
    }
}
