//! The story's overview with its settings form, and the outline: written by the AI (live,
//! here) or by hand; saving it names the chapters.

use leptos::prelude::*;
use leptos_router::components::A;
use penora_api_types::{Story, UpdateStory};

use super::confirmed;
use super::job::{Page, Target};
use super::progress::RunBox;
use crate::api::{self, ApiError};
use crate::form::{number, on_answer, optional, Field, FieldError, FormError};
use crate::pages::run::count;

/// Saves a change to the story's settings or outline; the answer is the story as saved.
fn saver(page: Page) -> Action<UpdateStory, Result<Story, ApiError>> {
    Action::new_local(move |body: &UpdateStory| {
        api::update_story(page.session, page.id.get_value(), body.clone())
    })
}

/// Title, premise and settings (tone and sizes can be changed).
#[component]
pub fn Overview(page: Page) -> impl IntoView {
    let story = page.story.get_untracked();
    let (tone, chapters, words) = story.as_ref().map_or_else(Default::default, |s| {
        (
            s.tone.clone(),
            s.chapter_count.to_string(),
            s.words_per_chapter.to_string(),
        )
    });
    let (tone, chapters, words) = (
        RwSignal::new(tone),
        RwSignal::new(chapters),
        RwSignal::new(words),
    );
    let error = RwSignal::new(None::<ApiError>);
    let notice = RwSignal::new(None::<String>);
    let save = saver(page);
    on_answer(save, error, move |story| {
        page.show(story, false);
        notice.set(Some("Settings saved.".into()));
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        save.dispatch(UpdateStory {
            outline: None,
            tone: Some(tone.get_untracked()),
            chapter_count: number(chapters),
            words_per_chapter: number(words),
        });
    };
    let facts = move || {
        page.story.with(|s| {
            s.as_ref().map(|s| {
                let p = &s.project;
                let genre = p.genre.iter().filter(|g| !g.trim().is_empty());
                genre
                    .chain(p.model.iter())
                    .cloned()
                    .chain([count(p.word_count, "word")])
                    .collect::<Vec<_>>()
                    .join(" · ")
            })
        })
    };
    let title = move || {
        page.story
            .with(|s| s.as_ref().map(|s| s.project.title.clone()))
    };
    let premise = move || {
        page.story
            .with(|s| s.as_ref().and_then(|s| s.project.premise.clone()))
    };
    let edit = format!("/projects/{}", page.id.get_value());

    view! {
        <h1>{title}</h1>
        <p class="muted" data-testid="story-facts">{facts}</p>
        <p class="prose">{premise}</p>
        <details class="settings">
            <summary>"Settings"</summary>
            <form on:submit=submit novalidate>
                <div class="write-options">
                    <Field label="Tone" name="tone" value=tone error=error/>
                    <Field label="Chapters" name="chapter_count" kind="number" value=chapters error=error/>
                    <Field label="Words per chapter" name="words_per_chapter" kind="number" value=words error=error/>
                </div>
                <FormError error=error/>
                <div class="actions">
                    <button type="submit" class="secondary" prop:disabled=move || page.job.running()>"Save settings"</button>
                    <A href=edit>"Edit the text by hand"</A>
                </div>
                <p class="notice" role="status">{move || notice.get()}</p>
            </form>
        </details>
    }
}

/// The outline: written by the AI (live, here) or by hand; saving it names the chapters.
#[component]
pub fn Outline(page: Page) -> impl IntoView {
    let job = page.job;
    let error = RwSignal::new(None::<ApiError>);
    let notice = RwSignal::new(None::<String>);
    let has_outline = move || page.outline.with(|o| !o.trim().is_empty());
    let generating = move || job.running() && job.ran(|t| t == Target::Outline);

    let generate = move |_| {
        let replaces = page.outline.with_untracked(|o| !o.trim().is_empty());
        if !replaces
            || confirmed("Write a new outline? It replaces this one (the chapters' text is kept).")
        {
            notice.set(None);
            page.run(Target::Outline);
        }
    };
    let save = saver(page);
    on_answer(save, error, move |story| {
        page.show(story, true);
        notice.set(Some(
            "Outline saved; the chapters are named after it.".into(),
        ));
    });
    let submit = move |_| {
        error.set(None);
        notice.set(None);
        save.dispatch(UpdateStory {
            outline: optional(page.outline),
            ..Default::default()
        });
    };

    view! {
        <section class="card">
            <h2>"Outline"</h2>
            <p class="hint">"One line per chapter: “Chapter 2: Its title — what happens”. Saving it names the chapters after it; their text is kept."</p>
            <Show when=move || job.ran(|t| t == Target::Outline)>
                <RunBox job=job/>
            </Show>
            <Show when=move || !generating()>
                <label class="field">
                    <span>"The outline"</span>
                    <textarea name="outline" rows="8" data-testid="story-outline"
                        placeholder="Generate one, or write your own."
                        prop:value=move || page.outline.get()
                        on:input=move |ev| page.outline.set(event_target_value(&ev))></textarea>
                    <FieldError name="outline" error=error/>
                </label>
            </Show>
            <FormError error=error/>
            <div class="actions">
                <button type="button" data-testid="generate-outline" on:click=generate
                    prop:disabled=move || job.running()>
                    {move || if has_outline() { "Generate a new outline" } else { "Generate outline" }}
                </button>
                <button type="button" class="secondary" data-testid="save-outline" on:click=submit
                    prop:disabled=move || job.running()>
                    "Save outline"
                </button>
            </div>
            <p class="notice" role="status">{move || notice.get()}</p>
        </section>
    }
}
