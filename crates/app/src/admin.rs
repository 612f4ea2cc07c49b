//! Admin operations: look up users and balances, adjust balances, read the audit log,
//! issue app keys. Every change is audited with the admin as actor.

use penora_domain::{Adjustment, EntryKind, UserId};
use penora_store::api_keys::ApiKeyRow;
use penora_store::audit::{AuditFilter, AuditRow};
use penora_store::ledger::{self, HistoryFilter, Movement};
use penora_store::users::{self, UserRow};
use penora_store::{ConnectionTrait, DatabaseTransaction, DbErr, Page};

use super::audit::{self, Origin};
use super::credits::{CreditError, LedgerEntry};
use super::idempotency::{self, Idem, Outcome};
use crate::AppState;

#[tracing::instrument(name = "services::admin::user_detail", skip_all, fields(user_id = %user))]
pub async fn user_detail(
    state: &AppState,
    user: UserId,
) -> Result<(UserRow, Vec<LedgerEntry>), CreditError> {
    let row = users::find_by_id(&state.db, user)
        .await?
        .ok_or(CreditError::UserNotFound)?;
    let entries = ledger::history(&state.db, user, &HistoryFilter::default(), 50)
        .await?
        .items;
    Ok((row, entries.iter().map(LedgerEntry::of).collect()))
}

#[tracing::instrument(name = "services::admin::adjust", skip_all,
    fields(admin_id = %admin, user_id = %user))]
pub async fn adjust(
    state: &AppState,
    admin: UserId,
    user: UserId,
    amount: Adjustment,
    reason: String,
    idem: &Idem,
    origin: &Origin,
) -> Result<Outcome<LedgerEntry>, CreditError> {
    let reference = idem.reference(EntryKind::AdminAdjustment);
    let actor = format!("admin:{admin}");
    let ttl = state.config.settings.idempotency_ttl_hours;
    let outcome = idempotency::once(&state.db, idem, 201, ttl, |txn: DatabaseTransaction| async move {
        let mut movement = Movement::new(user, EntryKind::AdminAdjustment, amount.get(), &reference);
        movement.actor = Some(&actor);
        movement.description = Some(&reason);
        let entry = ledger::apply(&txn, movement).await?;
        // A deleted account's tombstone keeps its ledger but takes no new movements.
        users::find_by_id(&txn, user).await?.ok_or(CreditError::UserNotFound)?;
        let meta = serde_json::json!({ "amount_mc": amount.get().get(), "reason": reason, "entry_id": entry.id });
        audit::record_in(&txn, Some(admin), "admin.balance_adjusted", Some(&user.to_string()), origin, meta).await?;
        Ok::<_, CreditError>((LedgerEntry::of(&entry), txn))
    })
    .await?;
    Ok(outcome)
}

/// Users with their balances, newest first; `query` narrows by email.
#[tracing::instrument(name = "services::admin::search_users", skip_all)]
pub async fn search_users(
    db: &impl ConnectionTrait,
    query: &str,
    before: Option<uuid::Uuid>,
    limit: u64,
) -> Result<Page<UserRow>, DbErr> {
    users::search(db, query, before, limit).await
}

/// One page of the audit log, newest first.
#[tracing::instrument(name = "services::admin::audit_log", skip_all)]
pub async fn audit_log(
    db: &impl ConnectionTrait,
    filter: &AuditFilter,
    limit: u64,
) -> Result<Page<AuditRow>, DbErr> {
    penora_store::audit::list(db, filter, limit).await
}

/// Every app key, newest first.
#[tracing::instrument(name = "services::admin::app_keys", skip_all)]
pub async fn app_keys(db: &impl ConnectionTrait) -> Result<Vec<ApiKeyRow>, DbErr> {
    penora_store::api_keys::list_apps(db).await
}
