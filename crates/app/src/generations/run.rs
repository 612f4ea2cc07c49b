//! Streaming one generation in a task of its own and ending it through the one settle path.
//!
//! The task sends `Event`s into a bounded channel that the HTTP response reads. When the
//! client goes away the response (and the receiver) is dropped: the task notices at once
//! (`Sender::closed`), stops the upstream (dropping its stream cancels the request) and
//! settles on what was delivered.
//!
//! A stream lives exactly as long as its generation: the task saves its progress at every
//! tick of the save interval whatever the client's reading speed (sending never waits inside
//! the loop: an event the channel has no room for waits in `outbox` while the upstream is
//! not read), and stops as soon as a save finds the generation closed by someone else (the
//! sweeper, another replica) or saves have failed for the whole grace period. Saves go on
//! while the upstream is opened, so a model that thinks long before its first byte keeps
//! its hold.

use std::time::Instant;

use futures_util::StreamExt;
use penora_ai::{FinishReason, StreamEvent};
use penora_domain::{hold, Millicredits, WordMeter};
use penora_store::generations::Liveness;
use penora_store::{generations, holds};
use tokio::sync::mpsc;
use tracing::Instrument;
use uuid::Uuid;

use super::settle::{settle, Ending, Settled, Stop};
use super::Started;
use crate::request_id;
use crate::stories::{self, Kept};
use crate::AppState;

/// What the response streams. `End` is always the last event. Large variants are boxed: the
/// channel allocates room for 32 events at once, per open stream.
#[derive(Debug, Clone)]
pub enum Event {
    /// The first event: the generation is open.
    Meta(Box<Meta>),
    Delta(String),
    /// Billable words delivered so far and what they cost.
    Usage {
        words: u64,
        cost: Millicredits,
    },
    /// How it was settled, and for a story step where its text was kept (`None`: nothing
    /// to keep).
    End {
        settled: Box<Settled>,
        kept: Option<Box<Kept>>,
    },
}

/// An opened generation: its id, its model, and the most it may cost and deliver.
#[derive(Debug, Clone)]
pub struct Meta {
    pub id: Uuid,
    pub model: String,
    pub model_label: String,
    pub max_cost: Millicredits,
    /// Billable words the hold pays for.
    pub max_words: u64,
}

/// Enough for the response to lag a little behind the model without slowing it.
const CHANNEL: usize = 64;

/// Starts streaming `started` and returns the events as they come.
pub fn spawn(state: AppState, started: Started) -> mpsc::Receiver<Event> {
    let (tx, rx) = mpsc::channel(CHANNEL);
    // The steps that run once, before or after the stream (database writes, whose futures
    // are large), are boxed: inline, the task would hold room for the largest of them all
    // the time it streams, several kB per open stream.
    // The request's id goes with the task: failure messages name it, for support.
    let request = request_id::current();
    let span = tracing::Span::current();
    let task = {
        let request = request.clone();
        async move {
            let registered = state.running.register(started.row.id);
            let ending = drive(&state, &started, &tx, &registered.notify).await;
            drop(registered);
            if let Stop::Failed(err) = &ending.stop {
                // The provider's own words stay here: users get `ProviderError::summary`.
                tracing::warn!(
                    generation = %started.row.id,
                    request_id = request_id::current().unwrap_or_default(),
                    model = %started.model.id,
                    provider = %started.model.provider,
                    code = err.code(),
                    error = %err,
                    "the AI provider failed"
                );
            }
            // Settled on the main runtime, which outlives this task's HTTP worker.
            let closing =
                in_request(request, close(state.clone(), started, ending)).instrument(span);
            let Some(end) = state.shutdown.outlive(closing).await else {
                return;
            };
            // The client may be gone; the generation is settled either way.
            let _ = tx.send(end).await;
        }
    };
    // The task is part of the request that started it: it carries the request's span.
    tokio::spawn(in_request(request, task).in_current_span());
    rx
}

/// Runs `fut` as part of the request `id`, when there is one.
async fn in_request<F: std::future::Future>(id: Option<String>, fut: F) -> F::Output {
    match id {
        Some(id) => request_id::scope(id, fut).await,
        None => fut.await,
    }
}

/// Settles the generation and, for a story step, keeps its text: the last event.
async fn close(state: AppState, started: Started, ending: Ending) -> Event {
    let settled = Box::pin(settle(&state, &started, &ending)).await;
    let kept = match started.target {
        Some(target) => Box::pin(stories::keep(&state, started.user, target, &ending.output)).await,
        None => None,
    };
    Event::End {
        settled: Box::new(settled),
        kept: kept.map(Box::new),
    }
}

async fn drive(
    state: &AppState,
    started: &Started,
    tx: &mpsc::Sender<Event>,
    cancel: &tokio::sync::Notify,
) -> Ending {
    let mut progress = Progress::new(started);
    let meta = Meta {
        id: started.row.id,
        model: started.model.id.clone(),
        model_label: started.model.display_name.clone(),
        max_cost: Millicredits::new(started.row.max_cost_mc),
        max_words: started.max_words,
    };
    // The first event: the channel has room.
    if tx.try_send(Event::Meta(Box::new(meta))).is_err() {
        return progress.end(Stop::Cancelled("client_disconnected"));
    }
    let every = state.config.settings.generation_save_interval();
    let mut save = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    save.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut opening = Box::pin(started.upstream());
    let opened = loop {
        tokio::select! {
            biased;
            () = cancel.notified() => return progress.end(Stop::Cancelled("cancelled")),
            () = state.shutdown.cut_requested() => return progress.end(Stop::ShuttingDown),
            () = tx.closed() => return progress.end(Stop::Cancelled("client_disconnected")),
            _ = save.tick() => {
                if let Some(stop) = Box::pin(progress.save(state, started)).await {
                    return progress.end(stop);
                }
            }
            opened = &mut opening => break opened,
        }
    };
    drop(opening);
    let mut stream = match opened {
        Ok(stream) => stream,
        Err(err) => return progress.end(Stop::Failed(err)),
    };
    // The upstream has the prompt: from here on its input is charged, however it ends.
    progress.input_cost = started.input_cost;
    // The next event for the client when the channel was full; the upstream is not read
    // until it is sent. `after`: the upstream ended; stop once `outbox` is sent.
    let mut outbox: Option<Event> = None;
    let mut after: Option<Stop> = None;
    let stop = loop {
        if outbox.is_none() {
            if let Some(stop) = after.take() {
                break stop;
            }
        }
        tokio::select! {
            biased;
            () = cancel.notified() => break Stop::Cancelled("cancelled"),
            () = state.shutdown.cut_requested() => break Stop::ShuttingDown,
            () = tx.closed() => break Stop::Cancelled("client_disconnected"),
            _ = save.tick() => {
                if let Some(stop) = Box::pin(progress.save(state, started)).await {
                    break stop;
                }
                // Only behind the text already queued, and dropped when there is no room:
                // the next tick sends a newer one.
                if outbox.is_none() {
                    let _ = tx.try_send(progress.usage(started));
                }
            }
            permit = tx.reserve(), if outbox.is_some() => match (permit, outbox.take()) {
                (Ok(permit), Some(event)) => permit.send(event),
                (Ok(_), None) => {}
                (Err(_), _) => break Stop::Cancelled("client_disconnected"),
            },
            item = stream.next(), if outbox.is_none() => match item {
                Some(Ok(StreamEvent::Delta(text))) => {
                    // Every provider's text enters here, cleaned once, before it is
                    // metered, shown, saved or billed.
                    let text = penora_domain::clean_delta(&text);
                    let metered = progress.meter.push(&text);
                    progress.cut |= metered.accepted.len() < text.len();
                    if !metered.accepted.is_empty() {
                        progress.output.push_str(metered.accepted);
                        let delta = Event::Delta(metered.accepted.to_owned());
                        match tx.try_send(delta) {
                            Ok(()) => {}
                            Err(mpsc::error::TrySendError::Full(delta)) => outbox = Some(delta),
                            Err(mpsc::error::TrySendError::Closed(_)) => {
                                break Stop::Cancelled("client_disconnected")
                            }
                        }
                    }
                    if metered.limit_reached {
                        after = Some(Stop::Finished(if started.credit_limited { "credit_limit" } else { "length" }));
                    }
                }
                Some(Ok(StreamEvent::Usage { prompt_tokens, completion_tokens })) => {
                    progress.tokens = Some((prompt_tokens, completion_tokens));
                }
                Some(Ok(StreamEvent::Finished { reason })) => after = Some(Stop::Finished(match reason {
                    FinishReason::Stop | FinishReason::Other(_) => "stop",
                    FinishReason::Length => "length",
                })),
                Some(Err(err)) => after = Some(Stop::Failed(err)),
                // Providers end with `Finished`; a bare end counts as finished.
                None => after = Some(Stop::Finished("stop")),
            },
        }
    };
    // Dropping the stream here cancels the upstream request before settling.
    drop(stream);
    let _ = tx.try_send(progress.usage(started));
    progress.end(stop)
}

/// What has been delivered so far.
struct Progress {
    meter: WordMeter,
    output: String,
    tokens: Option<(u32, u32)>,
    /// The meter kept back text the provider wrote: its token count is not what was
    /// delivered.
    cut: bool,
    /// What the input costs: zero until the upstream accepted the request (a request it
    /// refused, or one cancelled before it answered, is not charged for its input).
    input_cost: Millicredits,
    /// How much of `output` the database has, and when the hold's expiry last moved on: a
    /// stalled or slow stream then costs one small read per tick, not three writes.
    saved_len: usize,
    extended_at: Instant,
    /// When a save last succeeded (or the stream began).
    saved_at: Instant,
}

impl Progress {
    fn new(started: &Started) -> Self {
        Self {
            meter: WordMeter::new(started.max_words),
            output: String::new(),
            tokens: None,
            cut: false,
            input_cost: Millicredits::ZERO,
            saved_len: 0,
            extended_at: Instant::now(),
            saved_at: Instant::now(),
        }
    }

    fn usage(&self, started: &Started) -> Event {
        Event::Usage {
            words: self.meter.words(),
            cost: self.cost(started),
        }
    }

    /// What has been delivered so far costs: the input (once accepted) and the output.
    fn cost(&self, started: &Started) -> Millicredits {
        let output = started.price.cost(self.meter.words());
        Millicredits::new(self.input_cost.get().saturating_add(output.get()))
    }

    /// Saves the text and what it has cost so far when they grew, and otherwise every
    /// quarter of the grace period marks the generation alive (moving its hold's expiry
    /// on); then looks for a cancel from another replica. Says why the stream must stop:
    /// a cancel, the generation closed by someone else, or saves failing for the whole
    /// grace period (the sweeper may bill it any moment; text after that would be free).
    async fn save(&mut self, state: &AppState, started: &Started) -> Option<Stop> {
        let words = self.meter.words();
        let delivered = self.cost(started);
        let grace = state.config.settings.generation_hold_grace();
        let grown = self.output.len() != self.saved_len;
        let extend = grown || hold::extend_due(self.extended_at.elapsed(), grace);
        let id = started.row.id;
        let output = &self.output;
        let saved = async {
            if extend {
                let text = grown.then_some((output.as_str(), words));
                if !generations::save_progress(&state.db, id, text).await? {
                    return Ok(Liveness::Closed);
                }
            }
            if let Some(hold) = started.hold.filter(|_| extend) {
                let expires_at = penora_store::now() + super::open::grace(state);
                if !holds::record_delivery(&state.db, hold, delivered, Some(expires_at)).await? {
                    return Ok(Liveness::Closed);
                }
            }
            generations::liveness(&state.db, id).await
        }
        .await;
        match saved {
            Ok(Liveness::Running { cancel_requested }) => {
                self.saved_len = self.output.len();
                self.saved_at = Instant::now();
                if extend {
                    self.extended_at = self.saved_at;
                }
                cancel_requested.then_some(Stop::Cancelled("cancelled"))
            }
            Ok(Liveness::Closed) => Some(Stop::ClosedElsewhere),
            Err(err) => {
                tracing::warn!(generation = %id, error = %err, "saving progress failed");
                hold::unsaved_too_long(self.saved_at.elapsed(), grace).then_some(Stop::Unsaved)
            }
        }
    }

    fn end(self, stop: Stop) -> Ending {
        let reported = self.tokens.filter(|_| !self.cut);
        let length = self
            .meter
            .length()
            .with_tokens(reported.map(|(_, completion)| u64::from(completion)));
        Ending {
            stop,
            output: self.output,
            length,
            tokens: self.tokens,
            input_cost: self.input_cost,
        }
    }
}
