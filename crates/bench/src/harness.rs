//! What every benchmark needs: scratch directories and databases, a `penora` process, and
//! commands that fail clearly.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context};
use serde_json::{json, Value};

pub fn run(cmd: &mut Command) -> anyhow::Result<()> {
    let status = cmd
        .status()
        .with_context(|| format!("could not start {cmd:?}"))?;
    if !status.success() {
        bail!("`{cmd:?}` failed ({status})");
    }
    Ok(())
}

pub fn output(cmd: &mut Command) -> anyhow::Result<Vec<u8>> {
    let out = cmd
        .output()
        .with_context(|| format!("could not start {cmd:?}"))?;
    if !out.status.success() {
        bail!("`{cmd:?}` failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(out.stdout)
}

/// Which backends a benchmark runs on (both unless told otherwise).
#[derive(clap::Args)]
pub struct Backends {
    /// Skip the SQLite run.
    #[arg(long)]
    skip_sqlite: bool,
    /// Skip the PostgreSQL run.
    #[arg(long)]
    skip_postgres: bool,
}

/// One backend to run against: a fresh database and data directory.
pub struct Target {
    pub name: &'static str,
    pub url: String,
    pub dir: PathBuf,
    /// Dropped (with the PostgreSQL database) when the run is over.
    _db: Option<ScratchDb>,
}

impl Backends {
    /// A fresh SQLite file and/or PostgreSQL database, named after `label`.
    pub fn targets(&self, label: &str) -> anyhow::Result<Vec<Target>> {
        let mut targets = Vec::new();
        if !self.skip_sqlite {
            let dir = scratch(&format!("{label}-sqlite"));
            let url = format!("sqlite://{}?mode=rwc", dir.join("bench.db").display());
            targets.push(Target {
                name: "SQLite",
                url,
                dir,
                _db: None,
            });
        }
        if !self.skip_postgres {
            let db = ScratchDb::create(label)?;
            targets.push(Target {
                name: "PostgreSQL",
                url: db.url.clone(),
                dir: scratch(&format!("{label}-postgres")),
                _db: Some(db),
            });
        }
        Ok(targets)
    }
}

/// A GET answered with JSON, as `bearer`.
pub async fn get_json(client: &reqwest::Client, url: &str, bearer: &str) -> anyhow::Result<Value> {
    Ok(client
        .get(url)
        .bearer_auth(bearer)
        .send()
        .await?
        .json()
        .await?)
}

fn scratch(label: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("penora-bench-{label}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn psql(url: &str, sql: &str) -> anyhow::Result<()> {
    output(
        Command::new("psql")
            .arg(url)
            .args(["-v", "ON_ERROR_STOP=1", "-qc", sql]),
    )
    .map(|_| ())
}

fn replace_db(url: &str, name: &str) -> anyhow::Result<String> {
    let mut parsed = url::Url::parse(url)?;
    parsed.set_path(&format!("/{name}"));
    Ok(parsed.to_string())
}

/// A PostgreSQL database made for one benchmark run and dropped afterwards (also when the
/// run fails).
pub struct ScratchDb {
    admin: String,
    name: String,
    pub url: String,
}

impl ScratchDb {
    pub fn create(label: &str) -> anyhow::Result<Self> {
        let admin = std::env::var("PENORA_TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let name = format!("penora_{label}_{}", std::process::id());
        psql(&admin, &format!("CREATE DATABASE {name}"))?;
        let url = replace_db(&admin, &name)?;
        Ok(Self { admin, name, url })
    }
}

impl Drop for ScratchDb {
    fn drop(&mut self) {
        let drop = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        if let Err(err) = psql(&self.admin, &drop) {
            eprintln!("xtask> could not drop {}: {err}", self.name);
        }
    }
}

pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn penora(binary: &Path, database_url: &str, dir: &Path) -> Command {
    let mut cmd = Command::new(binary);
    cmd.env("DATABASE_URL", database_url)
        .env("PENORA_DATA_DIR", dir)
        .env(
            "JWT_SECRET_KEY",
            "bench-secret-bench-secret-bench-secret-0123456789",
        )
        .env("PENORA_RATE_SIGNUP_PER_IP_PER_HOUR", "100000")
        // Benchmarks measure throughput, not the limits that protect a shared server.
        .env("PENORA_RATE_GENERATIONS_PER_USER_PER_MINUTE", "100000000")
        .env("PENORA_RATE_GENERATIONS_PER_KEY_PER_MINUTE", "100000000")
        .env("PENORA_SSE_STREAMS_PER_USER", "100000")
        .env("PENORA_SSE_STREAMS_TOTAL", "100000")
        .env("PENORA_MAX_CONNECTIONS", "100000")
        .env("RUST_LOG", "warn");
    cmd
}

pub async fn wait_ready(client: &reqwest::Client, base: &str) -> anyhow::Result<()> {
    for _ in 0..300 {
        if client
            .get(format!("{base}/health"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("penora did not start at {base}")
}

/// Starts `serve` (a `penora` command) on a free loopback port: the process (stopped when
/// dropped) and its base URL.
pub fn serve(mut serve: Command) -> anyhow::Result<(Server, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let server = Server(
        serve
            .arg("serve")
            .env("PENORA_BIND", format!("127.0.0.1:{port}"))
            // Metrics are not read here; a free port keeps servers side by side apart.
            .env("PENORA_OPS_BIND", "127.0.0.1:0")
            .stdout(Stdio::null())
            .spawn()?,
    );
    Ok((server, format!("http://127.0.0.1:{port}")))
}

/// Signs up `email`; the response (user and tokens).
pub async fn signup(client: &reqwest::Client, base: &str, email: &str) -> anyhow::Result<Value> {
    let body = json!({ "email": email, "password": "bench password 1" });
    let signed: Value = client
        .post(format!("{base}/api/v1/auth/signup"))
        .json(&body)
        .send()
        .await?
        .json()
        .await?;
    if signed["access_token"].is_null() {
        bail!("signup of {email} failed: {signed}");
    }
    Ok(signed)
}
