//! Applying a captured payment: one transaction records the payment (its gateway id is
//! unique), credits the catalog item's credits with one `purchase` ledger entry (its
//! reference is the payment id), pays off debts and closes the order. The browser's verify,
//! a webhook and the reconcile job all come here, so whichever is first applies it and the
//! rest find it applied, in any order and when they race.

use chrono::{DateTime, Utc};
use penora_domain::{Currency, EntryKind, Millicredits, OrderStatus, PaymentStatus, UserId};
use penora_payments::Payment;
use penora_store::billing::orders::{self, OrderRow};
use penora_store::billing::payments::{self, NewPayment, PaymentRow};
use penora_store::ledger::{self, LedgerError, Movement};
use penora_store::{begin_write, DatabaseTransaction, WriteError};
use uuid::Uuid;

use super::BillingError;
use crate::audit::{self, Origin};
use crate::AppState;

/// A payment as applied, and the balance after it.
#[derive(Debug, Clone)]
pub struct Applied {
    pub payment: PaymentRow,
    /// The user's balance once it was applied (now, for one applied before).
    pub balance_mc: i64,
    /// It had been applied before this call.
    pub earlier: bool,
}

/// What a gateway payment must be to pay for something: captured, of `amount` in
/// `currency`.
pub fn matches(payment: &Payment, amount: i64, currency: Currency) -> bool {
    payment.amount == amount && payment.currency.parse::<Currency>().ok() == Some(currency)
}

/// A receipt number: the payment's date and the random tail of its id, e.g.
/// `PN-20261204-3F9A1C2B`.
pub fn receipt_number(id: Uuid, at: DateTime<Utc>) -> String {
    let simple = id.simple().to_string().to_uppercase();
    format!("PN-{}-{}", at.format("%Y%m%d"), &simple[simple.len() - 8..])
}

/// Applies `payment` to `order`: credits the order's credits once when it matches, or
/// records a mismatch (nothing credited, the order flagged for an admin).
pub async fn apply_to_order(
    state: &AppState,
    order: &OrderRow,
    payment: &Payment,
    origin: &Origin,
) -> Result<Applied, BillingError> {
    if payment.status != "captured" {
        return Err(BillingError::NotCaptured {
            status: payment.status.clone(),
        });
    }
    let user = UserId::from_uuid(order.user_id);
    if let Some(applied) = earlier(state, &order.gateway, &payment.id, user).await? {
        return Ok(applied);
    }
    let fits = matches(payment, order.amount_minor, *order.currency)
        && payment.order_id.as_deref() == Some(order.gateway_order_id.as_str());
    let txn = begin_write(&state.db).await?;
    let id = Uuid::now_v7();
    let at = penora_store::now();
    let number = receipt_number(id, at);
    let currency = payment.currency.parse().unwrap_or(*order.currency);
    let new = NewPayment {
        id,
        user,
        gateway: &order.gateway,
        gateway_payment_id: &payment.id,
        order_id: Some(order.id),
        subscription_id: None,
        item_id: &order.item_id,
        credits_mc: if fits { order.credits_mc } else { 0 },
        amount_minor: payment.amount,
        currency,
        expected_amount_minor: order.amount_minor,
        expected_currency: *order.currency,
        status: if fits {
            PaymentStatus::Captured
        } else {
            PaymentStatus::Mismatch
        },
        receipt_number: &number,
        period: None,
        at,
    };
    let row = match payments::insert(&txn, &new).await {
        Ok(row) => row,
        Err(WriteError::Taken) => {
            drop(txn);
            return earlier(state, &order.gateway, &payment.id, user)
                .await?
                .ok_or(BillingError::PaymentNotFound);
        }
        Err(WriteError::Db(err)) => return Err(err.into()),
    };
    let status = if fits {
        OrderStatus::Paid
    } else {
        OrderStatus::Mismatch
    };
    orders::close(&txn, order.id, status, &payment.id).await?;
    let balance_mc = if fits {
        let reference = purchase_reference(&order.gateway, &payment.id);
        let meta = serde_json::json!({
            "order_id": order.id, "item_id": order.item_id, "payment_id": payment.id,
        });
        credit(
            &txn,
            user,
            EntryKind::Purchase,
            order.credits_mc,
            &reference,
            meta,
        )
        .await?
    } else {
        current_balance(&txn, user).await?
    };
    let action = if fits {
        "billing.payment_captured"
    } else {
        "billing.payment_mismatch"
    };
    let meta = serde_json::json!({
        "payment_id": row.id, "gateway_payment_id": payment.id, "order_id": order.id,
        "item_id": order.item_id, "amount_minor": payment.amount, "currency": payment.currency,
        "expected_amount_minor": order.amount_minor, "expected_currency": order.currency.as_str(),
    });
    audit::record_in(&txn, None, action, Some(&user.to_string()), origin, meta).await?;
    txn.commit().await?;
    crate::metrics::payment_applied("order", fits, order.credits_mc);
    tracing::info!(payment_id = %payment.id, order_id = %order.id, fits, "payment applied");
    Ok(Applied {
        payment: row,
        balance_mc,
        earlier: false,
    })
}

/// The ledger reference of the purchase a payment paid for.
pub fn purchase_reference(gateway: &str, payment_id: &str) -> String {
    format!("purchase:{gateway}:{payment_id}")
}

/// Credits `amount_mc` with one ledger entry and pays off debts from it; the balance after.
pub(super) async fn credit(
    txn: &DatabaseTransaction,
    user: UserId,
    kind: EntryKind,
    amount_mc: i64,
    reference: &str,
    meta: serde_json::Value,
) -> Result<i64, BillingError> {
    let mut movement = Movement::new(user, kind, Millicredits::new(amount_mc), reference);
    movement.meta = meta;
    let entry = match ledger::apply(txn, movement).await {
        Ok(entry) => entry,
        Err(LedgerError::UnknownUser) => {
            return Err(BillingError::Db(penora_store::DbErr::RecordNotFound(
                "the paying user".to_owned(),
            )))
        }
        Err(err) => return Err(err.into()),
    };
    let settled = super::debts::settle(txn, user, reference).await?;
    Ok(entry.balance_after_mc - settled.get())
}

async fn current_balance(txn: &DatabaseTransaction, user: UserId) -> Result<i64, BillingError> {
    Ok(penora_store::users::find_by_id(txn, user)
        .await?
        .map_or(0, |u| u.balance_mc))
}

/// The payment as applied before, if it was.
async fn earlier(
    state: &AppState,
    gateway: &str,
    payment_id: &str,
    user: UserId,
) -> Result<Option<Applied>, BillingError> {
    let Some(row) = payments::find_by_gateway_id(&state.db, gateway, payment_id).await? else {
        return Ok(None);
    };
    let balance_mc = penora_store::users::find_by_id(&state.db, user)
        .await?
        .map_or(0, |u| u.balance_mc);
    Ok(Some(Applied {
        payment: row,
        balance_mc,
        earlier: true,
    }))
}
