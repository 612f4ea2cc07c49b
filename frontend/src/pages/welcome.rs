//! Where a new account lands: what the welcome credits buy and where to start.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::form::SignedIn;
use crate::format::credits;
use crate::session::Session;

#[component]
pub fn Welcome() -> impl IntoView {
    let session = Session::get();
    let name = move || session.user().map(|u| u.display_name).unwrap_or_default();
    let balance = move || {
        session.balance().map(|b| {
            let words = b.available_mc / 10;
            format!(
                "You have {} credits to start with: about {} words with the standard models.",
                credits(b.available_mc),
                crate::format::thousands(words)
            )
        })
    };
    view! {
        <SignedIn heading="Welcome to Penora" what="your welcome page">
            <section class="card welcome">
                <h1>{move || format!("Welcome, {}!", name())}</h1>
                <p class="lead-left" data-testid="welcome-balance">{balance}</p>
                <h2>"Where to start"</h2>
                <ul class="next-steps">
                    <li><A href="/write" attr:class="button">"Write something"</A>
                        <span class="muted">" Draft, continue, rewrite or brainstorm, and watch the text arrive."</span></li>
                    <li><A href="/stories/new">"Write a story in chapters"</A>
                        <span class="muted">" An outline, then each chapter in turn."</span></li>
                    <li><A href="/pricing">"See prices"</A>
                        <span class="muted">" Credit packs and plans, when you need more."</span></li>
                    <li><A href="/account/api-keys">"Make an API key"</A>
                        <span class="muted">" Use Penora from your own programs, or with OpenAI's SDKs."</span></li>
                </ul>
            </section>
        </SignedIn>
    }
}
