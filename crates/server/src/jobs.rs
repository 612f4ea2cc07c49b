//! Background work every replica runs: settling expired holds and forgetting expired
//! idempotency keys and old rate-limit windows. Safe on several replicas at once: each step is a conditional update.

use penora_app::AppState;
use penora_app::{holds, shares};

pub fn spawn(state: AppState) {
    let every = state.config.settings.sweep_interval();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.tick().await;
        loop {
            tick.tick().await;
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
        }
    });
}
