//! What opening a generation yields: the `Started` generation the stream task runs, or the
//! first attempt's row for a replay; and who it is for (`Account`) and who pays (`Billing`).

use std::sync::Arc;

use penora_ai::{GenerationRequest, Provider};
use penora_domain::{Millicredits, Price, UserId};
use penora_store::generations::GenerationRow;
use uuid::Uuid;

use super::early::Early;
use super::job::{max_tokens_for, Job, Target};
use crate::catalog::ModelSpec;

/// An opened generation, ready to stream.
pub struct Started {
    pub row: GenerationRow,
    pub user: UserId,
    /// `None` for a free generation (own key, no fee): nothing to reserve.
    pub hold: Option<Uuid>,
    pub provider: Arc<dyn Provider>,
    pub request: GenerationRequest,
    pub model: ModelSpec,
    /// Billable words the hold pays for: the target, or less when the balance allowed less.
    /// The meter stops there and the charge never exceeds it.
    pub max_words: u64,
    /// True when the balance, not the length asked for, set `max_words`.
    pub credit_limited: bool,
    pub target: Option<Target>,
    pub price: Price,
    /// What the input costs, charged (within the hold) once the upstream accepts the request.
    pub input_cost: Millicredits,
    /// The provider call started while the opening committed, if it was (see
    /// [`super::early`]); taken by the first [`Started::upstream`].
    pub early: std::sync::Mutex<Option<Early>>,
    /// Counts this generation as running for a shutdown from before its opening until it is
    /// settled (dropped with it): see [`crate::shutdown::Shutdown::running_token`].
    pub running: Option<crate::shutdown::RunningToken>,
}

impl Started {
    /// The upstream's stream for `request`: the call started early when there is one, else
    /// a call made now.
    pub async fn upstream(&self) -> Result<penora_ai::EventStream, penora_ai::ProviderError> {
        let early = self
            .early
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        match early {
            Some(early) => early.opened().await,
            None => self.provider.stream(self.request.clone()).await,
        }
    }
}

/// How `start` went.
pub enum Opened {
    New(Box<Started>),
    /// A retry of a request with the same `Idempotency-Key`: the first generation.
    Replay(Box<GenerationRow>),
}

/// Whose generation it is: the user, and the epoch of the session asking (`None` for a
/// personal key, or when the caller has read the account already).
#[derive(Debug, Clone, Copy)]
pub struct Account {
    pub user: UserId,
    pub session_epoch: Option<i64>,
    /// The personal API key asking; `None` for a session. Generations a minute are counted
    /// per key for a key, per user for sessions.
    pub key: Option<Uuid>,
}

/// Who writes the text and how it is paid for.
pub(super) struct Billing {
    pub(super) provider: Arc<dyn Provider>,
    pub(super) price: Price,
    pub(super) billed_to: penora_domain::BilledTo,
}

/// `request`, asking the provider for no more than `max_words` (what the caller can
/// afford), not the length asked for.
pub(super) fn capped(mut request: GenerationRequest, max_words: u64) -> GenerationRequest {
    request.max_tokens = request
        .max_tokens
        .min(max_tokens_for(u32::try_from(max_words).unwrap_or(u32::MAX)));
    request
}

/// The opened generation, ready to stream. `max_words` is what the hold pays for when the
/// balance allowed less than the length asked for; `early`, the provider call started while
/// it opened (for the whole length asked for).
pub(super) fn started(
    job: Job,
    user: UserId,
    billing: Billing,
    row: GenerationRow,
    max_words: Option<u64>,
    early: Option<Early>,
) -> Opened {
    let max_words = max_words.unwrap_or(job.max_words);
    let request = capped(job.request, max_words);
    let input_cost = Millicredits::new(row.input_cost_mc);
    Opened::New(Box::new(Started {
        user,
        hold: row.hold_id,
        row,
        provider: billing.provider,
        request,
        credit_limited: max_words < job.max_words,
        max_words,
        model: job.model,
        target: job.target,
        price: billing.price,
        input_cost,
        early: std::sync::Mutex::new(early),
        running: None,
    }))
}
