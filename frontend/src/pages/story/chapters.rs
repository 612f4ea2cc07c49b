//! The chapters: each written on its own (afresh, or continued), or all in a row from the
//! first or from where a stopped run left off.

use leptos::prelude::*;

use super::confirmed;
use super::job::{Page, Target};
use super::progress::RunBox;
use crate::pages::run::count;

/// The chapters, written one by one or all in a row.
#[component]
pub fn Chapters(page: Page) -> impl IntoView {
    let job = page.job;
    // The planned chapters, and any written beyond the plan.
    let last = move || {
        page.story.with(|s| {
            s.as_ref().map_or(0, |s| {
                let planned = u32::try_from(s.chapter_count).unwrap_or(0);
                planned.max(u32::try_from(s.project.chapters.len()).unwrap_or(0))
            })
        })
    };
    let planned = move || {
        page.story
            .with(|s| s.as_ref().map_or(0, |s| s.chapter_count))
    };
    // Where a stopped (or failed) run left off: the first planned chapter with no text.
    let resume = move || {
        page.story.with(|s| {
            let s = s.as_ref()?;
            let planned = usize::try_from(s.chapter_count).unwrap_or(0);
            let chapters = &s.project.chapters;
            let first_empty =
                (0..planned).find(|&i| chapters.get(i).is_none_or(|c| c.text.trim().is_empty()))?;
            (first_empty > 0).then(|| u32::try_from(first_empty + 1).unwrap_or(1))
        })
    };
    let write_all = move |_| {
        let written = page.story.with_untracked(|s| {
            s.as_ref()
                .is_some_and(|s| s.project.chapters.iter().any(|c| !c.text.trim().is_empty()))
        });
        if !written || confirmed("Write every chapter again? Their text is replaced.") {
            page.run(Target::All(1));
        }
    };

    view! {
        <section class="card">
            <h2>"Chapters"</h2>
            <div class="actions">
                <button type="button" data-testid="write-all" on:click=write_all
                    prop:disabled=move || job.running()>
                    "Write all chapters"
                </button>
                {move || resume().map(|from| view! {
                    <button type="button" class="secondary" data-testid="write-rest"
                        on:click=move |_| page.run(Target::All(from)) prop:disabled=move || job.running()>
                        {rest_label(from, planned())}
                    </button>
                })}
            </div>
            <Show when=move || job.ran(|t| matches!(t, Target::All(_)))>
                <RunBox job=job/>
            </Show>
            <For each=move || 1..=last() key=|n| *n let:number>
                <ChapterBlock number=number page=page/>
            </For>
        </section>
    }
}

/// The button that writes on from where a stopped run left off.
fn rest_label(from: u32, planned: i32) -> String {
    if i64::from(from) >= i64::from(planned) {
        format!("Write chapter {from}")
    } else {
        format!("Write chapters {from} to {planned}")
    }
}

/// "Chapter 2: The Quiet Harbour"; just "Chapter 2" while it has only its placeholder name.
pub fn heading(number: u32, title: &str) -> String {
    let plain = format!("Chapter {number}");
    if title.trim().is_empty() || title.trim() == plain {
        plain
    } else {
        format!("{plain}: {title}")
    }
}

/// Longer chapters start folded to their first lines.
const FOLD_WORDS: usize = 60;

#[component]
fn ChapterBlock(number: u32, page: Page) -> impl IntoView {
    let job = page.job;
    let index = usize::try_from(number.saturating_sub(1)).unwrap_or(0);
    let field = move |f: fn(&penora_api_types::ChapterBody) -> String| {
        page.story.with(|s| {
            s.as_ref()
                .and_then(|s| s.project.chapters.get(index))
                .map(f)
                .unwrap_or_default()
        })
    };
    let text = move || field(|c| c.text.clone());
    let words = move || field(|c| c.text.clone()).split_whitespace().count();
    let open = RwSignal::new(false);
    let write = move |_| {
        let replaces = words() > 0;
        let question = format!("Write chapter {number} again? Its text is replaced.");
        if !replaces || confirmed(&question) {
            page.run(Target::Chapter(number));
        }
    };

    view! {
        <article class="chapter-block" data-testid=format!("chapter-{number}")
            class:writing=move || job.writing() == Some(number)>
            <div class="project-head">
                <h3>{move || heading(number, &field(|c| c.title.clone()))}</h3>
                <span class="muted" data-testid=format!("chapter-{number}-words")>
                    {move || count(i64::try_from(words()).unwrap_or(0), "word")}
                </span>
            </div>
            <Show when=move || { words() > 0 } fallback=|| view! { <p class="muted">"Not written yet."</p> }>
                <div class="prose chapter-text" data-testid=format!("chapter-{number}-text")
                    class:folded=move || { !open.get() && words() > FOLD_WORDS }>
                    {text}
                </div>
                <Show when=move || { words() > FOLD_WORDS }>
                    <button type="button" class="link" on:click=move |_| open.update(|o| *o = !*o)>
                        {move || if open.get() { "Show less" } else { "Read it all" }}
                    </button>
                </Show>
            </Show>
            <div class="actions">
                <button type="button" class="secondary" data-testid=format!("chapter-{number}-write")
                    on:click=write prop:disabled=move || job.running()>
                    {move || if words() > 0 { "Write again" } else { "Write" }}
                </button>
                <Show when=move || { words() > 0 }>
                    <button type="button" class="secondary" data-testid=format!("chapter-{number}-continue")
                        on:click=move |_| page.run(Target::Continue(number)) prop:disabled=move || job.running()>
                        "Continue"
                    </button>
                </Show>
            </div>
            <Show when=move || job.ran(|t| t.chapter() == Some(number))>
                <RunBox job=job/>
            </Show>
        </article>
    }
}
