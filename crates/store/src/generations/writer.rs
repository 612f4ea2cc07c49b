//! Opening and closing generations: on PostgreSQL through [`crate::group_commit`], on
//! SQLite one at a time.

use sea_orm::{DatabaseConnection, DbBackend, DbErr};

use super::close::{self, Closed, Closes, Closing};
use super::open::{self, Opening, Opens};
use super::GenerationRow;
use crate::group_commit::GroupCommit;
use crate::ledger::LedgerError;

/// Opens and closes generations; on PostgreSQL, once [`Writer::start`] has run, those
/// waiting at the same moment share one statement.
#[derive(Clone)]
pub struct Writer {
    db: DatabaseConnection,
    opens: GroupCommit<Opens>,
    closes: GroupCommit<Closes>,
}

impl Writer {
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            opens: GroupCommit::new(Opens { db: db.clone() }),
            closes: GroupCommit::new(Closes { db: db.clone() }),
            db,
        }
    }

    /// Starts the writer tasks on the calling Tokio runtime. SQLite writes one at a time: its
    /// one writer connection already serializes them, and they are cheap in-process calls.
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
