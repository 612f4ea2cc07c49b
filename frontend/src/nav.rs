//! The site's header: the brand, the main links (a menu on a phone), the balance, who is
//! signed in, and the theme switch; plus the skip link before it.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;
use penora_api_types::RoleView;

use crate::format::credits;
use crate::session::Session;
use crate::theme::ThemeSwitch;

/// "Skip to content": the first stop for keyboard users, moving focus to the page itself.
#[component]
pub fn SkipLink() -> impl IntoView {
    let skip = |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        let main = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id("main"));
        if let Some(main) =
            main.and_then(|m| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(m).ok())
        {
            let _ = main.focus();
        }
    };
    view! { <a class="skip-link" href="#main" on:click=skip>"Skip to content"</a> }
}

#[component]
pub fn Nav() -> impl IntoView {
    let session = Session::get();
    let open = RwSignal::new(false);
    // A followed link closes the menu.
    let location = use_location();
    Effect::new(move |_| {
        location.pathname.track();
        open.set(false);
    });
    let is_admin = move || session.user().is_some_and(|u| u.role == RoleView::Admin);
    view! {
        <header class="nav">
            <A href="/" attr:class="brand">"Penora"</A>
            <button
                class="menu-toggle secondary"
                aria-controls="site-menu"
                aria-expanded=move || open.get().to_string()
                on:click=move |_| open.update(|o| *o = !*o)
            >
                {move || if open.get() { "Close menu" } else { "Menu" }}
            </button>
            <nav id="site-menu" aria-label="Main" class:open=move || open.get()>
                <Show
                    when=move || session.user().is_some()
                    fallback=|| view! {
                        <A href="/pricing">"Pricing"</A>
                        <A href="/sign-in">"Sign in"</A>
                        <A href="/sign-up" attr:class="button">"Sign up"</A>
                    }
                >
                    <A href="/write">"Write"</A>
                    <A href="/stories/new">"Story"</A>
                    <A href="/projects">"Projects"</A>
                    <A href="/pricing">"Buy credits"</A>
                    <Show when=is_admin>
                        <A href="/admin/users" attr:class="nav-admin">"Admin"</A>
                    </Show>
                    <Balance/>
                    <A href="/account" attr:class="who">
                        {move || session.user().map(|u| u.display_name).unwrap_or_default()}
                    </A>
                </Show>
                <ThemeSwitch/>
            </nav>
        </header>
    }
}

/// The credits owned, and beside them what running generations hold back (so the figure
/// does not jump down and up while something runs).
#[component]
fn Balance() -> impl IntoView {
    let session = Session::get();
    view! {
        <A href="/account/history" attr:class="credits" attr:title="Your credits: see the history">
            <span data-testid="nav-balance">
                {move || session.balance().map(|b| format!("{} credits", credits(b.balance_mc)))}
            </span>
            {move || session.balance().filter(|b| b.reserved_mc > 0).map(|b| view! {
                <span class="held" data-testid="nav-held">{format!(" · {} held", credits(b.reserved_mc))}</span>
            })}
        </A>
    }
}
