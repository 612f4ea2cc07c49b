//! Dark by default, light on request: the choice is kept in `localStorage` and applied by
//! `index.html` before the first paint (so a light page does not flash dark).

use leptos::prelude::*;

const KEY: &str = "penora-theme";

fn root() -> Option<web_sys::Element> {
    web_sys::window()?.document()?.document_element()
}

fn is_light() -> bool {
    root().is_some_and(|r| r.get_attribute("data-theme").as_deref() == Some("light"))
}

fn apply(light: bool) {
    if let Some(root) = root() {
        let _ = if light {
            root.set_attribute("data-theme", "light")
        } else {
            root.remove_attribute("data-theme")
        };
    }
    if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = if light {
            storage.set_item(KEY, "light")
        } else {
            storage.remove_item(KEY)
        };
    }
}

#[component]
pub fn ThemeSwitch() -> impl IntoView {
    let light = RwSignal::new(is_light());
    let toggle = move |_| {
        let next = !light.get_untracked();
        apply(next);
        light.set(next);
    };
    view! {
        <button class="theme-switch secondary" aria-pressed=move || light.get().to_string() on:click=toggle>
            "Light theme"
        </button>
    }
}
