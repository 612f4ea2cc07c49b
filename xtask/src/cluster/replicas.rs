//! Starting the cluster's processes: the fake provider, the SMTP sink, the replicas (all
//! with one set of `PENORA_*` settings, recorded so a killed replica restarts as it was)
//! and, last, nginx in front of them.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde_json::{json, Map, Value};

use super::{nginx, Cluster};
use crate::{e2e, frontend, shell};

/// The cluster's timings: short, so that a crashed replica's holds are settled within
/// seconds (the chaos run waits for that), and slow enough models that streams overlap the
/// faults.
#[derive(Clone)]
pub struct Tuning {
    pub hold_grace_ms: u64,
    pub sweep_interval_ms: u64,
    pub save_interval_ms: u64,
    pub offline_pace_ms: u64,
    pub generations_per_user: u32,
    pub signups_per_ip_per_hour: u32,
}

impl Default for Tuning {
    fn default() -> Self {
        Self {
            hold_grace_ms: 5_000,
            sweep_interval_ms: 1_000,
            save_interval_ms: 250,
            offline_pace_ms: 20,
            generations_per_user: 10,
            signups_per_ip_per_hour: 200,
        }
    }
}

impl Tuning {
    /// The settings these become.
    fn env(&self) -> [(&'static str, String); 6] {
        [
            (
                "PENORA_GENERATION_HOLD_GRACE_MS",
                self.hold_grace_ms.to_string(),
            ),
            (
                "PENORA_SWEEP_INTERVAL_MS",
                self.sweep_interval_ms.to_string(),
            ),
            (
                "PENORA_GENERATION_SAVE_INTERVAL_MS",
                self.save_interval_ms.to_string(),
            ),
            ("PENORA_OFFLINE_PACE_MS", self.offline_pace_ms.to_string()),
            (
                "PENORA_GENERATIONS_PER_USER",
                self.generations_per_user.to_string(),
            ),
            (
                "PENORA_RATE_SIGNUP_PER_IP_PER_HOUR",
                self.signups_per_ip_per_hour.to_string(),
            ),
        ]
    }
}

/// The cluster's catalog: the offline model and one model per fault the fake provider plays
/// (`penora_fake_upstream::scenario`), all at 1x.
fn catalog() -> String {
    let mut text = String::from("default_model = \"offline-demo\"\n");
    let models = [("offline-demo", "offline", "offline")].into_iter().chain(
        ["slow", "stall", "reset", "noend", "e503", "e429"]
            .map(|fault| (fault, "deepinfra", fault)),
    );
    for (id, provider, upstream) in models {
        let (id, upstream) = if provider == "offline" {
            (id.to_owned(), upstream.to_owned())
        } else {
            (format!("fake-{id}"), format!("chaos-{upstream}"))
        };
        text.push_str(&format!(
            "\n[[models]]\nid = \"{id}\"\ndisplay_name = \"{id}\"\nprovider = \"{provider}\"\n\
             upstream = \"{upstream}\"\nmultiplier_per_mille = 1000\ncontext_tokens = 8192\n\
             max_output_words = 4000\n"
        ));
    }
    text
}

pub fn start_all(
    root: &Path,
    cluster: &mut Cluster,
    replicas: usize,
    release: bool,
    tuning: &Tuning,
) -> anyhow::Result<()> {
    let state = cluster.state.clone();
    let bin = shell::target_dir(root).join(if release { "release" } else { "debug" });
    let pg = cluster.postgres()?;
    pg.init_and_start()?;
    cluster.record["database_url"] = json!(pg.url("penora"));
    cluster.save()?;

    let (fake_pid, fake_url) = start_fake(&bin, &state)?;
    cluster.record["fake_pid"] = json!(fake_pid);
    let smtp_port = e2e::free_port()?;
    let smtp_pid = spawn(
        Command::new(std::env::current_exe()?)
            .args(["cluster", "smtp-sink", &smtp_port.to_string()])
            .arg(cluster.mail_dir()),
        &state.join("smtp-sink.log"),
    )?;
    cluster.record["smtp_pid"] = json!(smtp_pid);
    cluster.save()?;
    wait_port(smtp_port)?;

    std::fs::write(state.join("models.toml"), catalog())?;
    let nginx_port = e2e::free_port()?;
    cluster.record["nginx_port"] = json!(nginx_port);
    cluster.record["penora"] = json!(bin.join("penora"));
    cluster.record["env"] = shared_env(root, cluster, &fake_url, smtp_port, tuning)?;
    let mut ports = Vec::new();
    for n in 1..=replicas {
        let (port, ops_port) = (e2e::free_port()?, e2e::free_port()?);
        ports.push(port);
        cluster.record["replicas"]
            .as_array_mut()
            .context("replicas")?
            .push(json!({ "port": port, "ops_port": ops_port, "pid": null }));
        cluster.save()?;
        // The first migrates alone; the others then find nothing to do (each still runs
        // migrations on start, under the migration lock).
        cluster.start_replica(n)?;
    }
    nginx::start(root, &state, nginx_port, &ports)
}

/// The settings every replica shares (each adds its own ports and data directory).
fn shared_env(
    root: &Path,
    cluster: &Cluster,
    fake_url: &str,
    smtp_port: u16,
    tuning: &Tuning,
) -> anyhow::Result<Value> {
    let mut env = Map::new();
    let mut set = |name: &str, value: String| env.insert(name.to_owned(), json!(value));
    set("PENORA_ENV", "production".into());
    // A staging site: production's checks, with the payment gateway's sandbox.
    set("PENORA_ALLOW_SANDBOX_IN_PRODUCTION", "true".into());
    set("DATABASE_URL", cluster.database_url());
    set("JWT_SECRET_KEY", secret()?);
    set("PENORA_ENCRYPTION_KEY", secret()?);
    set("PENORA_MIGRATE_ON_START", "true".into());
    set("PENORA_PUBLIC_URL", cluster.url());
    // nginx reaches the replicas from loopback: its X-Forwarded-For is believed.
    set("PENORA_TRUSTED_PROXIES", "127.0.0.1/32".into());
    set("PENORA_SMTP_URL", format!("smtp://127.0.0.1:{smtp_port}"));
    set("PENORA_LOG_FORMAT", "json".into());
    set(
        "PENORA_MODELS_FILE",
        cluster.state.join("models.toml").display().to_string(),
    );
    set("DEEPINFRA_API_KEY", "fake-key".into());
    set("DEEPINFRA_BASE_URL", format!("{fake_url}/v1"));
    for (name, value) in tuning.env() {
        set(name, value);
    }
    set("PENORA_UPSTREAM_FIRST_BYTE_TIMEOUT_SECS", "5".into());
    set("PENORA_UPSTREAM_IDLE_TIMEOUT_SECS", "2".into());
    set("RUST_LOG", "info".into());
    if frontend::is_built(root) {
        set(
            "PENORA_FRONTEND_DIR",
            frontend::dist_dir(root).display().to_string(),
        );
    }
    Ok(Value::Object(env))
}

/// 32 random bytes, base64.
fn secret() -> anyhow::Result<String> {
    use base64::Engine;
    let bytes: [u8; 32] = ring::rand::generate(&ring::rand::SystemRandom::new())
        .map_err(|_| anyhow::anyhow!("no randomness"))?
        .expose();
    Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// Spawns replica `n` as recorded; its pid.
pub fn spawn_replica(cluster: &Cluster, n: usize) -> anyhow::Result<u32> {
    let replica = &cluster.record["replicas"][n.saturating_sub(1)];
    if replica.is_null() {
        bail!("no replica {n}");
    }
    let mut command = Command::new(cluster.record["penora"].as_str().unwrap_or("penora"));
    command
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    for (name, value) in cluster.record["env"].as_object().into_iter().flatten() {
        command.env(name, value.as_str().unwrap_or_default());
    }
    command
        .env("PENORA_BIND", format!("127.0.0.1:{}", replica["port"]))
        .env(
            "PENORA_OPS_BIND",
            format!("127.0.0.1:{}", replica["ops_port"]),
        )
        .env(
            "PENORA_DATA_DIR",
            cluster.state.join(format!("replica-{n}")),
        );
    spawn(
        &mut command,
        &cluster.state.join(format!("replica-{n}.log")),
    )
}

/// Waits until replica `n` answers `penora healthcheck` (the image's HEALTHCHECK).
pub fn wait_healthy(cluster: &Cluster, n: usize) -> anyhow::Result<()> {
    let replica = &cluster.record["replicas"][n - 1];
    let ops = format!("127.0.0.1:{}", replica["ops_port"]);
    let pid = replica["pid"].as_u64().unwrap_or_default();
    let deadline = Instant::now() + Duration::from_secs(90);
    while Instant::now() < deadline {
        let check = Command::new(cluster.record["penora"].as_str().unwrap_or("penora"))
            .args(["healthcheck", "--address", &ops])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if check.is_ok_and(|s| s.success()) {
            return Ok(());
        }
        if !is_running(pid) {
            bail!(
                "replica {n} exited; see {}",
                cluster.state.join(format!("replica-{n}.log")).display()
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    bail!("replica {n} did not become healthy")
}

/// Starts the fake provider; its pid and base URL (its first line of output).
fn start_fake(bin: &Path, state: &Path) -> anyhow::Result<(u32, String)> {
    let out = state.join("fake-upstream.log");
    let pid = spawn(&mut Command::new(bin.join("penora-fake-upstream")), &out)?;
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let text = std::fs::read_to_string(&out).unwrap_or_default();
        if let Some(url) = text.lines().next().filter(|l| l.starts_with("http://")) {
            return Ok((pid, url.to_owned()));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!("penora-fake-upstream printed no URL into {}", out.display())
}

/// Starts `command` in a process group of its own (it outlives this command, and a Ctrl-C
/// here does not reach it), output appended to `log`; its pid.
fn spawn(command: &mut Command, log: &PathBuf) -> anyhow::Result<u32> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)?;
    let child = command
        .stdin(Stdio::null())
        .stdout(file.try_clone()?)
        .stderr(file)
        .process_group(0)
        .spawn()
        .with_context(|| format!("starting {:?}", command.get_program()))?;
    Ok(child.id())
}

/// `kill <signal> <pid>` (`-0`: is it alive?).
pub fn kill(pid: u64, signal: &str) -> anyhow::Result<()> {
    shell::output(Command::new("kill").args([signal, &pid.to_string()])).map(|_| ())
}

/// Whether `pid` runs (an exited child of ours not yet reaped is a zombie: not running).
fn is_running(pid: u64) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            stat.rsplit(')')
                .next()
                .map(|rest| rest.trim_start().to_owned())
        })
        .is_some_and(|rest| !rest.starts_with('Z') && !rest.starts_with('X'))
}

fn wait_port(port: u16) -> anyhow::Result<()> {
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!("nothing listens on port {port}")
}
