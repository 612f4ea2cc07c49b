//! Balances, history, usage reports, cost estimates and the welcome bonus.

use chrono::{DateTime, Duration, Utc};
use penora_domain::{billable_words_of, cost_mc, input_cost_mc, EntryKind, Millicredits, UserId};
use penora_store::ledger::{
    self, EntryRow, HistoryFilter, LedgerError, Movement, SpendingGroup, SpendingKey,
};
use penora_store::users::UserRow;
use penora_store::{ConnectionTrait, DbErr, Page};
use serde::{Deserialize, Serialize};

use super::idempotency::{IdemError, IdempotentError};
use crate::catalog::Catalog;

pub const MAX_ESTIMATE_WORDS: u64 = 100_000;
/// Longest usage report, so one request cannot scan years of history.
pub const MAX_USAGE_DAYS: i64 = 366;

/// What an account holds: credits owned, and credits held for generations in progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Funds {
    pub balance_mc: i64,
    pub reserved_mc: i64,
}

impl Funds {
    pub fn of(user: &UserRow) -> Self {
        Self {
            balance_mc: user.balance_mc,
            reserved_mc: user.reserved_mc,
        }
    }

    /// What can be spent now: the balance less what is reserved.
    pub fn available_mc(self) -> i64 {
        self.balance_mc - self.reserved_mc
    }
}

/// One ledger entry as a client sees it (the actor and meta stay internal).
///
/// An admin adjustment's idempotent response is stored as this, in JSON. Its fields and
/// their serde shape are those of the API's `Transaction`, the form every stored response
/// of an adjustment has, so each of them replays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub id: uuid::Uuid,
    pub kind: String,
    pub amount_mc: i64,
    pub balance_after_mc: i64,
    pub reference: String,
    pub related_entry_id: Option<uuid::Uuid>,
    pub model: Option<String>,
    pub words: Option<i64>,
    pub description: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl LedgerEntry {
    pub fn of(entry: &EntryRow) -> Self {
        Self {
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
}

/// The user's balance now; `None` when the account is gone.
#[tracing::instrument(name = "services::credits::funds", skip_all, fields(user_id = %user))]
pub async fn funds(db: &impl ConnectionTrait, user: UserId) -> Result<Option<Funds>, DbErr> {
    Ok(penora_store::users::find_by_id(db, user)
        .await?
        .as_ref()
        .map(Funds::of))
}

/// One page of history, newest first.
#[tracing::instrument(name = "services::credits::history", skip_all, fields(user_id = %user))]
pub async fn history(
    db: &impl ConnectionTrait,
    user: UserId,
    filter: HistoryFilter,
    limit: u64,
) -> Result<Page<EntryRow>, DbErr> {
    ledger::history(db, user, &filter, limit).await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Model,
    Day,
}

/// Spending in `[from, to)` grouped by model or UTC day, in key order. The database sums;
/// this reads one row per group.
#[tracing::instrument(name = "services::credits::usage", skip_all, fields(user_id = %user))]
pub async fn usage(
    db: &impl ConnectionTrait,
    user: UserId,
    group_by: GroupBy,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<SpendingGroup>, DbErr> {
    let key = match group_by {
        GroupBy::Model => SpendingKey::Model,
        GroupBy::Day => SpendingKey::Day,
    };
    let mut rows = ledger::spending_by(db, user, key, from, to).await?;
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

/// What a generation would cost, part by part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostEstimate {
    pub model: String,
    /// Words to generate.
    pub words: u64,
    pub multiplier_per_mille: u32,
    /// The total: `output_cost_mc + input_cost_mc`.
    pub cost_mc: i64,
    pub output_cost_mc: i64,
    /// The billable words of the input (0 without one).
    pub input_words: u64,
    pub free_input_words: u64,
    pub input_multiplier_per_mille: u32,
    /// What the input beyond the free allowance costs.
    pub input_cost_mc: i64,
}

/// What a generation of `words` words from `input` costs with a model, by the rules the
/// generation is billed by: the output, and the input beyond `free_input_words`.
pub fn estimate(
    catalog: &Catalog,
    model: &str,
    words: u64,
    input: EstimateInput<'_>,
    free_input_words: u64,
) -> Result<CostEstimate, EstimateError> {
    let spec = catalog
        .get(model)
        .ok_or_else(|| EstimateError::UnknownModel(model.to_owned()))?;
    if words == 0 || words > MAX_ESTIMATE_WORDS {
        return Err(EstimateError::Words);
    }
    let input_words = input.billable_words();
    let output_cost = cost_mc(words, spec.multiplier()).get();
    let input_cost = input_cost_mc(input_words, free_input_words, spec.input_multiplier()).get();
    Ok(CostEstimate {
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
#[tracing::instrument(name = "services::credits::grant_welcome", skip_all, fields(user_id = %user))]
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
