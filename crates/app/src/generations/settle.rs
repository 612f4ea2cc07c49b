//! The one way a generation ends: close the row, settle the hold on the words delivered and
//! give the concurrency slot back, in one transaction. The streaming task, and the sweeper
//! for generations whose process died, both end here; whichever comes first closes it.

use std::time::Duration;

use penora_ai::ProviderError;
use penora_domain::{BilledTo, GenerationStatus, Millicredits, TextLength};
use penora_store::generations::{self, Closing, Finish, GenerationRow};
use penora_store::holds::HoldRow;
use penora_store::ledger::LedgerError;
use penora_store::{begin_write, users, DbErr};
use uuid::Uuid;

use super::Started;
use crate::request_id;
use crate::AppState;

/// Why the stream stopped.
#[derive(Debug)]
pub enum Stop {
    /// The text is complete: `stop`, `length` (the length asked for) or `credit_limit` (what
    /// the balance paid for).
    Finished(&'static str),
    /// `cancelled` (asked to) or `client_disconnected`.
    Cancelled(&'static str),
    /// The provider failed.
    Failed(ProviderError),
    /// Something else (the sweeper, another replica) closed the generation: settling finds
    /// it closed and reports it as it was closed.
    ClosedElsewhere,
    /// Its progress could not be saved for the whole grace period, after which the sweeper
    /// may settle it: the stream stopped rather than go on unbilled.
    Unsaved,
    /// The server is stopping and the grace period for running generations has passed.
    ShuttingDown,
}

impl Stop {
    pub fn status(&self) -> GenerationStatus {
        match self {
            Self::Finished(_) => GenerationStatus::Completed,
            Self::Cancelled(_) => GenerationStatus::Cancelled,
            Self::Failed(_) => GenerationStatus::Failed,
            Self::ClosedElsewhere | Self::Unsaved | Self::ShuttingDown => {
                GenerationStatus::Interrupted
            }
        }
    }

    pub fn finish_reason(&self) -> &'static str {
        match self {
            Self::Finished(reason) | Self::Cancelled(reason) => reason,
            Self::Failed(_) | Self::ClosedElsewhere | Self::Unsaved | Self::ShuttingDown => "error",
        }
    }

    /// The stable code of a failure, as stored and sent in `error` events.
    fn failure_code(&self) -> Option<String> {
        match self {
            Self::Failed(err) => Some(failure_code(err)),
            Self::Unsaved => Some("progress_not_saved".to_owned()),
            Self::ShuttingDown => Some(SERVER_RESTARTING.to_owned()),
            _ => None,
        }
    }

    /// What users are told of a failure, stored and sent: a generic sentence and the
    /// request's id (the details are in the log under that id), never the provider's text.
    fn failure_message(&self) -> Option<String> {
        let text = match self {
            Self::Failed(err) => err.summary(),
            Self::Unsaved => {
                "The server could not record this generation's progress, so it stopped; what was delivered is billed."
            }
            Self::ShuttingDown => {
                "The server restarted during this generation, so it stopped; what was delivered is billed. Start it again to go on."
            }
            _ => return None,
        };
        Some(match request_id::current() {
            Some(id) => format!("{text} Request id: {id}."),
            None => text.to_owned(),
        })
    }
}

/// The code of a generation the server ended because it was stopping.
pub const SERVER_RESTARTING: &str = "server_restarting";

/// How a generation ended, in memory: why it stopped and what it delivered, before anything
/// was written.
#[derive(Debug)]
pub struct Ending {
    pub stop: Stop,
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

/// The stable code of an upstream failure, as stored and sent in `error` events.
pub fn failure_code(err: &ProviderError) -> String {
    format!("upstream_{}", err.code())
}

/// How a generation was settled: what was written (the response reports it).
#[derive(Debug, Clone)]
pub enum Settled {
    /// Closed — here, or by someone else first (the sweeper, after a long stall): the row as
    /// stored and the user's balance right after.
    Closed {
        row: Box<GenerationRow>,
        balance_mc: i64,
        reserved_mc: i64,
    },
    /// Settling failed: nothing is billed yet. The hold expires and the sweeper bills what
    /// was saved last.
    Unbilled {
        id: Uuid,
        status: GenerationStatus,
        finish_reason: &'static str,
        /// The billable words delivered.
        words: u64,
        /// Prompt and completion tokens, as the provider reported them.
        tokens: Option<(u32, u32)>,
    },
}

/// The failure an unbilled generation reports.
pub const SETTLE_FAILED: (&str, &str) = (
    "settle_failed",
    "The generation ended but could not be billed yet; it will be settled shortly.",
);

impl Settled {
    pub fn id(&self) -> Uuid {
        match self {
            Self::Closed { row, .. } => row.id,
            Self::Unbilled { id, .. } => *id,
        }
    }

    /// The status it was closed with (or is to be).
    pub fn status(&self) -> GenerationStatus {
        match self {
            Self::Closed { row, .. } => *row.status,
            Self::Unbilled { status, .. } => *status,
        }
    }

    pub fn finish_reason(&self) -> Option<&str> {
        match self {
            Self::Closed { row, .. } => row.finish_reason.as_deref(),
            Self::Unbilled { finish_reason, .. } => Some(finish_reason),
        }
    }

    /// What was charged: nothing yet when unbilled.
    pub fn cost_mc(&self) -> i64 {
        match self {
            Self::Closed { row, .. } => row.cost_mc,
            Self::Unbilled { .. } => 0,
        }
    }

    /// The failure's code and message, if it failed (or could not be billed).
    pub fn failure(&self) -> Option<(&str, &str)> {
        match self {
            Self::Closed { row, .. } => failure_of(row),
            Self::Unbilled { .. } => Some(SETTLE_FAILED),
        }
    }
}

/// What is left after a generation paid in credits tells what the next may call its
/// provider early for (see `super::early`).
fn learn_availability(state: &AppState, started: &Started, settled: &Settled) {
    if let Settled::Closed {
        balance_mc,
        reserved_mc,
        ..
    } = settled
    {
        if *started.row.billed_to == BilledTo::Credits {
            let available = Millicredits::new(balance_mc - reserved_mc);
            state.availability.learn(started.user, available);
        }
    }
}

/// Settles, retrying a failed transaction a few times. If the database stays away the hold
/// expires and the sweeper bills what was saved last.
pub async fn settle(state: &AppState, started: &Started, ending: &Ending) -> Settled {
    let settled = settle_retrying(state, started, ending).await;
    crate::metrics::generation_settled(started, ending, &settled);
    settled
}

async fn settle_retrying(state: &AppState, started: &Started, ending: &Ending) -> Settled {
    let mut attempt = 0;
    loop {
        match try_settle(state, started, ending).await {
            Ok(settled) => {
                learn_availability(state, started, &settled);
                return settled;
            }
            Err(err) if attempt < 3 => {
                attempt += 1;
                tracing::warn!(generation = %started.row.id, error = %err, attempt, "settling failed; retrying");
                tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
            }
            Err(err) => {
                tracing::error!(generation = %started.row.id, error = %err, "settling failed; the sweeper will bill it");
                return Settled::Unbilled {
                    id: started.row.id,
                    status: ending.stop.status(),
                    finish_reason: ending.stop.finish_reason(),
                    words: ending.billed_words(started),
                    tokens: ending.tokens,
                };
            }
        }
    }
}

async fn try_settle(
    state: &AppState,
    started: &Started,
    ending: &Ending,
) -> Result<Settled, LedgerError> {
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
    let error_code = ending.stop.failure_code();
    let error_message = ending.stop.failure_message();
    let finish = Finish {
        status: ending.stop.status(),
        output: Some(&ending.output),
        words: Some(words),
        cost,
        input_cost: ending.input_cost,
        finish_reason: Some(ending.stop.finish_reason()),
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
    match state.generations.close(&closing).await? {
        Some(closed) => Ok(Settled::Closed {
            row: Box::new(closed_row(started, &finish)),
            balance_mc: closed.balance_mc,
            reserved_mc: closed.reserved_mc,
        }),
        None => {
            let row = generations::find(&state.db, started.row.id)
                .await?
                .ok_or_else(|| DbErr::RecordNotFound(started.row.id.to_string()))?;
            let user = users::find_by_id(&state.db, started.user).await?;
            let (balance_mc, reserved_mc) = user.map_or((0, 0), |u| (u.balance_mc, u.reserved_mc));
            Ok(Settled::Closed {
                row: Box::new(row),
                balance_mc,
                reserved_mc,
            })
        }
    }
}

/// The stored row after `finish` closed it, without reading it back.
fn closed_row(started: &Started, finish: &Finish<'_>) -> GenerationRow {
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

/// The failure recorded on a generation, if any: its code and message.
pub fn failure_of(row: &GenerationRow) -> Option<(&str, &str)> {
    row.error_code
        .as_deref()
        .map(|code| (code, row.error_message.as_deref().unwrap_or_default()))
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
    let grace = super::open::grace(state);
    let stale = generations::stale_without_hold(&state.db, penora_store::now() - grace).await?;
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
    row: &GenerationRow,
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
            at: penora_store::now(),
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
