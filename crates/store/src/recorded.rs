//! One ledger movement together with its audit entry and its stored idempotent response,
//! committed as one: the hot path of app debits.
//!
//! On PostgreSQL the four writes are one statement (data-modifying CTEs) sent in one round
//! trip and committed on their own: the transaction the ledger module would open costs six
//! round trips (`BEGIN`, four statements, `COMMIT`), and at a few thousand debits a second
//! those round trips, not the writes, were most of the CPU of both the server and the
//! database. SQLite has no data-modifying CTEs; there the four writes are one batch of
//! statements inside `BEGIN IMMEDIATE` … `COMMIT` (three hand-offs to SQLite's worker thread
//! instead of six: with one writer, those hand-offs are what limits throughput). Each later
//! write of the batch runs only when the one before it changed a row (`changes()`).
//!
//! The rules are the ledger's: the update's `WHERE` refuses an overdraft, the unique
//! reference and the unique idempotency key refuse a second application.

use chrono::{DateTime, Utc};
use penora_domain::{LedgerEntryId, UserId};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, QueryResult, Statement, Value};
use uuid::Uuid;

use crate::audit::AuditEntry;
use crate::idempotency::NewResponse;
use crate::ledger::{refusal, refused_twice, EntryRow, LedgerError, Movement};

/// What commits together.
pub struct Recorded<'a> {
    /// The new entry's id and time, chosen up front so the stored response can carry them
    /// (take the time from [`crate::now`]).
    pub id: LedgerEntryId,
    pub at: DateTime<Utc>,
    pub movement: Movement<'a>,
    pub audit: AuditEntry<'a>,
    /// The response to store; `balance_field` in it is set to the balance after the movement.
    pub response: NewResponse<'a>,
    pub balance_field: &'a str,
}

const STATEMENT: &str = r#"
WITH moved AS (
    UPDATE users SET balance_mc = balance_mc + $1
    WHERE id = $2 AND balance_mc - reserved_mc >= $3
    RETURNING balance_mc
), entry AS (
    INSERT INTO ledger_entries (id, user_id, kind, amount_mc, balance_after_mc, reference,
        related_entry_id, model, words, actor, description, meta, created_at)
    SELECT $4, $2, $5, $1, balance_mc, $6, $7, $8, $9, $10, $11, $12, $13 FROM moved
    RETURNING balance_after_mc
), audited AS (
    INSERT INTO audit_log (id, actor_user_id, action, subject, ip, meta, created_at)
    SELECT $14, $15, $16, $17, $18, $19, $13 FROM entry
), stored AS (
    INSERT INTO idempotency_keys (id, scope, key, fingerprint, status, response, created_at,
        expires_at)
    SELECT $20, $21, $22, $23, $24,
        ($25::jsonb || jsonb_build_object($26::text, balance_after_mc))::json, $13, $27
    FROM entry
)
SELECT balance_after_mc FROM entry"#;

/// The same writes for SQLite, with the same parameters.
const BATCH: &str = r#"
UPDATE users SET balance_mc = balance_mc + $1
WHERE id = $2 AND balance_mc - reserved_mc >= $3;
INSERT INTO ledger_entries (id, user_id, kind, amount_mc, balance_after_mc, reference,
    related_entry_id, model, words, actor, description, meta, created_at)
SELECT $4, $2, $5, $1, balance_mc, $6, $7, $8, $9, $10, $11, $12, $13
FROM users WHERE id = $2 AND changes() = 1;
INSERT INTO audit_log (id, actor_user_id, action, subject, ip, meta, created_at)
SELECT $14, $15, $16, $17, $18, $19, $13 WHERE changes() = 1;
INSERT INTO idempotency_keys (id, scope, key, fingerprint, status, response, created_at,
    expires_at)
SELECT $20, $21, $22, $23, $24, json_set($25, '$.' || $26, balance_after_mc), $13, $27
FROM ledger_entries WHERE id = $4 AND changes() = 1;
SELECT balance_after_mc FROM ledger_entries WHERE id = $4"#;

/// Applies `recorded` once. A second application (same reference or same idempotency key)
/// is `AlreadyApplied`; nothing is written then, nor on any other error.
pub async fn apply(
    db: &DatabaseConnection,
    recorded: Recorded<'_>,
) -> Result<EntryRow, LedgerError> {
    let (id, at) = (recorded.id.as_uuid(), recorded.at);
    let values = values(&recorded, id, at);
    let reference = recorded.movement.reference;
    let user = recorded.movement.user;
    let balance_after = match db.get_database_backend() {
        DbBackend::Postgres => {
            let statement = Statement::from_sql_and_values(DbBackend::Postgres, STATEMENT, values);
            let row = db
                .query_one_raw(statement)
                .await
                .map_err(|err| refused_twice(err, reference))?;
            balance_of(db, row, user).await?
        }
        backend => {
            let txn = crate::begin_write(db).await?;
            let statement = Statement::from_sql_and_values(backend, BATCH, values);
            let row = txn
                .query_one_raw(statement)
                .await
                .map_err(|err| refused_twice(err, reference))?;
            let balance = balance_of(&txn, row, user).await?;
            txn.commit().await?;
            balance
        }
    };
    let m = recorded.movement;
    Ok(EntryRow {
        id,
        user_id: m.user.as_uuid(),
        kind: m.kind.as_str().to_owned(),
        amount_mc: m.amount.get(),
        balance_after_mc: balance_after,
        reference: m.reference.to_owned(),
        related_entry_id: m.related.map(|r| r.as_uuid()),
        model: m.model.map(str::to_owned),
        words: m.words,
        actor: m.actor.map(str::to_owned),
        description: m.description.map(str::to_owned),
        meta: m.meta,
        created_at: at,
    })
}

/// The parameters of both forms, `$1` to `$27`.
fn values(recorded: &Recorded<'_>, id: Uuid, at: DateTime<Utc>) -> Vec<Value> {
    let (m, a, r) = (&recorded.movement, &recorded.audit, &recorded.response);
    let amount = m.amount.get();
    // Spending may only use what is not reserved; a credit always applies.
    let needed = if amount < 0 { -amount } else { i64::MIN };
    let text = |s: Option<&str>| Value::from(s.map(str::to_owned));
    vec![
        amount.into(),
        m.user.as_uuid().into(),
        needed.into(),
        id.into(),
        m.kind.as_str().into(),
        m.reference.into(),
        m.related.map(|r| r.as_uuid()).into(),
        text(m.model),
        m.words.into(),
        text(m.actor),
        text(m.description),
        m.meta.clone().into(),
        at.into(),
        Uuid::now_v7().into(),
        a.actor.map(|u| u.as_uuid()).into(),
        a.action.into(),
        text(a.subject),
        text(a.ip),
        a.meta.clone().into(),
        Uuid::now_v7().into(),
        r.scope.into(),
        r.key.into(),
        r.fingerprint.into(),
        i32::from(r.status).into(),
        r.response.clone().into(),
        recorded.balance_field.into(),
        r.expires_at.into(),
    ]
}

/// The balance after the movement, from the row the writes return; no row means they were
/// refused.
async fn balance_of(
    db: &impl ConnectionTrait,
    row: Option<QueryResult>,
    user: UserId,
) -> Result<i64, LedgerError> {
    match row {
        Some(row) => Ok(row.try_get_by_index::<i64>(0)?),
        None => Err(refusal(db, user).await),
    }
}
