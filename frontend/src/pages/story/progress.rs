//! A run's progress where it writes: what is being written, the text as it arrives, cost so
//! far, Stop, and how it ended.

use leptos::prelude::*;
use penora_api_types::{EndEvent, StoryEndEvent};

use super::chapters::heading;
use super::job::{Job, Target};
use crate::form::FormError;
use crate::pages::run::{count, count_credits, summary, LiveOutput, RunResult, StopButton};

/// The running (or last) run where it writes.
#[component]
pub fn RunBox(job: Job) -> impl IntoView {
    let in_a_row = move || job.ran(|t| matches!(t, Target::All(_)));
    let spent = move || {
        // The finished chapters, and the running one's cost so far.
        let running = job.run.end.with(Option::is_none);
        let live = job.run.usage.with(|u| u.as_ref().map_or(0, |u| u.cost_mc));
        let total = job.settled_mc.get() + if running { live } else { 0 };
        format!("Spent so far: {}", count_credits(total))
    };
    let result = Signal::derive(move || match job.target.get()? {
        Target::All(_) => job.end.get().map(|e| story_summary(&e)),
        _ => job.run.end.get().map(|e| step_summary(&e)),
    });
    let failed = Signal::derive(move || match job.target.get() {
        Some(Target::All(_)) => job.end.with(|e| {
            e.as_ref()
                .and_then(|e| e.error.as_ref())
                .is_some_and(|f| f.code != "cancelled")
        }),
        _ => job.run.end.with(|e| {
            e.as_ref()
                .is_some_and(|e| e.error.is_some() || e.save_error.is_some())
        }),
    });

    view! {
        <div class="generation" data-testid="progress">
            <Show when=move || job.running()>
                <p class="step" data-testid="step">{move || status(&job)}</p>
                <LiveOutput run=job.run/>
                <Show when=in_a_row>
                    <p class="muted" data-testid="spent">{spent}</p>
                </Show>
                <div class="actions">
                    <StopButton run=job.run/>
                </div>
            </Show>
            <FormError error=job.run.error/>
            <RunResult text=result failed=failed/>
        </div>
    }
}

/// What is being written, e.g. "Chapter 2 of 5: The Quiet Harbour…".
fn status(job: &Job) -> Option<String> {
    Some(match job.target.get()? {
        Target::Outline => "Writing the outline…".into(),
        Target::Chapter(n) => format!("Writing chapter {n}…"),
        Target::Continue(n) => format!("Continuing chapter {n}…"),
        Target::All(_) => match job.chapter.get() {
            // "Chapter 2 of 5…" while it has only its placeholder name.
            Some(c) => match heading(c.number, &c.title).split_once(": ") {
                Some((_, title)) => format!("Chapter {} of {}: {title}…", c.number, c.of),
                None => format!("Chapter {} of {}…", c.number, c.of),
            },
            None => "Starting…".into(),
        },
    })
}

/// How the outline or one chapter ended, and whether its text could be saved.
fn step_summary(end: &EndEvent) -> String {
    match &end.save_error {
        Some(failure) => format!("{}; not saved: {}", summary(end), failure.message),
        None => summary(end),
    }
}

/// How chapters written in a row ended, e.g. "Complete: 3 chapters written (1, 2, 3), 4.5
/// credits".
fn story_summary(end: &StoryEndEvent) -> String {
    let chapters = end
        .written
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let written = match end.written.len() {
        0 => "no chapter written".to_owned(),
        n => format!(
            "{} written ({chapters})",
            count(i64::try_from(n).unwrap_or(0), "chapter")
        ),
    };
    let spent = format!("{written}, {}", count_credits(end.total_cost_mc));
    match &end.error {
        None if end.complete => format!("Complete: {spent}"),
        None => format!("Ended: {spent}"),
        Some(failure) if failure.code == "cancelled" => format!("Stopped: {spent}"),
        Some(failure) => format!("Failed: {} ({spent})", failure.message),
    }
}
