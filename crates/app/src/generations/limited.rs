//! Opening a generation the long way, in a transaction: when the one statement of
//! [`super::open`] was refused, this says why (no slot, no credit) or reserves what the
//! balance allows when it is less than the length asked for.

use penora_domain::Millicredits;
use penora_store::generations::{self, GenerationRow};
use penora_store::{begin_write, holds, DbErr};

use super::job::Job;
use super::open::{grace, input_cost, new_generation, plus};
use super::opened::{Account, Billing};
use super::GenerationError;
use crate::AppState;

/// How opening the long way went, when the database answered.
pub(super) enum Limited {
    /// Opened; the hold pays for `max_words` (the length asked for, or what the balance
    /// allows).
    Opened {
        row: Box<GenerationRow>,
        max_words: u64,
    },
    /// No slot ([`GenerationError::TooMany`]) or no credit
    /// ([`GenerationError::Insufficient`]): a retry's first attempt may hold them.
    Refused(GenerationError),
    /// Inserting the row failed (nothing was committed): perhaps the same idempotency key
    /// raced in from another request, see [`super::replay::raced`].
    NotInserted(DbErr),
}

/// Opens a generation the long way, in a transaction: says why there is no slot or no
/// credit, and reserves what the balance allows when it is less than the length asked for.
/// The input is paid for first: a balance that cannot pay for it and a word is refused.
pub(super) async fn open_limited(
    state: &AppState,
    account: Account,
    job: &Job,
    billing: &Billing,
) -> Result<Limited, GenerationError> {
    let user_id = account.user;
    let txn = begin_write(&state.db).await?;
    // The one statement of `open` counted slots at the free tier's limit; a plan may allow
    // more.
    let slots = crate::billing::plan::of_on(state, &txn, user_id)
        .await?
        .concurrent_for(state, account.key.is_some());
    if !generations::take_slot(&txn, user_id, slots).await? {
        return Ok(Limited::Refused(GenerationError::TooMany { limit: slots }));
    }
    let current = penora_store::users::find_by_id(&txn, user_id)
        .await?
        .ok_or(GenerationError::NotFound)?;
    let available = Millicredits::new(current.balance_mc - current.reserved_mc);
    let input_cost = input_cost(state, job, billing);
    let for_output = Millicredits::new(available.get().saturating_sub(input_cost.get()));
    let max_words = job.max_words.min(billing.price.affordable(for_output));
    if max_words == 0 {
        return Ok(Limited::Refused(GenerationError::Insufficient {
            available,
        }));
    }
    let max_cost = plus(input_cost, billing.price.cost(max_words));
    let hold = if max_cost.is_positive() {
        let hold = holds::reserve(
            &txn,
            user_id,
            max_cost,
            Some(&job.model.id),
            penora_store::now() + grace(state),
        )
        .await?;
        Some(hold.id)
    } else {
        None
    };
    let new = new_generation(job, user_id, billing, max_cost, input_cost, hold);
    let row = match generations::insert(&txn, new).await {
        Ok(row) => row,
        Err(err) => return Ok(Limited::NotInserted(err)),
    };
    txn.commit().await?;
    let left = available.get().saturating_sub(max_cost.get());
    state.availability.learn(user_id, Millicredits::new(left));
    Ok(Limited::Opened {
        row: Box::new(row),
        max_words,
    })
}
