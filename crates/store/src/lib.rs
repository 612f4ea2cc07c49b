//! Penora's database layer: connecting, migrating, and every query.
//!
//! Functions take any `ConnectionTrait` (a pool or an open transaction) so services decide
//! the transaction boundaries; nothing here knows about HTTP.

pub mod admission;
pub mod api_keys;
pub mod audit;
pub mod backup;
pub mod billing;
pub mod clock;
pub mod email_tokens;
pub mod entities;
pub mod generations;
mod group_commit;
pub mod holds;
pub mod idempotency;
pub mod identities;
pub mod ledger;
pub mod metrics;
pub mod notices;
pub mod oauth_flows;
pub mod page;
pub mod projects;
pub mod provider_keys;
pub mod rate_limits;
pub mod recorded;
pub mod refresh_tokens;
pub mod storage;
pub mod stories;
pub mod text;
pub mod used_tokens;
pub mod users;
pub mod welcome_grants;

use std::time::Duration;

pub use page::Page;
use penora_migrations::{Migrator, MigratorTrait};
use sea_orm::{sqlx, ConnectOptions, Database, DbBackend};
pub use sea_orm::{
    ConnAcquireErr, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr,
    TransactionTrait,
};

/// Which database engine a connection talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of(db: &DatabaseConnection) -> Self {
        match db.get_database_backend() {
            DbBackend::Postgres => Backend::Postgres,
            _ => Backend::Sqlite,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A pooled connection idle this long is pinged before it is handed out.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(10);

/// Opens a pool. SQLite gets WAL (readers never wait for the writer), foreign keys on and a
/// busy timeout so concurrent writers queue instead of failing.
///
/// Only connections idle for a while are pinged before use: the pool's default pings on
/// every checkout, a round trip before every statement (a third of a billed completion's
/// time on PostgreSQL). A connection the server dropped is found by the ping after idling,
/// which is when that happens (restarts, proxies and firewalls closing idle connections).
pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(max_connections)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(10))
        .test_before_acquire_if_idle_for(PING_IF_IDLE_FOR)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(sqlite_options);
    Database::connect(options).await
}

/// Every SQLite connection's settings. Each connection applies them when it opens, so all
/// must agree: one without the WAL setting would switch the file back to rollback-journal
/// mode, where readers block the writer.
fn sqlite_options(opts: sqlx::sqlite::SqliteConnectOptions) -> sqlx::sqlite::SqliteConnectOptions {
    opts.journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
        .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
}

/// Read-only connections that read while SQLite's one writer writes.
const SQLITE_READERS: u32 = 4;

/// A pool for the hot reads (authenticating each request) that need not queue behind
/// writes. SQLite has one writer and the main pool holds one connection by default; in WAL
/// mode, read-only connections beside it see every committed write without waiting for it.
/// PostgreSQL's pool already reads concurrently: the same pool. Connections open on first
/// use.
pub fn readers(db: &DatabaseConnection, url: &str) -> Result<DatabaseConnection, DbErr> {
    if db.get_database_backend() != DbBackend::Sqlite || url.contains(":memory:") {
        return Ok(db.clone());
    }
    let options: sqlx::sqlite::SqliteConnectOptions = url
        .parse()
        .map_err(|e: sqlx::Error| DbErr::Custom(format!("SQLite URL: {e}")))?;
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(SQLITE_READERS)
        .acquire_timeout(Duration::from_secs(10))
        // A file in this process does not drop connections: no ping before each read.
        .test_before_acquire(false)
        .connect_lazy_with(sqlite_options(options).read_only(true));
    Ok(sea_orm::SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
}

/// Starts a transaction that will write. On SQLite it takes the write lock at `BEGIN`
/// (`BEGIN IMMEDIATE`), waiting for it under the busy timeout: a deferred transaction that
/// reads first and writes later fails at once with "database is locked" when another writer
/// committed in between. PostgreSQL ignores the mode.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(sea_orm::TransactionOptions {
        sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// The database's time now ([`clock`]), to the microsecond PostgreSQL keeps: a value
/// written and the answer that reports it agree.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::SubsecRound::trunc_subsecs(clock::database_now(), 6)
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Applies every pending migration over a connection of its own, closed before returning:
/// open the pool that serves afterwards. A pooled SQLite connection that loaded the schema
/// before a migration can still prepare statements against the old one (an upsert whose
/// new unique index it has not seen fails with "ON CONFLICT clause does not match").
///
/// Several processes may migrate one database at once (every replica migrates as it
/// starts): they migrate one after another, and the later ones find nothing pending. On
/// PostgreSQL the migrations run under a session-level advisory lock ([`MIGRATION_LOCK`]) on
/// that one connection (it goes with the connection if the process dies); on SQLite in one
/// transaction that holds the write lock from its start.
pub async fn migrate_url(url: &str) -> Result<(), DbErr> {
    let db = connect(url, 1).await?;
    let migrated = match Backend::of(&db) {
        Backend::Postgres => {
            let lock = format!("SELECT pg_advisory_lock({MIGRATION_LOCK})");
            db.execute_unprepared(&lock).await?;
            let migrated = migrate(&db).await;
            let unlock = format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})");
            let unlocked = db.execute_unprepared(&unlock).await.map(|_| ());
            migrated.and(unlocked)
        }
        Backend::Sqlite => {
            let txn = begin_write(&db).await?;
            match Migrator::up(&txn, None).await {
                Ok(()) => txn.commit().await,
                Err(err) => Err(err),
            }
        }
    };
    let closed = db.close().await;
    migrated.and(closed)
}

/// The advisory lock key migrations take on PostgreSQL (any fixed number no other code uses:
/// these are the first eight bytes of "penora:m" read as a big-endian integer).
pub const MIGRATION_LOCK: i64 = 0x7065_6e6f_7261_3a6d;

/// Names of migrations not yet applied.
pub async fn pending_migrations(db: &DatabaseConnection) -> Result<Vec<String>, DbErr> {
    Ok(Migrator::get_pending_migrations(db)
        .await?
        .iter()
        .map(|m| m.name().to_owned())
        .collect())
}

/// A write refused because a unique value it sets exists already (a key or code used
/// before), or the database's error. Callers act on `Taken`; `Db` is theirs to report.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("a unique value of this write exists already")]
    Taken,
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl WriteError {
    /// `Taken` for a unique violation, else the error itself.
    pub(crate) fn of(err: DbErr) -> Self {
        if is_unique_violation(&err) {
            WriteError::Taken
        } else {
            WriteError::Db(err)
        }
    }
}

/// True when a database error means "that unique value exists already".
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// True when the database could not be reached (as opposed to a query it refused),
/// including a connection the server ended while it was in use: a restart or failover
/// ("terminating connection due to administrator command").
pub fn is_unavailable(err: &DbErr) -> bool {
    matches!(err, DbErr::ConnectionAcquire(_) | DbErr::Conn(_))
        || matches!(err, DbErr::Query(sea_orm::RuntimeErr::SqlxError(e)) | DbErr::Exec(sea_orm::RuntimeErr::SqlxError(e))
            if is_connection_lost(e))
}

/// Errors that mean the connection, not the statement, failed: the pool's own, I/O, and
/// PostgreSQL's SQLSTATE classes 08 (connection exception) and 57P (operator intervention:
/// admin or crash shutdown, cannot connect now).
fn is_connection_lost(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolClosed | sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) => true,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{ConnectionTrait, Statement};

    async fn pragma(db: &DatabaseConnection, name: &str) -> String {
        let row = db
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                format!("PRAGMA {name}"),
            ))
            .await
            .ok()
            .flatten();
        row.and_then(|r| {
            r.try_get_by_index::<String>(0)
                .or_else(|_| r.try_get_by_index::<i64>(0).map(|v| v.to_string()))
                .ok()
        })
        .unwrap_or_default()
    }

    /// A migrated SQLite database in a temporary file, and its path.
    pub(crate) async fn fresh_sqlite() -> Result<(DatabaseConnection, std::path::PathBuf), DbErr> {
        let (db, path) = empty_sqlite().await?;
        migrate(&db).await?;
        Ok((db, path))
    }

    /// An empty SQLite database on one connection: migrations that alter a table must run on
    /// the connection that then reads it (see [`migrate_url`]).
    async fn empty_sqlite() -> Result<(DatabaseConnection, std::path::PathBuf), DbErr> {
        let path = std::env::temp_dir().join(format!("penora-store-{}.db", uuid::Uuid::new_v4()));
        let db = connect(&format!("sqlite://{}?mode=rwc", path.display()), 1).await?;
        Ok((db, path))
    }

    pub(crate) async fn remove_sqlite(
        db: DatabaseConnection,
        path: &std::path::Path,
    ) -> Result<(), DbErr> {
        db.close().await?;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        Ok(())
    }

    #[tokio::test]
    async fn sqlite_runs_in_wal_mode_with_foreign_keys() -> Result<(), DbErr> {
        let (db, path) = fresh_sqlite().await?;
        assert_eq!(pragma(&db, "journal_mode").await, "wal");
        assert_eq!(pragma(&db, "foreign_keys").await, "1");
        assert!(pending_migrations(&db).await?.is_empty());
        remove_sqlite(db, &path).await
    }

    #[tokio::test]
    async fn making_the_password_optional_keeps_every_hash_and_every_row() -> Result<(), DbErr> {
        use penora_migrations::MigratorTrait;
        let (db, path) = empty_sqlite().await?;
        // Up to the billing migration: `password_hash` is NOT NULL there.
        penora_migrations::Migrator::up(&db, Some(12)).await?;
        let insert = |id: &str, email: &str, hash: &str| {
            format!(
                "INSERT INTO users (id, email, password_hash, display_name, role, session_epoch, \
                 balance_mc, reserved_mc, storage_used_bytes, active_generations, provider_keys, \
                 created_at, updated_at) VALUES ('{id}', '{email}', '{hash}', 'N', 'user', 0, \
                 5, 0, 0, 0, 0, '2026-12-01 00:00:00+00:00', '2026-12-01 00:00:00+00:00')"
            )
        };
        db.execute_unprepared(&insert(
            "00000000-0000-7000-8000-000000000001",
            "a@example.com",
            "$argon2id$v=19$hash",
        ))
        .await?;
        db.execute_unprepared(&insert(
            "00000000-0000-7000-8000-000000000002",
            "deleted:x",
            "",
        ))
        .await?;
        db.execute_unprepared(
            "INSERT INTO ledger_entries (id, user_id, kind, amount_mc, balance_after_mc, \
             reference, meta, created_at) VALUES ('00000000-0000-7000-8000-0000000000e1', \
             '00000000-0000-7000-8000-000000000001', 'welcome', 5, 5, 'welcome', '{}', \
             '2026-12-01 00:00:00+00:00')",
        )
        .await?;
        migrate(&db).await?;
        let hashes: Vec<Option<String>> = db
            .query_all_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT password_hash FROM users ORDER BY id",
            ))
            .await?
            .iter()
            .map(|r| r.try_get_by_index(0))
            .collect::<Result<_, _>>()?;
        assert_eq!(hashes, [Some("$argon2id$v=19$hash".to_owned()), None]);
        let entries = db
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT COUNT(*) FROM ledger_entries",
            ))
            .await?
            .map(|r| r.try_get_by_index::<i64>(0))
            .transpose()?;
        assert_eq!(entries, Some(1), "the column swap must not cascade");
        db.execute_unprepared(
            "UPDATE users SET password_hash = NULL WHERE email = 'a@example.com'",
        )
        .await?;
        remove_sqlite(db, &path).await
    }
}
