//! The Penora browser app: a Leptos client-side app compiled to WebAssembly. It talks to the
//! API only through `api.rs`; the signed-in session lives in `session.rs`.

mod api;
mod app;
mod area;
mod clipboard;
mod form;
mod format;
mod ids;
mod nav;
mod pages;
mod refresh;
mod return_to;
mod routes;
mod session;
mod sse;
mod theme;

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
