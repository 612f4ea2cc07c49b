//! Recent generations: each opens in full (`GET /generations/{id}`) and can be copied,
//! inserted, appended or saved like a new result.

use leptos::prelude::*;
use leptos_router::components::A;
use penora_api_types::{Generation, GenerationPage};

use super::result::ResultActions;
use super::Writer;
use crate::api;
use crate::ids::GenerationId;
use crate::pages::run::{count, count_credits};
use crate::session::Session;

/// How many past generations are listed.
const HISTORY: u32 = 10;

/// A tool as the menu names it.
pub fn tool_name(tool: &str) -> &str {
    match tool {
        "write" => "Write",
        "continue" => "Continue",
        "rewrite" => "Rewrite",
        "describe" => "Describe",
        "brainstorm" => "Brainstorm",
        "chat" => "Chat",
        "outline" => "Story outline",
        "chapter" => "Story chapter",
        other => other,
    }
}

fn status_name(status: &str) -> &str {
    match status {
        "completed" => "Done",
        "cancelled" => "Stopped",
        "failed" => "Failed",
        "interrupted" => "Interrupted",
        "running" => "Running",
        other => other,
    }
}

#[component]
pub fn History(w: Writer) -> impl IntoView {
    let session = Session::get();
    let page = LocalResource::new(move || {
        w.history.track();
        api::get::<GenerationPage>(session, format!("/api/v1/generations?limit={HISTORY}"))
    });
    view! {
        <section class="writer-history" aria-labelledby="history-heading">
            <h2 id="history-heading">"Recent generations"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || page.get().map(|answer| match answer {
                    Err(err) => view! { <p class="form-error" role="alert">{format!("Could not load your generations: {}", err.message())}</p> }.into_any(),
                    Ok(page) if page.items.is_empty() => view! {
                        <p class="muted">"Nothing yet: what you generate is listed here."</p>
                    }.into_any(),
                    Ok(page) => view! {
                        <ul class="history" data-testid="history">
                            {page.items.into_iter().map(|g| view! { <HistoryRow w=w generation=g/> }).collect_view()}
                        </ul>
                    }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn HistoryRow(w: Writer, generation: Generation) -> impl IntoView {
    let open = RwSignal::new(false);
    let snippet: String = generation.output.chars().take(120).collect();
    let more = generation.output.chars().count() > 120;
    let id = generation.id.to_string();
    let facts = format!(
        "{} · {} · {}, {} · {}",
        generation.model_label,
        status_name(&generation.status),
        count(generation.words, "word"),
        count_credits(generation.cost_mc),
        generation.created_at.format("%-d %b %Y, %H:%M UTC")
    );
    let body_id = format!("generation-{id}");
    let controls = body_id.clone();
    view! {
        <li data-testid="generation">
            <div class="project-head">
                <strong>{tool_name(&generation.tool).to_owned()}</strong>
                <span class="muted">{facts}</span>
            </div>
            <Show when=move || !open.get()>
                <p class="snippet">{snippet.clone()}{more.then_some("…")}</p>
            </Show>
            <div class="actions">
                <button type="button" class="link" aria-expanded=move || open.get().to_string()
                    aria-controls=controls on:click=move |_| open.update(|o| *o = !*o)>
                    {move || if open.get() { "Close" } else { "Open in full" }}
                </button>
                {generation.project_id.map(|p| view! {
                    <A href=format!("/projects/{p}")>"Open saved project"</A>
                })}
            </div>
            <div id=body_id>
                <Show when=move || open.get()>
                    <FullGeneration w=w id=GenerationId::of(&id)/>
                </Show>
            </div>
        </li>
    }
}

/// One generation read in full, with what can be done with it.
#[component]
fn FullGeneration(w: Writer, id: GenerationId) -> impl IntoView {
    let session = Session::get();
    let path = id.clone();
    let full = LocalResource::new(move || api::generation(session, path.clone()));
    let text = Signal::derive(move || {
        full.get()
            .and_then(Result::ok)
            .map(|g| g.output)
            .unwrap_or_default()
    });
    let generation = Signal::derive(move || Some(id.clone()));
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Opening…"</p> }>
            {move || full.get().map(|answer| match answer {
                Ok(g) => view! {
                    {(!g.instructions.is_empty()).then(|| view! {
                        <p class="muted">{format!("Instructions: {}", g.instructions)}</p>
                    })}
                    <div class="output prose" data-testid="full-generation">{g.output.clone()}</div>
                }.into_any(),
                Err(err) => view! { <p class="form-error" role="alert">{format!("Could not open it: {}", err.message())}</p> }.into_any(),
            })}
        </Suspense>
        <ResultActions w=w text=text generation=generation/>
    }
}
