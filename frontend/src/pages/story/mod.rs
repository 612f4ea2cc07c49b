//! One story: its settings, the outline (written by the AI or by hand) and the chapters,
//! each written by the AI on its own or all in a row, live, with Stop. The server saves every
//! step as it ends (also when stopped), so the page only has to read the story again.

mod chapters;
mod job;
mod progress;
mod settings;

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;
use penora_api_types::ErrorCode;

use crate::api::{self, ApiError};
use crate::form::{FormError, SignedIn};
use crate::ids::{route_id, ProjectId};
use crate::session::Session;
use chapters::Chapters;
use job::Page;
use settings::{Outline, Overview};

#[component]
pub fn StoryPage() -> impl IntoView {
    let id = route_id::<ProjectId>();
    // A view of its own per story, so nothing of one story's run shows on another's page.
    view! {
        <SignedIn heading="Your story" what="this story">
            {move || view! { <StoryView id=id.get()/> }}
        </SignedIn>
    }
}

fn confirmed(question: &str) -> bool {
    window().confirm_with_message(question).unwrap_or(false)
}

#[component]
fn StoryView(id: ProjectId) -> impl IntoView {
    let session = Session::get();
    let navigate = use_navigate();
    let page = Page::new(session, id.clone());
    let error = RwSignal::new(None::<ApiError>);

    // Read on opening, and again each time a run saved something.
    let story = LocalResource::new(move || {
        page.reload.track();
        api::story(session, page.id.get_value())
    });
    Effect::new(move |_| {
        let Some(result) = story.get() else { return };
        let reload = page.reload.get_untracked();
        match result {
            Ok(story) => page.show(story, reload.fill),
            // A "story" made on the Projects page has chapters but no story settings: it is
            // edited by hand.
            Err(err) if err.code() == Some(ErrorCode::ProjectNotFound) => {
                let replace = NavigateOptions {
                    replace: true,
                    ..Default::default()
                };
                navigate(&format!("/projects/{id}"), replace);
            }
            // A failed reading again leaves the story as last shown.
            Err(err) if reload.count == 0 => error.set(Some(err)),
            Err(_) => {}
        }
    });
    // The settings form starts from the story as first loaded, once per story.
    let loaded = Memo::new(move |_| page.story.with(|s| s.as_ref().map(|s| s.project.id)));

    view! {
        <section class="card">
            <p><A href="/projects">"← All projects"</A></p>
            <FormError error=error/>
            {move || loaded.get().map(|_| view! { <Overview page=page/> })}
        </section>
        <Show when=move || loaded.get().is_some()>
            <Outline page=page/>
            <Chapters page=page/>
        </Show>
    }
}
