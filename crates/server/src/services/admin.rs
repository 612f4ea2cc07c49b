//! Admin operations: look up users and balances, adjust balances, read the audit log,
//! issue app keys. Every change is audited with the admin as actor.

use penora_api_types::Transaction;
use penora_domain::{Adjustment, EntryKind, UserId};
use penora_store::ledger::{self, HistoryFilter, LedgerError, Movement};
use penora_store::users::{self, UserRow};
use penora_store::{DatabaseTransaction, DbErr};

use super::audit::{self, Origin};
use super::credits::transaction_view;
use super::idempotency::{self, Idem, IdemError, IdempotentError, Outcome};
use crate::state::AppState;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("no such user")]
    UserNotFound,
    #[error("the balance cannot go below zero ({available} available)")]
    Insufficient {
        available: penora_domain::Millicredits,
    },
    #[error("already applied")]
    AlreadyApplied,
    #[error(transparent)]
    Idem(#[from] IdemError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<LedgerError> for AdminError {
    fn from(err: LedgerError) -> Self {
        match err {
            LedgerError::Insufficient { available } => AdminError::Insufficient { available },
            LedgerError::UnknownUser => AdminError::UserNotFound,
            LedgerError::AlreadyApplied(_) => AdminError::AlreadyApplied,
            LedgerError::Db(e) => AdminError::Db(e),
        }
    }
}

impl IdempotentError for AdminError {
    fn is_already_applied(&self) -> bool {
        matches!(self, AdminError::AlreadyApplied)
    }
}

pub async fn user_detail(
    state: &AppState,
    user: UserId,
) -> Result<(UserRow, Vec<Transaction>), AdminError> {
    let row = users::find_by_id(&state.db, user)
        .await?
        .ok_or(AdminError::UserNotFound)?;
    let entries = ledger::history(&state.db, user, &HistoryFilter::default(), 50).await?;
    Ok((row, entries.iter().map(transaction_view).collect()))
}

pub async fn adjust(
    state: &AppState,
    admin: UserId,
    user: UserId,
    amount: Adjustment,
    reason: String,
    idem: &Idem,
    origin: &Origin,
) -> Result<Outcome<Transaction>, AdminError> {
    let reference = idem.reference("admin_adjustment");
    let actor = format!("admin:{admin}");
    let ttl = state.config.settings.idempotency_ttl_hours;
    let outcome = idempotency::once(&state.db, idem, 201, ttl, |txn: DatabaseTransaction| async move {
        let mut movement = Movement::new(user, EntryKind::AdminAdjustment, amount.get(), &reference);
        movement.actor = Some(&actor);
        movement.description = Some(&reason);
        let entry = ledger::apply(&txn, movement).await?;
        let meta = serde_json::json!({ "amount_mc": amount.get().get(), "reason": reason, "entry_id": entry.id });
        audit::record_in(&txn, Some(admin), "admin.balance_adjusted", Some(&user.to_string()), origin, meta).await?;
        Ok::<_, AdminError>((transaction_view(&entry), txn))
    })
    .await?;
    Ok(outcome)
}
