//! Sharing and exporting the open project, from the editor: the full link with a Copy
//! button, stop sharing, and a download in each format.

use leptos::prelude::*;
use penora_api_types::ShareInfo;

use super::result::copy_text;
use super::Writer;
use crate::api::{self, ApiError};
use crate::ids::ProjectId;
use crate::pages::workspace::EXPORT_FORMATS;
use crate::session::Session;

#[component]
pub fn SharePanel(w: Writer) -> impl IntoView {
    let session = Session::get();
    let doc = w.doc;
    let id = move || {
        doc.project
            .with_untracked(|p| p.as_ref().map(|p| ProjectId::of(p.id)))
            .unwrap_or_default()
    };
    let code = RwSignal::new(doc.project.with_untracked(|p| {
        p.as_ref()
            .and_then(|p| p.share.as_ref().map(|s| s.code.clone()))
    }));
    let note = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<ApiError>);
    let link = move || {
        let origin = window().location().origin().unwrap_or_default();
        code.get().map(|c| format!("{origin}/s/{c}"))
    };

    let share = Action::new_local(move |on: &bool| {
        let (on, id) = (*on, id());
        async move {
            error.set(None);
            let outcome = if on {
                api::share(session, id)
                    .await
                    .map(|s: ShareInfo| Some(s.code))
            } else {
                api::unshare(session, id).await.map(|()| None)
            };
            match outcome {
                Ok(c) => code.set(c),
                Err(err) => error.set(Some(err)),
            }
        }
    });
    let copy = Action::new_local(move |text: &String| {
        let text = text.clone();
        async move {
            note.set(Some(match copy_text(text).await {
                Ok(()) => "Link copied.".into(),
                Err(message) => message,
            }));
        }
    });
    let export = Action::new_local(move |format: &&'static str| {
        let (format, id) = (*format, id());
        async move {
            error.set(None);
            if let Err(err) = api::download_export(session, id, format).await {
                error.set(Some(err));
            }
        }
    });

    view! {
        <details class="share-export">
            <summary>"Share and export"</summary>
            <div class="actions">
                <Show when=move || code.with(Option::is_none)
                    fallback=move || view! {
                        <button type="button" class="secondary" prop:disabled=move || share.pending().get()
                            on:click=move |_| { share.dispatch_local(false); }>"Stop sharing"</button>
                    }>
                    <button type="button" class="secondary" data-testid="share" prop:disabled=move || share.pending().get()
                        on:click=move |_| { share.dispatch_local(true); }>
                        {move || if share.pending().get() { "Sharing…" } else { "Share" }}
                    </button>
                </Show>
            </div>
            <Show when=move || code.with(Option::is_some)>
                <div class="share-link">
                    <label class="field">
                        <span>"Anyone with this link can read the project"</span>
                        <input readonly data-testid="share-link" prop:value=move || link().unwrap_or_default()
                            on:focus=move |ev| { event_target::<web_sys::HtmlInputElement>(&ev).select() }/>
                    </label>
                    <button type="button" class="secondary" on:click=move |_| {
                        if let Some(l) = link() { copy.dispatch_local(l); }
                    }>"Copy link"</button>
                </div>
            </Show>
            <p class="exports">"Download: "
                {EXPORT_FORMATS.into_iter().map(|(format, label)| view! {
                    <button type="button" class="link" on:click=move |_| { export.dispatch_local(format); }>{label}</button>
                }).collect_view()}
            </p>
            <Show when=move || doc.dirty.get()>
                <p class="hint">"Downloads hold the last saved version."</p>
            </Show>
            <p class="hint" role="status">{move || note.get()}</p>
            <Show when=move || error.with(Option::is_some)>
                <p class="form-error" role="alert">{move || error.get().map(|e| e.message())}</p>
            </Show>
        </details>
    }
}
