//! One story: its settings, the outline (written by the AI or by hand) and the chapters,
//! each written by the AI on its own or all in a row, live, with Stop. The server saves every
//! step as it ends (also when stopped), so the page only has to read the story again.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};
use leptos_router::NavigateOptions;
use penora_api_types::{
    ChapterEvent, EndEvent, ErrorCode, GenerateChapter, GenerateStory, Story, StoryEndEvent,
    UpdateStory,
};

use crate::api::{self, ApiError};
use crate::form::{number, optional, Field, FieldError, FormError, SignedIn};
use crate::pages::run::{count, count_credits, summary, LiveOutput, Run, RunResult, StopButton};
use crate::session::Session;
use crate::sse::{GenerationEvent, StoryEvent};

#[component]
pub fn StoryPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    // A view of its own per story, so nothing of one story's run shows on another's page.
    view! {
        <SignedIn heading="Your story" what="this story">
            {move || view! { <StoryView id=id.get()/> }}
        </SignedIn>
    }
}

/// What a run writes; its progress shows where that text goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
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
    fn chapter(self) -> Option<u32> {
        match self {
            Self::Chapter(n) | Self::Continue(n) => Some(n),
            Self::Outline | Self::All(_) => None,
        }
    }
}

/// The run going on in the story (one at a time), or the last one.
#[derive(Clone, Copy)]
struct Job {
    run: Run,
    target: RwSignal<Option<Target>>,
    /// Writing in a row: the chapter being written, what the finished ones cost, and how
    /// the whole run ended.
    chapter: RwSignal<Option<ChapterEvent>>,
    settled_mc: RwSignal<i64>,
    end: RwSignal<Option<StoryEndEvent>>,
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

    fn running(&self) -> bool {
        self.run.running.get()
    }

    /// Whether the current (or last) run is one `is` picks: its progress shows there.
    fn ran(&self, is: impl Fn(Target) -> bool) -> bool {
        self.target.get().is_some_and(is)
    }

    /// The chapter being written now, by itself or in a row.
    fn writing(&self) -> Option<u32> {
        if !self.running() {
            return None;
        }
        match self.target.get()? {
            Target::All(_) => self.chapter.with(|c| c.as_ref().map(|c| c.number)),
            target => target.chapter(),
        }
    }
}

/// The story as loaded, the outline being edited, and the run; shared by the page's parts.
#[derive(Clone, Copy)]
struct Page {
    session: Session,
    id: StoredValue<String>,
    story: RwSignal<Option<Story>>,
    outline: RwSignal<String>,
    job: Job,
}

impl Page {
    /// Shows a story; `fill` also replaces the outline being edited (on opening, and after a
    /// new outline was written), never after chapters, which would lose unsaved edits.
    fn show(&self, story: Story, fill: bool) {
        if fill {
            self.outline.set(story.outline.clone().unwrap_or_default());
        }
        self.story.set(Some(story));
    }

    /// Reads the story again after something was written. Takes the id rather than reading
    /// it: this runs from streams that may outlive the page.
    fn reload(self, id: String, fill: bool) {
        spawn_local(async move {
            if let Ok(story) = api::story(self.session, id).await {
                self.show(story, fill);
            }
        });
    }

    /// Starts `target` unless something is running already.
    fn run(self, target: Target) {
        let job = self.job;
        if job.run.running.get_untracked() {
            return;
        }
        let (session, id) = (self.session, self.id.get_value());
        job.start(target);
        spawn_local(async move {
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
                    let each = {
                        let id = id.clone();
                        move |event: StoryEvent| self.apply(event, &id)
                    };
                    api::write_story(session, id.clone(), body, each).await
                }
            };
            if let Err(err) = result {
                job.run.error.set(Some(err));
            }
            job.run.running.set(false);
            // Whatever way it ended, something may have been charged and saved.
            session.refresh_balance();
            self.reload(id, target == Target::Outline);
        });
    }

    /// One event of chapters written in a row. Only writes signals, like [`Run::apply`].
    fn apply(self, event: StoryEvent, id: &str) {
        let job = self.job;
        match event {
            StoryEvent::Chapter(chapter) => {
                job.run.next_step();
                job.chapter.set(Some(chapter));
            }
            StoryEvent::Step(GenerationEvent::End(end)) => {
                job.settled_mc.update(|mc| *mc += end.cost_mc);
                job.run.apply(GenerationEvent::End(end));
                // The chapter is saved: show it, and what it cost, while the next is written.
                self.reload(id.to_owned(), false);
                self.session.refresh_balance();
            }
            StoryEvent::Step(event) => job.run.apply(event),
            StoryEvent::Done(end) => job.end.set(Some(end)),
        }
    }
}

fn confirmed(question: &str) -> bool {
    window().confirm_with_message(question).unwrap_or(false)
}

#[component]
fn StoryView(id: String) -> impl IntoView {
    let session = Session::get();
    let navigate = use_navigate();
    let page = Page {
        session,
        id: StoredValue::new(id.clone()),
        story: RwSignal::new(None),
        outline: RwSignal::new(String::new()),
        job: Job::new(),
    };
    let error = RwSignal::new(None::<ApiError>);

    spawn_local(async move {
        match api::story(session, id.clone()).await {
            Ok(story) => page.show(story, true),
            // A "story" made on the Projects page has chapters but no story settings: it is
            // edited by hand.
            Err(err) if err.code() == Some(ErrorCode::ProjectNotFound) => {
                let replace = NavigateOptions {
                    replace: true,
                    ..Default::default()
                };
                navigate(&format!("/projects/{id}"), replace);
            }
            Err(err) => error.set(Some(err)),
        }
    });
    // The settings form starts from the story as first loaded, once per story.
    let loaded = Memo::new(move |_| page.story.with(|s| s.as_ref().map(|s| s.project.id)));

    view! {
        <section class="card">
            <p><A href="/projects">"← All projects"</A></p>
            <FormError error=error/>
            {move || loaded.get().map(|_| view! { <Overview page=page/> })}
        </section>
        <Show when=move || loaded.get().is_some()>
            <Outline page=page/>
            <Chapters page=page/>
        </Show>
    }
}

/// Title, premise and settings (tone and sizes can be changed).
#[component]
fn Overview(page: Page) -> impl IntoView {
    let story = page.story.get_untracked();
    let (tone, chapters, words) = story.as_ref().map_or_else(Default::default, |s| {
        (
            s.tone.clone(),
            s.chapter_count.to_string(),
            s.words_per_chapter.to_string(),
        )
    });
    let (tone, chapters, words) = (
        RwSignal::new(tone),
        RwSignal::new(chapters),
        RwSignal::new(words),
    );
    let error = RwSignal::new(None::<ApiError>);
    let notice = RwSignal::new(None::<String>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = UpdateStory {
            outline: None,
            tone: Some(tone.get_untracked()),
            chapter_count: number(chapters),
            words_per_chapter: number(words),
        };
        let id = page.id.get_value();
        error.set(None);
        spawn_local(async move {
            match api::update_story(page.session, id, body).await {
                Ok(story) => {
                    page.show(story, false);
                    notice.set(Some("Settings saved.".into()));
                }
                Err(err) => error.set(Some(err)),
            }
        });
    };
    let facts = move || {
        page.story.with(|s| {
            s.as_ref().map(|s| {
                let p = &s.project;
                let genre = p.genre.iter().filter(|g| !g.trim().is_empty());
                genre
                    .chain(p.model.iter())
                    .cloned()
                    .chain([count(p.word_count, "word")])
                    .collect::<Vec<_>>()
                    .join(" · ")
            })
        })
    };
    let title = move || {
        page.story
            .with(|s| s.as_ref().map(|s| s.project.title.clone()))
    };
    let premise = move || {
        page.story
            .with(|s| s.as_ref().and_then(|s| s.project.premise.clone()))
    };
    let edit = format!("/projects/{}", page.id.get_value());

    view! {
        <h1>{title}</h1>
        <p class="muted" data-testid="story-facts">{facts}</p>
        <p class="prose">{premise}</p>
        <details class="settings">
            <summary>"Settings"</summary>
            <form on:submit=save novalidate>
                <div class="write-options">
                    <Field label="Tone" name="tone" value=tone error=error/>
                    <Field label="Chapters" name="chapter_count" kind="number" value=chapters error=error/>
                    <Field label="Words per chapter" name="words_per_chapter" kind="number" value=words error=error/>
                </div>
                <FormError error=error/>
                <div class="actions">
                    <button type="submit" class="secondary" prop:disabled=move || page.job.running()>"Save settings"</button>
                    <A href=edit>"Edit the text by hand"</A>
                </div>
                <p class="notice" role="status">{move || notice.get()}</p>
            </form>
        </details>
    }
}

/// The outline: written by the AI (live, here) or by hand; saving it names the chapters.
#[component]
fn Outline(page: Page) -> impl IntoView {
    let job = page.job;
    let error = RwSignal::new(None::<ApiError>);
    let notice = RwSignal::new(None::<String>);
    let has_outline = move || page.outline.with(|o| !o.trim().is_empty());
    let generating = move || job.running() && job.ran(|t| t == Target::Outline);

    let generate = move |_| {
        let replaces = page.outline.with_untracked(|o| !o.trim().is_empty());
        if !replaces
            || confirmed("Write a new outline? It replaces this one (the chapters' text is kept).")
        {
            notice.set(None);
            page.run(Target::Outline);
        }
    };
    let save = move |_| {
        let body = UpdateStory {
            outline: optional(page.outline),
            ..Default::default()
        };
        let id = page.id.get_value();
        error.set(None);
        notice.set(None);
        spawn_local(async move {
            match api::update_story(page.session, id, body).await {
                Ok(story) => {
                    page.show(story, true);
                    notice.set(Some(
                        "Outline saved; the chapters are named after it.".into(),
                    ));
                }
                Err(err) => error.set(Some(err)),
            }
        });
    };

    view! {
        <section class="card">
            <h2>"Outline"</h2>
            <p class="hint">"One line per chapter: “Chapter 2: Its title — what happens”. Saving it names the chapters after it; their text is kept."</p>
            <Show when=move || job.ran(|t| t == Target::Outline)>
                <RunBox job=job/>
            </Show>
            <Show when=move || !generating()>
                <label class="field">
                    <span>"The outline"</span>
                    <textarea name="outline" rows="8" data-testid="story-outline"
                        placeholder="Generate one, or write your own."
                        prop:value=move || page.outline.get()
                        on:input=move |ev| page.outline.set(event_target_value(&ev))></textarea>
                    <FieldError name="outline" error=error/>
                </label>
            </Show>
            <FormError error=error/>
            <div class="actions">
                <button type="button" data-testid="generate-outline" on:click=generate
                    prop:disabled=move || job.running()>
                    {move || if has_outline() { "Generate a new outline" } else { "Generate outline" }}
                </button>
                <button type="button" class="secondary" data-testid="save-outline" on:click=save
                    prop:disabled=move || job.running()>
                    "Save outline"
                </button>
            </div>
            <p class="notice" role="status">{move || notice.get()}</p>
        </section>
    }
}

/// The chapters, written one by one or all in a row.
#[component]
fn Chapters(page: Page) -> impl IntoView {
    let job = page.job;
    // The planned chapters, and any written beyond the plan.
    let last = move || {
        page.story.with(|s| {
            s.as_ref().map_or(0, |s| {
                let planned = u32::try_from(s.chapter_count).unwrap_or(0);
                planned.max(u32::try_from(s.project.chapters.len()).unwrap_or(0))
            })
        })
    };
    let planned = move || {
        page.story
            .with(|s| s.as_ref().map_or(0, |s| s.chapter_count))
    };
    // Where a stopped (or failed) run left off: the first planned chapter with no text.
    let resume = move || {
        page.story.with(|s| {
            let s = s.as_ref()?;
            let planned = usize::try_from(s.chapter_count).unwrap_or(0);
            let chapters = &s.project.chapters;
            let first_empty =
                (0..planned).find(|&i| chapters.get(i).is_none_or(|c| c.text.trim().is_empty()))?;
            (first_empty > 0).then(|| u32::try_from(first_empty + 1).unwrap_or(1))
        })
    };
    let write_all = move |_| {
        let written = page.story.with_untracked(|s| {
            s.as_ref()
                .is_some_and(|s| s.project.chapters.iter().any(|c| !c.text.trim().is_empty()))
        });
        if !written || confirmed("Write every chapter again? Their text is replaced.") {
            page.run(Target::All(1));
        }
    };

    view! {
        <section class="card">
            <h2>"Chapters"</h2>
            <div class="actions">
                <button type="button" data-testid="write-all" on:click=write_all
                    prop:disabled=move || job.running()>
                    "Write all chapters"
                </button>
                {move || resume().map(|from| view! {
                    <button type="button" class="secondary" data-testid="write-rest"
                        on:click=move |_| page.run(Target::All(from)) prop:disabled=move || job.running()>
                        {rest_label(from, planned())}
                    </button>
                })}
            </div>
            <Show when=move || job.ran(|t| matches!(t, Target::All(_)))>
                <RunBox job=job/>
            </Show>
            <For each=move || 1..=last() key=|n| *n let:number>
                <ChapterBlock number=number page=page/>
            </For>
        </section>
    }
}

/// The button that writes on from where a stopped run left off.
fn rest_label(from: u32, planned: i32) -> String {
    if i64::from(from) >= i64::from(planned) {
        format!("Write chapter {from}")
    } else {
        format!("Write chapters {from} to {planned}")
    }
}

/// "Chapter 2: The Quiet Harbour"; just "Chapter 2" while it has only its placeholder name.
fn heading(number: u32, title: &str) -> String {
    let plain = format!("Chapter {number}");
    if title.trim().is_empty() || title.trim() == plain {
        plain
    } else {
        format!("{plain}: {title}")
    }
}

/// Longer chapters start folded to their first lines.
const FOLD_WORDS: usize = 60;

#[component]
fn ChapterBlock(number: u32, page: Page) -> impl IntoView {
    let job = page.job;
    let index = usize::try_from(number.saturating_sub(1)).unwrap_or(0);
    let field = move |f: fn(&penora_api_types::ChapterBody) -> String| {
        page.story.with(|s| {
            s.as_ref()
                .and_then(|s| s.project.chapters.get(index))
                .map(f)
                .unwrap_or_default()
        })
    };
    let text = move || field(|c| c.text.clone());
    let words = move || field(|c| c.text.clone()).split_whitespace().count();
    let open = RwSignal::new(false);
    let write = move |_| {
        let replaces = words() > 0;
        let question = format!("Write chapter {number} again? Its text is replaced.");
        if !replaces || confirmed(&question) {
            page.run(Target::Chapter(number));
        }
    };

    view! {
        <article class="chapter-block" data-testid=format!("chapter-{number}")
            class:writing=move || job.writing() == Some(number)>
            <div class="project-head">
                <h3>{move || heading(number, &field(|c| c.title.clone()))}</h3>
                <span class="muted" data-testid=format!("chapter-{number}-words")>
                    {move || count(i64::try_from(words()).unwrap_or(0), "word")}
                </span>
            </div>
            <Show when=move || { words() > 0 } fallback=|| view! { <p class="muted">"Not written yet."</p> }>
                <div class="prose chapter-text" data-testid=format!("chapter-{number}-text")
                    class:folded=move || { !open.get() && words() > FOLD_WORDS }>
                    {text}
                </div>
                <Show when=move || { words() > FOLD_WORDS }>
                    <button type="button" class="link" on:click=move |_| open.update(|o| *o = !*o)>
                        {move || if open.get() { "Show less" } else { "Read it all" }}
                    </button>
                </Show>
            </Show>
            <div class="actions">
                <button type="button" class="secondary" data-testid=format!("chapter-{number}-write")
                    on:click=write prop:disabled=move || job.running()>
                    {move || if words() > 0 { "Write again" } else { "Write" }}
                </button>
                <Show when=move || { words() > 0 }>
                    <button type="button" class="secondary" data-testid=format!("chapter-{number}-continue")
                        on:click=move |_| page.run(Target::Continue(number)) prop:disabled=move || job.running()>
                        "Continue"
                    </button>
                </Show>
            </div>
            <Show when=move || job.ran(|t| t.chapter() == Some(number))>
                <RunBox job=job/>
            </Show>
        </article>
    }
}

/// The running (or last) run where it writes: what is being written, the text as it
/// arrives, cost so far, Stop, and how it ended.
#[component]
fn RunBox(job: Job) -> impl IntoView {
    let in_a_row = move || job.ran(|t| matches!(t, Target::All(_)));
    let spent = move || {
        // The finished chapters, and the running one's cost so far.
        let running = job.run.end.with(Option::is_none);
        let live = job.run.usage.with(|u| u.as_ref().map_or(0, |u| u.cost_mc));
        let total = job.settled_mc.get() + if running { live } else { 0 };
        format!("Spent so far: {}", count_credits(total))
    };
    let result = Signal::derive(move || match job.target.get()? {
        Target::All(_) => job.end.get().map(|e| story_summary(&e)),
        _ => job.run.end.get().map(|e| step_summary(&e)),
    });
    let failed = Signal::derive(move || match job.target.get() {
        Some(Target::All(_)) => job.end.with(|e| {
            e.as_ref()
                .and_then(|e| e.error.as_ref())
                .is_some_and(|f| f.code != "cancelled")
        }),
        _ => job.run.end.with(|e| {
            e.as_ref()
                .is_some_and(|e| e.error.is_some() || e.save_error.is_some())
        }),
    });

    view! {
        <div class="generation" data-testid="progress">
            <Show when=move || job.running()>
                <p class="step" data-testid="step">{move || status(&job)}</p>
                <LiveOutput run=job.run/>
                <Show when=in_a_row>
                    <p class="muted" data-testid="spent">{spent}</p>
                </Show>
                <div class="actions">
                    <StopButton run=job.run/>
                </div>
            </Show>
            <FormError error=job.run.error/>
            <RunResult text=result failed=failed/>
        </div>
    }
}

/// What is being written, e.g. "Chapter 2 of 5: The Quiet Harbour…".
fn status(job: &Job) -> Option<String> {
    Some(match job.target.get()? {
        Target::Outline => "Writing the outline…".into(),
        Target::Chapter(n) => format!("Writing chapter {n}…"),
        Target::Continue(n) => format!("Continuing chapter {n}…"),
        Target::All(_) => match job.chapter.get() {
            // "Chapter 2 of 5…" while it has only its placeholder name.
            Some(c) => match heading(c.number, &c.title).split_once(": ") {
                Some((_, title)) => format!("Chapter {} of {}: {title}…", c.number, c.of),
                None => format!("Chapter {} of {}…", c.number, c.of),
            },
            None => "Starting…".into(),
        },
    })
}

/// How the outline or one chapter ended, and whether its text could be saved.
fn step_summary(end: &EndEvent) -> String {
    match &end.save_error {
        Some(failure) => format!("{}; not saved: {}", summary(end), failure.message),
        None => summary(end),
    }
}

/// How chapters written in a row ended, e.g. "Complete: 3 chapters written (1, 2, 3), 4.5
/// credits".
fn story_summary(end: &StoryEndEvent) -> String {
    let chapters = end
        .written
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let written = match end.written.len() {
        0 => "no chapter written".to_owned(),
        n => format!(
            "{} written ({chapters})",
            count(i64::try_from(n).unwrap_or(0), "chapter")
        ),
    };
    let spent = format!("{written}, {}", count_credits(end.total_cost_mc));
    match &end.error {
        None if end.complete => format!("Complete: {spent}"),
        None => format!("Ended: {spent}"),
        Some(failure) if failure.code == "cancelled" => format!("Stopped: {spent}"),
        Some(failure) => format!("Failed: {} ({spent})", failure.message),
    }
}
