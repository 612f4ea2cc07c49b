//! Idempotent starts: a request with an `Idempotency-Key` whose first attempt opened a
//! generation answers with that generation, also when the two raced.

use penora_domain::UserId;
use penora_store::generations::{self, GenerationRow};
use penora_store::users::UserRow;
use penora_store::DbErr;

use super::job::Job;
use super::opened::{Account, Opened};
use super::GenerationError;
use crate::AppState;

/// The first attempt of the request `key` names, for a caller whose account is current (the
/// first attempt's text goes to no one else); `None` when there was none.
pub(super) async fn current_replay(
    state: &AppState,
    account: Account,
    key: &str,
    fingerprint: &str,
) -> Result<Option<GenerationRow>, GenerationError> {
    let Some(row) = replay(state, account.user, key, fingerprint).await? else {
        return Ok(None);
    };
    current(state, account).await?;
    Ok(Some(row))
}

/// After inserting the generation failed: when the same idempotency key raced in from
/// another request, answer with the winner.
pub(super) async fn raced(
    state: &AppState,
    user: UserId,
    job: &Job,
    err: DbErr,
) -> Result<Opened, GenerationError> {
    if !penora_store::is_unique_violation(&err) || job.idempotency.is_none() {
        return Err(err.into());
    }
    first_attempt_or(state, user, job, GenerationError::KeyReused).await
}

/// The first attempt of a request with an idempotency key, if it opened (after a race with
/// this one, or taking the reservation or slot this one was refused for); else `otherwise`.
pub(super) async fn first_attempt_or(
    state: &AppState,
    user: UserId,
    job: &Job,
    otherwise: GenerationError,
) -> Result<Opened, GenerationError> {
    let Some((key, fingerprint)) = &job.idempotency else {
        return Err(otherwise);
    };
    match replay(state, user, key, fingerprint).await? {
        Some(row) => Ok(Opened::Replay(Box::new(row))),
        None => Err(otherwise),
    }
}

/// The generation `key` opened, when the request is the same (`fingerprint`).
async fn replay(
    state: &AppState,
    user: UserId,
    key: &str,
    fingerprint: &str,
) -> Result<Option<GenerationRow>, GenerationError> {
    match generations::find_by_key(&state.db, user, key).await? {
        Some(row) if row.fingerprint.as_deref() == Some(fingerprint) => Ok(Some(row)),
        Some(_) => Err(GenerationError::KeyReused),
        None => Ok(None),
    }
}

/// The account, when it exists and a session asking is still current.
pub(super) async fn current(
    state: &AppState,
    account: Account,
) -> Result<UserRow, GenerationError> {
    penora_store::users::find_current(&state.reads, account.user, account.session_epoch)
        .await?
        .ok_or(GenerationError::SignedOut)
}
