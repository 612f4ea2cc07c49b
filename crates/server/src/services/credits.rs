//! Balances, history, usage reports, cost estimates and the welcome bonus.

use chrono::{DateTime, Duration, Utc};
use penora_api_types::{Balance, Estimate, Transaction, UsageRow};
use penora_domain::{billable_words_of, cost_mc, input_cost_mc, EntryKind, Millicredits, UserId};
use penora_store::ledger::{self, EntryRow, HistoryFilter, LedgerError, Movement, SpendingKey};
use penora_store::users::UserRow;
use penora_store::{ConnectionTrait, DbErr};

use super::idempotency::{IdemError, IdempotentError};
use crate::catalog::Catalog;

pub const MAX_ESTIMATE_WORDS: u64 = 100_000;
/// Longest usage report, so one request cannot scan years of history.
pub const MAX_USAGE_DAYS: i64 = 366;

pub fn balance_of(user: &UserRow) -> Balance {
    Balance {
        balance_mc: user.balance_mc,
        reserved_mc: user.reserved_mc,
        available_mc: user.balance_mc - user.reserved_mc,
    }
}

pub fn transaction_view(entry: &EntryRow) -> Transaction {
    Transaction {
        id: entry.id,
        kind: entry.kind.as_str().to_owned(),
        amount_mc: entry.amount_mc,
        balance_after_mc: entry.balance_after_mc,
        reference: entry.reference.clone(),
        related_entry_id: entry.related_entry_id,
        model: entry.model.clone(),
        words: entry.words,
        description: entry.description.clone(),
        created_at: entry.created_at,
    }
}

/// One page of history, newest first, and the cursor of the next page.
pub async fn history(
    db: &impl ConnectionTrait,
    user: UserId,
    filter: HistoryFilter,
    limit: u64,
) -> Result<(Vec<EntryRow>, Option<String>), DbErr> {
    let mut rows = ledger::history(db, user, &filter, limit + 1).await?;
    let next = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.id.to_string())
    } else {
        None
    };
    Ok((rows, next))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Model,
    Day,
}

/// Spending in `[from, to)` grouped by model or UTC day, in key order. The database sums;
/// this reads one row per group.
pub async fn usage(
    db: &impl ConnectionTrait,
    user: UserId,
    group_by: GroupBy,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<UsageRow>, DbErr> {
    let key = match group_by {
        GroupBy::Model => SpendingKey::Model,
        GroupBy::Day => SpendingKey::Day,
    };
    let mut rows: Vec<UsageRow> = ledger::spending_by(db, user, key, from, to)
        .await?
        .into_iter()
        .map(|g| UsageRow {
            key: g.key,
            spent_mc: g.spent_mc,
            words: g.words,
            entries: g.entries,
        })
        .collect();
    // Sorted here, bytewise, rather than by the database's collation (which differs
    // between backends and locales).
    rows.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(rows)
}

/// Clamps a requested report window: defaults to the last 30 days, at most a year.
pub fn usage_window(
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Result<(DateTime<Utc>, DateTime<Utc>), String> {
    let to = to.unwrap_or_else(Utc::now);
    let from = from.unwrap_or(to - Duration::days(30));
    if from >= to {
        return Err("`from` must be before `to`".to_owned());
    }
    if to - from > Duration::days(MAX_USAGE_DAYS) {
        return Err(format!("a report covers at most {MAX_USAGE_DAYS} days"));
    }
    Ok((from, to))
}

#[derive(Debug, thiserror::Error)]
pub enum EstimateError {
    #[error("no model {0:?} in the catalog")]
    UnknownModel(String),
    #[error("words must be 1 to {MAX_ESTIMATE_WORDS}")]
    Words,
    #[error("give the input as text or as words, not both")]
    BothInputs,
}

/// The input an estimate is for: its text (measured as a generation measures it), or its
/// billable words as the caller measured them.
#[derive(Debug, Clone, Copy)]
pub enum EstimateInput<'a> {
    None,
    Text(&'a str),
    Words(u64),
}

impl<'a> EstimateInput<'a> {
    pub fn of(text: Option<&'a str>, words: Option<u64>) -> Result<Self, EstimateError> {
        match (text, words) {
            (Some(_), Some(_)) => Err(EstimateError::BothInputs),
            (Some(text), None) => Ok(Self::Text(text)),
            (None, Some(words)) => Ok(Self::Words(words)),
            (None, None) => Ok(Self::None),
        }
    }

    fn billable_words(self) -> u64 {
        match self {
            Self::None => 0,
            Self::Text(text) => billable_words_of(text),
            Self::Words(words) => words,
        }
    }
}

/// What a generation of `words` words from `input` costs with a model, by the rules the
/// generation is billed by: the output, and the input beyond `free_input_words`.
pub fn estimate(
    catalog: &Catalog,
    model: &str,
    words: u64,
    input: EstimateInput<'_>,
    free_input_words: u64,
) -> Result<Estimate, EstimateError> {
    let spec = catalog
        .get(model)
        .ok_or_else(|| EstimateError::UnknownModel(model.to_owned()))?;
    if words == 0 || words > MAX_ESTIMATE_WORDS {
        return Err(EstimateError::Words);
    }
    let input_words = input.billable_words();
    let output_cost = cost_mc(words, spec.multiplier()).get();
    let input_cost = input_cost_mc(input_words, free_input_words, spec.input_multiplier()).get();
    Ok(Estimate {
        model: spec.id.clone(),
        words,
        multiplier_per_mille: spec.multiplier_per_mille,
        cost_mc: output_cost.saturating_add(input_cost),
        output_cost_mc: output_cost,
        input_words,
        free_input_words,
        input_multiplier_per_mille: spec.input_multiplier().get(),
        input_cost_mc: input_cost,
    })
}

/// The sign-up bonus, in the sign-up's transaction; its reference makes it once per account.
pub async fn grant_welcome(
    txn: &impl ConnectionTrait,
    user: UserId,
    amount: Millicredits,
) -> Result<(), LedgerError> {
    if !amount.is_positive() {
        return Ok(());
    }
    let reference = format!("welcome:{user}");
    let mut movement = Movement::new(user, EntryKind::Welcome, amount, &reference);
    movement.actor = Some("system");
    movement.description = Some("Welcome bonus");
    ledger::apply(txn, movement).await.map(|_| ())
}

/// How an operation that moves credits (app debits and refunds, admin adjustments) fails.
#[derive(Debug, thiserror::Error)]
pub enum CreditError {
    #[error("no such user")]
    UserNotFound,
    #[error("not enough credits: {available} available")]
    Insufficient { available: Millicredits },
    #[error("no such debit for this user")]
    DebitNotFound,
    #[error("refunds would exceed the debit; {remaining} can still be refunded")]
    RefundExceedsDebit { remaining: Millicredits },
    #[error("already applied")]
    AlreadyApplied,
    #[error(transparent)]
    Idem(#[from] IdemError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<LedgerError> for CreditError {
    fn from(err: LedgerError) -> Self {
        match err {
            LedgerError::Insufficient { available } => CreditError::Insufficient { available },
            LedgerError::UnknownUser => CreditError::UserNotFound,
            LedgerError::AlreadyApplied(_) => CreditError::AlreadyApplied,
            LedgerError::Db(e) => CreditError::Db(e),
        }
    }
}

impl IdempotentError for CreditError {
    fn is_already_applied(&self) -> bool {
        matches!(self, CreditError::AlreadyApplied)
    }
}
