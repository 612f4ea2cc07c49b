//! The writer, in three columns: projects, the editor, and the tools with their results
//! streaming in. At `/write` the editor is a scratch page whose text can be saved as a new
//! project; at `/projects/:id` it holds that project's chapters and saves them as you type.

mod conflict;
mod doc;
mod editor_column;
mod guard;
mod history;
mod models;
mod projects_column;
mod result;
mod share;
mod text;
mod tools_column;

use leptos::prelude::*;
use leptos_router::components::A;
use penora_api_types::Project;

use crate::api;
use crate::form::SignedIn;
use crate::ids::{route_id, ProjectId};
use crate::pages::run::Run;
use crate::session::Session;
use doc::Doc;
use editor_column::EditorColumn;
use history::History;
use projects_column::ProjectsColumn;
use tools_column::ToolsColumn;

/// What the columns share.
#[derive(Clone, Copy)]
pub struct Writer {
    pub doc: Doc,
    /// Saves the project: over the loaded version, or over the one given ("keep mine").
    pub save: Action<Option<i64>, ()>,
    pub run: Run,
    /// Bumped after each generation: the history re-reads.
    pub history: RwSignal<u32>,
}

/// `/write`: the scratch page.
#[component]
pub fn Write() -> impl IntoView {
    view! {
        <SignedIn heading="Write with AI" what="the writer">
            <WriterPage project=None/>
        </SignedIn>
    }
}

/// `/projects/:id`: a project in the writer.
#[component]
pub fn ProjectWriter() -> impl IntoView {
    view! {
        <SignedIn heading="Your project" what="this project">
            <LoadProject/>
        </SignedIn>
    }
}

#[component]
fn LoadProject() -> impl IntoView {
    let session = Session::get();
    let id = route_id::<ProjectId>();
    let project = LocalResource::new(move || api::project(session, id.get()));
    // A Transition, not a Suspense: the reads inside the writer (estimates, lists) must not
    // swap the whole page for the fallback while they load (that also drops the focus).
    view! {
        <Transition fallback=|| view! { <p class="muted">"Opening the project…"</p> }>
            {move || project.get().map(|answer| match answer {
                Ok(p) => view! { <WriterPage project=Some(p)/> }.into_any(),
                // A malformed id is as missing as an unknown one.
                Err(err) if matches!(err.status, 404 | 400 | 422) => view! {
                    <section class="card narrow" data-testid="not-found">
                        <h1>"Project not found"</h1>
                        <p>"There is no project here: it may have been deleted, or the link is wrong."</p>
                        <p><A href="/projects">"Your projects"</A>" · "<A href="/write">"Write something new"</A></p>
                    </section>
                }.into_any(),
                Err(err) => view! {
                    <section class="card narrow">
                        <h1>"Could not open the project"</h1>
                        <p class="form-error" role="alert">{err.message()}</p>
                    </section>
                }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn WriterPage(project: Option<Project>) -> impl IntoView {
    let session = Session::get();
    let doc = Doc::new(project);
    let save = Action::new_local(move |version: &Option<i64>| doc.save(session, *version));
    let w = Writer {
        doc,
        save,
        run: Run::new(),
        history: RwSignal::new(0),
    };
    // Autosave once typing pauses (a project only; never over a conflict).
    Effect::new(move |_| {
        doc.revision.track();
        if doc.dirty.get_untracked() && !doc.is_scratch_untracked() {
            doc.schedule_autosave(save);
        }
    });
    on_cleanup(move || doc.cancel_autosave());
    let unsaved = Signal::derive(move || {
        doc.dirty.get() || doc.theirs.with(Option::is_some) || save.pending().get()
    });
    guard::guard_unsaved(unsaved);

    view! {
        <div class="writer" data-testid="writer">
            <aside class="card writer-projects" aria-label="Projects"><ProjectsColumn w=w/></aside>
            <section class="card writer-editor" aria-label="Editor"><EditorColumn w=w/></section>
            <section class="card writer-tools" aria-label="Tools">
                <ToolsColumn w=w/>
                <History w=w/>
            </section>
        </div>
    }
}
