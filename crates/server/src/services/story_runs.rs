//! Writing a story's chapters one after another in one request: each chapter is its own
//! generation (reserved, streamed, settled and saved on its own), so stopping midway — a
//! cancel, a disconnect, credits running out — keeps every chapter written so far.

use penora_api_types::{ChapterEvent, GenerationFailure, StoryEndEvent};
use penora_domain::{GenerationStatus, ProjectId};
use tokio::sync::mpsc;

use crate::catalog::ModelSpec;
use crate::error::ApiError;
use crate::services::generations::{self, Account, Event, Opened, Settled};
use crate::services::stories::{self, Kept};
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
    tokio::spawn(async move {
        let end = write_all(&state, account, story, &model, from, &tx).await;
        let _ = tx.send(SequenceEvent::End(end)).await;
    });
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
        // began pays for this chapter, and signing out everywhere stops the run.
        let started = match generations::start(state, account, job).await {
            Ok(Opened::New(started)) => started,
            // Sequence steps carry no idempotency key, so there is nothing to replay.
            Ok(Opened::Replay(_)) => return end,
            Err(err) => {
                end.error = Some(failure(ApiError::from(err)));
                return end;
            }
        };
        let mut events = generations::spawn(state.clone(), *started);
        let mut last = None;
        while let Some(event) = events.recv().await {
            if let Event::End { settled, kept } = &event {
                last = Some(chapter_end(settled, kept.as_deref(), number));
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
        if last.saved {
            end.written.push(number);
        }
        if let Some(error) = last.error {
            end.error = Some(error);
            return end;
        }
        number += 1;
    }
}

/// How one chapter's generation ended, for the sequence.
struct ChapterEnd {
    cost_mc: i64,
    /// Its text was saved into the story.
    saved: bool,
    /// Why the sequence stops here: the chapter did not complete, or its text was not saved.
    error: Option<GenerationFailure>,
}

fn chapter_end(settled: &Settled, kept: Option<&Kept>, number: u32) -> ChapterEnd {
    let error = if settled.status() != GenerationStatus::Completed.as_str() {
        Some(match settled.failure() {
            Some((code, message)) => GenerationFailure {
                code: code.to_owned(),
                message: message.to_owned(),
            },
            None => GenerationFailure {
                code: settled
                    .finish_reason()
                    .unwrap_or_else(|| settled.status())
                    .to_owned(),
                message: format!(
                    "Chapter {number} was {}; the chapters before it are kept.",
                    settled.status()
                ),
            },
        })
    } else if let Some(Kept::NotSaved { code, message }) = kept {
        Some(GenerationFailure {
            code: (*code).to_owned(),
            message: message.clone(),
        })
    } else {
        None
    };
    ChapterEnd {
        cost_mc: settled.cost_mc(),
        saved: matches!(kept, Some(Kept::Saved(_))),
        error,
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
