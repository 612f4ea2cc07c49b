//! Reading generations, and cancelling a running one from any replica.

use penora_domain::UserId;
use penora_store::generations::{self, GenerationRow, ListQuery};
use penora_store::{DbErr, Page};
use uuid::Uuid;

use super::GenerationError;
use crate::AppState;

/// One page of the user's generations, newest first.
#[tracing::instrument(name = "services::generations::list", skip_all, fields(user_id = %user))]
pub async fn list(
    state: &AppState,
    user: UserId,
    query: &ListQuery,
) -> Result<Page<GenerationRow>, DbErr> {
    generations::list(&state.db, user, query).await
}

/// The user's generation `id`, as stored (with the text so far while it runs).
pub async fn get(
    state: &AppState,
    user: UserId,
    id: Uuid,
) -> Result<GenerationRow, GenerationError> {
    generations::find_owned(&state.db, user, id)
        .await?
        .ok_or(GenerationError::NotFound)
}

/// Stops a running generation (on this replica at once, on another as soon as the notice
/// arrives, or at its next save without it) and waits briefly for it to settle, so the answer carries the final cost.
/// Cancelling a finished generation changes nothing and answers the same way.
pub async fn cancel(
    state: &AppState,
    user: UserId,
    id: Uuid,
) -> Result<GenerationRow, GenerationError> {
    let row = generations::request_cancel(&state.db, user, id)
        .await?
        .ok_or(GenerationError::NotFound)?;
    if row.status.is_finished() {
        return Ok(row);
    }
    crate::notices::cancel(state, id).await;
    let wait = state.config.settings.generation_save_interval() * 3;
    let deadline = tokio::time::Instant::now() + wait.max(std::time::Duration::from_millis(150));
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let row = get(state, user, id).await?;
        if row.status.is_finished() || tokio::time::Instant::now() >= deadline {
            return Ok(row);
        }
    }
}
