//! A shared project, read-only, for anyone with the code (no sign-in); and the small form
//! that opens a code.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_params_map};
use penora_api_types::{ErrorCode, SharedProject};

use crate::api;
use crate::pages::workspace::EXPORT_FORMATS;

#[component]
pub fn SharedView() -> impl IntoView {
    let params = use_params_map();
    let project = RwSignal::new(None::<SharedProject>);
    let problem = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        let code = params.with(|p| p.get("code").unwrap_or_default());
        spawn_local(async move {
            match api::shared(code).await {
                Ok(p) => project.set(Some(p)),
                Err(err) => problem.set(Some(match err.code() {
                    Some(ErrorCode::ShareNotFound) => {
                        "Nothing is shared under this code. It may have been revoked or expired."
                            .into()
                    }
                    Some(ErrorCode::InvalidShareCode) => {
                        "That is not a share code: codes have 6 letters and digits.".into()
                    }
                    _ => err.message(),
                })),
            }
        });
    });
    view! {
        <Show when=move || problem.with(Option::is_some)>
            <section class="card narrow"><h1>"Shared project"</h1><p role="alert">{move || problem.get()}</p></section>
        </Show>
        {move || project.get().map(|p| {
            let code = p.code.clone();
            view! {
                <article class="card shared" data-testid="shared">
                    <h1>{p.title.clone()}</h1>
                    <p class="muted">{format!("by {} · {} words", p.author, p.word_count)}</p>
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
        })}
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
