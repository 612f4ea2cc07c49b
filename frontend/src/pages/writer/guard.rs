//! Leaving with unsaved text: the browser asks before a reload or close (`beforeunload`),
//! and a link inside the app asks for a confirmation first.

use leptos::prelude::*;
use send_wrapper::SendWrapper;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

const LEAVE: &str = "You have unsaved changes. Leave this page and lose them?";

/// Asks whether to leave while `unsaved` holds; true when there is nothing to lose.
pub fn may_leave(unsaved: Signal<bool>) -> bool {
    !unsaved.get_untracked() || window().confirm_with_message(LEAVE).unwrap_or(false)
}

/// Guards the page while it is mounted.
pub fn guard_unsaved(unsaved: Signal<bool>) {
    let unload = window_event_listener_untyped("beforeunload", move |ev| {
        if unsaved.try_get_untracked() == Some(true) {
            ev.prevent_default();
            // Older browsers want a return value as well.
            let _ = js_sys::Reflect::set(&ev, &"returnValue".into(), &"".into());
        }
    });
    // The router follows links from a listener on the window; this one on the document
    // runs first and can cancel the click.
    let click = Closure::<dyn Fn(web_sys::MouseEvent)>::new(move |ev: web_sys::MouseEvent| {
        if ev.default_prevented() || ev.button() != 0 || ev.ctrl_key() || ev.meta_key() {
            return;
        }
        let link = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|el| el.closest("a[href]").ok().flatten());
        let leaves = link.is_some_and(|a| {
            let href = a.get_attribute("href").unwrap_or_default();
            let here = window().location().pathname().unwrap_or_default();
            !href.starts_with('#') && href != here && a.get_attribute("target").is_none()
        });
        if leaves && unsaved.try_get_untracked() == Some(true) && !may_leave(unsaved) {
            ev.prevent_default();
        }
    });
    let _ = document().add_event_listener_with_callback("click", click.as_ref().unchecked_ref());
    let click = SendWrapper::new(click);
    on_cleanup(move || {
        unload.remove();
        let _ =
            document().remove_event_listener_with_callback("click", click.as_ref().unchecked_ref());
        drop(click);
    });
}
