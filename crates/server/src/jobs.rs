//! Background work every replica runs: settling expired holds and forgetting expired
//! idempotency keys, old rate-limit windows, old webhook events, and used sign-in tokens and
//! OAuth flows past their expiry. Safe on several replicas at once: each step is a conditional update.

use penora_app::AppState;
use penora_app::{billing, holds, shares, sign_in};

pub fn spawn(state: AppState) {
    let every = state.config.settings.sweep_interval();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.tick().await;
        loop {
            tick.tick().await;
            // Expiry is the database's time: follow its clock before comparing with it.
            if let Err(err) = penora_store::clock::sync(&state.db).await {
                tracing::warn!(error = %err, "reading the database's clock failed");
            }
            match holds::sweep(&state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(settled = n, "settled expired holds"),
                Err(err) => tracing::warn!(error = %err, "hold sweep failed"),
            }
            if let Err(err) = penora_store::idempotency::purge_expired(&state.db).await {
                tracing::warn!(error = %err, "idempotency purge failed");
            }
            if let Err(err) = shares::purge_counters(&state).await {
                tracing::warn!(error = %err, "rate-limit counter purge failed");
            }
            if let Err(err) = billing::webhooks::purge_old(&state).await {
                tracing::warn!(error = %err, "webhook event purge failed");
            }
            if let Err(err) = sign_in::purge_expired(&state).await {
                tracing::warn!(error = %err, "sign-in token purge failed");
            }
        }
    });
}

/// Billing's background work: webhooks that could not be applied yet are retried, the
/// sandbox's outbox is delivered to `webhook_url`, and the gateway is asked about orders and
/// plan periods whose webhook never came. Safe on several replicas at once: events and
/// deliveries are claimed before they are worked on, and each payment applies once.
pub fn spawn_billing(state: AppState, webhook_url: String) {
    let payments = state.config.settings.payments.clone();
    let retry_every = std::time::Duration::from_millis(payments.billing_retry_interval_ms.max(10));
    let retry_state = state.clone();
    tokio::spawn(async move {
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        let mut tick = tokio::time::interval(retry_every);
        loop {
            tick.tick().await;
            if let Err(err) = billing::webhooks::retry_due(&retry_state).await {
                tracing::warn!(error = %err, "webhook retry failed");
            }
            if retry_state.sandbox.is_some() {
                if let Err(err) =
                    billing::sandbox::deliver_due(&retry_state, &client, &webhook_url).await
                {
                    tracing::warn!(error = %err, "sandbox webhook delivery failed");
                }
            }
        }
    });
    if payments.billing_reconcile_interval_ms == 0 {
        return;
    }
    let every = std::time::Duration::from_millis(payments.billing_reconcile_interval_ms);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.tick().await;
        loop {
            tick.tick().await;
            match billing::reconcile::run(&state).await {
                Ok(found) if found.orders_credited + found.subscriptions_granted > 0 => {
                    tracing::info!(?found, "reconciled payments the webhooks missed");
                }
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "billing reconcile failed"),
            }
        }
    });
}
