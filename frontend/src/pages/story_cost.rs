//! What a story will cost before it starts: the chapters' words at the chosen model's price,
//! against the credits there are, with the next step when they are not enough.

use leptos::prelude::*;
use leptos_router::components::A;
use penora_api_types::{EstimateRequest, Model};

use crate::api;
use crate::format::{credits, thousands};
use crate::session::Session;

/// `chapters` × `words` with `model` (empty: the catalog's first, as the picker shows it).
#[component]
pub fn StoryCost(
    chapters: RwSignal<String>,
    words: RwSignal<String>,
    model: RwSignal<String>,
    models: RwSignal<Vec<Model>>,
) -> impl IntoView {
    let session = Session::get();
    let chosen = Signal::derive(move || {
        let id = model.get();
        models.with(|all| {
            all.iter()
                .find(|m| m.id == id)
                .or_else(|| all.iter().find(|m| m.available))
                .cloned()
        })
    });
    let asked = Memo::new(move |_| {
        let count: u64 = chapters.with(|c| c.trim().parse().ok())?;
        let each: u64 = words.with(|w| w.trim().parse().ok())?;
        (count > 0 && each > 0).then_some((count, each))
    });
    let estimate = LocalResource::new(move || {
        let (model, asked) = (chosen.get(), asked.get());
        async move {
            let (model, (count, each)) = (model?, asked?);
            let body = EstimateRequest {
                model: model.id,
                words: count * each,
                input: None,
                input_words: None,
            };
            api::estimate(session, body).await.ok()
        }
    });
    let line = move || {
        let (model, (count, each)) = (chosen.get()?, asked.get()?);
        let cost = estimate.get().flatten()?;
        let have = session.balance().map_or(0, |b| b.available_mc);
        let mut notes = Vec::new();
        if u64::from(model.max_output_words) < each {
            notes.push(view! {
                <p class="warn" role="status">{format!(
                    "{} writes at most {} words at a time: choose {} words per chapter or fewer.",
                    model.display_name, thousands(model.max_output_words.into()), thousands(model.max_output_words.into())
                )}</p>
            }.into_any());
        }
        let summary = if model.own_key {
            format!(
                "{count} chapters of about {} words run on your own {} key: no credits.",
                thousands(each as i64),
                model.display_name
            )
        } else {
            format!(
                "{count} chapters of about {} words with {}: up to {} credits, plus the outline. You have {}.",
                thousands(each as i64), model.display_name, credits(cost.cost_mc), credits(have)
            )
        };
        if !model.own_key && cost.cost_mc > have {
            notes.push(view! {
                <p class="warn" role="status">
                    "That is more than you have: the chapters would stop when the credits run out. "
                    <A href="/pricing">"Buy credits"</A>
                    ", or "
                    <A href="/account">"add your own provider key"</A>
                    " to write on your own account."
                </p>
            }.into_any());
        }
        Some(view! {
            <div class="story-cost" data-testid="story-cost">
                <p>{summary}</p>
                {notes}
            </div>
        })
    };
    view! { <Transition fallback=|| ()>{line}</Transition> }
}
