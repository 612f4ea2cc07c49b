//! The one way a generation ends: close the row, settle the hold on the words delivered and
//! give the concurrency slot back, in one transaction. The streaming task, and the sweeper
//! for generations whose process died, both end here; whichever comes first closes it.

use std::time::Duration;

use penora_ai::ProviderError;
use penora_api_types::{EndEvent, GenerationFailure};
use penora_domain::{GenerationStatus, Millicredits, TextLength};
use penora_store::generations::{self, Closing, Finish};
use penora_store::holds::HoldRow;
use penora_store::ledger::LedgerError;
use penora_store::{begin_write, users, DbErr};

use super::Started;
use crate::http::request_id;
use crate::state::AppState;

/// How the stream ended, before anything was written.
#[derive(Debug)]
pub struct Ending {
    pub status: GenerationStatus,
    pub finish_reason: &'static str,
    pub error: Option<Failure>,
    pub output: String,
    /// The delivered text's length, with the provider's completion tokens when they count
    /// (reported, and nothing of what they count was kept back).
    pub length: TextLength,
    pub tokens: Option<(u32, u32)>,
    /// The input's charge: the generation's input cost once the upstream accepted the
    /// request, else zero.
    pub input_cost: Millicredits,
}

impl Ending {
    /// The billable words charged: never more than the hold pays for.
    pub fn billed_words(&self, started: &Started) -> u64 {
        self.length.billable().min(started.max_words)
    }
}

/// Why a generation failed.
#[derive(Debug)]
pub enum Failure {
    /// The provider failed.
    Upstream(ProviderError),
    /// Its progress could not be saved for the whole grace period, after which the sweeper
    /// may settle it: the stream stopped rather than go on unbilled.
    Unsaved,
}

impl Failure {
    /// The stable code, as stored and sent in `error` events.
    pub fn code(&self) -> String {
        match self {
            Self::Upstream(err) => failure_code(err),
            Self::Unsaved => "progress_not_saved".to_owned(),
        }
    }

    /// What users are told, stored and sent: a generic sentence and the request's id (the
    /// details are in the log under that id), never the provider's own text.
    fn message(&self) -> String {
        let text = match self {
            Self::Upstream(err) => err.summary(),
            Self::Unsaved => {
                "The server could not record this generation's progress, so it stopped; what was delivered is billed."
            }
        };
        match request_id::current() {
            Some(id) => format!("{text} Request id: {id}."),
            None => text.to_owned(),
        }
    }
}

/// The stable code of an upstream failure, as stored and sent in `error` events.
pub fn failure_code(err: &ProviderError) -> String {
    format!("upstream_{}", err.code())
}

/// The end of a generation: the final event, and the generation as it was closed (known
/// without reading it back; `None` when settling failed or something else closed it).
#[derive(Debug, Clone)]
pub struct Ended {
    pub event: EndEvent,
    pub row: Option<Box<generations::GenerationRow>>,
}

/// Settles, retrying a failed transaction a few times. If the database stays away the hold
/// expires and the sweeper bills what was saved last.
pub async fn settle(state: &AppState, started: &Started, ending: &Ending) -> Ended {
    let mut attempt = 0;
    loop {
        match try_settle(state, started, ending).await {
            Ok(end) => return end,
            Err(err) if attempt < 3 => {
                attempt += 1;
                tracing::warn!(generation = %started.row.id, error = %err, attempt, "settling failed; retrying");
                tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
            }
            Err(err) => {
                tracing::error!(generation = %started.row.id, error = %err, "settling failed; the sweeper will bill it");
                let event = EndEvent {
                    generation_id: started.row.id,
                    status: ending.status.as_str().to_owned(),
                    finish_reason: Some(ending.finish_reason.to_owned()),
                    words: words_i64(ending.billed_words(started)),
                    cost_mc: 0,
                    balance_mc: 0,
                    available_mc: 0,
                    error: Some(GenerationFailure {
                        code: "settle_failed".to_owned(),
                        message: "The generation ended but could not be billed yet; it will be settled shortly.".to_owned(),
                    }),
                    prompt_tokens: ending.tokens.map(|t| t.0),
                    completion_tokens: ending.tokens.map(|t| t.1),
                    saved_to: None,
                    save_error: None,
                };
                return Ended { event, row: None };
            }
        }
    }
}

async fn try_settle(
    state: &AppState,
    started: &Started,
    ending: &Ending,
) -> Result<Ended, LedgerError> {
    // Never more than the hold: the input and the most output it was reserved for.
    let words = ending.billed_words(started);
    let output = started.price.cost(words);
    let cost = Millicredits::new(
        ending
            .input_cost
            .get()
            .saturating_add(output.get())
            .min(started.row.max_cost_mc),
    );
    let error_code = ending.error.as_ref().map(Failure::code);
    let error_message = ending.error.as_ref().map(Failure::message);
    let finish = Finish {
        status: ending.status,
        output: Some(&ending.output),
        words: Some(words),
        cost,
        input_cost: ending.input_cost,
        finish_reason: Some(ending.finish_reason),
        error_code: error_code.as_deref(),
        error_message: error_message.as_deref(),
        prompt_tokens: ending.tokens.map(|t| t.0),
        completion_tokens: ending.tokens.map(|t| t.1),
        // Microseconds: what PostgreSQL keeps, so the answer equals a later read.
        at: penora_store::now(),
    };
    let closing = Closing {
        id: started.row.id,
        user: started.user,
        hold: started.hold,
        model: &started.model.id,
        finish: &finish,
        meta: serde_json::json!({
            "generation_id": started.row.id,
            "tool": started.row.tool,
            "input_words": started.row.input_words,
            "input_cost_mc": ending.input_cost.get(),
        }),
    };
    // Closed here: the row is what was just written. Closed elsewhere (the sweeper, after a
    // long stall): read what it wrote, and the balance.
    let (row, balance, reserved) = match state.generations.close(&closing).await? {
        Some(closed) => (
            closed_row(started, &finish),
            closed.balance_mc,
            closed.reserved_mc,
        ),
        None => {
            let row = generations::find(&state.db, started.row.id)
                .await?
                .ok_or_else(|| DbErr::RecordNotFound(started.row.id.to_string()))?;
            let user = users::find_by_id(&state.db, started.user).await?;
            let (balance, reserved) = user.map_or((0, 0), |u| (u.balance_mc, u.reserved_mc));
            (row, balance, reserved)
        }
    };
    let event = EndEvent {
        generation_id: row.id,
        status: row.status.as_str().to_owned(),
        finish_reason: row.finish_reason.clone(),
        words: row.words,
        cost_mc: row.cost_mc,
        balance_mc: balance,
        available_mc: balance - reserved,
        error: failure_of(&row),
        prompt_tokens: row.prompt_tokens.and_then(|t| u32::try_from(t).ok()),
        completion_tokens: row.completion_tokens.and_then(|t| u32::try_from(t).ok()),
        saved_to: None,
        save_error: None,
    };
    Ok(Ended {
        event,
        row: Some(Box::new(row)),
    })
}

/// The stored row after `finish` closed it, without reading it back.
fn closed_row(started: &Started, finish: &Finish<'_>) -> generations::GenerationRow {
    let mut row = started.row.clone();
    row.status = finish.status.into();
    if let Some(output) = finish.output {
        row.output = output.to_owned();
    }
    if let Some(words) = finish.words {
        row.words = words_i64(words);
    }
    row.cost_mc = finish.cost.get();
    row.input_cost_mc = finish.input_cost.get();
    row.finish_reason = finish.finish_reason.map(str::to_owned);
    row.error_code = finish.error_code.map(str::to_owned);
    row.error_message = finish.error_message.map(str::to_owned);
    row.prompt_tokens = finish.prompt_tokens.and_then(|t| i32::try_from(t).ok());
    row.completion_tokens = finish.completion_tokens.and_then(|t| i32::try_from(t).ok());
    row.updated_at = finish.at;
    row.finished_at = Some(finish.at);
    row
}

/// The failure recorded on a generation, if any.
pub fn failure_of(row: &generations::GenerationRow) -> Option<GenerationFailure> {
    row.error_code.as_ref().map(|code| GenerationFailure {
        code: code.clone(),
        message: row.error_message.clone().unwrap_or_default(),
    })
}

/// For the sweeper, inside its settle transaction: closes the running generation of an
/// expired hold (its process died), billing what it had saved.
pub async fn finish_interrupted(
    txn: &impl penora_store::ConnectionTrait,
    hold: &HoldRow,
) -> Result<(), DbErr> {
    match generations::running_for_hold(txn, hold.id).await? {
        Some(row) => interrupt(txn, &row, Millicredits::new(hold.delivered_mc)).await,
        None => Ok(()),
    }
}

/// For the sweeper: closes free generations (no hold) that have not saved progress within
/// the grace period — their process died.
pub async fn sweep_free(state: &AppState) -> Result<usize, DbErr> {
    let grace = super::grace(state);
    let stale = generations::stale_without_hold(&state.db, chrono::Utc::now() - grace).await?;
    let count = stale.len();
    for row in stale {
        let txn = begin_write(&state.db).await?;
        interrupt(&txn, &row, Millicredits::ZERO).await?;
        txn.commit().await?;
    }
    Ok(count)
}

async fn interrupt(
    txn: &impl penora_store::ConnectionTrait,
    row: &generations::GenerationRow,
    cost: Millicredits,
) -> Result<(), DbErr> {
    let closed = generations::finish(
        txn,
        row.id,
        &Finish {
            status: GenerationStatus::Interrupted,
            output: None,
            words: None,
            cost,
            // The saved charge includes the input once the upstream had accepted it.
            input_cost: Millicredits::new(row.input_cost_mc.min(cost.get())),
            finish_reason: Some("error"),
            error_code: Some("interrupted"),
            error_message: Some(
                "The server stopped during this generation; what was saved is kept and billed.",
            ),
            prompt_tokens: None,
            completion_tokens: None,
            at: chrono::Utc::now(),
        },
    )
    .await?;
    if closed {
        generations::release_slot(txn, row.user_id).await?;
    }
    Ok(())
}

fn words_i64(words: u64) -> i64 {
    i64::try_from(words).unwrap_or(i64::MAX)
}
