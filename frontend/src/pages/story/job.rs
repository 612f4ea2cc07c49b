//! The story page's state: the story as loaded, the outline being edited, and the run going
//! on (one at a time). A run streams its events into signals; when it ends, the page reads
//! the story again (the server saved every step).

use leptos::prelude::*;
use penora_api_types::{ChapterEvent, GenerateChapter, GenerateStory, Story, StoryEndEvent};

use crate::api;
use crate::ids::ProjectId;
use crate::pages::run::Run;
use crate::session::Session;
use crate::sse::{GenerationEvent, StoryEvent};

/// What a run writes; its progress shows where that text goes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Outline,
    /// Chapter `n` afresh.
    Chapter(u32),
    /// More of chapter `n`'s text.
    Continue(u32),
    /// The chapters in a row, from chapter `n`.
    All(u32),
}

impl Target {
    /// The chapter written on its own, if this is one.
    pub fn chapter(self) -> Option<u32> {
        match self {
            Self::Chapter(n) | Self::Continue(n) => Some(n),
            Self::Outline | Self::All(_) => None,
        }
    }
}

/// The run going on in the story (one at a time), or the last one.
#[derive(Clone, Copy)]
pub struct Job {
    pub run: Run,
    pub target: RwSignal<Option<Target>>,
    /// Writing in a row: the chapter being written, what the finished ones cost, and how
    /// the whole run ended.
    pub chapter: RwSignal<Option<ChapterEvent>>,
    pub settled_mc: RwSignal<i64>,
    pub end: RwSignal<Option<StoryEndEvent>>,
}

impl Job {
    fn new() -> Self {
        Self {
            run: Run::new(),
            target: RwSignal::new(None),
            chapter: RwSignal::new(None),
            settled_mc: RwSignal::new(0),
            end: RwSignal::new(None),
        }
    }

    fn start(&self, target: Target) {
        self.run.start();
        self.target.set(Some(target));
        self.chapter.set(None);
        self.settled_mc.set(0);
        self.end.set(None);
    }

    pub fn running(&self) -> bool {
        self.run.running.get()
    }

    /// Whether the current (or last) run is one `is` picks: its progress shows there.
    pub fn ran(&self, is: impl Fn(Target) -> bool) -> bool {
        self.target.get().is_some_and(is)
    }

    /// The chapter being written now, by itself or in a row.
    pub fn writing(&self) -> Option<u32> {
        if !self.running() {
            return None;
        }
        match self.target.get()? {
            Target::All(_) => self.chapter.with(|c| c.as_ref().map(|c| c.number)),
            target => target.chapter(),
        }
    }
}

/// Asks for the story to be read again: how many times so far, and whether the outline
/// being edited is replaced too (on opening, and after a new outline was written; never
/// after chapters, which would lose unsaved edits).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Reload {
    pub count: u32,
    pub fill: bool,
}

/// The story as loaded, the outline being edited, and the run; shared by the page's parts.
#[derive(Clone, Copy)]
pub struct Page {
    pub session: Session,
    pub id: StoredValue<ProjectId>,
    pub story: RwSignal<Option<Story>>,
    pub outline: RwSignal<String>,
    pub job: Job,
    pub reload: RwSignal<Reload>,
    runner: Action<Target, ()>,
}

impl Page {
    pub fn new(session: Session, id: ProjectId) -> Self {
        let job = Job::new();
        let reload = RwSignal::new(Reload {
            count: 0,
            fill: true,
        });
        let runner = {
            let id = id.clone();
            Action::new_local(move |target: &Target| {
                stream(session, id.clone(), job, reload, *target)
            })
        };
        Self {
            session,
            id: StoredValue::new(id),
            story: RwSignal::new(None),
            outline: RwSignal::new(String::new()),
            job,
            reload,
            runner,
        }
    }

    /// Shows a story; `fill` also replaces the outline being edited.
    pub fn show(&self, story: Story, fill: bool) {
        if fill {
            self.outline.set(story.outline.clone().unwrap_or_default());
        }
        self.story.set(Some(story));
    }

    /// Starts `target` unless something is running already.
    pub fn run(self, target: Target) {
        if self.job.run.running.get_untracked() {
            return;
        }
        self.job.start(target);
        self.runner.dispatch(target);
    }
}

/// Asks for the story again. Only writes a signal: this runs from streams that may outlive
/// the page.
fn read_again(reload: RwSignal<Reload>, fill: bool) {
    reload.update(|r| {
        r.count += 1;
        r.fill = fill;
    });
}

/// Runs `target`'s stream to its end, then has the story read again.
async fn stream(
    session: Session,
    id: ProjectId,
    job: Job,
    reload: RwSignal<Reload>,
    target: Target,
) {
    let step = move |event: GenerationEvent| job.run.apply(event);
    let result = match target {
        Target::Outline => api::generate_outline(session, id.clone(), step).await,
        Target::Chapter(n) | Target::Continue(n) => {
            let body = GenerateChapter {
                continue_text: matches!(target, Target::Continue(_)),
            };
            api::generate_chapter(session, id.clone(), n, body, step).await
        }
        Target::All(from) => {
            let body = GenerateStory { from: Some(from) };
            let each = move |event: StoryEvent| apply(session, job, reload, event);
            api::write_story(session, id.clone(), body, each).await
        }
    };
    if let Err(err) = result {
        job.run.error.set(Some(err));
    }
    job.run.running.set(false);
    // Whatever way it ended, something may have been charged and saved.
    session.refresh_balance();
    read_again(reload, target == Target::Outline);
}

/// One event of chapters written in a row. Only writes signals, like [`Run::apply`].
fn apply(session: Session, job: Job, reload: RwSignal<Reload>, event: StoryEvent) {
    match event {
        StoryEvent::Chapter(chapter) => {
            job.run.next_step();
            job.chapter.set(Some(chapter));
        }
        StoryEvent::Step(GenerationEvent::End(end)) => {
            job.settled_mc.update(|mc| *mc += end.cost_mc);
            job.run.apply(GenerationEvent::End(end));
            // The chapter is saved: show it, and what it cost, while the next is written.
            read_again(reload, false);
            session.refresh_balance();
        }
        StoryEvent::Step(event) => job.run.apply(event),
        StoryEvent::Done(end) => job.end.set(Some(end)),
    }
}
