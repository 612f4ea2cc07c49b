//! One ledger movement together with its audit entry and its stored idempotent response,
//! committed as one: the hot path of app debits.
//!
//! On PostgreSQL the four writes are one statement of data-modifying CTEs for any number of
//! movements of distinct users ([`POSTGRES`]), committed on its own, which the movements
//! waiting at the same moment share ([`crate::group_commit`]; several movements of one user
//! run as layers, a statement each, in one transaction); a lone movement is a batch of one. On SQLite they
//! are one batch of statements per movement ([`SQLITE`]), and the movements waiting at the
//! same moment share one `BEGIN IMMEDIATE` … `COMMIT`. Each later write of the batch runs
//! only when the one before it changed a row (`changes()`).
//!
//! The rules are the ledger's: the update's `WHERE` refuses an overdraft (and a deleted
//! account's tombstone, which keeps its entries but takes no new ones), the unique
//! reference and the unique idempotency key refuse a second application. A batch that fails
//! as a whole (a retry whose first attempt is in the same statement) is written again one
//! movement at a time, so each gets its own answer.
//!
//! The stored response is written as the caller gives it: the balance after the movement is
//! known only to the statement, so an answer that reports it is rebuilt from the ledger
//! entry (its reference is unique), on the first request and on a replay alike.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use penora_domain::{LedgerEntryId, UserId};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, Statement, Value,
};
use serde::Serialize;
use uuid::Uuid;

use crate::audit::AuditEntry;
use crate::group_commit::{in_layers, lock_users, GroupCommit, Layer, Writes};
use crate::idempotency::NewResponse;
use crate::ledger::{refusal, refused_twice, EntryRow, LedgerError, Movement};
use crate::text::AsText;

/// What commits together.
pub struct Recorded<'a> {
    /// The new entry's id and time, chosen up front so the stored response can name them
    /// (take the time from [`crate::now`], to the microsecond the database keeps).
    pub id: LedgerEntryId,
    pub at: DateTime<Utc>,
    pub movement: Movement<'a>,
    pub audit: AuditEntry<'a>,
    /// The response stored with the idempotency key, as given.
    pub response: NewResponse<'a>,
}

/// PostgreSQL: any number of movements (of distinct users) in one statement, each given as
/// an object of a JSON array `$1` (see [`item`]; `$2` their users, locked first), sent as
/// text: `json` is only checked where `jsonb` would be parsed, sorted and printed again.
/// Movements refused for lack of credits are left out of the result; a second application
/// of a reference or idempotency key fails the whole statement (unique violation).
const POSTGRES: &str = concat!(
    lock_users!(),
    r#"d AS (
    SELECT * FROM json_to_recordset($1::json) AS d(
        amount bigint, user_id uuid, needed bigint, id uuid, kind text, reference text,
        related uuid, model text, words bigint, actor text, description text, meta json,
        at timestamptz, audit_id uuid, audit_actor uuid, action text, subject text, ip text,
        audit_meta json, idem_id uuid, scope text, key text, fingerprint text, status int,
        response json, expires_at timestamptz)
), moved AS (
    UPDATE users SET balance_mc = users.balance_mc + d.amount
    FROM d WHERE users.id = d.user_id AND users.balance_mc - users.reserved_mc >= d.needed
        AND users.deleted_at IS NULL AND (SELECT count(*) FROM locked) >= 0
    RETURNING d.id, users.balance_mc
), entry AS (
    INSERT INTO ledger_entries (id, user_id, kind, amount_mc, balance_after_mc, reference,
        related_entry_id, model, words, actor, description, meta, created_at)
    SELECT d.id, d.user_id, d.kind, d.amount, moved.balance_mc, d.reference, d.related,
        d.model, d.words, d.actor, d.description, d.meta, d.at
    FROM d JOIN moved ON moved.id = d.id
    RETURNING id, balance_after_mc
), audited AS (
    INSERT INTO audit_log (id, actor_user_id, action, subject, ip, meta, created_at)
    SELECT d.audit_id, d.audit_actor, d.action, d.subject, d.ip, d.audit_meta, d.at
    FROM d JOIN entry ON entry.id = d.id
), stored AS (
    INSERT INTO idempotency_keys (id, scope, key, fingerprint, status, response, created_at,
        expires_at)
    SELECT d.idem_id, d.scope, d.key, d.fingerprint, d.status, d.response, d.at,
        d.expires_at
    FROM d JOIN entry ON entry.id = d.id
)
SELECT id, balance_after_mc FROM entry"#
);

/// SQLite: one movement, `$1` to `$26` as in [`values`], inside a savepoint: in a
/// transaction shared with other movements, a failed one is rolled back to it alone
/// ([`UNDO`]).
const SQLITE: &str = r#"
SAVEPOINT movement;
UPDATE users SET balance_mc = balance_mc + $1
WHERE id = $2 AND balance_mc - reserved_mc >= $3 AND deleted_at IS NULL;
INSERT INTO ledger_entries (id, user_id, kind, amount_mc, balance_after_mc, reference,
    related_entry_id, model, words, actor, description, meta, created_at)
SELECT $4, $2, $5, $1, balance_mc, $6, $7, $8, $9, $10, $11, $12, $13
FROM users WHERE id = $2 AND changes() = 1;
INSERT INTO audit_log (id, actor_user_id, action, subject, ip, meta, created_at)
SELECT $14, $15, $16, $17, $18, $19, $13 WHERE changes() = 1;
INSERT INTO idempotency_keys (id, scope, key, fingerprint, status, response, created_at,
    expires_at)
SELECT $20, $21, $22, $23, $24, $25, $13, $26 WHERE changes() = 1;
RELEASE movement;
SELECT balance_after_mc FROM ledger_entries WHERE id = $4"#;

/// After a statement of [`SQLITE`] failed.
const UNDO: &str = "ROLLBACK TO movement; RELEASE movement";

/// Applies movements with their audit entries and stored responses, the movements waiting
/// at the same moment together (see [`crate::group_commit`]) once [`Recorder::start`] has
/// run; on PostgreSQL a batch is one statement, on SQLite one transaction with a savepoint
/// per movement.
#[derive(Clone)]
pub struct Recorder {
    db: DatabaseConnection,
    movements: GroupCommit<Movements>,
}

/// A movement waiting for the writer task.
struct Pending {
    id: Uuid,
    user: UserId,
    reference: String,
    params: Params,
}

/// A movement's parameters, as its database's statement reads them.
enum Params {
    /// An object of [`POSTGRES`]'s array, as JSON text.
    Postgres(String),
    /// [`SQLITE`]'s `$1` to `$26`.
    Sqlite(Vec<Value>),
}

type Answer = Result<i64, LedgerError>;

impl Recorder {
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            movements: GroupCommit::new(Movements { db: db.clone() }),
            db,
        }
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Starts writing in batches (a task on the calling Tokio runtime).
    pub fn start(&self) {
        self.movements.start();
    }

    /// Applies `recorded` once. A second application (same reference or same idempotency
    /// key) is `AlreadyApplied`; nothing is written then, nor on any other error.
    pub async fn apply(&self, recorded: Recorded<'_>) -> Result<EntryRow, LedgerError> {
        let (id, at) = (recorded.id.as_uuid(), recorded.at);
        let m = &recorded.movement;
        let pending = Pending {
            id,
            user: m.user,
            reference: m.reference.to_owned(),
            params: match self.db.get_database_backend() {
                DbBackend::Postgres => Params::Postgres(item(&recorded)?),
                _ => Params::Sqlite(values(&recorded)),
            },
        };
        let balance_after_mc = self.movements.write(pending).await?;
        Ok(EntryRow {
            id,
            user_id: m.user.as_uuid(),
            kind: AsText(m.kind),
            amount_mc: m.amount.get(),
            balance_after_mc,
            reference: m.reference.to_owned(),
            related_entry_id: m.related.map(|r| r.as_uuid()),
            model: m.model.map(str::to_owned),
            words: m.words,
            actor: m.actor.map(str::to_owned),
            description: m.description.map(str::to_owned),
            meta: recorded.movement.meta,
            created_at: at,
        })
    }
}

/// Ledger movements as [`GroupCommit`] writes them.
struct Movements {
    db: DatabaseConnection,
}

impl Writes for Movements {
    type Item = Pending;
    type Answer = Answer;

    fn key(item: &Pending) -> Uuid {
        item.user.as_uuid()
    }

    async fn write_batch(&self, batch: &[&Pending]) -> Result<Vec<Answer>, DbErr> {
        write_movements(&self.db, batch).await
    }

    async fn write_one(&self, item: &Pending) -> Answer {
        write_movement(&self.db, item).await
    }

    fn stopped() -> Answer {
        Err(LedgerError::Db(DbErr::Custom(
            "the ledger writer stopped".to_owned(),
        )))
    }
}

/// Writes a batch together: an answer per movement (applied, or refused for lack of
/// credits), or an error when it must be written one at a time.
async fn write_movements(
    db: &DatabaseConnection,
    batch: &[&Pending],
) -> Result<Vec<Answer>, DbErr> {
    if db.get_database_backend() == DbBackend::Postgres {
        return in_layers(&PostgresLayer, db, batch, |p| p.user.as_uuid()).await;
    }
    let mut answers = Vec::with_capacity(batch.len());
    let txn = crate::begin_write(db).await?;
    for pending in batch {
        answers.push(match run_sqlite(&txn, pending).await {
            Ok(answer) => answer,
            Err(err) => {
                txn.execute_unprepared(UNDO).await?;
                Err(refused_twice(err, &pending.reference))
            }
        });
    }
    txn.commit().await?;
    Ok(answers)
}

/// Movements of distinct users in one statement (PostgreSQL), each answered as the
/// statement left its user (read on the same connection, so within the batch's transaction).
struct PostgresLayer;

impl Layer for PostgresLayer {
    type Item = Pending;
    type Out = Answer;

    async fn write_layer<C: ConnectionTrait + Sync>(
        &self,
        db: &C,
        layer: &[&Pending],
    ) -> Result<Vec<Answer>, DbErr> {
        let applied = run_postgres(db, layer).await?;
        let mut answers = Vec::with_capacity(layer.len());
        for pending in layer {
            answers.push(answer_of(db, &applied, pending).await);
        }
        Ok(answers)
    }
}

/// One movement in a statement (PostgreSQL) or transaction (SQLite) of its own.
async fn write_movement(db: &DatabaseConnection, pending: &Pending) -> Answer {
    match &pending.params {
        Params::Postgres(_) => match run_postgres(db, &[pending]).await {
            Ok(applied) => answer_of(db, &applied, pending).await,
            Err(err) => Err(refused_twice(err, &pending.reference)),
        },
        Params::Sqlite(_) => {
            let txn = crate::begin_write(db).await?;
            let answer = run_sqlite(&txn, pending)
                .await
                .map_err(|err| refused_twice(err, &pending.reference))??;
            txn.commit().await?;
            Ok(answer)
        }
    }
}

/// A movement's answer from what [`POSTGRES`] applied: the balance after it, or why it was
/// refused (it is missing only when the user cannot pay or does not exist).
async fn answer_of(
    db: &impl ConnectionTrait,
    applied: &HashMap<Uuid, i64>,
    pending: &Pending,
) -> Answer {
    match applied.get(&pending.id) {
        Some(balance) => Ok(*balance),
        None => Err(refusal(db, pending.user).await),
    }
}

/// Runs [`POSTGRES`]: the balance after each applied movement, by entry id.
async fn run_postgres(
    db: &impl ConnectionTrait,
    batch: &[&Pending],
) -> Result<HashMap<Uuid, i64>, DbErr> {
    let items: Vec<&str> = batch
        .iter()
        .filter_map(|p| match &p.params {
            Params::Postgres(item) => Some(item.as_str()),
            Params::Sqlite(_) => None,
        })
        .collect();
    let users: Vec<String> = batch.iter().map(|p| p.user.as_uuid().to_string()).collect();
    let values = [
        Value::from(format!("[{}]", items.join(","))),
        Value::from(format!("{{{}}}", users.join(","))),
    ];
    let statement = Statement::from_sql_and_values(DbBackend::Postgres, POSTGRES, values);
    let rows = db.query_all_raw(statement).await?;
    rows.iter()
        .map(|row| Ok((row.try_get_by_index(0)?, row.try_get_by_index(1)?)))
        .collect()
}

/// Runs [`SQLITE`] inside `txn`: the balance after, or the refusal (nothing written then).
async fn run_sqlite(txn: &DatabaseTransaction, pending: &Pending) -> Result<Answer, DbErr> {
    let Params::Sqlite(values) = &pending.params else {
        return Err(DbErr::Custom("SQLite parameters expected".to_owned()));
    };
    let statement = Statement::from_sql_and_values(DbBackend::Sqlite, SQLITE, values.clone());
    Ok(match txn.query_one_raw(statement).await? {
        Some(row) => Ok(row.try_get_by_index::<i64>(0)?),
        None => Err(refusal(txn, pending.user).await),
    })
}

/// One movement as [`POSTGRES`] reads it.
#[derive(Serialize)]
struct Item<'a> {
    amount: i64,
    user_id: Uuid,
    needed: i64,
    id: Uuid,
    kind: &'a str,
    reference: &'a str,
    related: Option<Uuid>,
    model: Option<&'a str>,
    words: Option<i64>,
    actor: Option<&'a str>,
    description: Option<&'a str>,
    meta: &'a serde_json::Value,
    at: DateTime<Utc>,
    audit_id: Uuid,
    audit_actor: Option<Uuid>,
    action: &'a str,
    subject: Option<&'a str>,
    ip: Option<&'a str>,
    audit_meta: &'a serde_json::Value,
    idem_id: Uuid,
    scope: &'a str,
    key: &'a str,
    fingerprint: &'a str,
    status: u16,
    response: &'a serde_json::Value,
    expires_at: DateTime<Utc>,
}

/// [`Item`] as JSON text.
fn item(recorded: &Recorded<'_>) -> Result<String, DbErr> {
    let (m, a, r) = (&recorded.movement, &recorded.audit, &recorded.response);
    let amount = m.amount.get();
    serde_json::to_string(&Item {
        amount,
        user_id: m.user.as_uuid(),
        needed: needed(amount),
        id: recorded.id.as_uuid(),
        kind: m.kind.as_str(),
        reference: m.reference,
        related: m.related.map(|r| r.as_uuid()),
        model: m.model,
        words: m.words,
        actor: m.actor,
        description: m.description,
        meta: &m.meta,
        at: recorded.at,
        audit_id: Uuid::now_v7(),
        audit_actor: a.actor.map(|u| u.as_uuid()),
        action: a.action,
        subject: a.subject,
        ip: a.ip,
        audit_meta: &a.meta,
        idem_id: Uuid::now_v7(),
        scope: r.scope,
        key: r.key,
        fingerprint: r.fingerprint,
        status: r.status,
        response: &r.response,
        expires_at: r.expires_at,
    })
    .map_err(|err| DbErr::Custom(err.to_string()))
}

/// Spending may only use what is not reserved; a credit always applies.
fn needed(amount: i64) -> i64 {
    if amount < 0 {
        -amount
    } else {
        i64::MIN
    }
}

/// The parameters of [`SQLITE`], `$1` to `$26`: the same fields as [`Item`], positionally (a
/// SQLite uuid is a blob, which JSON text cannot carry).
fn values(recorded: &Recorded<'_>) -> Vec<Value> {
    let (m, a, r) = (&recorded.movement, &recorded.audit, &recorded.response);
    let amount = m.amount.get();
    let text = |s: Option<&str>| Value::from(s.map(str::to_owned));
    vec![
        amount.into(),
        m.user.as_uuid().into(),
        needed(amount).into(),
        recorded.id.as_uuid().into(),
        m.kind.as_str().into(),
        m.reference.into(),
        m.related.map(|r| r.as_uuid()).into(),
        text(m.model),
        m.words.into(),
        text(m.actor),
        text(m.description),
        m.meta.clone().into(),
        recorded.at.into(),
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
        r.expires_at.into(),
    ]
}
