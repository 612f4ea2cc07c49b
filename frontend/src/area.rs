//! Loading an area's code (a split point of `routes.rs`): "Loading…" while it downloads, and
//! a plain message with Reload when it cannot be loaded. That happens to a tab opened before
//! a deploy: its module asks for chunks the new build no longer has.

use std::future::Future;

use leptos::prelude::*;
use leptos::wasm_split::SplitLoaderError;

/// How many areas are downloading now.
#[derive(Clone, Copy)]
struct Downloads(RwSignal<u32>);

/// Counts one download while it lives (also when the router drops it for another page).
struct Downloading(Option<Downloads>);

impl Downloading {
    fn start() -> Self {
        let downloads = use_context::<Downloads>();
        if let Some(Downloads(n)) = downloads {
            n.update(|n| *n += 1);
        }
        Self(downloads)
    }
}

impl Drop for Downloading {
    fn drop(&mut self) {
        if let Some(Downloads(n)) = self.0 {
            n.update(|n| *n = n.saturating_sub(1));
        }
    }
}

/// The page of an area once its code is here, or the message saying it cannot come.
pub async fn page(load: impl Future<Output = Result<AnyView, SplitLoaderError>>) -> AnyView {
    let downloading = Downloading::start();
    let loaded = load.await;
    drop(downloading);
    loaded.unwrap_or_else(|_| view! { <Updated/> }.into_any())
}

/// Shares the count of downloads between the routes and [`AreaLoading`]; called by the app
/// above both.
pub fn provide_downloads() {
    provide_context(Downloads(RwSignal::new(0)));
}

/// "Loading…" while an area downloads; the page shown before stays until it is here.
#[component]
pub fn AreaLoading() -> impl IntoView {
    let downloads = use_context::<Downloads>().map_or_else(|| RwSignal::new(0), |d| d.0);
    view! {
        <Show when=move || { downloads.get() > 0 }>
            <p class="muted area-loading" role="status" data-testid="area-loading">"Loading…"</p>
        </Show>
    }
}

/// An area whose code is gone: this tab's app is older than the site.
#[component]
fn Updated() -> impl IntoView {
    let reload = |_| {
        let _ = window().location().reload();
    };
    view! {
        <section class="card narrow" data-testid="area-updated">
            <p role="alert">"This part of Penora was updated. Reload to continue."</p>
            <div class="actions start">
                <button type="button" on:click=reload>"Reload"</button>
            </div>
        </section>
    }
}
