//! Refunds: the credits a refunded payment granted go back, in proportion to the money
//! refunded (rounded down), taken from what is available: credits held by running
//! generations are never touched. What cannot be taken now becomes a debt, paid off from
//! the next purchase or grant ([`super::debts`]). A plan's period refunded in full ends
//! the plan's entitlement at once.

use penora_domain::money::refunded_share;
use penora_domain::{EntryKind, Millicredits, PaymentStatus, UserId};
use penora_payments::{NewRefund, Notes, Refund};
use penora_store::billing::payments::{self, PaymentRow};
use penora_store::billing::refund_requests::{self, NewRefundRequest, RefundRequestRow};
use penora_store::billing::{debts, refunds, subscriptions};
use penora_store::ledger::{self, LedgerError, Movement};
use penora_store::{begin_write, WriteError};

use super::BillingError;
use crate::audit::{self, Origin};
use crate::idempotency::{Idem, IdemError, Outcome};
use crate::AppState;

/// What a refund did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundApplied {
    pub gateway_refund_id: String,
    pub amount_minor: i64,
    /// Credits taken back now.
    pub taken_mc: i64,
    /// Credits owed (recorded as a debt).
    pub debt_mc: i64,
    /// It had been applied before.
    pub earlier: bool,
}

/// Why a refund could not be applied yet.
#[derive(Debug, thiserror::Error)]
pub enum RefundPending {
    #[error("the refunded payment {0} is not known here yet")]
    UnknownPayment(String),
    /// The payment or the balance changed while it was applied; applied again.
    #[error("the payment or the balance changed meanwhile")]
    Changed,
    #[error(transparent)]
    Failed(#[from] BillingError),
}

/// Applies a processed refund once (by its gateway id).
pub async fn apply(
    state: &AppState,
    refund: &Refund,
    origin: &Origin,
) -> Result<RefundApplied, RefundPending> {
    let gateway = state.gateway.kind().as_str();
    // A refund applied at once may meet a balance another transaction is changing: it
    // reads what is available and takes that, and a concurrent reservation can make the
    // take too large by the time it is written. Read again and retry then.
    for _ in 0..5 {
        match try_apply(state, gateway, refund, origin).await {
            Err(RefundPending::Changed) => {}
            other => return other,
        }
    }
    Err(RefundPending::Failed(BillingError::Db(
        penora_store::DbErr::Custom("the balance kept changing during a refund".to_owned()),
    )))
}

async fn try_apply(
    state: &AppState,
    gateway: &str,
    refund: &Refund,
    origin: &Origin,
) -> Result<RefundApplied, RefundPending> {
    let Some(payment) = payments::find_by_gateway_id(&state.db, gateway, &refund.payment_id)
        .await
        .map_err(BillingError::from)?
    else {
        return Err(RefundPending::UnknownPayment(refund.payment_id.clone()));
    };
    let user = UserId::from_uuid(payment.user_id);
    let txn = begin_write(&state.db).await.map_err(BillingError::from)?;
    // Read inside the transaction: its first write (the refund row) orders it after any
    // refund of the same payment committed before.
    let refunded_total = payment.refunded_minor + refund.amount;
    let share = refunded_share(payment.credits_mc, payment.amount_minor, refunded_total);
    let owed = (share - payment.credits_taken_mc).max(0);
    let available = penora_store::users::find_by_id(&txn, user)
        .await
        .map_err(BillingError::from)?
        .map_or(0, |u| (u.balance_mc - u.reserved_mc).max(0));
    let taken = owed.min(available);
    let debt = owed - taken;
    match refunds::insert(&txn, payment.id, &refund.id, refund.amount, taken, debt).await {
        Ok(_) => {}
        Err(WriteError::Taken) => {
            return Ok(RefundApplied {
                gateway_refund_id: refund.id.clone(),
                amount_minor: refund.amount,
                taken_mc: 0,
                debt_mc: 0,
                earlier: true,
            })
        }
        Err(WriteError::Db(err)) => return Err(BillingError::from(err).into()),
    }
    let status = if refunded_total >= payment.amount_minor {
        PaymentStatus::Refunded
    } else {
        PaymentStatus::PartiallyRefunded
    };
    if !payments::refunded(
        &txn,
        &payment,
        refunded_total,
        payment.credits_taken_mc + owed,
        status,
    )
    .await
    .map_err(BillingError::from)?
    {
        // Another refund of this payment committed after our read: start over.
        return Err(RefundPending::Changed);
    }
    // A plan's period refunded in full is not paid for: its entitlement ends now.
    if let (PaymentStatus::Refunded, Some(subscription)) = (status, payment.subscription_id) {
        subscriptions::end_refunded_period(
            &txn,
            subscription,
            payment.period_start,
            penora_store::now(),
        )
        .await
        .map_err(BillingError::from)?;
    }
    let reference = format!("refund:{gateway}:{}", refund.id);
    if taken > 0 {
        let mut movement = Movement::new(
            user,
            EntryKind::Refund,
            Millicredits::new(-taken),
            &reference,
        );
        movement.description = Some("Payment refunded");
        movement.meta = serde_json::json!({
            "payment_id": payment.id, "gateway_refund_id": refund.id,
            "amount_minor": refund.amount,
        });
        match ledger::apply(&txn, movement).await {
            Ok(_) => {}
            Err(LedgerError::Insufficient { .. }) => return Err(RefundPending::Changed),
            Err(err) => return Err(BillingError::from(err).into()),
        }
    }
    if debt > 0 {
        let debt_reference = format!("debt:{gateway}:{}", refund.id);
        debts::insert(&txn, user, debt, &debt_reference)
            .await
            .map_err(BillingError::from)?;
    }
    let meta = serde_json::json!({
        "payment_id": payment.id, "gateway_refund_id": refund.id, "amount_minor": refund.amount,
        "taken_mc": taken, "debt_mc": debt,
    });
    audit::record_in(
        &txn,
        None,
        "billing.refund_applied",
        Some(&user.to_string()),
        origin,
        meta,
    )
    .await
    .map_err(BillingError::from)?;
    txn.commit().await.map_err(BillingError::from)?;
    Ok(RefundApplied {
        gateway_refund_id: refund.id.clone(),
        amount_minor: refund.amount,
        taken_mc: taken,
        debt_mc: debt,
        earlier: false,
    })
}

/// An admin refunds (part of) a payment through the gateway; the credits go back at once
/// (the gateway's `refund.processed` webhook then finds it applied).
///
/// Once per `Idempotency-Key`: the request and the amount it resolves to are recorded
/// before the gateway is asked, and the gateway is asked with a key of that record's, so a
/// retry (after a timeout, a lost answer, a crash) gets the refund made the first time.
#[tracing::instrument(name = "services::billing::refunds::issue", skip_all)]
pub async fn issue(
    state: &AppState,
    admin: UserId,
    payment: &PaymentRow,
    amount_minor: Option<i64>,
    idem: &Idem,
    origin: &Origin,
) -> Result<Outcome<RefundApplied>, BillingError> {
    let request = claim(state, payment, amount_minor, idem).await?;
    if let Some(applied) = applied_before(state, &request).await? {
        return Ok(applied);
    }
    let mut notes = Notes::new();
    notes.insert("penora_payment_id".to_owned(), payment.id.to_string());
    notes.insert("refunded_by".to_owned(), admin.to_string());
    let refund = state
        .gateway
        .refund(
            &payment.gateway_payment_id,
            &NewRefund {
                amount: Some(request.amount_minor),
                notes,
                idempotency_key: Some(format!("penora-{}", request.id.simple())),
            },
        )
        .await?;
    refund_requests::answered(&state.db, request.id, &refund.id).await?;
    let applied = match apply(state, &refund, origin).await {
        Ok(applied) => applied,
        Err(RefundPending::UnknownPayment(_)) => return Err(BillingError::PaymentNotFound),
        Err(RefundPending::Failed(err)) => return Err(err),
        Err(RefundPending::Changed) => {
            return Err(BillingError::Db(penora_store::DbErr::Custom(
                "the balance kept changing during a refund".to_owned(),
            )))
        }
    };
    if applied.earlier {
        // Applied by the webhook, or by a concurrent retry: answer with what was applied.
        let request = refund_requests::RefundRequestRow {
            gateway_refund_id: Some(refund.id),
            ..request
        };
        if let Some(applied) = applied_before(state, &request).await? {
            return Ok(Outcome {
                replayed: false,
                ..applied
            });
        }
    }
    Ok(Outcome {
        status: 200,
        body: applied,
        replayed: false,
    })
}

/// The request recorded for this key, recording it (with the amount it resolves to now)
/// when it is new. The same key for another request is refused.
async fn claim(
    state: &AppState,
    payment: &PaymentRow,
    amount_minor: Option<i64>,
    idem: &Idem,
) -> Result<RefundRequestRow, BillingError> {
    let recorded = |row: RefundRequestRow| {
        if row.fingerprint == idem.fingerprint {
            Ok(row)
        } else {
            Err(BillingError::Idem(IdemError::Reused))
        }
    };
    if let Some(row) = refund_requests::find(&state.db, &idem.scope, &idem.key).await? {
        return recorded(row);
    }
    let left = payment.amount_minor - payment.refunded_minor;
    let asked = amount_minor.unwrap_or(left);
    if asked <= 0 || asked > left {
        return Err(BillingError::RefundTooLarge { asked, left });
    }
    let new = NewRefundRequest {
        scope: &idem.scope,
        idem_key: &idem.key,
        fingerprint: &idem.fingerprint,
        payment: payment.id,
        amount_minor: asked,
    };
    match refund_requests::insert(&state.db, new).await {
        Ok(row) => Ok(row),
        // A concurrent request with this key recorded it first.
        Err(WriteError::Taken) => refund_requests::find(&state.db, &idem.scope, &idem.key)
            .await?
            .map_or_else(|| Err(BillingError::Idem(IdemError::Reused)), recorded),
        Err(WriteError::Db(err)) => Err(err.into()),
    }
}

/// The refund this request made, when it has been applied: what a retry answers.
async fn applied_before(
    state: &AppState,
    request: &RefundRequestRow,
) -> Result<Option<Outcome<RefundApplied>>, BillingError> {
    let Some(gateway_refund_id) = &request.gateway_refund_id else {
        return Ok(None);
    };
    let row = refunds::find_by_gateway_id(&state.db, gateway_refund_id).await?;
    Ok(row.map(|row| Outcome {
        status: 200,
        body: RefundApplied {
            gateway_refund_id: row.gateway_refund_id,
            amount_minor: row.amount_minor,
            taken_mc: row.taken_mc,
            debt_mc: row.debt_mc,
            earlier: true,
        },
        replayed: true,
    }))
}
