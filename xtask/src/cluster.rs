//! `cargo xtask cluster up|down`: Penora's production shape on loopback. A PostgreSQL of its
//! own, two or three `penora serve` replicas (each migrating on start), Debian's nginx in
//! front (from `deploy/nginx.conf.template`), the fake provider as the AI upstream and an
//! SMTP sink for mail. `up` leaves it all running and records it in a state directory;
//! `down` stops it. The chaos run (`cargo xtask chaos`) uses the same pieces, in a state
//! directory of its own, plus `kill` / `start` of a replica and `restart-postgres`.

mod nginx;
mod postgres;
mod replicas;
pub mod smtp_sink;

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde_json::{json, Value};

pub use replicas::Tuning;

use crate::{e2e, shell};

#[derive(clap::Args)]
pub struct ClusterArgs {
    #[command(subcommand)]
    action: Action,
    /// Where the cluster keeps its pids, logs and mail (default: <target>/cluster).
    #[arg(long, global = true)]
    state: Option<PathBuf>,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Build and start everything; prints the URL.
    Up {
        /// How many penora replicas (2 or 3).
        #[arg(long, default_value_t = 3)]
        replicas: usize,
        /// Run release binaries instead of debug ones.
        #[arg(long)]
        release: bool,
    },
    /// Stop everything and remove the state.
    Down,
    /// `kill -9` replica N (from 1).
    Kill { replica: usize },
    /// Start replica N again (after a kill).
    Start { replica: usize },
    /// Restart the cluster's PostgreSQL (fast shutdown: open connections are ended).
    RestartPostgres,
    /// Serve SMTP into a directory (the cluster starts this itself).
    #[command(hide = true)]
    SmtpSink { port: u16, dir: PathBuf },
}

pub fn run(root: &Path, args: ClusterArgs) -> anyhow::Result<()> {
    let state = args
        .state
        .unwrap_or_else(|| shell::target_dir(root).join("cluster"));
    match args.action {
        Action::Up { replicas, release } => {
            build(release, &[])?;
            let cluster = up(root, &state, replicas, release, &Tuning::default())?;
            println!("Penora is running behind nginx at {}", cluster.url());
            println!("  replicas:  {}", cluster.replica_urls().join("  "));
            println!("  database:  {}", cluster.database_url());
            println!(
                "  mail:      {} (one file per mail)",
                cluster.mail_dir().display()
            );
            println!("  logs:      {}", state.display());
            println!("Stop it with `cargo xtask cluster down`.");
            Ok(())
        }
        Action::Down => down(&state),
        Action::Kill { replica } => Cluster::load(&state)?.kill(replica),
        Action::Start { replica } => Cluster::load(&state)?.start_replica(replica),
        Action::RestartPostgres => Cluster::load(&state)?.postgres()?.restart(),
        Action::SmtpSink { port, dir } => smtp_sink::serve(port, &dir),
    }
}

/// Builds the server and the fake provider (debug or release) and `extra` (`-p crate
/// --bin name` pairs), in one cargo run: a build of the server alone would resolve features
/// differently and compile it all again.
pub fn build(release: bool, extra: &[&str]) -> anyhow::Result<()> {
    let mut command = shell::cargo();
    command.arg("build");
    if release {
        command.arg("--release");
    }
    let binaries = [
        "-p",
        "penora-server",
        "--bin",
        "penora",
        "-p",
        "penora-fake-upstream",
        "--bin",
        "penora-fake-upstream",
    ];
    shell::run(command.args(binaries).args(extra))
}

/// A running cluster, as recorded in `<state>/state.json`.
pub struct Cluster {
    pub state: PathBuf,
    record: Value,
}

/// Starts every part; on failure, stops what was started.
pub fn up(
    root: &Path,
    state: &Path,
    replicas: usize,
    release: bool,
    tuning: &Tuning,
) -> anyhow::Result<Cluster> {
    if !(1..=3).contains(&replicas) {
        bail!("--replicas is {replicas}; the cluster runs 1 to 3");
    }
    if state.join("state.json").exists() {
        bail!(
            "a cluster is already up in {} (`cargo xtask cluster down` first)",
            state.display()
        );
    }
    nginx::ensure_installed()?;
    let _ = std::fs::remove_dir_all(state);
    std::fs::create_dir_all(state)?;
    let pg_port = e2e::free_port()?;
    let mut cluster = Cluster {
        state: state.to_owned(),
        record: json!({
            "postgres": { "dir": std::env::temp_dir().join(format!("penora-cluster-pg-{pg_port}")), "port": pg_port },
            "replicas": [],
        }),
    };
    cluster.save()?;
    let started = replicas::start_all(root, &mut cluster, replicas, release, tuning);
    if let Err(err) = started {
        print_log_tails(state);
        let _ = down(state);
        return Err(err);
    }
    Ok(cluster)
}

/// The last lines of every log in `state`, to see why a start failed before `down`
/// removes them.
fn print_log_tails(state: &Path) {
    for entry in std::fs::read_dir(state).into_iter().flatten().flatten() {
        if entry.path().extension().is_some_and(|x| x == "log") {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            eprintln!("xtask> {}:", entry.path().display());
            for line in &lines[lines.len().saturating_sub(12)..] {
                eprintln!("    {line}");
            }
        }
    }
}

/// Stops everything recorded in `state` (whatever of it is running) and removes it.
pub fn down(state: &Path) -> anyhow::Result<()> {
    let Ok(cluster) = Cluster::load(state) else {
        eprintln!("xtask> no cluster in {}", state.display());
        return Ok(());
    };
    let _ = nginx::stop(state);
    for n in 1..=cluster.replica_count() {
        let _ = cluster.kill(n);
    }
    for name in ["fake_pid", "smtp_pid"] {
        if let Some(pid) = cluster.record[name].as_u64() {
            let _ = replicas::kill(pid, "-TERM");
        }
    }
    let pg = cluster.postgres()?;
    if postgres::exists(&pg.dir) {
        let _ = pg.stop();
    }
    let _ = std::fs::remove_dir_all(&pg.dir);
    std::fs::remove_dir_all(state)?;
    eprintln!("xtask> cluster stopped");
    Ok(())
}

impl Cluster {
    pub fn load(state: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(state.join("state.json"))
            .with_context(|| format!("no cluster is up in {}", state.display()))?;
        Ok(Self {
            state: state.to_owned(),
            record: serde_json::from_str(&text)?,
        })
    }

    fn save(&self) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(&self.record)?;
        Ok(std::fs::write(self.state.join("state.json"), text)?)
    }

    pub fn postgres(&self) -> anyhow::Result<postgres::Postgres> {
        let pg = &self.record["postgres"];
        let port = pg["port"].as_u64().and_then(|p| u16::try_from(p).ok());
        postgres::Postgres::new(
            PathBuf::from(pg["dir"].as_str().unwrap_or_default()),
            port.context("state.json names no PostgreSQL port")?,
        )
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.record["nginx_port"])
    }

    pub fn database_url(&self) -> String {
        self.record["database_url"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub fn mail_dir(&self) -> PathBuf {
        self.state.join("mail")
    }

    pub fn replica_count(&self) -> usize {
        self.record["replicas"].as_array().map_or(0, Vec::len)
    }

    pub fn replica_urls(&self) -> Vec<String> {
        (1..=self.replica_count())
            .map(|n| {
                format!(
                    "http://127.0.0.1:{}",
                    self.record["replicas"][n - 1]["port"]
                )
            })
            .collect()
    }

    /// `kill -9` of replica `n` (from 1): no shutdown, no flush, as a crash.
    pub fn kill(&self, n: usize) -> anyhow::Result<()> {
        let pid = self.record["replicas"][n.saturating_sub(1)]["pid"]
            .as_u64()
            .with_context(|| format!("no replica {n}"))?;
        replicas::kill(pid, "-KILL")
    }

    /// Starts replica `n` again with the settings it had, and waits until it is healthy.
    pub fn start_replica(&mut self, n: usize) -> anyhow::Result<()> {
        let pid = replicas::spawn_replica(self, n)?;
        self.record["replicas"][n - 1]["pid"] = json!(pid);
        self.save()?;
        replicas::wait_healthy(self, n)
    }
}
