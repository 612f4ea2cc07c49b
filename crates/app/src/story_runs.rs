//! Writing a story's chapters one after another in one request: each chapter is its own
//! generation (reserved, streamed, settled and saved on its own), so stopping midway — a
//! cancel, a disconnect, credits running out — keeps every chapter written so far.

use penora_domain::{GenerationStatus, ProjectId};
use tokio::sync::mpsc;
use tracing::Instrument;

use crate::catalog::ModelSpec;
use crate::generations::{self, Account, Event, GenerationError, Opened, Settled};
use crate::projects::ProjectError;
use crate::stories::{self, Kept};
use crate::AppState;

/// What the sequence streams: a `Chapter` before each chapter's own events, `End` last.
#[derive(Debug)]
pub enum SequenceEvent {
    /// Chapter `number` of `of` (its title) starts.
    Chapter {
        number: u32,
        of: u32,
        title: String,
    },
    Step(Event),
    End(Box<StoryEnd>),
}

/// How the sequence ended: all written, stopped, or failed.
#[derive(Debug)]
pub struct StoryEnd {
    pub project: ProjectId,
    /// Chapters whose text was written and saved in this run.
    pub written: Vec<u32>,
    /// True when every planned chapter from `from` on was written.
    pub complete: bool,
    pub total_cost_mc: i64,
    /// Why it stopped early, if it did.
    pub stop: Option<StoryStop>,
}

/// Why a sequence stopped before its last chapter.
#[derive(Debug)]
pub enum StoryStop {
    /// Reading the story or planning the next chapter failed.
    Story(ProjectError),
    /// The next chapter's generation could not start (credits, limits, signed out ...).
    Start(GenerationError),
    /// A chapter did not complete (cancelled, failed ...) or its text was not saved: the
    /// stable code and the message.
    Chapter { code: String, message: String },
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
            let _ = tx.send(SequenceEvent::End(Box::new(end))).await;
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
) -> StoryEnd {
    let user_id = account.user;
    let mut end = StoryEnd {
        project: id,
        written: Vec::new(),
        complete: false,
        total_cost_mc: 0,
        stop: None,
    };
    let mut number = from;
    loop {
        // Read the story afresh: the previous chapter's text feeds this one's summary.
        let story = match stories::get(state, user_id, id).await {
            Ok(story) => story,
            Err(err) => {
                end.stop = Some(StoryStop::Story(err));
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
                end.stop = Some(StoryStop::Story(err));
                return end;
            }
        };
        let title = job.input.clone();
        let chapter = SequenceEvent::Chapter { number, of, title };
        if tx.send(chapter).await.is_err() {
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
                end.stop = Some(StoryStop::Start(err));
                return end;
            }
        };
        span.record("generation_id", tracing::field::display(started.row.id));
        let mut events = span.in_scope(|| generations::spawn(state.clone(), *started));
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
        if let Some(stop) = last.stop {
            end.stop = Some(stop);
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
    stop: Option<StoryStop>,
}

fn chapter_end(settled: &Settled, kept: Option<&Kept>, number: u32) -> ChapterEnd {
    let stop = if settled.status() != GenerationStatus::Completed {
        Some(match settled.failure() {
            Some((code, message)) => StoryStop::Chapter {
                code: code.to_owned(),
                message: message.to_owned(),
            },
            None => StoryStop::Chapter {
                code: settled
                    .finish_reason()
                    .unwrap_or_else(|| settled.status().as_str())
                    .to_owned(),
                message: format!(
                    "Chapter {number} was {}; the chapters before it are kept.",
                    settled.status().as_str()
                ),
            },
        })
    } else if let Some(Kept::NotSaved { code, message }) = kept {
        Some(StoryStop::Chapter {
            code: (*code).to_owned(),
            message: message.clone(),
        })
    } else {
        None
    };
    ChapterEnd {
        cost_mc: settled.cost_mc(),
        saved: matches!(kept, Some(Kept::Saved(_))),
        stop,
    }
}
