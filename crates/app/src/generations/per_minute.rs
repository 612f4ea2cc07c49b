//! Generations a caller may start a minute: per personal key for a key, per user for the
//! user's sessions together. Counted in the database (`services::limits`), so every replica
//! meets the same counter.

use super::{Account, GenerationError};
use crate::limits::{self, Bucket, Limit, Verdict};
use crate::AppState;

/// Counts one generation against the caller's limit a minute (the key's, or the user's for
/// sessions) in the database, so every replica meets the same counter. Refused before
/// anything is reserved or stored.
pub(super) async fn count(state: &AppState, account: Account) -> Result<(), GenerationError> {
    let capacity = &state.config.settings.capacity;
    let (bucket, max) = match account.key {
        Some(key) => (
            Bucket::GenerationsByKey(key),
            capacity.rate_generations_per_key_per_minute,
        ),
        None => (
            Bucket::GenerationsByUser(account.user),
            capacity.rate_generations_per_user_per_minute,
        ),
    };
    let verdict = limits::hit(&state.db, bucket, Limit::per_minute(max)).await?;
    // Over the free tier's limit: a plan may allow more. Read only then, so the common case
    // reads no plan.
    if let (Verdict::Wait(_), None) = (verdict, account.key) {
        let plan = crate::billing::plan::of(state, account.user).await?;
        if plan.generations_per_minute > max {
            let limit = plan.generations_per_minute;
            let bucket = Bucket::GenerationsByUser(account.user);
            let again = limits::check(&state.db, bucket, Limit::per_minute(limit)).await?;
            return judge(again, limit);
        }
    }
    judge(verdict, max)
}

fn judge(verdict: Verdict, limit: u32) -> Result<(), GenerationError> {
    match verdict {
        Verdict::Allowed => Ok(()),
        Verdict::Wait(retry_after) => Err(GenerationError::RateLimited { limit, retry_after }),
    }
}
