//! Asking the gateway about what its webhooks should have told us: open orders a while old
//! (paid, but neither the browser's verify nor the webhook arrived) and subscriptions whose
//! paid period ended (a renewal or a halt never reported). Each finding goes through the
//! same once-only paths as a webhook, so replicas may run this at once.

use chrono::Duration;
use penora_store::billing::{orders, payments, subscriptions};

use super::subscriptions::EventPending;
use super::BillingError;
use crate::audit::Origin;
use crate::AppState;

/// Orders, and subscriptions never paid, older than this are not asked about any more
/// (abandoned at checkout; the gateway's own expiry is shorter).
const ORDER_HORIZON_DAYS: i64 = 7;
/// At most this many of each per run.
const BATCH: u64 = 200;

/// What a run found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reconciled {
    pub orders_checked: usize,
    pub orders_credited: usize,
    pub subscriptions_checked: usize,
    pub subscriptions_granted: usize,
    /// Gateway calls that failed (tried again next run).
    pub errors: usize,
}

#[tracing::instrument(name = "services::billing::reconcile::run", skip_all)]
pub async fn run(state: &AppState) -> Result<Reconciled, BillingError> {
    let origin = Origin::ip("reconcile");
    let now = penora_store::now();
    let after = Duration::milliseconds(
        i64::try_from(state.config.settings.payments.billing_reconcile_after_ms).unwrap_or(0),
    );
    let mut found = Reconciled::default();
    let open = orders::open_between(
        &state.db,
        now - Duration::days(ORDER_HORIZON_DAYS),
        now - after,
        BATCH,
    )
    .await?;
    for order in open {
        found.orders_checked += 1;
        let paid = match state.gateway.order_payments(&order.gateway_order_id).await {
            Ok(paid) => paid,
            Err(err) => {
                tracing::warn!(order_id = %order.id, error = %err, "reconcile: order not checked");
                found.errors += 1;
                continue;
            }
        };
        for payment in paid.iter().filter(|p| p.status == "captured") {
            match super::payments::apply_to_order(state, &order, payment, &origin).await {
                Ok(applied) if !applied.earlier => found.orders_credited += 1,
                Ok(_) => {}
                Err(err) => {
                    tracing::warn!(order_id = %order.id, error = %err, "reconcile: payment not applied");
                    found.errors += 1;
                }
            }
        }
    }
    let horizon = now - Duration::days(ORDER_HORIZON_DAYS);
    let due = subscriptions::due_for_reconcile(&state.db, now, horizon, now - after, BATCH).await?;
    for row in due {
        found.subscriptions_checked += 1;
        let id = &row.gateway_subscription_id;
        let fetched = match state.gateway.fetch_subscription(id).await {
            Ok(sub) => sub,
            Err(err) => {
                tracing::warn!(subscription_id = %row.id, error = %err, "reconcile: not checked");
                found.errors += 1;
                continue;
            }
        };
        let charged = state
            .gateway
            .subscription_payments(id)
            .await
            .unwrap_or_default();
        // The latest captured payment pays the period the subscription is in now.
        let latest = charged
            .iter()
            .filter(|p| p.status == "captured")
            .max_by_key(|p| p.created_at);
        let unseen = match latest {
            Some(p) => payments::find_by_gateway_id(&state.db, &row.gateway, &p.id)
                .await?
                .is_none(),
            None => false,
        };
        match super::subscriptions::apply(state, &fetched, latest.filter(|_| unseen), &origin).await
        {
            Ok("granted") => found.subscriptions_granted += 1,
            Ok(_) => {}
            Err(EventPending::UnknownSubscription(_)) => {}
            Err(EventPending::Failed(err)) => {
                tracing::warn!(subscription_id = %row.id, error = %err, "reconcile: not applied");
                found.errors += 1;
            }
        }
    }
    Ok(found)
}
