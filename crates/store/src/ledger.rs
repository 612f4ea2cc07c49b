//! The credit ledger. Every balance change is one conditional update of `users` plus one
//! ledger row with a unique `reference`, inside the caller's transaction.
//!
//! Correct under any concurrency, on SQLite and PostgreSQL, across processes, without
//! in-process locks: the update's `WHERE` refuses overdrafts atomically, the row lock (or
//! SQLite's single writer) orders concurrent changes, and the unique reference makes a
//! retried request fail to apply twice. The update comes first so SQLite takes its write
//! lock at the start of the transaction (no read-then-upgrade conflicts).

use chrono::{DateTime, Utc};
use penora_domain::{EntryKind, LedgerEntryId, Millicredits, UserId};
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, ExprTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use crate::entities::ledger_entry::{self, Entity as Ledger};
use crate::entities::user::{self, Entity as Users};
use crate::text::AsText;
use crate::Page;

pub use crate::entities::ledger_entry::Model as EntryRow;

/// One change of one balance.
#[derive(Debug, Clone)]
pub struct Movement<'a> {
    pub user: UserId,
    pub kind: EntryKind,
    /// Signed: negative spends.
    pub amount: Millicredits,
    pub reference: &'a str,
    pub related: Option<LedgerEntryId>,
    pub model: Option<&'a str>,
    pub words: Option<i64>,
    pub actor: Option<&'a str>,
    pub description: Option<&'a str>,
    pub meta: serde_json::Value,
}

impl<'a> Movement<'a> {
    pub fn new(user: UserId, kind: EntryKind, amount: Millicredits, reference: &'a str) -> Self {
        Self {
            user,
            kind,
            amount,
            reference,
            related: None,
            model: None,
            words: None,
            actor: None,
            description: None,
            meta: serde_json::json!({}),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("not enough credits: {available} available")]
    Insufficient { available: Millicredits },
    #[error("no such user")]
    UnknownUser,
    /// The reference was applied before; the transaction must be rolled back.
    #[error("reference {0} was already applied")]
    AlreadyApplied(String),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// A write refused for a unique value: the reference (or the request carrying it) was
/// applied before.
pub(crate) fn refused_twice(err: DbErr, reference: &str) -> LedgerError {
    if crate::is_unique_violation(&err) {
        LedgerError::AlreadyApplied(reference.to_owned())
    } else {
        LedgerError::Db(err)
    }
}

/// Why a movement for `user` did not apply: no such user (or a deleted one's tombstone), or
/// not enough available credits.
pub(crate) async fn refusal(db: &impl ConnectionTrait, user: UserId) -> LedgerError {
    match crate::users::find_by_id(db, user).await {
        Ok(Some(u)) => LedgerError::Insufficient {
            available: Millicredits::new(u.balance_mc - u.reserved_mc),
        },
        Ok(None) => LedgerError::UnknownUser,
        Err(err) => LedgerError::Db(err),
    }
}

/// The overdraft rule on `users`: spending `amount` may only use what is not reserved.
pub(crate) fn available_covers(amount: i64) -> SimpleExpr {
    Expr::col(user::Column::BalanceMc)
        .sub(Expr::col(user::Column::ReservedMc))
        .gte(amount)
}

/// Applies a movement inside `txn`. On `AlreadyApplied` roll back and read the first result
/// with [`find_by_reference`].
pub async fn apply(
    txn: &impl ConnectionTrait,
    movement: Movement<'_>,
) -> Result<EntryRow, LedgerError> {
    let amount = movement.amount.get();
    let mut update = Users::update_many()
        .col_expr(
            user::Column::BalanceMc,
            Expr::col(user::Column::BalanceMc).add(amount),
        )
        .filter(user::Column::Id.eq(movement.user.as_uuid()));
    if amount < 0 {
        update = update.filter(available_covers(-amount));
    }
    let updated = update.exec_with_returning(txn).await?;
    let Some(row) = updated.into_iter().next() else {
        return Err(refusal(txn, movement.user).await);
    };
    let entry = ledger_entry::ActiveModel {
        id: Set(LedgerEntryId::new().as_uuid()),
        user_id: Set(movement.user.as_uuid()),
        kind: Set(AsText(movement.kind)),
        amount_mc: Set(amount),
        balance_after_mc: Set(row.balance_mc),
        reference: Set(movement.reference.to_owned()),
        related_entry_id: Set(movement.related.map(|id| id.as_uuid())),
        model: Set(movement.model.map(str::to_owned)),
        words: Set(movement.words),
        actor: Set(movement.actor.map(str::to_owned)),
        description: Set(movement.description.map(str::to_owned)),
        meta: Set(movement.meta),
        created_at: Set(Utc::now()),
    };
    entry
        .insert(txn)
        .await
        .map_err(|err| refused_twice(err, movement.reference))
}

pub async fn find_by_reference(
    db: &impl ConnectionTrait,
    reference: &str,
) -> Result<Option<EntryRow>, DbErr> {
    Ledger::find()
        .filter(ledger_entry::Column::Reference.eq(reference))
        .one(db)
        .await
}

pub async fn find(db: &impl ConnectionTrait, id: LedgerEntryId) -> Result<Option<EntryRow>, DbErr> {
    Ledger::find_by_id(id.as_uuid()).one(db).await
}

/// What has been given back of a debit so far (sum of the refunds naming it).
pub async fn refunded_total(
    db: &impl ConnectionTrait,
    debit: LedgerEntryId,
) -> Result<Millicredits, DbErr> {
    let rows = Ledger::find()
        .filter(ledger_entry::Column::RelatedEntryId.eq(debit.as_uuid()))
        .all(db)
        .await?;
    Ok(Millicredits::new(rows.iter().map(|r| r.amount_mc).sum()))
}

/// Filters for a user's history.
#[derive(Debug, Clone, Default)]
pub struct HistoryFilter {
    pub kind: Option<EntryKind>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Entries older than this id (ids are time-ordered UUIDv7s).
    pub before: Option<Uuid>,
}

/// One page of `limit` entries, newest first.
pub async fn history(
    db: &impl ConnectionTrait,
    user: UserId,
    filter: &HistoryFilter,
    limit: u64,
) -> Result<Page<EntryRow>, DbErr> {
    let mut query = Ledger::find().filter(ledger_entry::Column::UserId.eq(user.as_uuid()));
    if let Some(kind) = filter.kind {
        query = query.filter(ledger_entry::Column::Kind.eq(AsText(kind)));
    }
    if let Some(from) = filter.from {
        query = query.filter(ledger_entry::Column::CreatedAt.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(ledger_entry::Column::CreatedAt.lt(to));
    }
    if let Some(before) = filter.before {
        query = query.filter(ledger_entry::Column::Id.lt(before));
    }
    let rows = query
        .order_by_desc(ledger_entry::Column::Id)
        .limit(Page::<EntryRow>::fetch_limit(limit))
        .all(db)
        .await?;
    Ok(Page::of(rows, limit))
}

/// Sum of a user's ledger amounts: must always equal the stored balance.
pub async fn sum_for_user(db: &impl ConnectionTrait, user: UserId) -> Result<i64, DbErr> {
    let rows = Ledger::find()
        .filter(ledger_entry::Column::UserId.eq(user.as_uuid()))
        .all(db)
        .await?;
    Ok(rows.iter().map(|r| r.amount_mc).sum())
}

/// What spending is grouped by in a usage report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpendingKey {
    /// The entry's model, or its kind when it names no model.
    Model,
    /// The UTC day the entry was written, `YYYY-MM-DD`.
    Day,
}

/// One group of a usage report: what was spent (positive), the words and the entries.
#[derive(Debug, Clone, PartialEq, Eq, sea_orm::FromQueryResult)]
pub struct SpendingGroup {
    pub key: String,
    pub spent_mc: i64,
    pub words: i64,
    pub entries: i64,
}

/// A user's spending (negative entries) in `[from, to)` grouped by `key`, summed by the
/// database in one statement (a report reads one row per group, not one per entry). Groups
/// come in no particular order.
pub async fn spending_by(
    db: &impl ConnectionTrait,
    user: UserId,
    key: SpendingKey,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<SpendingGroup>, DbErr> {
    // Timestamps are stored in UTC: on SQLite as text that starts with the date, on
    // PostgreSQL as `timestamptz`.
    let key_sql = match (key, db.get_database_backend()) {
        (SpendingKey::Model, _) => "COALESCE(model, kind)",
        (SpendingKey::Day, DbBackend::Postgres) => {
            "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
        }
        (SpendingKey::Day, _) => "substr(created_at, 1, 10)",
    };
    // SUM of a bigint is `numeric` on PostgreSQL: cast back so both backends read an i64.
    Ledger::find()
        .select_only()
        .column_as(Expr::cust(key_sql), "key")
        .column_as(Expr::cust("CAST(SUM(-amount_mc) AS BIGINT)"), "spent_mc")
        .column_as(
            Expr::cust("CAST(SUM(COALESCE(words, 0)) AS BIGINT)"),
            "words",
        )
        .column_as(Expr::cust("COUNT(*)"), "entries")
        .filter(ledger_entry::Column::UserId.eq(user.as_uuid()))
        .filter(ledger_entry::Column::AmountMc.lt(0))
        .filter(ledger_entry::Column::CreatedAt.gte(from))
        .filter(ledger_entry::Column::CreatedAt.lt(to))
        .group_by(Expr::cust(key_sql))
        .into_model::<SpendingGroup>()
        .all(db)
        .await
}
