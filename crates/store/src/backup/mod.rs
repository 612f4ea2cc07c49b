//! Backups of the whole database, and restoring one: one command for operators on either
//! engine.
//!
//! - SQLite: `VACUUM INTO` writes a consistent copy while the server goes on writing (it
//!   reads one snapshot); restoring swaps the file in by rename once it is sure no process
//!   has the database open.
//! - PostgreSQL: `pg_dump` (custom format, one snapshot, no owners or grants) and
//!   `pg_restore --clean --if-exists --single-transaction`, run as child processes found on
//!   `PATH` (they come with the PostgreSQL client package). Restoring refuses while another
//!   session is connected to the database.
//!
//! Either way a backup is first written next to its destination and renamed into place, so
//! the named file is always a whole backup (or the previous one).

mod postgres;
mod sqlite;

use std::path::{Path, PathBuf};

/// What can go wrong backing up or restoring. Each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("the database is in use ({0}): stop every server using it, then restore again")]
    InUse(String),
    #[error("{0}")]
    NotABackup(String),
    #[error("{tool} failed ({status}): {stderr}")]
    Tool {
        tool: &'static str,
        status: String,
        stderr: String,
    },
    #[error("cannot run {tool} ({error}): install the PostgreSQL client tools (Debian: postgresql-client) or put them on PATH")]
    ToolMissing {
        tool: &'static str,
        error: std::io::Error,
    },
    #[error("database URL: {0}")]
    Url(String),
    #[error("{what} {path}: {error}")]
    File {
        what: &'static str,
        path: PathBuf,
        error: std::io::Error,
    },
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
}

/// What a backup wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// `sqlite` (a database file) or `postgres` (a `pg_dump` custom-format archive).
    pub format: &'static str,
    pub bytes: u64,
}

/// Writes a consistent backup of the database at `url` to `file` (replacing it), while
/// servers keep using the database.
pub async fn backup(url: &str, file: &Path) -> Result<Written, BackupError> {
    let partial = partial_path(file);
    let _ = std::fs::remove_file(&partial);
    // Created empty and private first: a backup holds every account's data, and both
    // pg_dump and `VACUUM INTO` (which takes an empty file) keep the mode of a file they
    // write into.
    private_empty_file(&partial)?;
    let format = if is_postgres(url) {
        postgres::dump(url, &partial).await?;
        "postgres"
    } else {
        sqlite::copy(url, &partial).await?;
        "sqlite"
    };
    sync_file(&partial)?;
    std::fs::rename(&partial, file).map_err(file_error("cannot move the backup to", file))?;
    sync_parent(file)?;
    let bytes = std::fs::metadata(file)
        .map_err(file_error("cannot read", file))?
        .len();
    Ok(Written { format, bytes })
}

/// Replaces the database at `url` with the backup in `file`. Refuses while a server (or any
/// other connection) uses the database, and refuses a file that is not a backup of that
/// engine.
pub async fn restore(url: &str, file: &Path) -> Result<(), BackupError> {
    let mut magic = [0u8; 16];
    let read = {
        use std::io::Read;
        let mut opened =
            std::fs::File::open(file).map_err(file_error("cannot open the backup", file))?;
        opened
            .read(&mut magic)
            .map_err(file_error("cannot read the backup", file))?
    };
    let head = &magic[..read];
    if is_postgres(url) {
        if !head.starts_with(b"PGDMP") {
            return Err(BackupError::NotABackup(format!(
                "{} is not a pg_dump custom-format archive (a PostgreSQL backup made by `penora admin backup`)",
                file.display()
            )));
        }
        postgres::restore(url, file).await
    } else {
        if !head.starts_with(b"SQLite format 3\0") {
            return Err(BackupError::NotABackup(format!(
                "{} is not a SQLite database (a SQLite backup made by `penora admin backup`)",
                file.display()
            )));
        }
        sqlite::restore(url, file).await
    }
}

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Where a file is written before it is renamed to `path`: beside it, on the same file
/// system, so the rename is atomic.
/// An empty file only its owner may read or write.
fn private_empty_file(path: &Path) -> Result<(), BackupError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .map(drop)
        .map_err(file_error("cannot create", path))
}

fn partial_path(path: &Path) -> PathBuf {
    with_suffix(path, ".partial")
}

/// `path` with `suffix` appended to its file name (`penora.db` → `penora.db-wal`).
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn file_error<'a>(
    what: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> BackupError + 'a {
    move |error| BackupError::File {
        what,
        path: path.to_owned(),
        error,
    }
}

/// Flushes a written file to disk before it is renamed into place.
fn sync_file(path: &Path) -> Result<(), BackupError> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(file_error("cannot flush", path))
}

/// Flushes the directory entry of a rename.
fn sync_parent(path: &Path) -> Result<(), BackupError> {
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    std::fs::File::open(parent)
        .and_then(|d| d.sync_all())
        .map_err(file_error("cannot flush the directory", parent))
}
