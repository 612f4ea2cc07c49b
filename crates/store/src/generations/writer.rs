//! Opening and closing generations through [`crate::lots`] on PostgreSQL.

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, QueryResult, Statement, Value,
};
use uuid::Uuid;

use super::close::{self, Closed, Closes, Closing};
use super::open::{self, Opening, Opens};
use super::GenerationRow;
use crate::ledger::LedgerError;
use crate::lots::Lots;

/// Opens and closes generations; on PostgreSQL, once [`Writer::start`] has run, those
/// waiting at the same moment share one statement.
#[derive(Clone)]
pub struct Writer {
    db: DatabaseConnection,
    opens: Lots<Opens>,
    closes: Lots<Closes>,
}

impl Writer {
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            opens: Lots::new(Opens { db: db.clone() }),
            closes: Lots::new(Closes { db: db.clone() }),
            db,
        }
    }

    /// Starts the writer tasks on the calling Tokio runtime. SQLite writes alone: its one
    /// writer connection already serializes them, and they are cheap in-process calls.
    pub fn start(&self) {
        if self.db.get_database_backend() == DbBackend::Postgres {
            self.opens.start();
            self.closes.start();
        }
    }

    /// Opens a generation with a slot and the full hold (see the `open` module), or `None` when the
    /// slot or the hold was refused (nothing is written then). A second generation for the
    /// same idempotency key is a unique violation.
    pub async fn open(&self, opening: &Opening<'_>) -> Result<Option<GenerationRow>, DbErr> {
        let opened = match self.db.get_database_backend() {
            DbBackend::Postgres => self.opens.write(open::queued(opening)?).await?,
            _ => open::open_sqlite(&self.db, opening).await?,
        };
        Ok(opened.then(|| open::row(opening)))
    }

    /// Closes a generation (see the `close` module); `None` when something else closed it first.
    pub async fn close(&self, closing: &Closing<'_>) -> Result<Option<Closed>, LedgerError> {
        match self.db.get_database_backend() {
            DbBackend::Postgres => Ok(self.closes.write(close::queued(closing)?).await?),
            _ => close::close_in_transaction(&self.db, closing).await,
        }
    }
}

/// A generation's write, queued: the parameters of the statement for one (`values`) and its
/// object in the statement for a lot (`item`, JSON).
pub(super) struct Queued {
    /// Its user: a lot changes each user's row once.
    pub user: Uuid,
    pub id: Uuid,
    pub item: String,
    pub values: Vec<Value>,
}

/// Runs a lot statement: `$1` the items as a JSON array, `$2` their users' ids and `$3`
/// theirs (both `uuid[]`). Every lot statement first locks its users' rows in id order (see
/// [`crate::lots`]); the ids let the planner reach the other rows by primary key.
pub(super) async fn query_lot(
    db: &DatabaseConnection,
    sql: &str,
    lot: &[&Queued],
) -> Result<Vec<QueryResult>, DbErr> {
    let items: Vec<&str> = lot.iter().map(|q| q.item.as_str()).collect();
    let array = |ids: Vec<Uuid>| {
        let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
        Value::from(format!("{{{}}}", ids.join(",")))
    };
    let values = [
        Value::from(format!("[{}]", items.join(","))),
        array(lot.iter().map(|q| q.user).collect()),
        array(lot.iter().map(|q| q.id).collect()),
    ];
    db.query_all_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        values,
    ))
    .await
}

pub(super) fn stopped() -> DbErr {
    DbErr::Custom("the generation writer stopped".to_owned())
}
