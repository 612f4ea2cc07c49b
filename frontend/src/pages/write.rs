//! Writing with AI: pick a tool, a length and a model, and watch the text arrive as it is
//! written; stop it at any point (only the words delivered are charged), save it as a new
//! project, and look back over recent generations.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use penora_api_types::{
    CreateGeneration, EndEvent, Generation, MetaEvent, Model, SaveGeneration, UsageEvent,
};

use crate::api::{self, ApiError};
use crate::app::credits;
use crate::form::{FieldError, FormError, SignedIn};
use crate::session::Session;
use crate::sse::GenerationEvent;

const TOOLS: [(&str, &str); 5] = [
    ("write", "Write something new"),
    ("continue", "Continue my text"),
    ("rewrite", "Rewrite my text"),
    ("describe", "Describe a subject"),
    ("brainstorm", "Brainstorm ideas"),
];

const STYLES: [(&str, &str); 5] = [
    ("clearer", "Clearer"),
    ("more_vivid", "More vivid"),
    ("shorter", "Shorter"),
    ("longer", "Longer"),
    ("custom", "In my own words…"),
];

const LENGTHS: [(&str, &str); 3] = [
    ("short", "Short (about 150 words)"),
    ("medium", "Medium (about 400 words)"),
    ("long", "Long (about 800 words)"),
];

/// How many past generations the page lists.
const HISTORY: u32 = 10;

#[component]
pub fn Write() -> impl IntoView {
    view! {
        <SignedIn heading="Write with AI" what="the writing tools">
            <Writer/>
        </SignedIn>
    }
}

/// What the writer asked for, bound to the form.
#[derive(Clone, Copy)]
struct Choices {
    tool: RwSignal<String>,
    style: RwSignal<String>,
    custom_style: RwSignal<String>,
    length: RwSignal<String>,
    tone: RwSignal<String>,
    model: RwSignal<String>,
    input: RwSignal<String>,
    instructions: RwSignal<String>,
}

impl Choices {
    fn new() -> Self {
        let text = |s: &str| RwSignal::new(s.to_owned());
        Self {
            tool: text("write"),
            style: text("clearer"),
            custom_style: text(""),
            length: text("medium"),
            tone: text(""),
            // Empty until the catalog loads: the server then uses its default model.
            model: text(""),
            input: text(""),
            instructions: text(""),
        }
    }

    fn rewriting(&self) -> bool {
        self.tool.with(|t| t == "rewrite")
    }

    fn request(&self) -> CreateGeneration {
        let optional = |s: RwSignal<String>| {
            let value = s.get_untracked();
            (!value.trim().is_empty()).then_some(value)
        };
        // Style is rewrite's alone (the server ignores it for the other tools).
        let rewrite = self.tool.with_untracked(|t| t == "rewrite");
        let style = rewrite.then(|| self.style.get_untracked());
        let custom = style.as_deref() == Some("custom");
        CreateGeneration {
            tool: self.tool.get_untracked(),
            input: self.input.get_untracked(),
            instructions: self.instructions.get_untracked(),
            style,
            custom_style: if custom {
                Some(self.custom_style.get_untracked())
            } else {
                None
            },
            length: Some(self.length.get_untracked()),
            words: None,
            tone: optional(self.tone),
            model: optional(self.model),
        }
    }
}

/// The current (or last) generation as its events arrived.
#[derive(Clone, Copy)]
struct Run {
    running: RwSignal<bool>,
    stopping: RwSignal<bool>,
    text: RwSignal<String>,
    meta: RwSignal<Option<MetaEvent>>,
    usage: RwSignal<Option<UsageEvent>>,
    end: RwSignal<Option<EndEvent>>,
    error: RwSignal<Option<ApiError>>,
}

impl Run {
    fn new() -> Self {
        Self {
            running: RwSignal::new(false),
            stopping: RwSignal::new(false),
            text: RwSignal::new(String::new()),
            meta: RwSignal::new(None),
            usage: RwSignal::new(None),
            end: RwSignal::new(None),
            error: RwSignal::new(None),
        }
    }

    fn start(&self) {
        self.running.set(true);
        self.stopping.set(false);
        self.text.set(String::new());
        self.meta.set(None);
        self.usage.set(None);
        self.end.set(None);
        self.error.set(None);
    }

    /// Only writes signals: the stream may outlive the page (the writer went elsewhere), and
    /// writing a disposed signal is a no-op where reading one would panic.
    fn apply(&self, event: GenerationEvent) {
        match event {
            GenerationEvent::Meta(meta) => self.meta.set(Some(meta)),
            GenerationEvent::Delta(delta) => self.text.update(|t| t.push_str(&delta.text)),
            GenerationEvent::Usage(usage) => self.usage.set(Some(usage)),
            GenerationEvent::End(end) => self.end.set(Some(end)),
        }
    }

    fn generation_id(&self) -> Option<String> {
        self.meta
            .with_untracked(|m| m.as_ref().map(|m| m.generation_id.to_string()))
    }
}

#[component]
fn Writer() -> impl IntoView {
    let session = Session::get();
    let choices = Choices::new();
    let run = Run::new();
    let models = RwSignal::new(Vec::<Model>::new());
    let history = RwSignal::new(0u32);

    spawn_local(async move {
        if let Ok(list) = api::models().await {
            if choices.model.with_untracked(String::is_empty) {
                choices.model.set(list.default_model.clone());
            }
            models.set(list.models);
        }
    });

    let generate = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if run.running.get_untracked() {
            return;
        }
        let body = choices.request();
        run.start();
        spawn_local(async move {
            if let Err(err) = api::generate(session, body, move |event| run.apply(event)).await {
                run.error.set(Some(err));
            }
            run.running.set(false);
            // Whatever way it ended, something may have been charged and stored.
            session.refresh_balance();
            history.update(|n| *n += 1);
        });
    };
    let stop = move |_| {
        let Some(id) = run.generation_id() else {
            return;
        };
        run.stopping.set(true);
        spawn_local(async move {
            // The stream then ends with `done` (status `cancelled`) and the settled cost.
            if let Err(err) = api::cancel_generation(session, id).await {
                run.error.set(Some(err));
                run.stopping.set(false);
            }
        });
    };

    view! {
        <section class="card">
            <h1>"Write with AI"</h1>
            <form on:submit=generate>
                <div class="write-options">
                    <Picker label="Tool" name="tool" value=choices.tool options=Signal::stored(options(&TOOLS)) error=run.error/>
                    <Show when=move || choices.rewriting()>
                        <Picker label="Style" name="style" value=choices.style options=Signal::stored(options(&STYLES)) error=run.error/>
                    </Show>
                    <Picker label="Length" name="length" value=choices.length options=Signal::stored(options(&LENGTHS)) error=run.error/>
                    <Picker label="Model" name="model" value=choices.model error=run.error
                        options=Signal::derive(move || models.with(|m| m.iter().map(model_option).collect()))/>
                    <label class="field">
                        <span>"Tone (optional)"</span>
                        <input name="tone" placeholder="e.g. playful, formal" maxlength="100"
                            prop:value=move || choices.tone.get() on:input=move |ev| choices.tone.set(event_target_value(&ev))/>
                        <FieldError name="tone" error=run.error/>
                    </label>
                </div>
                <Show when=move || choices.rewriting() && choices.style.with(|s| s == "custom")>
                    <label class="field">
                        <span>"Custom style"</span>
                        <input name="custom_style" placeholder="e.g. as a sea shanty"
                            prop:value=move || choices.custom_style.get() on:input=move |ev| choices.custom_style.set(event_target_value(&ev))/>
                        <FieldError name="custom_style" error=run.error/>
                    </label>
                </Show>
                <ModelFacts models=models model=choices.model/>
                <label class="field">
                    <span>"Your text"</span>
                    <textarea name="input" rows="8" placeholder="The text to continue, rewrite or describe; or notes to draw on."
                        prop:value=move || choices.input.get() on:input=move |ev| choices.input.set(event_target_value(&ev))></textarea>
                    <FieldError name="input" error=run.error/>
                </label>
                <label class="field">
                    <span>"Instructions"</span>
                    <input name="instructions" placeholder="What to write, or anything the tool should keep in mind"
                        prop:value=move || choices.instructions.get() on:input=move |ev| choices.instructions.set(event_target_value(&ev))/>
                    <FieldError name="instructions" error=run.error/>
                </label>
                <FormError error=run.error/>
                <div class="actions">
                    <button type="submit" prop:disabled=move || run.running.get()>
                        {move || if run.running.get() { "Generating…" } else { "Generate" }}
                    </button>
                    <Show when=move || run.running.get()>
                        <button type="button" class="secondary" data-testid="stop" on:click=stop
                            prop:disabled=move || run.stopping.get() || run.meta.with(Option::is_none)>
                            {move || if run.stopping.get() { "Stopping…" } else { "Stop" }}
                        </button>
                    </Show>
                </div>
            </form>
            <Output run=run/>
        </section>
        <History reload=history/>
    }
}

/// One option of a [`Picker`]: value, label, and whether it can be chosen.
type Choice = (String, String, bool);

fn options(pairs: &[(&str, &str)]) -> Vec<Choice> {
    pairs
        .iter()
        .map(|(value, label)| ((*value).to_owned(), (*label).to_owned(), true))
        .collect()
}

/// Models that cannot run now (no key configured, switched off) are listed but not offered.
fn model_option(model: &Model) -> Choice {
    let label = if model.available {
        model.display_name.clone()
    } else {
        format!("{} (unavailable)", model.display_name)
    };
    (model.id.clone(), label, model.available)
}

/// A labelled select bound to `value`. The label sits beside the select, not around it, so
/// its text (the accessible name) is not run together with every option's.
#[component]
fn Picker(
    label: &'static str,
    name: &'static str,
    value: RwSignal<String>,
    options: Signal<Vec<Choice>>,
    error: RwSignal<Option<ApiError>>,
) -> impl IntoView {
    let id = format!("field-{name}");
    view! {
        <div class="field">
            <label for=id.clone()><span>{label}</span></label>
            <select id=id name=name on:change=move |ev| value.set(event_target_value(&ev))>
                // `selected` per option, not the select's value: options may arrive later
                // than the value (the model catalog loads after the page).
                {move || options.get().into_iter().map(|(id, text, enabled)| {
                    let selected = id.clone();
                    view! {
                        <option value=id disabled=!enabled prop:selected=move || value.with(|v| *v == selected)>{text}</option>
                    }
                }).collect_view()}
            </select>
            <FieldError name=name error=error/>
        </div>
    }
}

/// Price and limits of the chosen model.
#[component]
fn ModelFacts(models: RwSignal<Vec<Model>>, model: RwSignal<String>) -> impl IntoView {
    let facts = move || {
        let id = model.get();
        models.with(|all| {
            all.iter().find(|m| m.id == id).map(|m| {
                format!(
                    "{} per 100 words · at most {} words per generation",
                    count_credits(m.cost_per_100_words_mc),
                    m.max_output_words
                )
            })
        })
    };
    view! { <p class="hint">{facts}</p> }
}

/// The text as it arrives, what it costs so far, and how it ended.
#[component]
fn Output(run: Run) -> impl IntoView {
    let started = move || run.running.get() || run.meta.with(Option::is_some);
    let can_save =
        move || !run.running.get() && run.end.with(|e| e.as_ref().is_some_and(|e| e.words > 0));
    view! {
        <Show when=started>
            <div class="generation">
                <p class="gen-meta">
                    <span data-testid="model-label">{move || run.meta.get().map(|m| m.model_label)}</span>
                    <span class="muted" data-testid="usage">{move || progress(&run)}</span>
                </p>
                <div class="output prose" data-testid="output" aria-label="Generated text"
                    aria-live="polite" aria-busy=move || run.running.get().to_string()>
                    {move || run.text.get()}
                </div>
                <p class="result" role="status" data-testid="result"
                    class:failed=move || run.end.with(|e| e.as_ref().is_some_and(|e| e.error.is_some()))>
                    {move || run.end.get().map(|e| summary(&e))}
                </p>
                <Show when=can_save>
                    <SaveButton run=run/>
                </Show>
            </div>
        </Show>
    }
}

/// Saves the finished generation as a new document and opens it.
#[component]
fn SaveButton(run: Run) -> impl IntoView {
    let session = Session::get();
    let navigate = use_navigate();
    let error = RwSignal::new(None::<ApiError>);
    let saving = RwSignal::new(false);
    let save = move |_| {
        let Some(id) = run.generation_id() else {
            return;
        };
        let navigate = navigate.clone();
        saving.set(true);
        error.set(None);
        spawn_local(async move {
            match api::save_generation(session, id, SaveGeneration::default()).await {
                Ok(project) => navigate(&format!("/projects/{}", project.id), Default::default()),
                Err(err) => {
                    error.set(Some(err));
                    saving.set(false);
                }
            }
        });
    };
    view! {
        <div class="actions">
            <button type="button" data-testid="save" on:click=save prop:disabled=move || saving.get()>
                "Save as new project"
            </button>
        </div>
        <FormError error=error/>
    }
}

/// Words and cost so far (`usage` comes every save interval, so not before the first), and
/// the most it can cost: what was reserved.
fn progress(run: &Run) -> Option<String> {
    if !run.running.get() {
        return None;
    }
    let (max_words, max_cost) = run
        .meta
        .with(|m| m.as_ref().map(|m| (m.max_words, m.max_cost_mc)))?;
    let most = format!("at most {}", count_credits(max_cost));
    Some(match run.usage.get() {
        Some(usage) => format!(
            "{} so far, {} ({most})",
            count(usage.words, "word"),
            count_credits(usage.cost_mc)
        ),
        None => format!("Up to {}, {most}", count(max_words, "word")),
    })
}

/// How a generation ended, e.g. "Done: 143 words, 1.43 credits".
fn summary(end: &EndEvent) -> String {
    let spent = format!(
        "{}, {}",
        count(end.words, "word"),
        count_credits(end.cost_mc)
    );
    if let Some(failure) = &end.error {
        return format!("Failed: {} ({spent} charged)", failure.message);
    }
    match (end.status.as_str(), end.finish_reason.as_deref()) {
        ("completed", Some("credit_limit")) => {
            format!("Done: {spent}; stopped at what your balance allows")
        }
        ("completed", _) => format!("Done: {spent}"),
        ("cancelled", _) => format!("Stopped: {spent}"),
        (status, _) => format!("Ended ({status}): {spent}"),
    }
}

fn count(n: i64, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn count_credits(mc: i64) -> String {
    if mc == 1000 {
        "1 credit".into()
    } else {
        format!("{} credits", credits(mc))
    }
}

/// The latest generations, re-read whenever `reload` changes (after each run).
#[component]
fn History(reload: RwSignal<u32>) -> impl IntoView {
    let session = Session::get();
    let items = RwSignal::new(Vec::<Generation>::new());
    let error = RwSignal::new(None::<ApiError>);
    Effect::new(move |_| {
        reload.track();
        spawn_local(async move {
            match api::generations(session, HISTORY).await {
                Ok(page) => {
                    items.set(page.items);
                    error.set(None);
                }
                Err(err) => error.set(Some(err)),
            }
        });
    });
    view! {
        <section class="card">
            <h2>"Recent generations"</h2>
            <FormError error=error/>
            <Show when=move || items.with(Vec::is_empty)>
                <p class="muted">"Nothing yet: what you generate is listed here."</p>
            </Show>
            <ul class="history" data-testid="history">
                <For each=move || items.get() key=|g| (g.id, g.status.clone(), g.project_id) let:generation>
                    <HistoryRow generation=generation/>
                </For>
            </ul>
        </section>
    }
}

#[component]
fn HistoryRow(generation: Generation) -> impl IntoView {
    let snippet: String = generation.output.chars().take(160).collect();
    let more = generation.output.chars().count() > 160;
    view! {
        <li data-testid="generation">
            <div class="project-head">
                <strong>{generation.tool.clone()}</strong>
                <span class="muted">
                    {format!("{} · {} · {}, {} · {}", generation.model_label, generation.status,
                        count(generation.words, "word"), count_credits(generation.cost_mc),
                        generation.created_at.format("%-d %b %Y %H:%M"))}
                </span>
            </div>
            <p class="snippet">{snippet}{more.then_some("…")}</p>
            {generation.project_id.map(|id| view! {
                <A href=format!("/projects/{id}")>"Open saved project"</A>
            })}
        </li>
    }
}
