//! The writer's model choice: the picker (each model says why it cannot be chosen, when it
//! cannot) and a live estimate of what the next generation can cost for the length chosen
//! and the text it will be sent (`POST /credits/estimate`).

use std::time::Duration;

use leptos::prelude::*;
use penora_api_types::{EstimateRequest, Model};

use crate::api::{self, ApiError};
use crate::pages::run::{count, count_credits, ModelPicker};
use crate::session::Session;

/// Words asked for by each length (the server's), before the model's cap.
pub fn length_words(length: &str) -> u64 {
    match length {
        "short" => 150,
        "long" => 800,
        _ => 400,
    }
}

#[component]
pub fn ModelChooser(
    model: RwSignal<String>,
    length: RwSignal<String>,
    /// Everything the generation will send (the text, instructions, tone).
    input: Signal<String>,
    error: RwSignal<Option<ApiError>>,
) -> impl IntoView {
    let session = Session::get();
    let models = RwSignal::new(Vec::<Model>::new());
    // The text changes with every key press: estimate once typing pauses.
    let settled = RwSignal::new(String::new());
    let timer = StoredValue::new(None::<TimeoutHandle>);
    Effect::new(move |_| {
        let text = input.get();
        if let Some(handle) = timer.get_value() {
            handle.clear();
        }
        let handle = set_timeout_with_handle(
            move || {
                let _ = settled.try_set(text);
            },
            Duration::from_millis(400),
        );
        timer.set_value(handle.ok());
    });
    on_cleanup(move || {
        if let Some(handle) = timer.try_get_value().flatten() {
            handle.clear();
        }
    });
    let chosen = Signal::derive(move || {
        let id = model.get();
        models.with(|all| all.iter().find(|m| m.id == id).cloned())
    });
    let estimate = LocalResource::new(move || {
        let chosen = chosen.get();
        let words = length_words(&length.get());
        let text = settled.get();
        async move {
            let model = chosen?;
            if model.own_key {
                return None;
            }
            let body = EstimateRequest {
                model: model.id.clone(),
                words: words.min(u64::from(model.max_output_words)),
                input: (!text.trim().is_empty()).then_some(text),
                input_words: None,
            };
            Some(api::estimate(session, body).await)
        }
    });
    let line = move || {
        if chosen.with(|m| m.as_ref().is_some_and(|m| m.own_key)) {
            return Some(("Runs on your own key: no credits.".to_owned(), false));
        }
        estimate.get().flatten().map(|answer| match answer {
            Ok(e) => {
                let input = if e.input_cost_mc > 0 {
                    format!(
                        " and {} of your text beyond the free {}",
                        count(e.input_words as i64 - e.free_input_words as i64, "word"),
                        e.free_input_words
                    )
                } else {
                    String::new()
                };
                (
                    format!(
                        "At most {} for {}{input}; you pay only for the words written.",
                        count_credits(e.cost_mc),
                        count(e.words as i64, "word"),
                    ),
                    false,
                )
            }
            Err(err) => (format!("No estimate: {}", err.message()), true),
        })
    };
    view! {
        <ModelPicker value=model error=error models=models/>
        <p class="hint estimate" data-testid="estimate" aria-live="polite"
            class:failed=move || line().is_some_and(|(_, failed)| failed)>
            {move || line().map(|(text, _)| text)}
        </p>
        <Show when=move || models.with(|m| m.iter().any(|m| !m.available))>
            <p class="hint">"A model that needs a key runs once you add your own key for its provider under "
                <a href="/account">"Account"</a>"."</p>
        </Show>
    }
}
