//! Writing a story's chapters one after another in one request: each chapter is its own
//! generation (reserved, streamed, settled and saved on its own), so stopping midway — a
//! cancel, a disconnect, credits running out — keeps every chapter written so far.

use penora_api_types::{ChapterEvent, GenerationFailure, StoryEndEvent};
use penora_domain::{GenerationStatus, ProjectId};
use tokio::sync::mpsc;
use tracing::Instrument;

use crate::catalog::ModelSpec;
use crate::error::ApiError;
use crate::services::generations::{self, Account, Event, Opened};
use crate::services::stories;
use crate::state::AppState;

/// What the sequence streams: a `Chapter` before each chapter's own events, `End` last.
#[derive(Debug, Clone)]
pub enum SequenceEvent {
    Chapter(ChapterEvent),
    Step(Event),
    End(StoryEndEvent),
}

pub fn spawn(
    state: AppState,
    account: Account,
    story: ProjectId,
    model: ModelSpec,
    from: u32,
) -> mpsc::Receiver<SequenceEvent> {
    let (tx, rx) = mpsc::channel(64);
    // The run is part of the request that started it: it carries the request's span.
    tokio::spawn(
        async move {
            let end = write_all(&state, account, story, &model, from, &tx).await;
            let _ = tx.send(SequenceEvent::End(end)).await;
        }
        .in_current_span(),
    );
    rx
}

async fn write_all(
    state: &AppState,
    account: Account,
    id: ProjectId,
    model: &ModelSpec,
    from: u32,
    tx: &mpsc::Sender<SequenceEvent>,
) -> StoryEndEvent {
    let user_id = account.user;
    let mut end = StoryEndEvent {
        project_id: id.as_uuid(),
        written: Vec::new(),
        complete: false,
        total_cost_mc: 0,
        error: None,
    };
    let mut number = from;
    loop {
        // Read the story afresh: the previous chapter's text feeds this one's summary.
        let story = match stories::get(state, user_id, id).await {
            Ok(story) => story,
            Err(err) => {
                end.error = Some(failure(ApiError::from(err)));
                return end;
            }
        };
        let of = u32::try_from(story.settings.chapter_count).unwrap_or(0);
        if number > of {
            end.complete = true;
            return end;
        }
        let job = match stories::chapter_job(state, &story, model, number, false) {
            Ok(job) => job,
            Err(err) => {
                end.error = Some(failure(ApiError::from(err)));
                return end;
            }
        };
        let title = job.input.clone();
        let chapter = ChapterEvent { number, of, title };
        if tx.send(SequenceEvent::Chapter(chapter)).await.is_err() {
            return end;
        }
        // Each chapter opens against the account as it is then: a key stored since the run
        // began pays for this chapter, and signing out everywhere stops the run. Its span
        // names the chapter's generation; the generation's task carries it.
        let span = tracing::info_span!(
            "services::story_runs::chapter",
            number,
            generation_id = tracing::field::Empty
        );
        let started = match generations::start(state, account, job)
            .instrument(span.clone())
            .await
        {
            Ok(Opened::New(started)) => started,
            // Sequence steps carry no idempotency key, so there is nothing to replay.
            Ok(Opened::Replay(_)) => return end,
            Err(err) => {
                end.error = Some(failure(ApiError::from(err)));
                return end;
            }
        };
        span.record("generation_id", tracing::field::display(started.row.id));
        let mut events = span.in_scope(|| generations::spawn(state.clone(), *started));
        let mut last = None;
        while let Some(event) = events.recv().await {
            if let Event::End(ended) = &event {
                last = Some(ended.event.clone());
            }
            if tx.send(SequenceEvent::Step(event)).await.is_err() {
                // The client left: dropping `events` stops this chapter, which settles and
                // keeps its text.
                return end;
            }
        }
        let Some(last) = last else {
            return end;
        };
        end.total_cost_mc += last.cost_mc;
        if last.saved_to.is_some() {
            end.written.push(number);
        }
        if last.status != GenerationStatus::Completed.as_str() {
            end.error = last.error.clone().or_else(|| {
                Some(GenerationFailure {
                    code: last
                        .finish_reason
                        .clone()
                        .unwrap_or_else(|| last.status.clone()),
                    message: format!(
                        "Chapter {number} was {}; the chapters before it are kept.",
                        last.status
                    ),
                })
            });
            return end;
        }
        if let Some(save_error) = last.save_error.clone() {
            end.error = Some(save_error);
            return end;
        }
        number += 1;
    }
}

/// Why the sequence stopped, with the same stable code and wording the API answers with for
/// that error (the one mapping in `error::from_services`, not a second copy of it).
fn failure(err: ApiError) -> GenerationFailure {
    let problem = err.problem();
    GenerationFailure {
        code: problem.code.as_str().to_owned(),
        message: problem.detail,
    }
}
