//! Starting a story: its title, premise and settings, and the model that will write it; then
//! on to the story's own page to outline and write it.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use penora_api_types::CreateStory;

use crate::api::{self, ApiError};
use crate::form::{number, on_answer, optional, Field, FieldError, FormError, SignedIn};
use crate::pages::run::ModelPicker;
use crate::pages::story_cost::StoryCost;
use crate::session::Session;

#[component]
pub fn NewStory() -> impl IntoView {
    view! {
        <SignedIn heading="Start a story" what="the story writer">
            <NewStoryForm/>
        </SignedIn>
    }
}

#[component]
fn NewStoryForm() -> impl IntoView {
    let session = Session::get();
    let navigate = use_navigate();
    let text = |s: &str| RwSignal::new(s.to_owned());
    let (title, premise, genre, tone) = (text(""), text(""), text(""), text(""));
    // The server's defaults, shown so the writer sees what they will get.
    let (chapters, words) = (text("5"), text("800"));
    // Empty until the catalog loads: the server then uses its default model.
    let model = text("");
    let models = RwSignal::new(Vec::new());
    let error = RwSignal::new(None::<ApiError>);
    let create =
        Action::new_local(move |body: &CreateStory| api::create_story(session, body.clone()));
    on_answer(create, error, move |story| {
        navigate(
            &format!("/stories/{}", story.project.id),
            Default::default(),
        )
    });
    // Busy from sending until the story's page opens; free again after a failure.
    let busy = move || create.pending().get() || create.value().with(|v| matches!(v, Some(Ok(_))));

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        create.dispatch(CreateStory {
            title: title.get_untracked(),
            premise: optional(premise),
            genre: optional(genre),
            tone: optional(tone),
            chapter_count: number(chapters),
            words_per_chapter: number(words),
            model: optional(model),
        });
    };

    view! {
        <section class="card">
            <p><A href="/projects">"← All projects"</A></p>
            <h1>"Start a story"</h1>
            <p class="hint">"The AI outlines it chapter by chapter, then writes the chapters one by one or all in a row. You can edit the outline, and write or continue any chapter again."</p>
            <form on:submit=submit novalidate>
                <Field label="Title" name="title" value=title error=error/>
                <label class="field">
                    <span>"Premise (optional)"</span>
                    <textarea name="premise" rows="4" placeholder="Who it is about, what they want, what stands in their way."
                        prop:value=move || premise.get() on:input=move |ev| premise.set(event_target_value(&ev))></textarea>
                    <FieldError name="premise" error=error/>
                </label>
                <div class="write-options">
                    <Field label="Genre (optional)" name="genre" value=genre error=error/>
                    <Field label="Tone (optional)" name="tone" value=tone error=error/>
                    <Field label="Chapters" name="chapter_count" kind="number" value=chapters error=error/>
                    <Field label="Words per chapter" name="words_per_chapter" kind="number" value=words error=error/>
                </div>
                <ModelPicker value=model error=error models=models/>
                <StoryCost chapters=chapters words=words model=model models=models/>
                <FormError error=error/>
                <div class="actions">
                    <button type="submit" prop:disabled=busy>"Create story"</button>
                </div>
            </form>
        </section>
    }
}
