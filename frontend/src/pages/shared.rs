//! A shared project, read-only, for anyone with the code (no sign-in); and the small form
//! that opens a code.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};
use penora_api_types::{ErrorCode, SharedProject};

use crate::api;
use crate::pages::workspace::EXPORT_FORMATS;

#[component]
pub fn SharedView() -> impl IntoView {
    let params = use_params_map();
    let shared = LocalResource::new(move || {
        let code = params.with(|p| p.get("code").unwrap_or_default());
        async move { api::shared(code).await.map_err(|err| refusal(&err)) }
    });
    view! {
        <Suspense fallback=|| view! { <p class="muted" role="status">"Opening the shared project…"</p> }>
            {move || shared.get().map(|answer| match answer {
                Ok(project) => view! { <SharedProjectView project=project/> }.into_any(),
                Err(problem) => view! {
                    <section class="card narrow"><h1>"Shared project"</h1><p role="alert">{problem}</p></section>
                }.into_any(),
            })}
        </Suspense>
    }
}

/// Why a code opens nothing, in words.
fn refusal(err: &api::ApiError) -> String {
    match err.code() {
        Some(ErrorCode::ShareNotFound) => {
            "Nothing is shared under this code. It may have been revoked or expired.".into()
        }
        Some(ErrorCode::InvalidShareCode) => {
            "That is not a share code: codes have 6 letters and digits.".into()
        }
        _ => err.message(),
    }
}

#[component]
fn SharedProjectView(project: SharedProject) -> impl IntoView {
    let p = project;
    let code = p.code.clone();
    view! {
        <article class="card shared" data-testid="shared">
            <h1>{p.title.clone()}</h1>
            <p class="muted">{format!("by {} · {} words", p.author, crate::format::thousands(p.word_count))}</p>
            <p class="exports">"Download: "
                {EXPORT_FORMATS.into_iter().map(|(format, label)| view! {
                    <a href=format!("/api/v1/shared/{code}/export?format={format}") download>{label}</a>" "
                }).collect_view()}
            </p>
            {p.chapters.into_iter().map(|c| view! {
                <section class="chapter">
                    {(!c.title.is_empty()).then(|| view! { <h2>{c.title.clone()}</h2> })}
                    {c.text.split("\n\n").map(|para| view! { <p class="prose">{para.to_owned()}</p> }).collect_view()}
                </section>
            }).collect_view()}
        </article>
    }
}

/// "Open a shared code" — goes to `/s/<code>`.
#[component]
pub fn OpenCode() -> impl IntoView {
    let navigate = use_navigate();
    let code = RwSignal::new(String::new());
    view! {
        <form class="toolbar" on:submit=move |ev| {
            ev.prevent_default();
            navigate(&format!("/s/{}", code.get_untracked().trim()), Default::default());
        }>
            <input name="code" placeholder="Share code, e.g. K7QM2X" aria-label="Share code" maxlength="12"
                prop:value=move || code.get() on:input=move |ev| code.set(event_target_value(&ev))/>
            <button type="submit" class="secondary">"Open shared project"</button>
        </form>
    }
}
