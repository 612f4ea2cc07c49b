//! What sister apps (ImageGene) may do with a user's account through an app key.

use chrono::{DateTime, Utc};
use penora_domain::{EntryKind, LedgerEntryId, Millicredits, PositiveAmount, UserId};
use penora_store::audit::AuditEntry;
use penora_store::ledger::{self, Movement};
use penora_store::projects::{ListQuery, ProjectRow};
use penora_store::recorded::Recorded;
use penora_store::storage::Usage;
use penora_store::users::{self, UserRow};
use penora_store::{DatabaseTransaction, Page};
use serde::{Deserialize, Serialize};

use super::audit::{self, Origin};
use super::credits::{CreditError, Funds};
use super::idempotency::{self, Idem, Outcome};
use super::shares::{self, ShareError, Shared};
use crate::AppState;

mod resolve;
mod storage;

pub use resolve::{resolve, ResolveError, UserKey};
pub use storage::{report_storage, StorageReportError};

/// The app behind an app key.
#[derive(Debug, Clone)]
pub struct AppCaller {
    pub key_id: uuid::Uuid,
    pub name: String,
}

impl AppCaller {
    pub fn actor(&self) -> String {
        format!("app:{}", self.key_id)
    }

    pub fn idem_scope(&self) -> String {
        format!("app:{}", self.key_id)
    }
}

/// A debit as applied. It is the stored idempotent response: its fields and their serde
/// shape are those of the API's `Debit`, the form every stored debit response has, and
/// `balance_mc` is the field the store fills in with the balance after the debit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Debited {
    pub debit_id: uuid::Uuid,
    pub user_id: uuid::Uuid,
    pub amount_mc: i64,
    pub balance_mc: i64,
    pub created_at: DateTime<Utc>,
}

/// A refund as applied. It is the stored idempotent response: its fields and their serde
/// shape are those of the API's `Refund`, the form every stored refund response has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refunded {
    pub refund_id: uuid::Uuid,
    pub debit_id: uuid::Uuid,
    pub user_id: uuid::Uuid,
    pub amount_mc: i64,
    /// Everything refunded of the debit so far, this refund included.
    pub refunded_total_mc: i64,
    pub balance_mc: i64,
    pub created_at: DateTime<Utc>,
}

fn app_meta(caller: &AppCaller, mut meta: serde_json::Value) -> serde_json::Value {
    meta["app"] = serde_json::json!({ "key_id": caller.key_id, "name": caller.name });
    meta
}

pub(crate) async fn audit(
    state: &AppState,
    caller: &AppCaller,
    action: &str,
    user: Option<UserId>,
    origin: &Origin,
    meta: serde_json::Value,
) {
    let subject = user.map(|u| u.to_string());
    audit::record(
        &state.db,
        None,
        action,
        subject.as_deref(),
        origin,
        app_meta(caller, meta),
    )
    .await;
}

#[tracing::instrument(name = "services::apps::balance", skip_all,
    fields(app_key_id = %caller.key_id, user_id = %user))]
pub async fn balance(
    state: &AppState,
    caller: &AppCaller,
    user: UserId,
    origin: &Origin,
) -> Result<Funds, CreditError> {
    let row = read_user(state, caller, user, origin, "app.balance_read").await?;
    Ok(Funds::of(&row))
}

/// The quota both apps share: credits and workspace storage.
#[tracing::instrument(name = "services::apps::quota", skip_all,
    fields(app_key_id = %caller.key_id, user_id = %user))]
pub async fn quota(
    state: &AppState,
    caller: &AppCaller,
    user: UserId,
    origin: &Origin,
) -> Result<(Funds, Usage), CreditError> {
    let row = read_user(state, caller, user, origin, "app.quota_read").await?;
    let limit = crate::projects::quota(state, &state.db, user).await?;
    let storage = Usage::of(&row, limit);
    Ok((Funds::of(&row), storage))
}

/// A page of the user's projects.
#[tracing::instrument(name = "services::apps::projects", skip_all,
    fields(app_key_id = %caller.key_id, user_id = %user))]
pub async fn projects(
    state: &AppState,
    caller: &AppCaller,
    user: UserId,
    query: &ListQuery,
    origin: &Origin,
) -> Result<Page<ProjectRow>, CreditError> {
    read_user(state, caller, user, origin, "app.projects_listed").await?;
    Ok(penora_store::projects::list(&state.db, user, query).await?)
}

/// A shared project by code (not counted as a view, not rate limited per IP: the caller is
/// a trusted server).
#[tracing::instrument(name = "services::apps::shared", skip_all,
    fields(app_key_id = %caller.key_id))]
pub async fn shared(
    state: &AppState,
    caller: &AppCaller,
    code: &str,
    origin: &Origin,
) -> Result<Shared, ShareError> {
    let shared = shares::read(state, code).await?;
    let meta = serde_json::json!({ "project_id": shared.row.id });
    let owner = Some(UserId::from_uuid(shared.row.user_id));
    audit(state, caller, "app.share_read", owner, origin, meta).await;
    Ok(shared)
}

async fn read_user(
    state: &AppState,
    caller: &AppCaller,
    user: UserId,
    origin: &Origin,
    action: &str,
) -> Result<UserRow, CreditError> {
    let row = users::find_by_id(&state.db, user)
        .await?
        .ok_or(CreditError::UserNotFound)?;
    audit(
        state,
        caller,
        action,
        Some(user),
        origin,
        serde_json::json!({}),
    )
    .await;
    Ok(row)
}

#[tracing::instrument(name = "services::apps::debit", skip_all,
    fields(app_key_id = %caller.key_id, user_id = %user))]
pub async fn debit(
    state: &AppState,
    caller: &AppCaller,
    user: UserId,
    amount: PositiveAmount,
    description: Option<String>,
    idem: &Idem,
    origin: &Origin,
) -> Result<Outcome<Debited>, CreditError> {
    let reference = idem.reference(EntryKind::AppDebit);
    let actor = caller.actor();
    let amount_mc = amount.get().get();
    let (id, at) = (LedgerEntryId::new(), penora_store::now());
    let mut movement = Movement::new(
        user,
        EntryKind::AppDebit,
        Millicredits::new(-amount_mc),
        &reference,
    );
    movement.actor = Some(&actor);
    movement.description = description.as_deref();
    movement.meta = serde_json::json!({ "app": caller.name });
    let subject = user.to_string();
    let audit = AuditEntry {
        actor: None,
        action: "app.debit",
        subject: Some(&subject),
        ip: origin.ip.as_deref(),
        meta: app_meta(
            caller,
            serde_json::json!({ "debit_id": id.as_uuid(), "amount_mc": amount_mc }),
        ),
    };
    let ttl = state.config.settings.idempotency_ttl_hours;
    // The answer is rebuilt from the ledger entry (`once_recorded`); the key stores its id.
    let stored = serde_json::json!({ "ledger_entry_id": id.as_uuid() });
    let recorded = Recorded {
        id,
        at,
        movement,
        audit,
        response: idem.response(201, ttl, stored),
    };
    idempotency::once_recorded(&state.recorder, idem, recorded, |entry| Debited {
        debit_id: entry.id,
        user_id: entry.user_id,
        amount_mc: -entry.amount_mc,
        balance_mc: entry.balance_after_mc,
        created_at: entry.created_at,
    })
    .await
}

/// What a refund asks for.
pub struct RefundInput {
    pub user: UserId,
    pub debit_id: LedgerEntryId,
    pub amount: PositiveAmount,
    pub reason: Option<String>,
}

#[tracing::instrument(name = "services::apps::refund", skip_all,
    fields(app_key_id = %caller.key_id, user_id = %input.user, debit_id = %input.debit_id))]
pub async fn refund(
    state: &AppState,
    caller: &AppCaller,
    input: RefundInput,
    idem: &Idem,
    origin: &Origin,
) -> Result<Outcome<Refunded>, CreditError> {
    let RefundInput {
        user,
        debit_id,
        amount,
        reason,
    } = input;
    let reference = idem.reference(EntryKind::AppRefund);
    let actor = caller.actor();
    let ttl = state.config.settings.idempotency_ttl_hours;
    let outcome = idempotency::once(&state.db, idem, 201, ttl, |txn: DatabaseTransaction| async move {
        let amount_mc = amount.get().get();
        let mut movement = Movement::new(user, EntryKind::AppRefund, Millicredits::new(amount_mc), &reference);
        movement.related = Some(debit_id);
        movement.actor = Some(&actor);
        movement.description = reason.as_deref();
        movement.meta = serde_json::json!({ "app": caller.name });
        // The balance update inside `apply` locks the user's row first (SQLite: the write
        // lock), so two refunds of one debit are checked one after the other.
        let entry = ledger::apply(&txn, movement).await?;
        // A deleted account's tombstone keeps its ledger but takes no new movements.
        users::find_by_id(&txn, user)
            .await?
            .ok_or(CreditError::UserNotFound)?;
        let debit = ledger::find(&txn, debit_id)
            .await?
            .filter(|d| d.user_id == user.as_uuid() && d.kind == EntryKind::AppDebit)
            .ok_or(CreditError::DebitNotFound)?;
        let refunded = ledger::refunded_total(&txn, debit_id).await?.get();
        let debited = -debit.amount_mc;
        if refunded > debited {
            return Err(CreditError::RefundExceedsDebit {
                remaining: Millicredits::new(debited - (refunded - amount_mc)),
            });
        }
        let body = Refunded {
            refund_id: entry.id,
            debit_id: debit.id,
            user_id: entry.user_id,
            amount_mc,
            refunded_total_mc: refunded,
            balance_mc: entry.balance_after_mc,
            created_at: entry.created_at,
        };
        let meta = app_meta(caller, serde_json::json!({ "refund_id": entry.id, "debit_id": debit.id, "amount_mc": amount_mc }));
        audit::record_in(&txn, None, "app.refund", Some(&user.to_string()), origin, meta).await?;
        Ok::<_, CreditError>((body, txn))
    })
    .await?;
    Ok(outcome)
}
