//! Editing one project: its title and chapters, saved with the version it was loaded at so
//! an edit made elsewhere in the meantime is reported, never silently overwritten.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use penora_api_types::{ChapterBody, ErrorCode, Project, UpdateProjectRequest};

use crate::api::{self, ApiError};
use crate::pages::workspace::bytes;
use crate::session::Session;

#[component]
pub fn Editor() -> impl IntoView {
    let session = Session::get();
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let project = RwSignal::new(None::<Project>);
    let title = RwSignal::new(String::new());
    let chapters = RwSignal::new(Vec::<ChapterBody>::new());
    let dirty = RwSignal::new(false);
    let status = RwSignal::new(None::<String>);
    let conflict = RwSignal::new(false);

    let load = move || {
        let id = id();
        spawn_local(async move {
            match api::project(session, id).await {
                Ok(p) => {
                    title.set(p.title.clone());
                    chapters.set(p.chapters.clone());
                    project.set(Some(p));
                    dirty.set(false);
                    conflict.set(false);
                    status.set(None);
                }
                Err(err) => status.set(Some(err.message())),
            }
        });
    };
    Effect::new(move |_| {
        if session.ready() && session.token().is_some() {
            load();
        }
    });

    let save = move |_| {
        let Some(current) = project.get_untracked() else {
            return;
        };
        let body = UpdateProjectRequest {
            title: Some(title.get_untracked()),
            chapters: Some(chapters.get_untracked()),
            ..Default::default()
        };
        status.set(Some("Saving…".into()));
        spawn_local(async move {
            match api::update_project(session, current.id.to_string(), current.version, body).await
            {
                Ok(saved) => {
                    status.set(Some(format!("Saved (version {}).", saved.version)));
                    project.set(Some(saved));
                    dirty.set(false);
                }
                Err(err) => {
                    conflict.set(err.code() == Some(ErrorCode::VersionConflict));
                    status.set(Some(describe(&err)));
                }
            }
        });
    };
    let edit = move |change: &dyn Fn(&mut Vec<ChapterBody>)| {
        chapters.update(|c| change(c));
        dirty.set(true);
    };

    view! {
        <section class="card editor">
            <p><A href="/projects">"← All projects"</A></p>
            {move || project.get().map(|p| view! {
                <p class="muted" data-testid="project-facts">
                    {format!("{} · {} words · {} · version {}", p.kind, p.word_count, bytes(p.size_bytes), p.version)}
                </p>
            })}
            <label class="field">
                <span>"Title"</span>
                <input name="title" prop:value=move || title.get()
                    on:input=move |ev| { title.set(event_target_value(&ev)); dirty.set(true); }/>
            </label>
            <For each=move || 0..chapters.with(Vec::len) key=|i| *i let:index>
                <ChapterEditor index=index chapters=chapters dirty=dirty
                    story=Signal::derive(move || project.with(|p| p.as_ref().is_some_and(|p| p.kind == "story")))/>
            </For>
            <div class="actions">
                <Show when=move || project.with(|p| p.as_ref().is_some_and(|p| p.kind == "story"))>
                    <button class="secondary" on:click=move |_| edit(&|c| c.push(ChapterBody::default()))>"Add chapter"</button>
                </Show>
                <button on:click=save data-testid="save">"Save"</button>
                <Show when=move || conflict.get()>
                    <button class="secondary" on:click=move |_| load()>"Reload"</button>
                </Show>
                <span class="muted">{move || if dirty.get() { "Unsaved changes" } else { "" }}</span>
            </div>
            <p class="notice" role="status" data-testid="save-status">{move || status.get()}</p>
        </section>
    }
}

/// What went wrong with a save, in words that say what to do.
fn describe(err: &ApiError) -> String {
    let extra = err
        .problem
        .as_ref()
        .and_then(|p| p.extra.clone())
        .unwrap_or_default();
    match err.code() {
        Some(ErrorCode::VersionConflict) => {
            "This project changed elsewhere since you opened it. Reload to see the latest version (copy your text first if you want to keep it).".into()
        }
        Some(ErrorCode::QuotaExceeded) => format!(
            "Not enough storage: this needs {} more, and {} of {} is used.",
            bytes(extra["needed_bytes"].as_i64().unwrap_or(0)),
            bytes(extra["used_bytes"].as_i64().unwrap_or(0)),
            bytes(extra["limit_bytes"].as_i64().unwrap_or(0)),
        ),
        _ => err.message(),
    }
}

#[component]
fn ChapterEditor(
    index: usize,
    chapters: RwSignal<Vec<ChapterBody>>,
    dirty: RwSignal<bool>,
    story: Signal<bool>,
) -> impl IntoView {
    let get = move |f: fn(&ChapterBody) -> String| {
        chapters.with(|c| c.get(index).map(f).unwrap_or_default())
    };
    let set = move |f: &dyn Fn(&mut ChapterBody)| {
        chapters.update(|c| {
            if let Some(chapter) = c.get_mut(index) {
                f(chapter);
            }
        });
        dirty.set(true);
    };
    let swap = move |other: usize| {
        chapters.update(|c| {
            if other < c.len() {
                c.swap(index, other);
            }
        });
        dirty.set(true);
    };
    view! {
        <div class="chapter" data-testid="chapter">
            <Show when=move || story.get()>
                <div class="chapter-head">
                    <input placeholder=format!("Chapter {} title", index + 1) aria-label="Chapter title"
                        prop:value=move || get(|c| c.title.clone())
                        on:input=move |ev| { let v = event_target_value(&ev); set(&|c| c.title = v.clone()); }/>
                    <button class="link" title="Move up" on:click=move |_| { if index > 0 { swap(index - 1) } }>"↑"</button>
                    <button class="link" title="Move down" on:click=move |_| swap(index + 1)>"↓"</button>
                    <button class="link danger" on:click=move |_| {
                        chapters.update(|c| { if c.len() > 1 { c.remove(index); } });
                        dirty.set(true);
                    }>"Delete chapter"</button>
                </div>
            </Show>
            <textarea rows="14" aria-label="Text" name="text"
                prop:value=move || get(|c| c.text.clone())
                on:input=move |ev| { let v = event_target_value(&ev); set(&|c| c.text = v.clone()); }></textarea>
        </div>
    }
}
