//! Plan subscriptions: subscribing (a gateway subscription on the plan item's gateway plan),
//! each paid period granting its credits once (the ledger reference names the subscription
//! and the period), the plan's entitlements while it is paid for, cancelling at the end of
//! the period, and losing the plan at once when renewal fails for good (halted).

use chrono::{DateTime, Duration, TimeZone, Utc};
use penora_domain::{EntryKind, ItemKind, PaymentStatus, Period, SubscriptionStatus, UserId};
use penora_payments::{NewPlan, NewSubscription, Notes, Payment, Subscription};
use penora_store::billing::payments::{self, NewPayment};
use penora_store::billing::plans::{self, PlanKey};
use penora_store::billing::subscriptions::{self, Change, SubscriptionRow};
use penora_store::{begin_write, WriteError};
use uuid::Uuid;

use super::catalog::Item;
use super::payments::{credit, matches, receipt_number};
use super::BillingError;
use crate::audit::{self, Origin};
use crate::AppState;

/// A paid period's entitlements outlast its end by this much, so a renewal whose webhook is
/// a little late does not take the plan away in between.
pub const RENEWAL_GRACE: Duration = Duration::days(1);

/// Periods a subscription is created for: ten years either way.
fn total_count(period: Period) -> i64 {
    match period {
        Period::Monthly => 120,
        Period::Yearly => 10,
    }
}

/// A new subscription and what the browser's checkout needs to pay its first period.
#[derive(Debug, Clone)]
pub struct Subscribed {
    pub row: SubscriptionRow,
    pub key_id: String,
    /// The sandbox's test-mode checkout page (sandbox only); Razorpay's hosted page
    /// otherwise (`short_url`), when it gave one.
    pub checkout_url: Option<String>,
}

fn plan_item<'a>(state: &'a AppState, item_id: &str) -> Result<&'a Item, BillingError> {
    let item = state
        .billing
        .item(item_id)
        .ok_or_else(|| BillingError::UnknownItem(item_id.to_owned()))?;
    if item.kind != ItemKind::Plan {
        return Err(BillingError::WrongKind {
            item: item.id.clone(),
            wanted: "a plan (one-off items are bought with POST /billing/orders)",
        });
    }
    Ok(item)
}

/// Subscribes the user to the plan item `item_id`. A user has at most one live
/// subscription, also when subscribing many times at once: cancel it first to change plans.
#[tracing::instrument(name = "services::billing::subscriptions::create", skip_all,
    fields(user_id = %user))]
pub async fn create(
    state: &AppState,
    user: UserId,
    item_id: &str,
    origin: &Origin,
) -> Result<Subscribed, BillingError> {
    let item = plan_item(state, item_id)?;
    if let Some(live) = subscriptions::live(&state.db, user).await?.first() {
        return Err(BillingError::SubscriptionExists {
            status: live.status.as_str().to_owned(),
        });
    }
    super::count_checkout(state, user).await?;
    let (tier, period) = match (&item.tier, item.period) {
        (Some(tier), Some(period)) => (tier.clone(), period),
        _ => return Err(BillingError::UnknownItem(item_id.to_owned())),
    };
    let plan_id = gateway_plan(state, item, period).await?;
    let mut notes = Notes::new();
    notes.insert("penora_user_id".to_owned(), user.to_string());
    notes.insert("item_id".to_owned(), item.id.clone());
    let gateway_sub = state
        .gateway
        .create_subscription(&NewSubscription {
            plan_id,
            total_count: total_count(period),
            notes,
        })
        .await?;
    let gateway = state.gateway.kind().as_str();
    // Requests at once all pass the check above: the user's row lock orders their inserts,
    // and each after the first finds a live subscription. Theirs at the gateway is never
    // paid (nobody is shown its checkout) and lapses there.
    let txn = begin_write(&state.db).await?;
    penora_store::users::lock(&txn, user, None).await?;
    if let Some(live) = subscriptions::live(&txn, user).await?.first() {
        let status = live.status.as_str().to_owned();
        drop(txn);
        tracing::info!(gateway_subscription_id = %gateway_sub.id,
            "subscription raced another of the same user; left unpaid at the gateway");
        return Err(BillingError::SubscriptionExists { status });
    }
    let row = subscriptions::insert(
        &txn,
        &subscriptions::NewSubscription {
            user,
            item_id: &item.id,
            tier: &tier,
            gateway,
            gateway_subscription_id: &gateway_sub.id,
        },
    )
    .await?;
    txn.commit().await?;
    let meta = serde_json::json!({
        "subscription_id": row.id, "item_id": item.id, "gateway_subscription_id": gateway_sub.id,
    });
    audit::record(
        &state.db,
        Some(user),
        "billing.subscription_created",
        None,
        origin,
        meta,
    )
    .await;
    let checkout_url = match &state.sandbox {
        Some(_) => Some(super::checkout::subscription_page(state, &gateway_sub.id)),
        None => gateway_sub.short_url.clone(),
    };
    Ok(Subscribed {
        row,
        key_id: state.gateway.key_id().to_owned(),
        checkout_url,
    })
}

/// The gateway's plan for `item` at its price, created the first time it is needed.
async fn gateway_plan(
    state: &AppState,
    item: &Item,
    period: Period,
) -> Result<String, BillingError> {
    let price = state.billing.price(item);
    let key = PlanKey {
        gateway: state.gateway.kind().as_str(),
        item_id: &item.id,
        amount_minor: price.minor,
        currency: price.currency.as_str(),
    };
    if let Some(id) = plans::find(&state.db, key).await? {
        return Ok(id);
    }
    let mut notes = Notes::new();
    notes.insert("item_id".to_owned(), item.id.clone());
    let plan = state
        .gateway
        .create_plan(&NewPlan {
            period: match period {
                Period::Monthly => penora_payments::Period::Monthly,
                Period::Yearly => penora_payments::Period::Yearly,
            },
            interval: 1,
            name: item.name.clone(),
            amount: price.minor,
            currency: price.currency,
            description: Some(format!("{} credits each period", item.credits)),
            notes,
        })
        .await?;
    Ok(plans::remember(&state.db, key, &plan.id).await?)
}

/// The user's latest subscription, if any.
pub async fn current(
    state: &AppState,
    user: UserId,
) -> Result<Option<SubscriptionRow>, BillingError> {
    Ok(subscriptions::latest(&state.db, user).await?)
}

/// Verifies the first payment of the caller's subscription as Razorpay Checkout hands it
/// back: the signature (HMAC-SHA256 of `payment_id|subscription_id` with the key secret),
/// then the subscription and payment at the gateway, then grants the period once (the
/// `subscription.charged` webhook, before or after, finds it granted).
#[tracing::instrument(name = "services::billing::subscriptions::verify", skip_all,
    fields(user_id = %user))]
pub async fn verify(
    state: &AppState,
    user: UserId,
    gateway_subscription_id: &str,
    payment_id: &str,
    signature: &str,
    origin: &Origin,
) -> Result<SubscriptionRow, BillingError> {
    let gateway = state.gateway.kind().as_str();
    let row = subscriptions::find_by_gateway_id(&state.db, gateway, gateway_subscription_id)
        .await?
        .filter(|r| r.user_id == user.as_uuid())
        .ok_or(BillingError::NoSubscription)?;
    let signer = state.gateway.signer();
    if !signer.verify_subscription(payment_id, &row.gateway_subscription_id, signature) {
        let meta = serde_json::json!({ "subscription_id": row.id, "payment_id": payment_id });
        audit::record(
            &state.db,
            Some(user),
            "billing.verify_refused",
            None,
            origin,
            meta,
        )
        .await;
        return Err(BillingError::InvalidSignature);
    }
    let payment = state.gateway.fetch_payment(payment_id).await?;
    if payment.status != "captured" {
        return Err(BillingError::NotCaptured {
            status: payment.status,
        });
    }
    if payment
        .subscription_id
        .as_deref()
        .is_some_and(|s| s != row.gateway_subscription_id)
    {
        return Err(BillingError::InvalidSignature);
    }
    let sub = state
        .gateway
        .fetch_subscription(&row.gateway_subscription_id)
        .await?;
    match apply(state, &sub, Some(&payment), origin).await {
        Ok(_) => {}
        Err(EventPending::Failed(err)) => return Err(err),
        Err(EventPending::UnknownSubscription(_)) => return Err(BillingError::NoSubscription),
    }
    Ok(
        subscriptions::find_by_gateway_id(&state.db, gateway, gateway_subscription_id)
            .await?
            .unwrap_or(row),
    )
}

/// Cancels the user's live subscription: a paid one at the end of its period (the plan
/// stays until then), one never paid at once.
#[tracing::instrument(name = "services::billing::subscriptions::cancel", skip_all,
    fields(user_id = %user))]
pub async fn cancel(
    state: &AppState,
    user: UserId,
    origin: &Origin,
) -> Result<SubscriptionRow, BillingError> {
    let live = subscriptions::live(&state.db, user).await?;
    let row = live
        .into_iter()
        .next()
        .ok_or(BillingError::NoSubscription)?;
    let paid = matches!(
        *row.status,
        SubscriptionStatus::Active | SubscriptionStatus::Pending
    );
    let sub = state
        .gateway
        .cancel_subscription(&row.gateway_subscription_id, paid)
        .await?;
    let mut change = change_of(&row, &sub);
    change.cancel_at_period_end = paid;
    subscriptions::update(&state.db, row.id, &change).await?;
    let meta = serde_json::json!({ "subscription_id": row.id, "at_period_end": paid });
    audit::record(
        &state.db,
        Some(user),
        "billing.subscription_cancelled",
        None,
        origin,
        meta,
    )
    .await;
    subscriptions::latest(&state.db, user)
        .await?
        .ok_or(BillingError::NoSubscription)
}

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
fn change_of(row: &SubscriptionRow, sub: &Subscription) -> Change {
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
    Ok(fits)
}
