//! The tools: pick one (it works on the editor's selection, or what fits), a length and a
//! model with a live cost estimate; generate (Ctrl/Cmd+Enter) and watch the text arrive;
//! stop (Escape); then use the result.

use leptos::ev;
use leptos::html::Button;
use leptos::prelude::*;
use penora_api_types::CreateGeneration;

use super::models::ModelChooser;
use super::result::ResultActions;
use super::text::tool_input;
use super::Writer;
use crate::api;
use crate::form::{optional, options, FieldError, FormError, Picker};
use crate::ids::GenerationId;
use crate::pages::run::{summary, LiveOutput, RunResult};
use crate::session::Session;

const TOOLS: [(&str, &str); 5] = [
    ("continue", "Continue"),
    ("rewrite", "Rewrite"),
    ("describe", "Describe"),
    ("brainstorm", "Brainstorm"),
    ("write", "Write something new"),
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

/// What the writer chose in the tools column.
#[derive(Clone, Copy)]
struct Choices {
    tool: RwSignal<String>,
    style: RwSignal<String>,
    custom_style: RwSignal<String>,
    length: RwSignal<String>,
    tone: RwSignal<String>,
    model: RwSignal<String>,
    instructions: RwSignal<String>,
}

impl Choices {
    fn new() -> Self {
        let text = |s: &str| RwSignal::new(s.to_owned());
        Self {
            tool: text("continue"),
            style: text("clearer"),
            custom_style: text(""),
            length: text("medium"),
            tone: text(""),
            // Empty until the catalog loads: the server then uses its default model.
            model: text(""),
            instructions: text(""),
        }
    }

    fn request(&self, input: String) -> CreateGeneration {
        // Style is rewrite's alone (the server ignores it for the other tools).
        let rewrite = self.tool.with_untracked(|t| t == "rewrite");
        let style = rewrite.then(|| self.style.get_untracked());
        let custom = style.as_deref() == Some("custom");
        CreateGeneration {
            tool: self.tool.get_untracked(),
            input,
            instructions: self.instructions.get_untracked(),
            style,
            custom_style: custom.then(|| self.custom_style.get_untracked()),
            length: Some(self.length.get_untracked()),
            words: None,
            tone: optional(self.tone),
            model: optional(self.model),
        }
    }
}

#[component]
pub fn ToolsColumn(w: Writer) -> impl IntoView {
    let session = Session::get();
    let (doc, run) = (w.doc, w.run);
    let choices = Choices::new();
    let generate_ref = NodeRef::<Button>::new();

    // What the chosen tool would be sent from the editor, and what that is.
    let source = Memo::new(move |_| {
        let text = doc.text();
        let selection = doc.selection.get();
        choices.tool.with(|tool| tool_input(tool, &text, selection))
    });
    let estimate_input = Signal::derive(move || {
        let (input, _) = source.get();
        format!(
            "{input} {} {}",
            choices.instructions.get(),
            choices.tone.get()
        )
    });

    let generate = Action::new_local(move |body: &CreateGeneration| {
        let body = body.clone();
        async move {
            if let Err(err) = api::generate(session, body, move |event| run.apply(event)).await {
                run.error.set(Some(err));
            }
            run.running.set(false);
            // Whatever way it ended, something may have been charged and stored.
            session.refresh_balance();
            w.history.update(|n| *n += 1);
        }
    });
    let stop = run.stopper(session);
    let start = move || {
        if run.running.get_untracked() {
            return;
        }
        let (input, _) = source.get_untracked();
        let tool = choices.tool.get_untracked();
        if input.trim().is_empty() && tool != "write" && tool != "brainstorm" {
            run.error.set(Some(crate::api::ApiError::local(
                "Nothing to work on",
                "Select some text or write a few lines first, or pick “Write something new”."
                    .to_owned(),
            )));
            return;
        }
        run.start();
        generate.dispatch_local(choices.request(input));
    };
    let halt = move || {
        if run.running.get_untracked() && !run.stopping.get_untracked() {
            if let Some(id) = run.generation_id() {
                stop.dispatch_local(id);
            }
        }
    };

    // Ctrl/Cmd+Enter generates, Escape stops, wherever the focus is on the page.
    let keys = window_event_listener(ev::keydown, move |ev| {
        if ev.key() == "Enter" && (ev.ctrl_key() || ev.meta_key()) {
            ev.prevent_default();
            start();
        } else if ev.key() == "Escape" && run.running.get_untracked() {
            ev.prevent_default();
            halt();
        }
    });
    on_cleanup(move || keys.remove());

    // When a run ends the Stop button goes away: keep the focus on Generate, not the page.
    Effect::new(move |was_running: Option<bool>| {
        let running = run.running.get();
        if was_running == Some(true) && !running {
            let lost = document()
                .active_element()
                .is_none_or(|el| el.tag_name().eq_ignore_ascii_case("body"));
            if lost {
                if let Some(button) = generate_ref.get_untracked() {
                    let _ = button.focus();
                }
            }
        }
        running
    });

    let rewriting = move || choices.tool.with(|t| t == "rewrite");
    let started = move || run.running.get() || run.meta.with(Option::is_some);
    let finished_text = Signal::derive(move || {
        if run.running.get() {
            String::new()
        } else {
            run.text.get()
        }
    });
    let generation = Signal::derive(move || {
        run.meta
            .with(|m| m.as_ref().map(|m| GenerationId::of(m.generation_id)))
    });

    view! {
        <h2>"Tools"</h2>
        <form class="tools" on:submit=move |ev| { ev.prevent_default(); start(); }>
            <Picker label="Tool" name="tool" value=choices.tool options=options(&TOOLS) error=run.error/>
            <p class="hint" data-testid="acts-on">
                {move || {
                    let (input, what) = source.get();
                    if input.is_empty() { format!("Works on {what}.") }
                    else { format!("Works on {what} ({} words).", super::text::words(&input)) }
                }}
            </p>
            <FieldError name="input" error=run.error/>
            <Show when=rewriting>
                <Picker label="Style" name="style" value=choices.style options=options(&STYLES) error=run.error/>
            </Show>
            <Show when=move || rewriting() && choices.style.with(|s| s == "custom")>
                <label class="field">
                    <span>"Custom style"</span>
                    <input name="custom_style" placeholder="e.g. as a sea shanty"
                        prop:value=move || choices.custom_style.get() on:input=move |ev| choices.custom_style.set(event_target_value(&ev))/>
                    <FieldError name="custom_style" error=run.error/>
                </label>
            </Show>
            <label class="field">
                <span>"Instructions"</span>
                <textarea name="instructions" rows="2" placeholder="What to write, or anything the tool should keep in mind"
                    prop:value=move || choices.instructions.get() on:input=move |ev| choices.instructions.set(event_target_value(&ev))></textarea>
                <FieldError name="instructions" error=run.error/>
            </label>
            <Picker label="Length" name="length" value=choices.length options=options(&LENGTHS) error=run.error/>
            <ModelChooser model=choices.model length=choices.length input=estimate_input error=run.error/>
            <label class="field">
                <span>"Tone (optional)"</span>
                <input name="tone" placeholder="e.g. playful, formal" maxlength="100"
                    prop:value=move || choices.tone.get() on:input=move |ev| choices.tone.set(event_target_value(&ev))/>
                <FieldError name="tone" error=run.error/>
            </label>
            <FormError error=run.error/>
            <div class="actions">
                // Not `disabled` while running: the focus stays here (Escape stops).
                <button type="submit" node_ref=generate_ref data-testid="generate"
                    aria-disabled=move || run.running.get().to_string()
                    aria-keyshortcuts="Control+Enter Meta+Enter">
                    {move || if run.running.get() { "Generating…" } else { "Generate" }}
                </button>
                <Show when=move || run.running.get()>
                    <button type="button" class="secondary" data-testid="stop" aria-keyshortcuts="Escape"
                        on:click=move |_| halt()
                        prop:disabled=move || run.stopping.get() || run.meta.with(Option::is_none)>
                        {move || if run.stopping.get() { "Stopping…" } else { "Stop" }}
                    </button>
                </Show>
            </div>
            <p class="hint">"Ctrl+Enter (⌘+Enter) generates; Escape stops."</p>
        </form>
        <Show when=started>
            <div class="generation">
                <LiveOutput run=run/>
                <RunResult text=Signal::derive(move || run.end.get().map(|e| summary(&e)))
                    failed=Signal::derive(move || run.end.with(|e| e.as_ref().is_some_and(|e| e.error.is_some())))/>
                <Show when=move || !run.running.get() && run.end.with(|e| e.as_ref().is_some_and(|e| e.words > 0))>
                    <ResultActions w=w text=finished_text generation=generation/>
                </Show>
            </div>
        </Show>
    }
}
