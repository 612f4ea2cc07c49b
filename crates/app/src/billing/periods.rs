//! What the gateway reports of a subscription (a webhook, a verify or the reconcile job)
//! applied to its row: the status and period, the entitlement that follows them, and each
//! paid period's grant, once.

use chrono::{DateTime, Duration, TimeZone, Utc};
use penora_domain::{EntryKind, PaymentStatus, SubscriptionStatus, UserId};
use penora_payments::{Payment, Subscription};
use penora_store::billing::payments::{self, NewPayment};
use penora_store::billing::plans;
use penora_store::billing::subscriptions::{self, Change, SubscriptionRow};
use penora_store::{begin_write, WriteError};
use uuid::Uuid;

use super::payments::{credit, matches, receipt_number};
use super::BillingError;
use crate::audit::{self, Origin};
use crate::AppState;

/// A paid period's entitlements outlast its end by this much, so a renewal whose webhook is
/// a little late does not take the plan away in between.
pub const RENEWAL_GRACE: Duration = Duration::days(1);

fn at(seconds: Option<i64>) -> Option<DateTime<Utc>> {
    seconds.and_then(|s| Utc.timestamp_opt(s, 0).single())
}

/// The row's new state from what the gateway says of the subscription. The period only
/// moves forward (an event delivered late does not take it back), an ended subscription
/// (halted, cancelled, completed, expired) is not made live again by an event of a period
/// it had reached (Razorpay does not promise the order of its deliveries: a `pending` may
/// follow its `halted`; a paid resumption comes as a charge, which [`grant`] applies), and
/// the entitlement follows the status: paid periods (plus grace) while active or pending,
/// none once halted, the paid period's end once cancelled or completed.
pub(super) fn change_of(row: &SubscriptionRow, sub: &Subscription) -> Change {
    let status: SubscriptionStatus = sub.status.parse().unwrap_or(*row.status);
    let (start, end) = (at(sub.current_start), at(sub.current_end));
    let earlier = matches!((start, row.current_start), (Some(new), Some(old)) if new < old);
    let later = match (start, row.current_start) {
        (Some(new), Some(old)) => new > old,
        (Some(_), None) => true,
        _ => false,
    };
    let ended = matches!(
        *row.status,
        SubscriptionStatus::Halted
            | SubscriptionStatus::Cancelled
            | SubscriptionStatus::Completed
            | SubscriptionStatus::Expired
    );
    let revived = ended && status.is_live() && !later;
    let stale = earlier || revived;
    let (current_start, current_end, status) = if stale {
        (row.current_start, row.current_end, *row.status)
    } else {
        (start.or(row.current_start), end.or(row.current_end), status)
    };
    let paid_until = current_end.map(|end| end + RENEWAL_GRACE);
    let entitled_until = match status {
        SubscriptionStatus::Halted | SubscriptionStatus::Expired | SubscriptionStatus::Paused => {
            Some(penora_store::now())
        }
        SubscriptionStatus::Cancelled | SubscriptionStatus::Completed => {
            row.entitled_until.min(current_end).or(row.entitled_until)
        }
        // Only a later period extends it: the grant of a paid period sets it, and a late
        // event of the same period must not restore what a refund ended.
        _ => row
            .entitled_until
            .max(paid_until.filter(|_| row.entitled_until.is_some() && later)),
    };
    Change {
        status,
        current_start,
        current_end,
        entitled_until,
        cancel_at_period_end: row.cancel_at_period_end,
    }
}

/// Why a subscription event could not be applied yet.
#[derive(Debug, thiserror::Error)]
pub enum EventPending {
    #[error("the subscription {0} is not known here yet")]
    UnknownSubscription(String),
    #[error(transparent)]
    Failed(#[from] BillingError),
}

/// Applies what the gateway says of a subscription (a webhook or the reconcile job): its
/// status and period, and, with a captured payment, that period's grant.
pub async fn apply(
    state: &AppState,
    sub: &Subscription,
    payment: Option<&Payment>,
    origin: &Origin,
) -> Result<&'static str, EventPending> {
    let gateway = state.gateway.kind().as_str();
    let Some(row) = subscriptions::find_by_gateway_id(&state.db, gateway, &sub.id)
        .await
        .map_err(BillingError::from)?
    else {
        return Err(EventPending::UnknownSubscription(sub.id.clone()));
    };
    let granted = match payment.filter(|p| p.status == "captured") {
        Some(payment) => grant(state, &row, sub, payment, origin).await?,
        None => false,
    };
    // Re-read (a grant moves the entitlement) and write only over what was read: events of
    // one subscription applied at once (replicas, parallel deliveries) must not write a
    // state computed from a row another has changed since, e.g. a `pending` undoing the
    // `halted` committed meanwhile. Read again and recompute then.
    let mut written = None;
    for _ in 0..5 {
        let row = subscriptions::find_by_gateway_id(&state.db, gateway, &sub.id)
            .await
            .map_err(BillingError::from)?
            .unwrap_or_else(|| row.clone());
        let change = change_of(&row, sub);
        if subscriptions::update_unchanged(&state.db, &row, &change)
            .await
            .map_err(BillingError::from)?
        {
            written = Some((row, change));
            break;
        }
    }
    let Some((row, change)) = written else {
        return Err(EventPending::Failed(BillingError::Db(
            penora_store::DbErr::Custom("the subscription kept changing".to_owned()),
        )));
    };
    if change.status != *row.status {
        let meta = serde_json::json!({
            "subscription_id": row.id, "from": row.status.as_str(), "to": change.status.as_str(),
        });
        let user = UserId::from_uuid(row.user_id).to_string();
        audit::record(
            &state.db,
            None,
            "billing.subscription_changed",
            Some(&user),
            origin,
            meta,
        )
        .await;
    }
    Ok(if granted { "granted" } else { "updated" })
}

/// Grants the period `sub` is in for `payment`, once: the payment's unique id and the
/// grant's reference (subscription and period start) both refuse a second time. The payment
/// must be the price of the subscription's gateway plan (the catalog's when that plan is not
/// known here). True when this call granted it.
async fn grant(
    state: &AppState,
    row: &SubscriptionRow,
    sub: &Subscription,
    payment: &Payment,
    origin: &Origin,
) -> Result<bool, BillingError> {
    let item = state.billing.item(&row.item_id);
    let user = UserId::from_uuid(row.user_id);
    // A gateway plan charges the amount it was made with: after the catalog's price
    // changes, a subscription made before still renews at its plan's price, paid in full.
    let subscribed_at = plans::by_gateway_id(&state.db, &row.gateway, &sub.plan_id)
        .await?
        .filter(|plan| plan.item_id == row.item_id)
        .and_then(|plan| {
            let currency = plan.currency.parse().ok()?;
            Some(penora_domain::Money::new(plan.amount_minor, currency))
        });
    let price = subscribed_at.or_else(|| item.map(|i| state.billing.price(i)));
    let fits = price.is_some_and(|p| matches(payment, p.minor, p.currency));
    let credits_mc = match (item, fits) {
        (Some(item), true) => item.grant().get(),
        _ => 0,
    };
    let (start, end) = (at(sub.current_start), at(sub.current_end));
    let period = start.zip(end);
    let id = Uuid::now_v7();
    let now = penora_store::now();
    let number = receipt_number(id, now);
    let expected = price.unwrap_or(penora_domain::Money::new(0, state.billing.currency()));
    let txn = begin_write(&state.db).await?;
    let new = NewPayment {
        id,
        user,
        gateway: &row.gateway,
        gateway_payment_id: &payment.id,
        order_id: None,
        subscription_id: Some(row.id),
        item_id: &row.item_id,
        credits_mc,
        amount_minor: payment.amount,
        currency: payment.currency.parse().unwrap_or(expected.currency),
        expected_amount_minor: expected.minor,
        expected_currency: expected.currency,
        status: if fits {
            PaymentStatus::Captured
        } else {
            PaymentStatus::Mismatch
        },
        receipt_number: &number,
        period,
        at: now,
    };
    match payments::insert(&txn, &new).await {
        Ok(_) => {}
        Err(WriteError::Taken) => return Ok(false),
        Err(WriteError::Db(err)) => return Err(err.into()),
    }
    if fits {
        let period_key = sub.current_start.unwrap_or(payment.created_at);
        let reference = format!(
            "subscription_grant:{}:{}:{period_key}",
            row.gateway, row.gateway_subscription_id
        );
        let meta = serde_json::json!({
            "subscription_id": row.id, "item_id": row.item_id, "payment_id": payment.id,
            "period_start": start, "period_end": end,
        });
        credit(
            &txn,
            user,
            EntryKind::SubscriptionGrant,
            credits_mc,
            &reference,
            meta,
        )
        .await?;
        let entitled = end.map(|end| end + RENEWAL_GRACE);
        let change = Change {
            status: SubscriptionStatus::Active,
            current_start: start.or(row.current_start),
            current_end: end.or(row.current_end),
            entitled_until: row.entitled_until.max(entitled),
            cancel_at_period_end: row.cancel_at_period_end,
        };
        subscriptions::update(&txn, row.id, &change).await?;
    }
    let action = if fits {
        "billing.subscription_charged"
    } else {
        "billing.payment_mismatch"
    };
    let meta = serde_json::json!({
        "subscription_id": row.id, "gateway_payment_id": payment.id,
        "amount_minor": payment.amount, "currency": payment.currency,
        "expected_amount_minor": expected.minor,
    });
    audit::record_in(&txn, None, action, Some(&user.to_string()), origin, meta).await?;
    txn.commit().await?;
    crate::metrics::payment_applied("subscription", fits, credits_mc);
    Ok(fits)
}
