//! Streaming one generation in a task of its own and ending it through the one settle path.
//!
//! The task sends `Event`s into a bounded channel that the HTTP response reads. When the
//! client goes away the response (and the receiver) is dropped: the task notices at once
//! (`Sender::closed`), stops the upstream (dropping its stream cancels the request) and
//! settles on what was delivered.

use std::time::Duration;

use futures_util::StreamExt;
use penora_ai::{FinishReason, ProviderError, StreamEvent};
use penora_api_types::{MetaEvent, UsageEvent};
use penora_domain::{GenerationStatus, Millicredits, WordMeter};
use penora_store::{generations, holds};
use tokio::sync::mpsc;

use super::settle::{settle, Ended, Ending};
use super::Started;
use crate::state::AppState;

/// What the response streams. `End` is always the last event. Large variants are boxed: the
/// channel allocates room for 32 events at once, per open stream.
#[derive(Debug, Clone)]
pub enum Event {
    Meta(Box<MetaEvent>),
    Delta(String),
    Usage(UsageEvent),
    End(Box<Ended>),
}

/// Enough for the response to lag a little behind the model without slowing it.
const CHANNEL: usize = 64;

/// Starts streaming `started` and returns the events as they come.
pub fn spawn(state: AppState, started: Started) -> mpsc::Receiver<Event> {
    let (tx, rx) = mpsc::channel(CHANNEL);
    // The steps that run once, before or after the stream (database writes, whose futures
    // are large), are boxed: inline, the task would hold room for the largest of them all
    // the time it streams, several kB per open stream.
    tokio::spawn(async move {
        let registered = state.running.register(started.row.id);
        let ending = drive(&state, &started, &tx, &registered.notify).await;
        drop(registered);
        let mut end = Box::pin(settle(&state, &started, &ending)).await;
        if let Some(target) = started.target {
            let output = &ending.output;
            let event = &mut end.event;
            Box::pin(crate::services::stories::keep(
                &state,
                started.user,
                target,
                output,
                event,
            ))
            .await;
        }
        // The client may be gone; the generation is settled either way.
        let _ = tx.send(Event::End(Box::new(end))).await;
    });
    rx
}

/// Why the loop stopped, before settling.
enum Stop {
    Finished(&'static str),
    Cancelled(&'static str),
    Failed(ProviderError),
}

async fn drive(
    state: &AppState,
    started: &Started,
    tx: &mpsc::Sender<Event>,
    cancel: &tokio::sync::Notify,
) -> Ending {
    let mut progress = Progress::new(started);
    let meta = MetaEvent {
        generation_id: started.row.id,
        model: started.model.id.clone(),
        model_label: started.model.display_name.clone(),
        max_cost_mc: started.row.max_cost_mc,
        max_words: i64::try_from(started.max_words).unwrap_or(i64::MAX),
    };
    if tx.send(Event::Meta(Box::new(meta))).await.is_err() {
        return progress.end(Stop::Cancelled("client_disconnected"));
    }
    let opened = tokio::select! {
        opened = started.provider.stream(started.request.clone()) => opened,
        () = cancel.notified() => return progress.end(Stop::Cancelled("cancelled")),
        () = tx.closed() => return progress.end(Stop::Cancelled("client_disconnected")),
    };
    let mut stream = match opened {
        Ok(stream) => stream,
        Err(err) => return progress.end(Stop::Failed(err)),
    };
    // The upstream has the prompt: from here on its input is charged, however it ends.
    progress.input_cost = started.input_cost;
    let every = Duration::from_millis(state.config.settings.generation_save_interval_ms.max(10));
    let mut save = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    save.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let stop = loop {
        tokio::select! {
            biased;
            () = cancel.notified() => break Stop::Cancelled("cancelled"),
            () = tx.closed() => break Stop::Cancelled("client_disconnected"),
            _ = save.tick() => {
                if Box::pin(progress.save(state, started)).await {
                    break Stop::Cancelled("cancelled");
                }
                let usage = progress.usage(started);
                if tx.send(Event::Usage(usage)).await.is_err() {
                    break Stop::Cancelled("client_disconnected");
                }
            }
            item = stream.next() => match item {
                Some(Ok(StreamEvent::Delta(text))) => {
                    let metered = progress.meter.push(&text);
                    if !metered.accepted.is_empty() {
                        progress.output.push_str(metered.accepted);
                        let delta = Event::Delta(metered.accepted.to_owned());
                        if tx.send(delta).await.is_err() {
                            break Stop::Cancelled("client_disconnected");
                        }
                    }
                    if metered.limit_reached {
                        break Stop::Finished(if started.credit_limited { "credit_limit" } else { "length" });
                    }
                }
                Some(Ok(StreamEvent::Usage { prompt_tokens, completion_tokens })) => {
                    progress.tokens = Some((prompt_tokens, completion_tokens));
                }
                Some(Ok(StreamEvent::Finished { reason })) => break Stop::Finished(match reason {
                    FinishReason::Stop | FinishReason::Other(_) => "stop",
                    FinishReason::Length => "length",
                }),
                Some(Err(err)) => break Stop::Failed(err),
                // Providers end with `Finished`; a bare end counts as finished.
                None => break Stop::Finished("stop"),
            },
        }
    };
    // Dropping the stream here cancels the upstream request before settling.
    drop(stream);
    let usage = progress.usage(started);
    let _ = tx.try_send(Event::Usage(usage));
    progress.end(stop)
}

/// What has been delivered so far.
struct Progress {
    meter: WordMeter,
    output: String,
    tokens: Option<(u32, u32)>,
    /// What the input costs: zero until the upstream accepted the request (a request it
    /// refused, or one cancelled before it answered, is not charged for its input).
    input_cost: Millicredits,
    /// How much of `output` the database has, and when the hold's expiry last moved on: a
    /// stalled or slow stream then costs one small read per tick, not three writes.
    saved_len: usize,
    extended_at: std::time::Instant,
}

impl Progress {
    fn new(started: &Started) -> Self {
        Self {
            meter: WordMeter::new(started.max_words),
            output: String::new(),
            tokens: None,
            input_cost: Millicredits::ZERO,
            saved_len: 0,
            extended_at: std::time::Instant::now(),
        }
    }

    fn usage(&self, started: &Started) -> UsageEvent {
        UsageEvent {
            words: i64::try_from(self.meter.words()).unwrap_or(i64::MAX),
            cost_mc: self.cost(started).get(),
        }
    }

    /// What has been delivered so far costs: the input (once accepted) and the output.
    fn cost(&self, started: &Started) -> Millicredits {
        let output = started.price.cost(self.meter.words());
        Millicredits::new(self.input_cost.get().saturating_add(output.get()))
    }

    /// Saves the text and what it has cost so far when they grew (moving the hold's expiry
    /// on; with nothing new, only every quarter of the grace period), and says whether a
    /// cancel arrived through the database. A failed save is logged and retried at the next
    /// tick: the stream goes on.
    async fn save(&mut self, state: &AppState, started: &Started) -> bool {
        let words = self.meter.words();
        let delivered = self.cost(started);
        let grace_secs = state.config.settings.generation_hold_grace_secs;
        let grace = chrono::Duration::seconds(i64::try_from(grace_secs).unwrap_or(120));
        let grown = self.output.len() != self.saved_len;
        let extend = grown || self.extended_at.elapsed().as_secs() >= grace_secs / 4;
        let saved = async {
            if grown {
                generations::save_progress(&state.db, started.row.id, &self.output, words).await?;
            }
            if let Some(hold) = started.hold.filter(|_| extend) {
                holds::record_delivery(
                    &state.db,
                    hold,
                    delivered,
                    Some(chrono::Utc::now() + grace),
                )
                .await?;
            }
            generations::cancel_requested(&state.db, started.row.id).await
        }
        .await;
        if saved.is_ok() {
            self.saved_len = self.output.len();
            if extend {
                self.extended_at = std::time::Instant::now();
            }
        }
        match saved {
            Ok(cancelled) => cancelled,
            Err(err) => {
                tracing::warn!(generation = %started.row.id, error = %err, "saving progress failed");
                false
            }
        }
    }

    fn end(self, stop: Stop) -> Ending {
        let words = self.meter.words();
        let (status, reason, error) = match stop {
            Stop::Finished(reason) => (GenerationStatus::Completed, reason, None),
            Stop::Cancelled(reason) => (GenerationStatus::Cancelled, reason, None),
            Stop::Failed(err) => (GenerationStatus::Failed, "error", Some(err)),
        };
        Ending {
            status,
            finish_reason: reason,
            error,
            output: self.output,
            words,
            tokens: self.tokens,
            input_cost: self.input_cost,
        }
    }
}
