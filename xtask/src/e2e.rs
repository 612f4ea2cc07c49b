//! End-to-end tests: a real `penora serve` (SQLite, offline) with the built browser app,
//! driven by Playwright in Debian's Chromium. Installs what it needs when it is missing.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::{frontend, shell};

pub const CHROMIUM: &str = "/usr/bin/chromium";

/// The main site's single sign-on, as the e2e server trusts it: `sso.test.mjs` mints its
/// tokens with these (test values, never a deployment's).
const SSO_ISSUER: &str = "https://sukusuku.e2e.test";
const SSO_SECRET: &str = "e2e-sso-secret-0123456789-abcdefghijklmnopqrstu";

/// The providers users may bring their own key for: in the e2e run each is the local fake
/// (`penora-fake-upstream`), which checks keys and streams a short answer.
const OWN_KEY_BASE_URLS: [&str; 6] = [
    "DEEPINFRA_BASE_URL",
    "OPENAI_BASE_URL",
    "GROQ_BASE_URL",
    "OPENROUTER_BASE_URL",
    "ANTHROPIC_BASE_URL",
    "GEMINI_BASE_URL",
];

pub fn run(root: &Path) -> anyhow::Result<()> {
    ensure_chromium()?;
    ensure_node_modules(root)?;
    if !frontend::is_built(root) {
        frontend::build(root)?;
    }
    build_binaries()?;

    let port = free_port()?;
    let data_dir = std::env::temp_dir().join(format!("penora-e2e-{}-{port}", std::process::id()));
    let upstream = FakeUpstream::start(root)?;
    let server = Server::start(root, port, &data_dir, Some(&upstream.base_url))?;
    let result = shell::run(
        Command::new("node")
            .args(["--test", "--test-concurrency=1", "tests/"])
            .current_dir(root.join("e2e"))
            .env("PENORA_E2E_URL", format!("http://127.0.0.1:{port}"))
            .env("PENORA_E2E_DATA_DIR", &data_dir)
            .env("PENORA_E2E_CHROMIUM", CHROMIUM)
            .env("PENORA_E2E_SSO_ISSUER", SSO_ISSUER)
            .env("PENORA_E2E_SSO_SECRET", SSO_SECRET)
            // The admin tests promote their account with the server's own CLI.
            .env("PENORA_E2E_BIN", server_binary(root)),
    );
    drop(server);
    drop(upstream);
    let _ = std::fs::remove_dir_all(&data_dir);
    result
}

/// The debug server and fake provider.
pub fn build_binaries() -> anyhow::Result<()> {
    crate::cluster::build(false, &[])
}

/// The debug `penora` binary the tests run (and call for admin commands).
fn server_binary(root: &Path) -> PathBuf {
    shell::target_dir(root).join("debug/penora")
}

/// The fake AI provider process, stopped when dropped.
struct FakeUpstream {
    child: Child,
    base_url: String,
}

impl FakeUpstream {
    fn start(root: &Path) -> anyhow::Result<Self> {
        let mut child = Command::new(shell::target_dir(root).join("debug/penora-fake-upstream"))
            .stdout(std::process::Stdio::piped())
            .spawn()
            .context("starting penora-fake-upstream")?;
        let mut line = String::new();
        let stdout = child.stdout.take().context("the fake's stdout")?;
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line)?;
        let base_url = line.trim().to_owned();
        if !base_url.starts_with("http://") {
            bail!("penora-fake-upstream printed {line:?}, not its URL");
        }
        Ok(Self { child, base_url })
    }
}

impl Drop for FakeUpstream {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A server process that is stopped when dropped.
pub struct Server(Child);

impl Server {
    /// `upstream`: the fake AI provider every own-key provider is pointed at, if any.
    pub fn start(
        root: &Path,
        port: u16,
        data_dir: &Path,
        upstream: Option<&str>,
    ) -> anyhow::Result<Self> {
        let binary = server_binary(root);
        // The server's log goes to a file beside the screenshots, so test output stays readable.
        let results = root.join("e2e/test-results");
        std::fs::create_dir_all(&results)?;
        let log = std::fs::File::create(results.join("server.log"))?;
        let mut command = Command::new(binary);
        for var in OWN_KEY_BASE_URLS.iter().filter(|_| upstream.is_some()) {
            command.env(var, upstream.unwrap_or_default());
        }
        let child = command
            .arg("serve")
            .env("PENORA_BIND", format!("127.0.0.1:{port}"))
            // A port of its own, so runs side by side never fight over the default.
            .env("PENORA_OPS_BIND", "127.0.0.1:0")
            .env("PENORA_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
            .env("PENORA_DATA_DIR", data_dir)
            .env("PENORA_FRONTEND_DIR", frontend::dist_dir(root))
            // The offline model streams a word every 8 ms: slow enough that a test sees text
            // arrive and can stop it midway, fast enough that a full run takes seconds.
            .env("PENORA_OFFLINE_PACE_MS", "8")
            .env("SUKUSUKU_SSO_ISSUER", SSO_ISSUER)
            .env("SUKUSUKU_SSO_SECRET", SSO_SECRET)
            // Every test signs its own people up, all from 127.0.0.1.
            .env("PENORA_RATE_SIGNUP_PER_IP_PER_HOUR", "1000")
            .env_remove("DATABASE_URL")
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("starting penora serve")?;
        let server = Self(child);
        wait_healthy(port)?;
        Ok(server)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_healthy(port: u16) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = stream.write_all(b"GET /health HTTP/1.0\r\nHost: localhost\r\n\r\n");
            let mut reply = String::new();
            let _ = stream.read_to_string(&mut reply);
            if reply.starts_with("HTTP/1.0 200") || reply.starts_with("HTTP/1.1 200") {
                return Ok(());
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    bail!("penora did not become healthy on port {port}")
}

pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

pub fn ensure_chromium() -> anyhow::Result<()> {
    if Path::new(CHROMIUM).exists() {
        return Ok(());
    }
    let is_root = shell::output(Command::new("id").arg("-u")).is_ok_and(|o| o.starts_with(b"0"));
    if !is_root {
        bail!("Chromium is missing: install Debian's `chromium` package (sudo apt-get install chromium)");
    }
    eprintln!("xtask> installing Debian's chromium for the browser tests");
    shell::run(Command::new("apt-get").args(["update", "-qq"]))?;
    shell::run(
        Command::new("apt-get")
            .args(["install", "-y", "-qq", "chromium"])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}

/// Installs the test packages when one of them is missing (e.g. after one was added to
/// `package.json`).
fn ensure_node_modules(root: &Path) -> anyhow::Result<()> {
    let dir: PathBuf = root.join("e2e");
    let installed = ["playwright-core", "openai", "@axe-core/playwright"]
        .iter()
        .all(|package| dir.join("node_modules").join(package).exists());
    if installed {
        return Ok(());
    }
    shell::run(
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir),
    )
}
