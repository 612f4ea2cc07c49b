//! Closing a generation: the row's end, its hold settled on what was delivered (one
//! `generation` ledger entry for the charge) and its concurrency slot given back, at once.
//!
//! Only the first closer closes it (the row's `status = 'running'` condition), so the
//! streaming task, a cancel on another replica and the hold sweeper can all try. On
//! PostgreSQL it is one statement of data-modifying CTEs that also returns the balance the
//! final event reports: the transaction it replaces cost ten round trips, the most of any
//! step of a completion. On SQLite it is that transaction (round trips to an in-process
//! database cost little).
//!
//! Each table is reached by its primary key with scalar parameters. (Rows given as a JSON
//! array joined to `generations`, as app debits do for `users`, were planned as a scan of
//! the whole table while it was young, and the cached plan stayed: half the database's time
//! at 600 completions/s.)

use penora_domain::{EntryKind, UserId};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, Statement, Value};
use uuid::Uuid;

use super::{finish, release_slot, tokens_i32, Finish};
use crate::entities::user::Entity as Users;
use crate::holds;
use crate::ledger::LedgerError;

/// A generation to close.
#[derive(Debug, Clone)]
pub struct Closing<'a> {
    pub id: Uuid,
    pub user: UserId,
    /// `None` for a free generation.
    pub hold: Option<Uuid>,
    /// The model, named on the ledger entry.
    pub model: &'a str,
    pub finish: &'a Finish<'a>,
    /// The ledger entry's `meta`.
    pub meta: serde_json::Value,
}

/// The user's balance right after the close.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed {
    pub balance_mc: i64,
    pub reserved_mc: i64,
}

/// `$1` to `$17` as in [`values`].
const STATEMENT: &str = r#"
WITH closed AS (
    UPDATE generations SET status = $3, cost_mc = $4, output = COALESCE($5, output),
        words = COALESCE($6, words), finish_reason = $7, error_code = $8,
        error_message = $9, prompt_tokens = $10, completion_tokens = $11, updated_at = $12,
        finished_at = $12
    WHERE id = $1 AND status = 'running'
    RETURNING user_id
), settled AS (
    UPDATE holds SET state = 'settled', settled_at = $12,
        charged_mc = LEAST(GREATEST($4, 0), amount_mc)
    WHERE id = $2 AND state = 'open' AND EXISTS (SELECT 1 FROM closed)
    RETURNING amount_mc, charged_mc
), moved AS (
    UPDATE users SET active_generations = GREATEST(active_generations - 1, 0),
        reserved_mc = reserved_mc - COALESCE((SELECT amount_mc FROM settled), 0),
        balance_mc = balance_mc - COALESCE((SELECT charged_mc FROM settled), 0)
    WHERE id = (SELECT user_id FROM closed)
    RETURNING id, balance_mc, reserved_mc,
        COALESCE((SELECT charged_mc FROM settled), 0) AS charged
), entry AS (
    INSERT INTO ledger_entries (id, user_id, kind, amount_mc, balance_after_mc, reference,
        model, words, actor, meta, created_at)
    SELECT $13, id, $14, -charged, balance_mc, $15, $16, $6, 'system', $17, $12
    FROM moved WHERE charged > 0
)
SELECT balance_mc, reserved_mc FROM moved"#;

/// Closes the generation; `None` when something else closed it first (nothing is written).
pub async fn close(
    db: &DatabaseConnection,
    closing: &Closing<'_>,
) -> Result<Option<Closed>, LedgerError> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let statement =
                Statement::from_sql_and_values(DbBackend::Postgres, STATEMENT, values(closing));
            match db.query_one_raw(statement).await? {
                Some(row) => Ok(Some(Closed {
                    balance_mc: row.try_get_by_index(0)?,
                    reserved_mc: row.try_get_by_index(1)?,
                })),
                None => Ok(None),
            }
        }
        _ => close_in_transaction(db, closing).await,
    }
}

async fn close_in_transaction(
    db: &DatabaseConnection,
    closing: &Closing<'_>,
) -> Result<Option<Closed>, LedgerError> {
    let txn = crate::begin_write(db).await?;
    if !finish(&txn, closing.id, closing.finish).await? {
        return Ok(None);
    }
    if let Some(hold) = closing.hold {
        let words = closing.finish.words.map(words_i64);
        holds::settle(&txn, hold, closing.finish.cost, words, closing.meta.clone()).await?;
    }
    release_slot(&txn, closing.user.as_uuid()).await?;
    let user = Users::find_by_id(closing.user.as_uuid())
        .one(&txn)
        .await?
        .ok_or(LedgerError::UnknownUser)?;
    txn.commit().await?;
    Ok(Some(Closed {
        balance_mc: user.balance_mc,
        reserved_mc: user.reserved_mc,
    }))
}

/// The parameters of [`STATEMENT`].
fn values(closing: &Closing<'_>) -> Vec<Value> {
    let f = closing.finish;
    let text = |s: Option<&str>| Value::from(s.map(str::to_owned));
    vec![
        closing.id.into(),
        closing.hold.into(),
        f.status.as_str().into(),
        f.cost.get().into(),
        text(f.output),
        f.words.map(words_i64).into(),
        text(f.finish_reason),
        text(f.error_code),
        text(f.error_message),
        f.prompt_tokens.map(tokens_i32).into(),
        f.completion_tokens.map(tokens_i32).into(),
        f.at.into(),
        penora_domain::LedgerEntryId::new().as_uuid().into(),
        EntryKind::Generation.as_str().into(),
        closing.hold.map(holds::reference).into(),
        closing.model.into(),
        closing.meta.clone().into(),
    ]
}

fn words_i64(words: u64) -> i64 {
    i64::try_from(words).unwrap_or(i64::MAX)
}
