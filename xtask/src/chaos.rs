//! `cargo xtask chaos`: starts a cluster of its own (three replicas), runs `penora-bench
//! chaos` against it (streams with faults, a replica killed and restarted, PostgreSQL
//! restarted, then the checks and their table), and stops the cluster. The short form (40
//! streams, debug binaries) is a step of `cargo xtask test`; `--long` runs 200 streams on
//! release binaries.

use std::path::Path;
use std::process::Command;

use crate::cluster::{self, Tuning};
use crate::shell;

#[derive(clap::Args, Default)]
pub struct ChaosArgs {
    /// 200 streams on release binaries (a release build takes ~10 minutes here).
    #[arg(long)]
    long: bool,
}

/// Generations a chaos user runs at once at most (the cluster's cap is twice that).
const PER_USER: usize = 10;

pub fn run(root: &Path, args: &ChaosArgs) -> anyhow::Result<()> {
    let (streams, release): (usize, bool) = if args.long { (200, true) } else { (40, false) };
    cluster::build(release, &["-p", "penora-bench", "--bin", "penora-bench"])?;
    let bin = shell::target_dir(root).join(if release { "release" } else { "debug" });
    let state = shell::target_dir(root).join("chaos-cluster");
    cluster::down(&state)?;
    // The users the run signs up, and five more the sign-up limit check may add.
    let users = streams.div_ceil(PER_USER / 2);
    let tuning = Tuning {
        generations_per_user: u32::try_from(PER_USER)?,
        signups_per_ip_per_hour: u32::try_from(users + 5)?,
        ..Tuning::default()
    };
    let cluster = cluster::up(root, &state, 3, release, &tuning)?;
    eprintln!("xtask> chaos: {streams} streams through {}", cluster.url());
    let result = shell::run(
        Command::new(bin.join("penora-bench"))
            .arg("--penora")
            .arg(bin.join("penora"))
            .arg("chaos")
            .args(["--url", &cluster.url()])
            .args(["--database-url", &cluster.database_url()])
            .arg("--xtask")
            .arg(std::env::current_exe()?)
            .arg("--state")
            .arg(&state)
            .args(["--streams", &streams.to_string()])
            .args(["--per-user", &PER_USER.to_string()])
            .args(["--save-interval-ms", &tuning.save_interval_ms.to_string()])
            .args(["--pace-ms", &tuning.offline_pace_ms.to_string()])
            .args(["--grace-ms", &tuning.hold_grace_ms.to_string()])
            .args(["--sweep-ms", &tuning.sweep_interval_ms.to_string()])
            .args([
                "--signup-limit",
                &tuning.signups_per_ip_per_hour.to_string(),
            ]),
    );
    if result.is_err() {
        keep_logs(root, &state);
    }
    cluster::down(&state)?;
    result
}

/// Copies the cluster's logs to `<target>/chaos-logs` before `down` removes them.
fn keep_logs(root: &Path, state: &Path) {
    let to = shell::target_dir(root).join("chaos-logs");
    let _ = std::fs::remove_dir_all(&to);
    let _ = std::fs::create_dir_all(&to);
    for entry in std::fs::read_dir(state).into_iter().flatten().flatten() {
        if entry.path().extension().is_some_and(|x| x == "log") {
            let _ = std::fs::copy(entry.path(), to.join(entry.file_name()));
        }
    }
    eprintln!("xtask> the cluster's logs are in {}", to.display());
}
