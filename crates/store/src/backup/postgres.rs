//! PostgreSQL: `pg_dump` and `pg_restore`, run as child processes.

use std::path::Path;
use std::process::Command;

use sea_orm::{ConnectionTrait, Statement};

use super::BackupError;

/// `pg_dump` of the whole database: the custom format (compressed, restorable selectively,
/// and what `pg_restore` needs), without owners or grants (a restore by another role is not
/// refused over them), never asking for a password (no terminal: it fails instead). pg_dump
/// reads everything in one repeatable-read transaction: a consistent snapshot, taken while
/// the servers keep writing.
pub(super) async fn dump(url: &str, to: &Path) -> Result<(), BackupError> {
    let (target, password) = split_password(url)?;
    let mut command = Command::new("pg_dump");
    command
        .args(["--format=custom", "--no-owner", "--no-acl", "--no-password"])
        .arg("--file")
        .arg(to)
        .arg("--dbname")
        .arg(target);
    run("pg_dump", command, password).await
}

/// `pg_restore` into the database: drops what the archive holds (`--clean --if-exists`) and
/// recreates it in one transaction (`--single-transaction`, `--exit-on-error`): it ends as
/// the backup or, on any error, as it was.
pub(super) async fn restore(url: &str, from: &Path) -> Result<(), BackupError> {
    refuse_if_in_use(url).await?;
    let (target, password) = split_password(url)?;
    let mut command = Command::new("pg_restore");
    command
        .args([
            "--clean",
            "--if-exists",
            "--single-transaction",
            "--exit-on-error",
            "--no-owner",
            "--no-acl",
            "--no-password",
        ])
        .arg("--dbname")
        .arg(target)
        .arg(from);
    run("pg_restore", command, password).await
}

/// Refuses while any other session is connected to the database (a server's pool).
async fn refuse_if_in_use(url: &str) -> Result<(), BackupError> {
    let db = crate::connect(url, 1).await?;
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n, COALESCE(string_agg(DISTINCT NULLIF(application_name, ''), ', '), '') AS apps \
             FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
        ))
        .await;
    db.close().await?;
    let row = row?.ok_or_else(|| sea_orm::DbErr::RecordNotFound("pg_stat_activity".into()))?;
    let others: i64 = row.try_get("", "n")?;
    let apps: String = row.try_get("", "apps")?;
    if others > 0 {
        let named = if apps.is_empty() {
            String::new()
        } else {
            format!(": {apps}")
        };
        return Err(BackupError::InUse(format!(
            "{others} other connections{named}"
        )));
    }
    Ok(())
}

/// The URL without its password, and the password: given to the tool in `PGPASSWORD`, not
/// on its command line, where any user of the machine could read it.
fn split_password(url: &str) -> Result<(String, Option<String>), BackupError> {
    let mut parsed = url::Url::parse(url).map_err(|e| BackupError::Url(e.to_string()))?;
    let password = parsed.password().map(|p| {
        percent_encoding::percent_decode_str(p)
            .decode_utf8_lossy()
            .into_owned()
    });
    parsed
        .set_password(None)
        .map_err(|()| BackupError::Url("the URL cannot have a password".to_owned()))?;
    Ok((parsed.to_string(), password))
}

/// Runs the tool to completion off the async threads; its standard error becomes the
/// failure's text.
async fn run(
    tool: &'static str,
    mut command: Command,
    password: Option<String>,
) -> Result<(), BackupError> {
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .map_err(|e| BackupError::ToolMissing {
            tool,
            error: std::io::Error::other(e),
        })?
        .map_err(|error| BackupError::ToolMissing { tool, error })?;
    if output.status.success() {
        return Ok(());
    }
    Err(BackupError::Tool {
        tool,
        status: output.status.to_string(),
        stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_leaves_the_url() {
        let (url, password) =
            split_password("postgres://penora:s%40c+ret@db.internal:5432/penora?sslmode=require")
                .unwrap();
        assert_eq!(
            url,
            "postgres://penora@db.internal:5432/penora?sslmode=require"
        );
        assert_eq!(password.as_deref(), Some("s@c+ret"));
        let (url, password) = split_password("postgres://postgres@127.0.0.1/p").unwrap();
        assert_eq!(url, "postgres://postgres@127.0.0.1/p");
        assert_eq!(password, None);
    }
}
