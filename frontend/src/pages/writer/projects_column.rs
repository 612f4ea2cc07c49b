//! The projects column: recent projects (search by title and text), a new project, and the
//! scratch page.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use penora_api_types::{ChapterBody, CreateProjectRequest, ProjectPage};

use super::guard::may_leave;
use super::Writer;
use crate::api;
use crate::form::{on_answer, FormError};
use crate::session::Session;

#[component]
pub fn ProjectsColumn(w: Writer) -> impl IntoView {
    let session = Session::get();
    let navigate = use_navigate();
    let open = w.doc.project.with_untracked(|p| p.as_ref().map(|p| p.id));
    let typed = RwSignal::new(String::new());
    let query = RwSignal::new(String::new());
    let page = LocalResource::new(move || {
        // Re-read after each save, so the open project's words and date stay current.
        w.doc.project.track();
        let q = query.get();
        let mut path = "/api/v1/projects?limit=15&sort=updated".to_owned();
        if !q.trim().is_empty() {
            path.push_str(&format!("&q={}", js_sys::encode_uri_component(q.trim())));
        }
        api::get::<ProjectPage>(session, path)
    });
    let create = Action::new_local(move |_: &()| {
        let body = CreateProjectRequest {
            title: "Untitled".into(),
            kind: Some("document".into()),
            chapters: vec![ChapterBody::default()],
            ..Default::default()
        };
        async move { api::create_project(session, body).await }
    });
    let error = RwSignal::new(None);
    on_answer(create, error, move |project| {
        navigate(&format!("/projects/{}", project.id), Default::default())
    });
    let unsaved = Signal::derive(move || w.doc.dirty.get());

    view! {
        <h2>"Projects"</h2>
        <div class="actions">
            <button type="button" data-testid="new-project" prop:disabled=move || create.pending().get()
                on:click=move |_| { if may_leave(unsaved) { create.dispatch_local(()); } }>
                {move || if create.pending().get() { "Creating…" } else { "New project" }}
            </button>
            <A href="/write">"Scratch page"</A>
        </div>
        <FormError error=error/>
        <form class="search" role="search" on:submit=move |ev| { ev.prevent_default(); query.set(typed.get_untracked()); }>
            <input type="search" aria-label="Search projects" placeholder="Search titles and text"
                prop:value=move || typed.get() on:input=move |ev| typed.set(event_target_value(&ev))/>
            <button type="submit" class="secondary">"Search"</button>
        </form>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || page.get().map(|answer| match answer {
                Err(err) => view! { <p class="form-error" role="alert">{format!("Could not list your projects: {}", err.message())}</p> }.into_any(),
                Ok(page) if page.items.is_empty() => view! {
                    <p class="muted">{if query.with_untracked(|q| q.trim().is_empty()) { "No projects yet." } else { "No project matches." }}</p>
                }.into_any(),
                Ok(page) => view! {
                    <ul class="recent" data-testid="recent-projects">
                        {page.items.into_iter().map(|p| {
                            let current = Some(p.id) == open;
                            view! {
                                <li>
                                    <A href=format!("/projects/{}", p.id)
                                        attr:aria-current=current.then_some("page")>{p.title.clone()}</A>
                                    <span class="muted">{format!("{} words · {}", p.word_count, p.updated_at.format("%-d %b %Y"))}</span>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            })}
        </Transition>
        <p><A href="/projects">"All projects"</A></p>
    }
}
