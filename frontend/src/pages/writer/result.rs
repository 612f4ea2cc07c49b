//! What can be done with a generated text (the one just written, or one from the history):
//! insert it at the cursor, put it in place of the selection, append it to a chapter, copy
//! it, or save it as a new project or into another one.

use leptos::prelude::*;
use leptos_router::components::A;
use penora_api_types::{Project, ProjectPage, SaveGeneration};

use super::Writer;
use crate::api::{self, ApiError};
use crate::ids::GenerationId;
use crate::session::Session;

/// Copies `text` to the clipboard; the error is a sentence for people.
pub async fn copy_text(text: String) -> Result<(), String> {
    if crate::clipboard::copy(&text).await {
        Ok(())
    } else {
        Err("The browser did not allow copying; select the text and copy it by hand.".into())
    }
}

#[component]
pub fn ResultActions(
    w: Writer,
    #[prop(into)] text: Signal<String>,
    /// The generation the text came from (saving goes through it).
    #[prop(into)]
    generation: Signal<Option<GenerationId>>,
) -> impl IntoView {
    let session = Session::get();
    let doc = w.doc;
    let note = RwSignal::new(None::<(String, bool)>);
    let target = RwSignal::new(0usize);
    let empty = move || text.with(|t| t.trim().is_empty());
    let has_selection = move || doc.selection.with(|(s, e)| s < e);

    let insert = move |_| {
        doc.insert_at_cursor(&text.get_untracked());
        note.set(Some(("Inserted at the cursor.".into(), false)));
    };
    let replace = move |_| {
        let range = doc.selection.get_untracked();
        doc.splice_active(range, text.get_untracked().trim());
        note.set(Some(("The selection was replaced.".into(), false)));
    };
    let append = move |_| {
        let at = target.get_untracked();
        doc.append_to(at, &text.get_untracked());
        note.set(Some((format!("Appended to chapter {}.", at + 1), false)));
    };
    let copy = Action::new_local(move |text: &String| {
        let text = text.clone();
        async move {
            let outcome = copy_text(text).await;
            note.set(Some(match outcome {
                Ok(()) => ("Copied.".into(), false),
                Err(message) => (message, true),
            }));
        }
    });
    // Into a new project (no id) or an existing one.
    let save = Action::new_local(move |into: &Option<String>| {
        let into = into.clone();
        let id = generation.get_untracked();
        async move {
            let id = id?;
            let body = SaveGeneration {
                project_id: into.as_deref().and_then(|p| p.parse().ok()),
                title: None,
            };
            Some(api::save_generation(session, id, body).await)
        }
    });
    let saved = move || save.value().get().flatten();

    let chapter_choice = move || {
        let (each, _) = doc.counts();
        (each.len() > 1).then(|| {
            let titles = doc.chapters.with(|c| {
                c.iter()
                    .enumerate()
                    .map(|(i, ch)| chapter_label(i, &ch.title))
                    .collect::<Vec<_>>()
            });
            view! {
                <select aria-label="Chapter to append to" on:change=move |ev| {
                    target.set(event_target_value(&ev).parse().unwrap_or(0));
                }>
                    {titles.into_iter().enumerate().map(|(i, label)| view! {
                        <option value=i.to_string() prop:selected=move || target.get() == i>{label}</option>
                    }).collect_view()}
                </select>
            }
        })
    };

    view! {
        <div class="result-actions" role="group" aria-label="Use this text">
            <button type="button" class="secondary" data-testid="insert" on:click=insert prop:disabled=empty>"Insert at cursor"</button>
            <button type="button" class="secondary" data-testid="replace" on:click=replace
                prop:disabled=move || empty() || !has_selection()
                title=move || if has_selection() { "" } else { "Select text in the editor first" }>
                "Replace selection"
            </button>
            <span class="append">
                <button type="button" class="secondary" data-testid="append" on:click=append prop:disabled=empty>
                    {move || if doc.is_scratch() { "Append to text" } else { "Append to chapter" }}
                </button>
                {chapter_choice}
            </span>
            <button type="button" class="secondary" on:click=move |_| { copy.dispatch(text.get_untracked()); } prop:disabled=empty>"Copy"</button>
        </div>
        <Show when=move || generation.with(Option::is_some)>
            <SaveElsewhere w=w save=save/>
        </Show>
        <p class="status-line" role="status" class:failed=move || note.with(|n| n.as_ref().is_some_and(|(_, bad)| *bad))>
            {move || note.get().map(|(text, _)| text)}
        </p>
        {move || saved().map(|result| match result {
            Ok(project) => view! {
                <p class="status-line" role="status" data-testid="saved-to">
                    {format!("Saved in “{}”. ", project.title)}
                    <A href=format!("/projects/{}", project.id)>"Open it"</A>
                </p>
            }.into_any(),
            Err(err) => view! { <p class="form-error" role="alert">{err.message()}</p> }.into_any(),
        })}
    }
}

pub fn chapter_label(index: usize, title: &str) -> String {
    if title.trim().is_empty() {
        format!("Chapter {}", index + 1)
    } else {
        format!("{}. {}", index + 1, title.trim())
    }
}

/// Save as a new project, or into one of the user's other projects (the open one takes it
/// through "Append", which keeps the editor and the saved version in step).
#[component]
fn SaveElsewhere(
    w: Writer,
    save: Action<Option<String>, Option<Result<Project, ApiError>>>,
) -> impl IntoView {
    let session = Session::get();
    let open = w.doc.project.with_untracked(|p| p.as_ref().map(|p| p.id));
    let pick = RwSignal::new(String::new());
    let projects = LocalResource::new(move || {
        api::get::<ProjectPage>(session, "/api/v1/projects?limit=50&sort=updated".into())
    });
    let others = move || {
        projects
            .get()
            .and_then(Result::ok)
            .map(|page| {
                page.items
                    .into_iter()
                    .filter(|p| Some(p.id) != open)
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    let busy = move || save.pending().get();
    view! {
        <div class="result-actions save-elsewhere">
            <button type="button" class="secondary" data-testid="save-new" prop:disabled=busy
                on:click=move |_| { save.dispatch_local(None); }>
                {move || if busy() { "Saving…" } else { "Save as new project" }}
            </button>
            <select aria-label="Project to add it to" on:change=move |ev| pick.set(event_target_value(&ev))>
                <option value="" prop:selected=move || pick.with(String::is_empty)>"Add to a project…"</option>
                {move || others().into_iter().map(|p| {
                    let id = p.id.to_string();
                    view! { <option value=id.clone()>{format!("{} ({})", p.title, p.kind)}</option> }
                }).collect_view()}
            </select>
            <button type="button" class="secondary" data-testid="save-into"
                prop:disabled=move || busy() || pick.with(String::is_empty)
                on:click=move |_| { save.dispatch_local(Some(pick.get_untracked())); }>
                "Add"
            </button>
        </div>
    }
}
