//! SQLite: `VACUUM INTO` for an online copy; restoring renames a checked copy over the file.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sea_orm::sqlx::{self, Connection};
use sea_orm::ConnectionTrait;

use super::{file_error, partial_path, sync_file, sync_parent, with_suffix, BackupError};

/// Writes a consistent copy of the database to `to` (which must not exist). `VACUUM INTO`
/// reads one snapshot, so writers go on meanwhile (WAL: they do not wait for it).
pub(super) async fn copy(url: &str, to: &Path) -> Result<(), BackupError> {
    let path = database_path(url)?;
    if !path.exists() {
        return Err(BackupError::File {
            what: "no database at",
            path,
            error: std::io::ErrorKind::NotFound.into(),
        });
    }
    let db = crate::connect(url, 1).await?;
    let target = to.to_str().ok_or_else(|| BackupError::File {
        what: "the backup path is not UTF-8:",
        path: to.to_owned(),
        error: std::io::ErrorKind::InvalidInput.into(),
    })?;
    let written = db
        .execute_unprepared(&format!("VACUUM INTO '{}'", target.replace('\'', "''")))
        .await;
    db.close().await?;
    written?;
    Ok(())
}

/// Replaces the database file with the backup `from`, keeping the replaced file as
/// `<database>.pre-restore`.
pub(super) async fn restore(url: &str, from: &Path) -> Result<(), BackupError> {
    check_backup(from).await?;
    let path = database_path(url)?;
    let incoming = partial_path(&path);
    std::fs::copy(from, &incoming).map_err(file_error("cannot copy the backup to", &incoming))?;
    sync_file(&incoming)?;
    // Held until the new file is in place: no server can open the old one meanwhile.
    let guard = match path.exists() {
        true => Some(take_exclusively(&path).await.inspect_err(|_| {
            let _ = std::fs::remove_file(&incoming);
        })?),
        false => None,
    };
    if guard.is_some() {
        let kept = with_suffix(&path, ".pre-restore");
        let _ = std::fs::remove_file(&kept);
        std::fs::hard_link(&path, &kept)
            .map_err(file_error("cannot keep the replaced database as", &kept))?;
    }
    std::fs::rename(&incoming, &path).map_err(file_error("cannot move the backup to", &path))?;
    // The old file's journal would be applied to the new one: it must go. Taking the
    // database exclusively checkpointed and removed it already; this covers a crash.
    for suffix in ["-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(with_suffix(&path, suffix));
    }
    sync_parent(&path)?;
    if let Some(connection) = guard {
        // Its lock is on the replaced file, which is no longer the database.
        let _ = connection.close().await;
    }
    Ok(())
}

/// Checks that `from` is a whole, migrated Penora database.
async fn check_backup(from: &Path) -> Result<(), BackupError> {
    let options = SqliteConnectOptions::new()
        .filename(from)
        .read_only(true)
        .immutable(true);
    let not_a_backup = |e: sqlx::Error| BackupError::NotABackup(format!("{}: {e}", from.display()));
    let mut connection = SqliteConnection::connect_with(&options)
        .await
        .map_err(not_a_backup)?;
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut connection)
        .await
        .map_err(not_a_backup)?;
    let migrations: Result<i64, _> = sqlx::query_scalar("SELECT COUNT(*) FROM seaql_migrations")
        .fetch_one(&mut connection)
        .await;
    let _ = connection.close().await;
    if integrity != "ok" {
        return Err(BackupError::NotABackup(format!(
            "{} is damaged: {integrity}",
            from.display()
        )));
    }
    match migrations {
        Ok(n) if n > 0 => Ok(()),
        _ => Err(BackupError::NotABackup(format!(
            "{} is not a Penora database (it has no migrations)",
            from.display()
        ))),
    }
}

/// Opens the database with an exclusive lock, or says who has it. Leaving WAL mode needs
/// the only connection to the file (SQLite refuses while any other process has it open, even
/// idle), and it checkpoints and deletes the WAL; the exclusive transaction then keeps
/// everyone else out.
async fn take_exclusively(path: &Path) -> Result<SqliteConnection, BackupError> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .busy_timeout(Duration::ZERO);
    let in_use = |e: sqlx::Error| BackupError::InUse(e.to_string());
    let mut connection = SqliteConnection::connect_with(&options)
        .await
        .map_err(in_use)?;
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode=DELETE")
        .fetch_one(&mut connection)
        .await
        .map_err(in_use)?;
    if !mode.eq_ignore_ascii_case("delete") {
        let _ = connection.close().await;
        return Err(BackupError::InUse(format!(
            "another process keeps it in {mode} mode"
        )));
    }
    sqlx::query("BEGIN EXCLUSIVE")
        .execute(&mut connection)
        .await
        .map_err(in_use)?;
    Ok(connection)
}

/// The database file a `sqlite:` URL names.
fn database_path(url: &str) -> Result<PathBuf, BackupError> {
    let options =
        SqliteConnectOptions::from_str(url).map_err(|e| BackupError::Url(e.to_string()))?;
    Ok(options.get_filename().to_owned())
}
