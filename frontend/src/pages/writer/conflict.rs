//! After a 412: the project was saved elsewhere while this text was being edited. Both
//! versions are shown; the writer keeps theirs, keeps their own (saved over the other), or
//! copies their own text aside first. Nothing is discarded without a confirmation.

use leptos::prelude::*;

use super::result::copy_text;
use super::Writer;

#[component]
pub fn ConflictPanel(w: Writer) -> impl IntoView {
    let doc = w.doc;
    let copied = RwSignal::new(None::<String>);
    let copy = Action::new_local(move |text: &String| {
        let text = text.clone();
        async move {
            copied.set(Some(match copy_text(text).await {
                Ok(()) => "Your text is on the clipboard.".into(),
                Err(message) => message,
            }));
        }
    });
    let theirs_text = move || {
        let at = doc.active.get();
        doc.theirs.with(|t| {
            t.as_ref()
                .and_then(|p| p.chapters.get(at))
                .map(|c| c.text.clone())
                .unwrap_or_default()
        })
    };
    let their_version = move || doc.theirs.with(|t| t.as_ref().map(|p| p.version));
    let use_theirs = move |_| {
        let sure = window()
            .confirm_with_message(
                "Replace your unsaved text with the version saved elsewhere? Your changes will be lost (copy them first to keep them).",
            )
            .unwrap_or(false);
        if sure {
            if let Some(theirs) = doc.theirs.get_untracked() {
                doc.load(theirs);
            }
        }
    };
    let keep_mine = move |_| {
        if let Some(version) = their_version() {
            doc.cancel_autosave();
            w.save.dispatch_local(Some(version));
        }
    };
    view! {
        <Show when=move || doc.theirs.with(Option::is_some)>
            <div class="conflict" role="alert" data-testid="conflict">
                <p><strong>"This project was changed elsewhere"</strong>
                    {move || their_version().map(|v| format!(" (now version {v})"))}
                    " while you were editing. Your text below is not saved yet. Choose which version to keep."</p>
                <div class="versions">
                    <label class="field">
                        <span>"Saved elsewhere (this chapter)"</span>
                        <textarea readonly rows="6" prop:value=theirs_text></textarea>
                    </label>
                    <label class="field">
                        <span>"Yours, not saved (this chapter)"</span>
                        <textarea readonly rows="6" prop:value=move || doc.text()></textarea>
                    </label>
                </div>
                <div class="actions">
                    <button type="button" on:click=keep_mine prop:disabled=move || w.save.pending().get()>"Keep mine"</button>
                    <button type="button" class="secondary" on:click=move |_| { copy.dispatch_local(doc.text()); }>"Copy mine"</button>
                    <button type="button" class="secondary" on:click=use_theirs>"Use theirs"</button>
                </div>
                <p class="hint" role="status">{move || copied.get()}</p>
            </div>
        </Show>
    }
}
