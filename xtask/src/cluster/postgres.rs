//! The cluster's own PostgreSQL: `initdb` in a temporary directory, on a port of its own,
//! started and restarted with `pg_ctl`, so the chaos run can restart it without touching
//! any other database on the machine. PostgreSQL refuses to run as root: under root its
//! commands run as the `postgres` OS user (which Debian's packages create).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};

use crate::shell;

pub struct Postgres {
    /// The directory holding the data directory, the log and the socket.
    pub dir: PathBuf,
    pub port: u16,
    bin: PathBuf,
    as_postgres: bool,
}

impl Postgres {
    pub fn new(dir: PathBuf, port: u16) -> anyhow::Result<Self> {
        Ok(Self {
            dir,
            port,
            bin: bin_dir()?,
            as_postgres: is_root(),
        })
    }

    /// The superuser's URL of database `name`.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Creates and starts the cluster, with an empty `penora` database.
    pub fn init_and_start(&self) -> anyhow::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        if self.as_postgres {
            shell::run(
                Command::new("chown")
                    .arg("postgres:postgres")
                    .arg(&self.dir),
            )?;
        }
        let data = self.data_dir();
        shell::output(
            self.command("initdb")
                .args([
                    "-A",
                    "trust",
                    "-U",
                    "postgres",
                    "--no-sync",
                    "-E",
                    "UTF8",
                    "-D",
                ])
                .arg(&data),
        )?;
        // Options live in postgresql.auto.conf, so `pg_ctl restart` keeps them.
        let settings = format!(
            "port = {}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\n\
             max_connections = 200\nfsync = off\n",
            self.port,
            self.dir.display()
        );
        let auto = data.join("postgresql.auto.conf");
        let mut conf = std::fs::read_to_string(&auto).unwrap_or_default();
        conf.push_str(&settings);
        std::fs::write(&auto, conf)?;
        self.pg_ctl("start")?;
        shell::output(Command::new("psql").arg(self.url("postgres")).args([
            "-v",
            "ON_ERROR_STOP=1",
            "-qc",
            "CREATE DATABASE penora",
        ]))?;
        Ok(())
    }

    /// A fast restart: open connections are ended ("terminating connection due to
    /// administrator command"), as on a real database restart or failover.
    pub fn restart(&self) -> anyhow::Result<()> {
        self.pg_ctl("restart")
    }

    pub fn stop(&self) -> anyhow::Result<()> {
        self.pg_ctl("stop")
    }

    fn pg_ctl(&self, action: &str) -> anyhow::Result<()> {
        shell::output(
            self.command("pg_ctl")
                .args(["-w", "-m", "fast", "-D"])
                .arg(self.data_dir())
                .arg("-l")
                .arg(self.dir.join("postgres.log"))
                .arg(action),
        )
        .map(|_| ())
        .with_context(|| {
            format!(
                "pg_ctl {action} (log: {})",
                self.dir.join("postgres.log").display()
            )
        })
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }
}

/// The newest installed PostgreSQL's binaries (`/usr/lib/postgresql/<version>/bin`).
fn bin_dir() -> anyhow::Result<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .context("PostgreSQL is not installed (apt-get install postgresql)")?
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_string_lossy().parse().ok()?;
            Some((version, e.path().join("bin")))
        })
        .filter(|(_, bin)| bin.join("initdb").exists())
        .collect();
    versions.sort();
    match versions.pop() {
        Some((_, bin)) => Ok(bin),
        None => bail!("no initdb under /usr/lib/postgresql/*/bin (apt-get install postgresql)"),
    }
}

pub fn is_root() -> bool {
    shell::output(Command::new("id").arg("-u")).is_ok_and(|o| o.starts_with(b"0\n"))
}

/// Whether `dir` holds a cluster's files (for `down` after a failed `up`).
pub fn exists(dir: &Path) -> bool {
    dir.join("data/PG_VERSION").exists()
}
