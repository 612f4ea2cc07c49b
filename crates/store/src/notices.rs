//! What one replica tells the others at once, through PostgreSQL's `LISTEN/NOTIFY`: a
//! generation to cancel, and that API keys or sessions were revoked (so cached keys must
//! be read again). A notice is a hint that saves waiting: the database stays the truth (the
//! cancel flag every save reads, the key row every cache miss reads), so a notice lost while
//! a listener reconnects only costs the old delay. SQLite has one process: nothing to tell.

use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement};
use uuid::Uuid;

/// The channel every replica listens on.
const CHANNEL: &str = "penora_notices";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// Cancel this generation if it streams here.
    Cancel(Uuid),
    /// Keys or sessions were revoked: forget every cached key.
    KeysRevoked,
}

impl Notice {
    fn encode(self) -> String {
        match self {
            Self::Cancel(id) => format!("cancel:{id}"),
            Self::KeysRevoked => "keys_revoked".to_owned(),
        }
    }

    fn decode(payload: &str) -> Option<Self> {
        match payload.split_once(':') {
            Some(("cancel", id)) => id.parse().ok().map(Self::Cancel),
            None if payload == "keys_revoked" => Some(Self::KeysRevoked),
            _ => None,
        }
    }
}

/// Tells every replica (this one included) `notice`; nothing on SQLite.
pub async fn publish(db: &DatabaseConnection, notice: Notice) -> Result<(), DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_notify($1, $2)",
        [CHANNEL.into(), notice.encode().into()],
    ))
    .await
    .map(|_| ())
}

/// Notices as they arrive, on a connection of their own.
pub struct Listener(PgListener);

impl Listener {
    /// Listens on PostgreSQL; `None` on SQLite.
    pub async fn start(db: &DatabaseConnection) -> Result<Option<Self>, DbErr> {
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(None);
        }
        let pool = db.get_postgres_connection_pool();
        let mut listener = PgListener::connect_with(pool)
            .await
            .map_err(|e| DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e.into())))?;
        listener
            .listen(CHANNEL)
            .await
            .map_err(|e| DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e.into())))?;
        Ok(Some(Self(listener)))
    }

    /// The next notice. After a lost connection it reconnects and listens again (notices
    /// sent meanwhile are lost: see the module's note); payloads it does not know are
    /// skipped.
    pub async fn next(&mut self) -> Result<Notice, DbErr> {
        loop {
            let notification = self
                .0
                .recv()
                .await
                .map_err(|e| DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e.into())))?;
            if let Some(notice) = Notice::decode(notification.payload()) {
                return Ok(notice);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_read_back_as_written_and_strangers_are_skipped() {
        let id = Uuid::now_v7();
        for notice in [Notice::Cancel(id), Notice::KeysRevoked] {
            assert_eq!(Notice::decode(&notice.encode()), Some(notice));
        }
        assert_eq!(Notice::decode("cancel:not-a-uuid"), None);
        assert_eq!(Notice::decode("shutdown"), None);
    }
}
