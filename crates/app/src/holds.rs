//! Reserving credits before a generation and settling on what was delivered.

use chrono::Duration;
use penora_domain::{Millicredits, UserId};
use penora_store::holds::{self, HoldRow, Settled};
use penora_store::ledger::LedgerError;
use uuid::Uuid;

use crate::generations;
use crate::AppState;

#[tracing::instrument(name = "services::holds::reserve", skip_all,
    fields(user_id = %user, model = model))]
pub async fn reserve(
    state: &AppState,
    user: UserId,
    amount: Millicredits,
    model: Option<&str>,
    ttl: Duration,
) -> Result<HoldRow, LedgerError> {
    let txn = penora_store::begin_write(&state.db).await?;
    let hold = holds::reserve(&txn, user, amount, model, penora_store::now() + ttl).await?;
    txn.commit().await?;
    Ok(hold)
}

/// Settles a hold, charging at most what it reserved. Calling it again changes nothing.
#[tracing::instrument(name = "services::holds::settle", skip_all, fields(hold_id = %hold))]
pub async fn settle(
    state: &AppState,
    hold: Uuid,
    charge: Millicredits,
    words: Option<i64>,
    meta: serde_json::Value,
) -> Result<Settled, LedgerError> {
    let txn = penora_store::begin_write(&state.db).await?;
    let outcome = holds::settle(&txn, hold, charge, words, meta).await?;
    txn.commit().await?;
    Ok(outcome)
}

/// Settles every expired hold on what it had delivered (a crashed or abandoned generation),
/// closing its generation as interrupted in the same transaction; then closes free
/// generations (no hold) whose process died.
#[tracing::instrument(name = "services::holds::sweep", skip_all)]
pub async fn sweep(state: &AppState) -> Result<usize, LedgerError> {
    let mut settled = generations::sweep_free(state).await?;
    loop {
        let batch = holds::expired(&state.db, 100).await?;
        if batch.is_empty() {
            return Ok(settled);
        }
        for hold in batch {
            if sweep_hold(state, &hold).await? {
                settled += 1;
            }
        }
    }
}

/// Settles one hold found expired on what it delivered, as it is under its lock; says
/// whether it did (not when it was settled or renewed since it was found).
#[tracing::instrument(name = "services::holds::sweep_hold", skip_all, fields(hold_id = %found.id))]
pub async fn sweep_hold(state: &AppState, found: &holds::HoldRow) -> Result<bool, LedgerError> {
    let txn = penora_store::begin_write(&state.db).await?;
    let Some(hold) = holds::lock_expired(&txn, found.id).await? else {
        return Ok(false);
    };
    generations::finish_interrupted(&txn, &hold).await?;
    let meta = serde_json::json!({ "settled_by": "sweeper" });
    let outcome = holds::settle(
        &txn,
        hold.id,
        Millicredits::new(hold.delivered_mc),
        None,
        meta,
    )
    .await?;
    txn.commit().await?;
    Ok(matches!(outcome, Settled::Now { .. }))
}
