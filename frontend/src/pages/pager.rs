//! Pagers for lists read a page at a time by cursor, newest first: "Newer" and "Older" kept
//! in the page's state ([`Pager`]), or as links for a page whose cursor is in its address, so
//! that Back goes to newer entries ([`LinkPager`]).

use leptos::prelude::*;
use leptos_router::components::A;

/// Cursor pages, newest first: the cursor of the page shown (`None`: the first) and the
/// cursors of the pages before it, to go back.
#[derive(Clone, Copy)]
pub struct Pages {
    pub cursor: RwSignal<Option<String>>,
    trail: RwSignal<Vec<Option<String>>>,
}

impl Default for Pages {
    fn default() -> Self {
        Self::new()
    }
}

impl Pages {
    pub fn new() -> Self {
        Self {
            cursor: RwSignal::new(None),
            trail: RwSignal::new(Vec::new()),
        }
    }

    /// Back to the first page (the filters changed).
    pub fn reset(&self) {
        self.trail.set(Vec::new());
        self.cursor.set(None);
    }

    fn older(&self, next: String) {
        let current = self.cursor.get_untracked();
        self.trail.update(|t| t.push(current));
        self.cursor.set(Some(next));
    }

    fn newer(&self) {
        let mut previous = None;
        self.trail.update(|t| previous = t.pop().flatten());
        self.cursor.set(previous);
    }
}

/// "Newer" and "Older" buttons for [`Pages`]; `next` is the shown page's `next_cursor`.
#[component]
pub fn Pager(pages: Pages, #[prop(into)] next: Signal<Option<String>>) -> impl IntoView {
    let page_number = move || pages.trail.with(Vec::len) + 1;
    view! {
        <div class="pager">
            <button type="button" class="secondary" disabled=move || pages.trail.with(Vec::is_empty)
                on:click=move |_| pages.newer()>"Newer"</button>
            <span class="muted" aria-live="polite">{move || format!("Page {}", page_number())}</span>
            <button type="button" class="secondary" disabled=move || next.with(Option::is_none)
                on:click=move |_| if let Some(next) = next.get_untracked() { pages.older(next) }>"Older"</button>
        </div>
    }
}

/// "Newest" (when not on the first page) and "Older" as links; `older` is the address of the
/// next page, if there is one.
#[component]
pub fn LinkPager(
    #[prop(into)] newest: Signal<Option<String>>,
    older: Option<String>,
) -> impl IntoView {
    view! {
        <div class="pager">
            {move || newest.get().map(|href| view! { <A href=href>"Newest"</A> })}
            {older.map(|href| view! { <A href=href attr:class="button secondary" attr:data-testid="older">"Older"</A> })}
        </div>
    }
}
