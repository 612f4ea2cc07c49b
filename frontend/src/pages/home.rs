use leptos::prelude::*;
use leptos_router::components::A;

use crate::session::Session;

#[component]
pub fn Home() -> impl IntoView {
    let session = Session::get();
    view! {
        <section class="hero">
            <h1>"Write with AI, in your own voice."</h1>
            <p class="lead">
                "Penora drafts, continues, rewrites and brainstorms with you — from a single page to a multi-chapter story."
            </p>
            <Show
                when=move || session.user().is_some()
                fallback=|| view! {
                    <div class="actions">
                        <A href="/sign-up" attr:class="button">"Create your account"</A>
                        <A href="/sign-in">"I have an account"</A>
                    </div>
                }
            >
                <div class="actions">
                    <A href="/write" attr:class="button">"Start writing"</A>
                    <A href="/stories/new">"Write a story"</A>
                    <A href="/projects">"Your projects"</A>
                    <A href="/account">"Your account"</A>
                </div>
            </Show>
            <crate::pages::shared::OpenCode/>
        </section>
    }
}
