//! Writing with AI: pick a tool, a length and a model, and watch the text arrive as it is
//! written; stop it at any point (only the words delivered are charged), save it as a new
//! project, and look back over recent generations.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use penora_api_types::{CreateGeneration, Generation, SaveGeneration};

use crate::api::{self, ApiError};
use crate::form::{optional, options, FieldError, FormError, Picker, SignedIn};
use crate::pages::run::{
    count, count_credits, summary, LiveOutput, ModelPicker, Run, RunResult, StopButton,
};
use crate::session::Session;

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

#[component]
fn Writer() -> impl IntoView {
    let session = Session::get();
    let choices = Choices::new();
    let run = Run::new();
    let history = RwSignal::new(0u32);

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
    view! {
        <section class="card">
            <h1>"Write with AI"</h1>
            <form on:submit=generate>
                <div class="write-options">
                    <Picker label="Tool" name="tool" value=choices.tool options=options(&TOOLS) error=run.error/>
                    <Show when=move || choices.rewriting()>
                        <Picker label="Style" name="style" value=choices.style options=options(&STYLES) error=run.error/>
                    </Show>
                    <Picker label="Length" name="length" value=choices.length options=options(&LENGTHS) error=run.error/>
                    <ModelPicker value=choices.model error=run.error/>
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
                    <StopButton run=run/>
                </div>
            </form>
            <Output run=run/>
        </section>
        <History reload=history/>
    }
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
                <LiveOutput run=run/>
                <RunResult text=Signal::derive(move || run.end.get().map(|e| summary(&e)))
                    failed=Signal::derive(move || run.end.with(|e| e.as_ref().is_some_and(|e| e.error.is_some())))/>
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
