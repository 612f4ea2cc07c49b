//! Closing a generation: the row's end, its hold settled on what was delivered (one
//! `generation` ledger entry for the charge) and its concurrency slot given back, at once.
//!
//! Only the first closer closes it (the row's `status = 'running'` condition), so the
//! streaming task, a cancel on another replica and the hold sweeper can all try. On
//! PostgreSQL it is one statement of data-modifying CTEs for any number of closings
//! ([`POSTGRES`]) that also returns the balance the final event reports, and the closings
//! waiting at the same moment share it ([`crate::group_commit`]); a closing written alone runs
//! the same writes with scalar parameters ([`POSTGRES_ONE`]), which costs less than a batch
//! of one. Each statement locks the user's row before it touches the generation's, as every
//! statement that opens, closes or debits does, and reaches every table by primary key (the
//! ids come as arrays beside the JSON). On SQLite it is a transaction of the long way's
//! steps.

use std::collections::HashMap;

use penora_domain::{EntryKind, UserId};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, Statement, Value,
};
use serde::Serialize;
use uuid::Uuid;

use super::batch::{query_batch, stopped, Queued};
use super::{finish, release_slot, tokens_i32, words_i64, Finish};
use crate::entities::user::Entity as Users;
use crate::group_commit::{lock_users, Writes};
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

/// PostgreSQL: any number of closings (of distinct users), each an object of the JSON array
/// `$1` ([`Item`]); `$2` holds their users' ids (locked first) and `$3` theirs, so that
/// `generations` is reached by primary key (see [`query_batch`]). Returns the id, balance
/// and reservation of each generation closed.
const POSTGRES: &str = concat!(
    lock_users!(),
    r#"d AS (
    SELECT * FROM json_to_recordset($1::json) AS d(
        id uuid, hold_id uuid, status text, cost bigint, output text, words bigint,
        finish_reason text, error_code text, error_message text, prompt_tokens int,
        completion_tokens int, at timestamptz, entry_id uuid, kind text, reference text,
        model text, meta json, input_cost bigint)
), closed AS (
    UPDATE generations SET status = d.status, cost_mc = d.cost, input_cost_mc = d.input_cost,
        output = COALESCE(d.output, generations.output),
        words = COALESCE(d.words, generations.words), finish_reason = d.finish_reason,
        error_code = d.error_code, error_message = d.error_message,
        prompt_tokens = d.prompt_tokens, completion_tokens = d.completion_tokens,
        updated_at = d.at, finished_at = d.at
    FROM d WHERE generations.id = d.id AND generations.id = ANY($3::uuid[])
        AND generations.status = 'running' AND (SELECT count(*) FROM locked) >= 0
    RETURNING d.id, generations.user_id
), settled AS (
    UPDATE holds SET state = 'settled', settled_at = d.at,
        charged_mc = LEAST(GREATEST(d.cost, 0), holds.amount_mc)
    FROM d JOIN closed ON closed.id = d.id
    WHERE holds.id = d.hold_id AND holds.state = 'open'
    RETURNING d.id, holds.amount_mc, holds.charged_mc
), moved AS (
    UPDATE users SET active_generations = GREATEST(users.active_generations - 1, 0),
        reserved_mc = users.reserved_mc - COALESCE(settled.amount_mc, 0),
        balance_mc = users.balance_mc - COALESCE(settled.charged_mc, 0)
    FROM closed LEFT JOIN settled ON settled.id = closed.id
    WHERE users.id = closed.user_id
    RETURNING closed.id, closed.user_id, users.balance_mc, users.reserved_mc,
        COALESCE(settled.charged_mc, 0) AS charged
), entry AS (
    INSERT INTO ledger_entries (id, user_id, kind, amount_mc, balance_after_mc, reference,
        model, words, actor, meta, created_at)
    SELECT d.entry_id, moved.user_id, d.kind, -moved.charged, moved.balance_mc, d.reference,
        d.model, d.words, 'system', d.meta, d.at
    FROM d JOIN moved ON moved.id = d.id WHERE moved.charged > 0
)
SELECT id, balance_mc, reserved_mc FROM moved"#
);

/// PostgreSQL, one closing written alone: [`POSTGRES`] for one generation with scalar
/// parameters, `$1` to `$19` as in [`values`]; it too locks the user's row first.
const POSTGRES_ONE: &str = r#"
WITH locked AS MATERIALIZED (
    SELECT id FROM users WHERE id = $18 FOR NO KEY UPDATE
), closed AS (
    UPDATE generations SET status = $3, cost_mc = $4, input_cost_mc = $19,
        output = COALESCE($5, output),
        words = COALESCE($6, words), finish_reason = $7, error_code = $8,
        error_message = $9, prompt_tokens = $10, completion_tokens = $11, updated_at = $12,
        finished_at = $12
    WHERE id = $1 AND status = 'running' AND (SELECT count(*) FROM locked) >= 0
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

/// One closing as [`POSTGRES`] reads it.
#[derive(Serialize)]
struct Item<'a> {
    id: Uuid,
    hold_id: Option<Uuid>,
    status: &'a str,
    cost: i64,
    output: Option<&'a str>,
    words: Option<i64>,
    finish_reason: Option<&'a str>,
    error_code: Option<&'a str>,
    error_message: Option<&'a str>,
    prompt_tokens: Option<i32>,
    completion_tokens: Option<i32>,
    at: chrono::DateTime<chrono::Utc>,
    entry_id: Uuid,
    kind: &'a str,
    reference: Option<String>,
    model: &'a str,
    meta: &'a serde_json::Value,
    input_cost: i64,
}

/// Closings as [`crate::group_commit::GroupCommit`] writes them (PostgreSQL): the balance
/// after, or `None` when something else closed the generation first.
pub(super) struct Closes {
    pub db: DatabaseConnection,
}

impl Writes for Closes {
    type Item = Queued;
    type Answer = Result<Option<Closed>, DbErr>;

    fn key(item: &Queued) -> Uuid {
        item.user
    }

    async fn write_batch(&self, batch: &[&Queued]) -> Result<Vec<Self::Answer>, DbErr> {
        let closed = closed(&self.db, batch).await?;
        Ok(batch
            .iter()
            .map(|q| Ok(closed.get(&q.id).copied()))
            .collect())
    }

    async fn write_one(&self, item: &Queued) -> Self::Answer {
        let statement =
            Statement::from_sql_and_values(DbBackend::Postgres, POSTGRES_ONE, item.lone.clone());
        match self.db.query_one_raw(statement).await? {
            Some(row) => Ok(Some(Closed {
                balance_mc: row.try_get_by_index(0)?,
                reserved_mc: row.try_get_by_index(1)?,
            })),
            None => Ok(None),
        }
    }

    fn stopped() -> Self::Answer {
        Err(stopped())
    }
}

/// Runs [`POSTGRES`]: the balance and reservation after each closing, by generation id.
async fn closed(
    db: &DatabaseConnection,
    batch: &[&Queued],
) -> Result<HashMap<Uuid, Closed>, DbErr> {
    query_batch(db, POSTGRES, batch)
        .await?
        .iter()
        .map(|row| {
            let closed = Closed {
                balance_mc: row.try_get_by_index(1)?,
                reserved_mc: row.try_get_by_index(2)?,
            };
            Ok((row.try_get_by_index(0)?, closed))
        })
        .collect()
}

/// A closing ready to queue (PostgreSQL).
pub(super) fn queued(closing: &Closing<'_>) -> Result<Queued, DbErr> {
    let f = closing.finish;
    let entry_id = penora_domain::LedgerEntryId::new().as_uuid();
    let item = serde_json::to_string(&Item {
        id: closing.id,
        hold_id: closing.hold,
        status: f.status.as_str(),
        cost: f.cost.get(),
        output: f.output,
        words: f.words.map(words_i64),
        finish_reason: f.finish_reason,
        error_code: f.error_code,
        error_message: f.error_message,
        prompt_tokens: f.prompt_tokens.map(tokens_i32),
        completion_tokens: f.completion_tokens.map(tokens_i32),
        at: f.at,
        entry_id,
        kind: EntryKind::Generation.as_str(),
        reference: closing.hold.map(holds::reference),
        model: closing.model,
        meta: &closing.meta,
        input_cost: f.input_cost.get(),
    })
    .map_err(|err| DbErr::Custom(err.to_string()))?;
    Ok(Queued {
        user: closing.user.as_uuid(),
        id: closing.id,
        item,
        lone: values(closing, entry_id),
    })
}

/// SQLite: the transaction of the long way (round trips to an in-process database cost
/// little).
pub(super) async fn close_in_transaction(
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

/// The parameters of [`POSTGRES_ONE`].
fn values(closing: &Closing<'_>, entry_id: Uuid) -> Vec<Value> {
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
        entry_id.into(),
        EntryKind::Generation.as_str().into(),
        closing.hold.map(holds::reference).into(),
        closing.model.into(),
        closing.meta.clone().into(),
        closing.user.as_uuid().into(),
        f.input_cost.get().into(),
    ]
}
