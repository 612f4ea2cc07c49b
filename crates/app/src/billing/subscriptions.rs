//! Plan subscriptions a user starts: subscribing (a gateway subscription on the plan item's
//! gateway plan), verifying its first payment, reading it, and cancelling at the end of the
//! period. What the gateway then reports (periods, grants, halts) is applied by
//! [`super::periods`].

use penora_domain::{ItemKind, Period, SubscriptionStatus, UserId};
use penora_payments::{NewPlan, NewSubscription, Notes};
use penora_store::begin_write;
use penora_store::billing::plans::{self, PlanKey};
use penora_store::billing::subscriptions::{self, SubscriptionRow};

use super::catalog::Item;
use super::periods::change_of;
pub use super::periods::{apply, EventPending, RENEWAL_GRACE};
use super::BillingError;
use crate::audit::{self, Origin};
use crate::AppState;

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
