//! What the pages that run generations share (Write, stories): the model picker, a
//! generation's state as its events arrive, the live text with its cost so far, Stop, and
//! the words for counts and costs.

use leptos::prelude::*;
use penora_api_types::{EndEvent, MetaEvent, Model, UsageEvent};

use crate::api::{self, ApiError};
use crate::form::{Choice, Picker};
use crate::format::credits;
use crate::ids::GenerationId;
use crate::session::Session;
use crate::sse::GenerationEvent;

/// The current (or last) generation as its events arrived.
#[derive(Clone, Copy)]
pub struct Run {
    pub running: RwSignal<bool>,
    pub stopping: RwSignal<bool>,
    pub text: RwSignal<String>,
    pub meta: RwSignal<Option<MetaEvent>>,
    pub usage: RwSignal<Option<UsageEvent>>,
    pub end: RwSignal<Option<EndEvent>>,
    pub error: RwSignal<Option<ApiError>>,
}

impl Run {
    pub fn new() -> Self {
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

    pub fn start(&self) {
        self.running.set(true);
        self.stopping.set(false);
        self.error.set(None);
        self.next_step();
    }

    /// Clears one generation's events for the next of a sequence (a story's next chapter),
    /// which runs on under the same Stop.
    pub fn next_step(&self) {
        self.text.set(String::new());
        self.meta.set(None);
        self.usage.set(None);
        self.end.set(None);
    }

    /// Only writes signals: the stream may outlive the page (the writer went elsewhere), and
    /// writing a disposed signal is a no-op where reading one would panic.
    pub fn apply(&self, event: GenerationEvent) {
        match event {
            GenerationEvent::Meta(meta) => self.meta.set(Some(meta)),
            GenerationEvent::Delta(delta) => self.text.update(|t| t.push_str(&delta.text)),
            GenerationEvent::Usage(usage) => self.usage.set(Some(usage)),
            GenerationEvent::End(end) => self.end.set(Some(end)),
        }
    }

    pub fn generation_id(&self) -> Option<GenerationId> {
        self.meta
            .with_untracked(|m| m.as_ref().map(|m| GenerationId::of(m.generation_id)))
    }

    /// Asks the server to stop the generation it is given; `stopping` until the stream ends.
    pub fn stopper(self, session: Session) -> Action<GenerationId, ()> {
        Action::new_local(move |id: &GenerationId| {
            let id = id.clone();
            self.stopping.set(true);
            async move {
                // The stream then ends with `done` (status `cancelled`) and the settled cost.
                if let Err(err) = api::cancel_generation(session, id).await {
                    self.error.set(Some(err));
                    self.stopping.set(false);
                }
            }
        })
    }
}

/// Stop for a running generation; it can be pressed once the generation has an id.
#[component]
pub fn StopButton(run: Run) -> impl IntoView {
    let session = Session::get();
    let stop = run.stopper(session);
    let press = move |_| {
        if let Some(id) = run.generation_id() {
            stop.dispatch(id);
        }
    };
    view! {
        <Show when=move || run.running.get()>
            <button type="button" class="secondary" data-testid="stop" on:click=press
                prop:disabled=move || run.stopping.get() || run.meta.with(Option::is_none)>
                {move || if run.stopping.get() { "Stopping…" } else { "Stop" }}
            </button>
        </Show>
    }
}

/// The model, the text as it arrives, and its words and cost so far.
#[component]
pub fn LiveOutput(run: Run) -> impl IntoView {
    view! {
        <p class="gen-meta">
            <span data-testid="model-label">{move || run.meta.get().map(|m| m.model_label)}</span>
            <span class="muted" data-testid="usage">{move || progress(&run)}</span>
        </p>
        <div class="output prose" data-testid="output" aria-label="Generated text"
            aria-live="polite" aria-busy=move || run.running.get().to_string()>
            {move || run.text.get()}
        </div>
    }
}

/// How a run ended, in the line the tests and screen readers look for.
#[component]
pub fn RunResult(
    #[prop(into)] text: Signal<Option<String>>,
    #[prop(into)] failed: Signal<bool>,
) -> impl IntoView {
    view! { <p class="result" role="status" data-testid="result" class:failed=failed>{text}</p> }
}

/// A select of the model catalog's models as the signed-in user sees them (their own
/// provider keys count), set to the catalog's default once it loads (unless one was chosen
/// already), with the chosen model's price and limit under it.
#[component]
pub fn ModelPicker(
    value: RwSignal<String>,
    error: RwSignal<Option<ApiError>>,
    /// Where the page wants the catalog too (the writer's cost estimate reads it).
    #[prop(optional)]
    models: Option<RwSignal<Vec<Model>>>,
) -> impl IntoView {
    let session = Session::get();
    let models = models.unwrap_or_else(|| RwSignal::new(Vec::new()));
    // Read afresh each time the picker is shown, and again when the user changes.
    let catalog = LocalResource::new(move || {
        session.user();
        api::my_models(session)
    });
    Effect::new(move |_| {
        if let Some(Ok(list)) = catalog.get() {
            if value.with_untracked(String::is_empty) {
                value.set(list.default_model.clone());
            }
            models.set(list.models);
        }
    });
    let options = Signal::derive(move || models.with(|m| m.iter().map(model_option).collect()));
    view! {
        <Picker label="Model" name="model" value=value error=error options=options/>
        <ModelFacts models=models model=value/>
    }
}

/// Each model with why it cannot be chosen, when it cannot: models that need a provider key
/// nobody configured are listed but not offered.
pub fn model_option(model: &Model) -> Choice {
    let name = &model.display_name;
    let label = if model.own_key {
        format!(
            "{name} — your {} key, no credits",
            provider_name(&model.provider)
        )
    } else if !model.available {
        format!(
            "{name} — needs a {} key (add yours in Account)",
            provider_name(&model.provider)
        )
    } else if !model.plans.is_empty() {
        format!("{name} — {} plan", model.plans.join(" or "))
    } else {
        name.clone()
    };
    (model.id.clone(), label, model.available)
}

/// A provider as people know it.
pub fn provider_name(id: &str) -> String {
    match id {
        "offline" => "offline".into(),
        "deepinfra" => "DeepInfra".into(),
        "openai" => "OpenAI".into(),
        "anthropic" => "Anthropic".into(),
        "gemini" => "Google Gemini".into(),
        "ollama" => "Ollama".into(),
        other => {
            let mut chars = other.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect())
                .unwrap_or_default()
        }
    }
}

/// Price and limits of the chosen model.
#[component]
pub fn ModelFacts(models: RwSignal<Vec<Model>>, model: RwSignal<String>) -> impl IntoView {
    let facts = move || {
        let id = model.get();
        models.with(|all| {
            all.iter().find(|m| m.id == id).map(|m| {
                let price = if m.own_key {
                    "No credits (your own key)".to_owned()
                } else {
                    format!("{} per 100 words", count_credits(m.cost_per_100_words_mc))
                };
                format!(
                    "{price} · at most {} words per generation",
                    m.max_output_words
                )
            })
        })
    };
    view! { <p class="hint">{facts}</p> }
}

/// Words and cost so far (`usage` comes every save interval, so not before the first), and
/// the most it can cost: what was reserved.
pub fn progress(run: &Run) -> Option<String> {
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
pub fn summary(end: &EndEvent) -> String {
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

pub fn count(n: i64, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

pub fn count_credits(mc: i64) -> String {
    if mc == 1000 {
        "1 credit".into()
    } else {
        format!("{} credits", credits(mc))
    }
}
