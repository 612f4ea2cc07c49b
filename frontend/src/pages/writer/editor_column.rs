//! The editor: title, chapters (a story's, with their word counts adding up to the total),
//! the text with its selection, and where saving stands. On the scratch page the text is
//! saved as a new project.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use penora_api_types::{ChapterBody, CreateProjectRequest, Project};

use super::conflict::ConflictPanel;
use super::doc::SaveState;
use super::result::chapter_label;
use super::share::SharePanel;
use super::Writer;
use crate::api::{self, ApiError};
use crate::form::{on_answer, FormError};
use crate::pages::workspace::bytes;
use crate::session::Session;

#[component]
pub fn EditorColumn(w: Writer) -> impl IntoView {
    let doc = w.doc;
    let facts = move || {
        let (_, total) = doc.counts();
        doc.project.get().map(|p| {
            format!(
                "{} · {total} words · {} · version {}",
                if p.kind == "story" {
                    "Story"
                } else {
                    "Document"
                },
                bytes(p.size_bytes),
                p.version
            )
        })
    };
    let on_text = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        let at = doc.active.get_untracked();
        doc.edit(|chapters| {
            if let Some(chapter) = chapters.get_mut(at) {
                chapter.text = value;
            }
        });
        doc.read_selection();
    };
    view! {
        <h1 class="sr-only">{move || if doc.is_scratch() { "Write".to_owned() } else { doc.title.get() }}</h1>
        <label class="field">
            <span>{move || if doc.is_scratch() { "Title (for saving)" } else { "Title" }}</span>
            <input name="title" prop:value=move || doc.title.get()
                on:input=move |ev| { doc.title.set(event_target_value(&ev)); doc.touch(); }/>
        </label>
        <p class="muted" data-testid="project-facts">{facts}</p>
        <Show when=move || doc.is_story() || doc.chapters.with(|c| c.len() > 1)>
            <Chapters w=w/>
        </Show>
        <textarea class="editor-text" rows="18" aria-label="Text" name="text" node_ref=doc.textarea
            placeholder="Write here. Select a passage to continue, rewrite, describe or brainstorm from it."
            prop:value=move || doc.text()
            on:input=on_text on:select=move |_| doc.read_selection() on:keyup=move |_| doc.read_selection()
            on:mouseup=move |_| doc.read_selection() on:focus=move |_| doc.read_selection()></textarea>
        <ConflictPanel w=w/>
        <Show when=move || !doc.is_scratch() fallback=move || view! { <SaveScratch w=w/> }>
            <SaveLine w=w/>
            <SharePanel w=w/>
        </Show>
    }
}

/// Save now (the autosave runs after a pause in typing), and where saving stands.
#[component]
fn SaveLine(w: Writer) -> impl IntoView {
    let doc = w.doc;
    let status = move || match doc.state.get() {
        SaveState::Saving => Some("Saving…".to_owned()),
        SaveState::Saved(v) if !doc.dirty.get() => Some(format!("Saved (version {v}).")),
        SaveState::Failed(message) => Some(message),
        SaveState::Conflict => Some("Not saved: changed elsewhere (see below).".into()),
        _ if doc.dirty.get() => Some("Unsaved changes".into()),
        _ => None,
    };
    let warn = move || {
        doc.state
            .with(|s| matches!(s, SaveState::Failed(_) | SaveState::Conflict))
    };
    view! {
        <div class="actions save-line">
            <button type="button" data-testid="save" prop:disabled=move || w.save.pending().get()
                on:click=move |_| { doc.cancel_autosave(); w.save.dispatch_local(None); }>
                {move || if w.save.pending().get() { "Saving…" } else { "Save" }}
            </button>
            <span class="save-status" role="status" data-testid="save-status" class:warning=warn>{status}</span>
        </div>
    }
}

/// The scratch page's text into a new project, then that project opens.
#[component]
fn SaveScratch(w: Writer) -> impl IntoView {
    let session = Session::get();
    let navigate = use_navigate();
    let doc = w.doc;
    let create = Action::new_local(move |_: &()| {
        let title = doc.title.get_untracked();
        let body = CreateProjectRequest {
            title: if title.trim().is_empty() {
                "Untitled".into()
            } else {
                title
            },
            kind: Some("document".into()),
            chapters: doc.chapters.get_untracked(),
            ..Default::default()
        };
        async move { api::create_project(session, body).await }
    });
    let error = RwSignal::new(None::<ApiError>);
    on_answer(create, error, move |project| {
        let project: Project = project;
        // Saved: leaving is safe now.
        doc.dirty.set(false);
        navigate(&format!("/projects/{}", project.id), Default::default());
    });
    view! {
        <div class="actions save-line">
            <button type="button" data-testid="save-scratch" prop:disabled=move || create.pending().get()
                on:click=move |_| { create.dispatch_local(()); }>
                {move || if create.pending().get() { "Saving…" } else { "Save as new project" }}
            </button>
            <span class="muted" role="status">{move || doc.dirty.get().then_some("Not saved yet")}</span>
        </div>
        <FormError error=error/>
    }
}

/// A story's chapters: which one is in the editor, its title, order, and adding and
/// deleting chapters.
#[component]
fn Chapters(w: Writer) -> impl IntoView {
    let doc = w.doc;
    let choose = move |i: usize| {
        doc.active.set(i);
        doc.selection.set((0, 0));
    };
    let title_of = move || {
        let at = doc.active.get();
        doc.chapters
            .with(|c| c.get(at).map(|c| c.title.clone()).unwrap_or_default())
    };
    let set_title = move |title: String| {
        let at = doc.active.get_untracked();
        doc.edit(|c| {
            if let Some(chapter) = c.get_mut(at) {
                chapter.title = title;
            }
        });
    };
    let swap = move |other: usize| {
        let at = doc.active.get_untracked();
        if other < doc.chapters.with_untracked(Vec::len) {
            doc.edit(|c| c.swap(at, other));
            doc.active.set(other);
        }
    };
    let delete = move |_| {
        let at = doc.active.get_untracked();
        let sure = window()
            .confirm_with_message(&format!("Delete chapter {}?", at + 1))
            .unwrap_or(false);
        if sure && doc.chapters.with_untracked(|c| c.len() > 1) {
            doc.edit(|c| {
                c.remove(at);
            });
            doc.active.set(at.saturating_sub(1));
        }
    };
    view! {
        <nav class="chapter-tabs" aria-label="Chapters">
            {move || {
                let (each, _) = doc.counts();
                let titles = doc.chapters.with(|c| c.iter().map(|c| c.title.clone()).collect::<Vec<_>>());
                titles.into_iter().zip(each).enumerate().map(|(i, (title, words))| view! {
                    <button type="button" class="chapter-tab" data-testid="chapter-tab"
                        aria-pressed=move || (doc.active.get() == i).to_string() on:click=move |_| choose(i)>
                        {chapter_label(i, &title)}<span class="muted">{format!(" · {words} words")}</span>
                    </button>
                }).collect_view()
            }}
            <button type="button" class="link" on:click=move |_| {
                doc.edit(|c| c.push(ChapterBody::default()));
                choose(doc.chapters.with_untracked(Vec::len) - 1);
            }>"+ Add chapter"</button>
        </nav>
        <div class="chapter-head">
            <input aria-label="Chapter title" placeholder="Chapter title" prop:value=title_of
                on:input=move |ev| set_title(event_target_value(&ev))/>
            <button type="button" class="link" aria-label="Move chapter up" on:click=move |_| {
                let at = doc.active.get_untracked(); if at > 0 { swap(at - 1) }
            }>"↑"</button>
            <button type="button" class="link" aria-label="Move chapter down" on:click=move |_| swap(doc.active.get_untracked() + 1)>"↓"</button>
            <button type="button" class="link danger" on:click=delete>"Delete chapter"</button>
        </div>
    }
}
