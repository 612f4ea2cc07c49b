//! The common case of opening a generation in one statement, with nothing read before it:
//! the platform's key (or the user's own), a free slot, and a balance that pays for the
//! input and the whole length asked for.

use chrono::Duration;
use penora_domain::{Millicredits, UserId};
use penora_store::generations::{Checks, GenerationRow, NewGeneration, Opening};
use uuid::Uuid;

use super::job::Job;
use super::opened::{Account, Billing, Opened};
use super::replay::raced;
use super::GenerationError;
use crate::billing::plan::Plan;
use crate::AppState;

/// How a one-statement opening went.
pub(super) enum AtOnce {
    Opened(Box<GenerationRow>),
    /// No slot, not enough credit for the whole length, or a check failed: the long way says
    /// which.
    Refused,
    /// A retry that raced its first attempt: the first attempt.
    Answered(Opened),
}

/// What `job`'s input costs with `billing`.
pub(super) fn input_cost(state: &AppState, job: &Job, billing: &Billing) -> Millicredits {
    billing
        .price
        .input_cost(job.input_words, state.config.settings.free_input_words)
}

pub(super) fn plus(a: Millicredits, b: Millicredits) -> Millicredits {
    Millicredits::new(a.get().saturating_add(b.get()))
}

/// The row to insert for `job`, reserving `max_cost` (its input's cost included) under
/// `hold`.
pub(super) fn new_generation<'a>(
    job: &'a Job,
    user: UserId,
    billing: &Billing,
    max_cost: Millicredits,
    input_cost: Millicredits,
    hold: Option<Uuid>,
) -> NewGeneration<'a> {
    let (key, fingerprint) = job
        .idempotency
        .as_ref()
        .map(|(k, f)| (Some(k.as_str()), Some(f.as_str())))
        .unwrap_or((None, None));
    NewGeneration {
        id: Uuid::now_v7(),
        user,
        tool: job.tool.as_str(),
        model: &job.model.id,
        provider: &job.model.provider,
        input: &job.input,
        instructions: &job.instructions,
        params: job.params.clone(),
        max_cost,
        input_words: job.input_words,
        input_cost,
        hold,
        project: job.project,
        billed_to: billing.billed_to,
        idempotency_key: key,
        fingerprint,
    }
}

/// What `job` costs with `billing` at the whole length asked for, its input included.
pub(super) fn full_cost(state: &AppState, job: &Job, billing: &Billing) -> Millicredits {
    plus(
        input_cost(state, job, billing),
        billing.price.cost(job.max_words),
    )
}

/// How long a hold lives without progress before the sweeper settles it.
pub(super) fn grace(state: &AppState) -> Duration {
    // The setting is capped well inside chrono's range.
    Duration::from_std(state.config.settings.generation_hold_grace()).unwrap_or(Duration::days(365))
}

/// The common case in one statement: a free slot and a balance that pays for the input and
/// the whole length asked for, and `checks`. The slots counted are the free tier's for the
/// caller's kind (see [`crate::billing::plan::Plan::concurrent_for`]); a plan may allow more,
/// which the long way reads.
pub(super) async fn open_at_once(
    state: &AppState,
    account: Account,
    job: &Job,
    billing: &Billing,
    checks: Checks,
) -> Result<AtOnce, GenerationError> {
    let input_cost = input_cost(state, job, billing);
    let full_cost = full_cost(state, job, billing);
    let user = account.user;
    let at = penora_store::now();
    let slots = Plan::free(state).concurrent_for(state, account.key.is_some());
    let opening = Opening {
        new: new_generation(
            job,
            user,
            billing,
            full_cost,
            input_cost,
            full_cost.is_positive().then(Uuid::now_v7),
        ),
        slots,
        expires_at: at + grace(state),
        at,
        checks,
    };
    match state.generations.open(&opening).await {
        Ok(Some(row)) => Ok(AtOnce::Opened(Box::new(row))),
        Ok(None) => Ok(AtOnce::Refused),
        Err(err) => raced(state, user, job, err).await.map(AtOnce::Answered),
    }
}
