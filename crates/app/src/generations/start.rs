//! Starting a generation: the idempotent replay, the per-minute limit, then the opening —
//! at once in the common case ([`super::open`]), else the long way ([`super::limited`]).

use penora_domain::hold::may_call_early;
use penora_domain::{BilledTo, UserId};
use penora_store::generations::Checks;
use penora_store::users::UserRow;

use super::early::Early;
use super::job::Job;
use super::limited::{open_limited, Limited};
use super::open::{full_cost, open_at_once, AtOnce};
use super::opened::{capped, started, Account, Billing, Opened};
use super::replay::{current, current_replay, first_attempt_or, raced};
use super::{per_minute, GenerationError};
use crate::provider_keys;
use crate::AppState;

/// Opens a generation: a slot of the user's concurrency limit, a hold for what it may cost
/// (what the balance allows when that is less), and the stored row.
///
/// The common case — the platform's key, a free slot, a balance that pays for the whole
/// length asked for — is one statement with nothing read before it: the statement also
/// checks what authenticating would have read the account for (it exists, a session is
/// current, the user stored no key of their own, which would win over the platform's).
/// Otherwise the long way reads the account: it answers `SignedOut`, or opens with the
/// user's own key, or says why there is no slot or credit, or reserves what the balance
/// allows. In the common case the provider is called while the opening commits when the
/// caller's availability is known to pay for it ([`super::early`]).
pub async fn start(
    state: &AppState,
    account: Account,
    job: Job,
) -> Result<Opened, GenerationError> {
    // Counted as running before the draining check: a shutdown beginning after it waits
    // for this generation.
    let running = state.shutdown.running_token();
    if state.shutdown.is_draining() {
        return Err(GenerationError::ServerRestarting);
    }
    match open(state, account, job).await? {
        Opened::New(mut started) => {
            started.running = Some(running);
            Ok(Opened::New(started))
        }
        replay => Ok(replay),
    }
}

async fn open(state: &AppState, account: Account, job: Job) -> Result<Opened, GenerationError> {
    let user_id = account.user;
    // Admitted per user before the first write: a flood of one user's starts waits in its
    // own line, not for the connections everyone shares.
    let _admitted = state.starts.admit(user_id.as_uuid()).await;
    if let Some((key, fingerprint)) = &job.idempotency {
        if let Some(replay) = current_replay(state, account, key, fingerprint).await? {
            return Ok(Opened::Replay(Box::new(replay)));
        }
    }
    let platform = || {
        let provider = state.providers.get(&job.model.provider)?;
        job.model.available.then(|| Billing {
            provider,
            price: job.model.price(),
            billed_to: BilledTo::Credits,
        })
    };
    per_minute::count(state, account).await?;
    // Called while the opening commits; its refusal drops it. Only after the limit a minute:
    // a caller over it sends nothing upstream.
    let early = platform().and_then(|billing| {
        let known = state.availability.known(user_id);
        may_call_early(known, full_cost(state, &job, &billing)).then(|| {
            let request = capped(job.request.clone(), job.max_words);
            Early::call(billing.provider, request)
        })
    });
    if let Some(billing) = platform() {
        let checks = Checks {
            session_epoch: account.session_epoch,
            without_own_keys: state.providers.accepts_own_keys(&job.model.provider),
        };
        match open_at_once(state, account, &job, &billing, checks).await? {
            AtOnce::Opened(row) => return Ok(started(job, user_id, billing, *row, None, early)),
            AtOnce::Answered(opened) => return Ok(opened),
            AtOnce::Refused => {
                // Dropping the early call cancels it: nothing of it was read.
                drop(early);
                state.availability.forget(user_id);
            }
        }
    }
    let user = current(state, account).await?;
    let billing = match own_key(state, &user, &job).await? {
        Some(billing) => billing,
        None => {
            platform().ok_or_else(|| GenerationError::ModelUnavailable(job.model.id.clone()))?
        }
    };
    // Without the checks, which the read has made: refused now, it is for a slot or credit.
    match open_at_once(state, account, &job, &billing, Checks::default()).await? {
        AtOnce::Opened(row) => return Ok(started(job, user_id, billing, *row, None, None)),
        AtOnce::Answered(opened) => return Ok(opened),
        AtOnce::Refused => {}
    }
    match open_limited(state, account, &job, &billing).await? {
        Limited::Opened { row, max_words } => {
            Ok(started(job, user_id, billing, *row, Some(max_words), None))
        }
        Limited::Refused(refused) => first_attempt_or(state, user_id, &job, refused).await,
        Limited::NotInserted(err) => raced(state, user_id, &job, err).await,
    }
}

/// The user's own key for the model's provider, when they stored one: they chose to pay
/// the provider, so it wins over the platform's.
async fn own_key(
    state: &AppState,
    user: &UserRow,
    job: &Job,
) -> Result<Option<Billing>, GenerationError> {
    let provider = &job.model.provider;
    if user.provider_keys == 0 || !state.providers.accepts_own_keys(provider) {
        return Ok(None);
    }
    let Some(key) = provider_keys::own_key(state, UserId::from_uuid(user.id), provider).await?
    else {
        return Ok(None);
    };
    let provider = state
        .providers
        .with_key(provider, key)
        .ok_or_else(|| GenerationError::ModelUnavailable(job.model.id.clone()))?;
    Ok(Some(Billing {
        provider,
        price: job
            .model
            .price()
            .with_fee(state.config.settings.own_key_fee_per_mille),
        billed_to: BilledTo::OwnKey,
    }))
}
