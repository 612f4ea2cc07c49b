//! Opening a generation in one write, all or nothing: a concurrency slot, the hold for the
//! most it may cost, and the stored row.
//!
//! It reserves the full amount or nothing: a refusal (no slot free, a balance that pays for
//! less than the length asked for, or an account check that fails) returns `None` and the
//! caller opens the generation the long way, which reads the account, tells the refusals
//! apart and reserves what the balance allows. The account checks are those authenticating
//! would otherwise have read the account for ([`Checks`]): the account exists and is not
//! deleted (a replica may still trust a cached key of a deleted account), a session's epoch
//! is current, and, when asked, the user stored no provider key of their own (which would
//! be used instead of the platform's). The rules are the long way's: the update's `WHERE`
//! refuses a slot past the limit and an overdraft, the unique idempotency key a second
//! generation for one request (an error, as with the long way).
//!
//! On PostgreSQL it is one statement of data-modifying CTEs for any number of openings
//! ([`POSTGRES`]), which the openings waiting at the same moment share
//! ([`crate::group_commit`]); an opening written alone runs the same writes with scalar
//! parameters ([`POSTGRES_ONE`]), which costs less than a batch of one. On SQLite it is one
//! batch of statements in a `BEGIN IMMEDIATE` transaction ([`SQLITE`]), each write running
//! only when the one before it changed a row (`changes()`).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement, Value};
use serde::Serialize;
use uuid::Uuid;

use super::batch::{query_batch, stopped, Queued};
use super::{words_i64, GenerationRow, NewGeneration, RUNNING};
use crate::group_commit::{lock_users, Writes};
use crate::text::AsText;

/// A generation to open with a hold of `new.max_cost` (none when that is zero).
#[derive(Debug, Clone)]
pub struct Opening<'a> {
    pub new: NewGeneration<'a>,
    /// The user's concurrency limit.
    pub slots: u32,
    /// When the hold expires unless the generation saves progress (the sweeper's cue).
    pub expires_at: DateTime<Utc>,
    /// The row's times; take it from [`crate::now`] so the row returned equals a later read.
    pub at: DateTime<Utc>,
    pub checks: Checks,
}

/// What the opening checks of the account besides the slot and the balance.
#[derive(Debug, Clone, Copy, Default)]
pub struct Checks {
    /// Refused unless the user's session epoch is this (a session's token; `None` for keys).
    pub session_epoch: Option<i64>,
    /// Refused when the user stored provider keys of their own.
    pub without_own_keys: bool,
}

/// SQLite: one opening, `$1` to `$21` as in [`values`].
const SQLITE: &str = r#"
UPDATE users SET active_generations = active_generations + 1, reserved_mc = reserved_mc + $4
WHERE id = $2 AND active_generations < $3 AND balance_mc - reserved_mc >= $4
    AND ($18 IS NULL OR session_epoch = $18) AND (NOT $19 OR provider_keys = 0)
    AND deleted_at IS NULL;
INSERT INTO generations (id, user_id, tool, model, provider, input, instructions, params,
    output, words, cost_mc, max_cost_mc, status, hold_id, cancel_requested, project_id,
    billed_to, idempotency_key, fingerprint, created_at, updated_at, input_words,
    input_cost_mc)
SELECT $1, $2, $6, $7, $8, $9, $10, $11, '', 0, 0, $4, 'running', $5, 0, $12, $13, $14,
    $15, $16, $16, $20, $21
WHERE changes() = 1;
INSERT INTO holds (id, user_id, amount_mc, delivered_mc, state, model, created_at,
    expires_at)
SELECT $5, $2, $4, 0, 'open', $7, $16, $17 WHERE changes() = 1 AND $5 IS NOT NULL;
SELECT count(*) FROM generations WHERE id = $1"#;

/// PostgreSQL: any number of openings (of distinct users), each an object of the JSON array
/// `$1` ([`Item`]); `$2` holds their users' ids, `$3` theirs (see [`query_batch`]). Returns
/// the ids of those opened.
const POSTGRES: &str = concat!(
    lock_users!(),
    r#"d AS (
    SELECT * FROM json_to_recordset($1::json) AS d(
        id uuid, user_id uuid, slots int, cost bigint, hold_id uuid, tool text, model text,
        provider text, input text, instructions text, params text, project_id uuid,
        billed_to text, idempotency_key text, fingerprint text, at timestamptz,
        expires_at timestamptz, session_epoch bigint, without_own_keys boolean,
        input_words bigint, input_cost bigint)
), taken AS (
    UPDATE users SET active_generations = users.active_generations + 1,
        reserved_mc = users.reserved_mc + d.cost
    FROM d WHERE users.id = d.user_id AND users.id = ANY($2::uuid[])
        AND (SELECT count(*) FROM locked) >= 0 AND d.id = ANY($3::uuid[])
        AND users.active_generations < d.slots
        AND users.balance_mc - users.reserved_mc >= d.cost
        AND (d.session_epoch IS NULL OR users.session_epoch = d.session_epoch)
        AND (NOT d.without_own_keys OR users.provider_keys = 0)
        AND users.deleted_at IS NULL
    RETURNING d.id
), held AS (
    INSERT INTO holds (id, user_id, amount_mc, delivered_mc, state, model, created_at,
        expires_at)
    SELECT d.hold_id, d.user_id, d.cost, 0, 'open', d.model, d.at, d.expires_at
    FROM d JOIN taken ON taken.id = d.id WHERE d.hold_id IS NOT NULL
)
INSERT INTO generations (id, user_id, tool, model, provider, input, instructions, params,
    output, words, cost_mc, max_cost_mc, status, hold_id, cancel_requested, project_id,
    billed_to, idempotency_key, fingerprint, created_at, updated_at, input_words,
    input_cost_mc)
SELECT d.id, d.user_id, d.tool, d.model, d.provider, d.input, d.instructions, d.params, '',
    0, 0, d.cost, 'running', d.hold_id, false, d.project_id, d.billed_to, d.idempotency_key,
    d.fingerprint, d.at, d.at, d.input_words, d.input_cost
FROM d JOIN taken ON taken.id = d.id
RETURNING id"#
);

/// PostgreSQL, one opening written alone: [`POSTGRES`] for one generation with scalar
/// parameters, `$1` to `$21` as in [`values`] (the same as [`SQLITE`]'s).
const POSTGRES_ONE: &str = r#"
WITH taken AS (
    UPDATE users SET active_generations = active_generations + 1,
        reserved_mc = reserved_mc + $4
    WHERE id = $2 AND active_generations < $3 AND balance_mc - reserved_mc >= $4
        AND ($18::bigint IS NULL OR session_epoch = $18) AND (NOT $19 OR provider_keys = 0)
        AND deleted_at IS NULL
    RETURNING id
), held AS (
    INSERT INTO holds (id, user_id, amount_mc, delivered_mc, state, model, created_at,
        expires_at)
    SELECT $5, $2, $4, 0, 'open', $7, $16, $17 FROM taken WHERE $5 IS NOT NULL
)
INSERT INTO generations (id, user_id, tool, model, provider, input, instructions, params,
    output, words, cost_mc, max_cost_mc, status, hold_id, cancel_requested, project_id,
    billed_to, idempotency_key, fingerprint, created_at, updated_at, input_words,
    input_cost_mc)
SELECT $1, $2, $6, $7, $8, $9, $10, $11, '', 0, 0, $4, 'running', $5, false, $12, $13, $14,
    $15, $16, $16, $20, $21
FROM taken
RETURNING id"#;

/// One opening as [`POSTGRES`] reads it.
#[derive(Serialize)]
struct Item<'a> {
    id: Uuid,
    user_id: Uuid,
    slots: u32,
    cost: i64,
    hold_id: Option<Uuid>,
    tool: &'a str,
    model: &'a str,
    provider: &'a str,
    input: &'a str,
    instructions: &'a str,
    params: String,
    project_id: Option<Uuid>,
    billed_to: &'a str,
    idempotency_key: Option<&'a str>,
    fingerprint: Option<&'a str>,
    at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    session_epoch: Option<i64>,
    without_own_keys: bool,
    input_words: i64,
    input_cost: i64,
}

/// Openings as [`crate::group_commit::GroupCommit`] writes them (PostgreSQL): opened or
/// refused.
pub(super) struct Opens {
    pub db: DatabaseConnection,
}

impl Writes for Opens {
    type Item = Queued;
    type Answer = Result<bool, DbErr>;

    fn key(item: &Queued) -> Uuid {
        item.user
    }

    async fn write_batch(&self, batch: &[&Queued]) -> Result<Vec<Self::Answer>, DbErr> {
        let opened = opened(&self.db, batch).await?;
        Ok(batch.iter().map(|q| Ok(opened.contains(&q.id))).collect())
    }

    async fn write_one(&self, item: &Queued) -> Self::Answer {
        let statement =
            Statement::from_sql_and_values(DbBackend::Postgres, POSTGRES_ONE, item.lone.clone());
        Ok(self.db.query_one_raw(statement).await?.is_some())
    }

    fn stopped() -> Self::Answer {
        Err(stopped())
    }
}

/// Runs [`POSTGRES`]: the ids of the generations it opened.
async fn opened(db: &DatabaseConnection, batch: &[&Queued]) -> Result<HashSet<Uuid>, DbErr> {
    query_batch(db, POSTGRES, batch)
        .await?
        .iter()
        .map(|row| row.try_get_by_index(0))
        .collect()
}

/// An opening ready to queue (PostgreSQL).
pub(super) fn queued(opening: &Opening<'_>) -> Result<Queued, DbErr> {
    let new = &opening.new;
    let item = serde_json::to_string(&Item {
        id: new.id,
        user_id: new.user.as_uuid(),
        slots: opening.slots,
        cost: new.max_cost.get(),
        hold_id: new.hold,
        tool: new.tool,
        model: new.model,
        provider: new.provider,
        input: new.input,
        instructions: new.instructions,
        params: new.params.to_string(),
        project_id: new.project,
        billed_to: new.billed_to.as_str(),
        idempotency_key: new.idempotency_key,
        fingerprint: new.fingerprint,
        at: opening.at,
        expires_at: opening.expires_at,
        session_epoch: opening.checks.session_epoch,
        without_own_keys: opening.checks.without_own_keys,
        input_words: words_i64(new.input_words),
        input_cost: new.input_cost.get(),
    })
    .map_err(|err| DbErr::Custom(err.to_string()))?;
    Ok(Queued {
        user: new.user.as_uuid(),
        id: new.id,
        item,
        lone: values(opening),
    })
}

/// SQLite: [`SQLITE`] in a transaction of its own; true when it opened.
pub(super) async fn open_sqlite(
    db: &DatabaseConnection,
    opening: &Opening<'_>,
) -> Result<bool, DbErr> {
    let txn = crate::begin_write(db).await?;
    let statement = Statement::from_sql_and_values(DbBackend::Sqlite, SQLITE, values(opening));
    let count = match txn.query_one_raw(statement).await? {
        Some(row) => row.try_get_by_index::<i64>(0)?,
        None => 0,
    };
    if count == 1 {
        txn.commit().await?;
    }
    Ok(count == 1)
}

/// The row as the opening wrote it, without reading it back.
pub(super) fn row(opening: &Opening<'_>) -> GenerationRow {
    let new = &opening.new;
    GenerationRow {
        id: new.id,
        user_id: new.user.as_uuid(),
        tool: new.tool.to_owned(),
        model: new.model.to_owned(),
        provider: new.provider.to_owned(),
        input: new.input.to_owned(),
        instructions: new.instructions.to_owned(),
        params: new.params.to_string(),
        output: String::new(),
        words: 0,
        cost_mc: 0,
        max_cost_mc: new.max_cost.get(),
        input_words: words_i64(new.input_words),
        input_cost_mc: new.input_cost.get(),
        status: RUNNING,
        finish_reason: None,
        error_code: None,
        error_message: None,
        hold_id: new.hold,
        cancel_requested: false,
        prompt_tokens: None,
        completion_tokens: None,
        project_id: new.project,
        billed_to: AsText(new.billed_to),
        idempotency_key: new.idempotency_key.map(str::to_owned),
        fingerprint: new.fingerprint.map(str::to_owned),
        created_at: opening.at,
        updated_at: opening.at,
        finished_at: None,
    }
}

/// The parameters of [`SQLITE`] and [`POSTGRES_ONE`].
fn values(opening: &Opening<'_>) -> Vec<Value> {
    let new = &opening.new;
    vec![
        new.id.into(),
        new.user.as_uuid().into(),
        i64::from(opening.slots).into(),
        new.max_cost.get().into(),
        new.hold.into(),
        new.tool.into(),
        new.model.into(),
        new.provider.into(),
        new.input.into(),
        new.instructions.into(),
        new.params.to_string().into(),
        new.project.into(),
        new.billed_to.as_str().into(),
        new.idempotency_key.map(str::to_owned).into(),
        new.fingerprint.map(str::to_owned).into(),
        opening.at.into(),
        opening.expires_at.into(),
        opening.checks.session_epoch.into(),
        opening.checks.without_own_keys.into(),
        words_i64(new.input_words).into(),
        new.input_cost.get().into(),
    ]
}
