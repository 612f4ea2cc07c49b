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
    match limits::hit(&state.db, bucket, Limit::per_minute(max)).await? {
        Verdict::Allowed => Ok(()),
        Verdict::Wait(retry_after) => Err(GenerationError::RateLimited {
            limit: max,
            retry_after,
        }),
    }
}
