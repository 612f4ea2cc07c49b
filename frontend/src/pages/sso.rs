//! `/sso`: where a sign-in through another site (the main site's hand-off, Google) lands
//! when it is refused, with `?error=<code>`. Says in plain words what went wrong and what to
//! do; without an error it still leads somewhere.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::session::Session;

/// What a refusal's code means, for people: a heading and what to do.
pub fn explain(code: &str) -> (&'static str, &'static str) {
    match code {
        "token_replayed" => (
            "This sign-in link was already used",
            "Each sign-in link works once. Go back to SukuSuku and open Penora from there again.",
        ),
        "token_expired" => (
            "This sign-in link has expired",
            "Sign-in links work for a few minutes only. Go back to SukuSuku and open Penora again.",
        ),
        "token_too_old" => (
            "This sign-in link is too old",
            "It was made too long ago to be trusted. Go back to SukuSuku and open Penora again.",
        ),
        "token_not_yet_valid" => (
            "This sign-in link is not valid yet",
            "The clocks of SukuSuku and Penora disagree. Wait a minute, then open Penora from SukuSuku again.",
        ),
        "invalid_token" => (
            "This sign-in link is not valid",
            "It is damaged or was not made by SukuSuku. Go back to SukuSuku and open Penora again.",
        ),
        "wrong_issuer" => (
            "This sign-in link comes from a site Penora does not trust",
            "Sign in through SukuSuku, or with your Penora email and password.",
        ),
        "wrong_audience" => (
            "This sign-in link was made for another app",
            "It cannot sign you in to Penora. Open Penora from SukuSuku's menu instead.",
        ),
        "unknown_key" => (
            "This sign-in link is signed with a key Penora does not know",
            "SukuSuku may have just changed its keys. Try again in a minute.",
        ),
        "missing_email" => (
            "Your email address did not come with the sign-in",
            "Penora needs it for your account. Add an email address at SukuSuku, then try again.",
        ),
        "unverified_email" => (
            "A Penora account already uses this email address",
            "The site you came from has not confirmed that the address is yours, so it was not \
             joined to that account. Sign in with your Penora password, then link the other \
             site from your account page.",
        ),
        "missing_token" => (
            "The sign-in link was incomplete",
            "It carried no sign-in token. Go back to SukuSuku and open Penora again.",
        ),
        "sso_not_configured" => (
            "Signing in from SukuSuku is not set up here",
            "Sign in with your Penora email and password instead.",
        ),
        "provider_unavailable" => (
            "The sign-in service cannot be reached",
            "Nobody can sign in through it right now. Try again in a minute.",
        ),
        "invalid_state" => (
            "This sign-in attempt has ended",
            "It is unknown, was already used, or took too long. Start again.",
        ),
        "wrong_nonce" => (
            "The answer did not belong to this sign-in attempt",
            "Nothing was signed in. Start again.",
        ),
        "provider_refused" => (
            "The sign-in was not completed",
            "Google did not sign you in, perhaps because it was cancelled. Start again if you like.",
        ),
        "identity_linked_elsewhere" => (
            "This identity belongs to another Penora account",
            "It is already linked to a different account. Sign in to that account, or unlink it \
             there first.",
        ),
        _ => (
            "Signing in did not work",
            "Something went wrong while signing you in. Try again, or sign in with your email and password.",
        ),
    }
}

#[component]
pub fn SsoLanding() -> impl IntoView {
    let session = Session::get();
    let query = use_query_map();
    let error = move || query.with(|q| q.get("error"));

    move || {
        match error() {
        Some(code) => {
            let (heading, text) = explain(&code);
            view! {
                <section class="card narrow" data-testid="sso-error" data-code=code>
                    <h1>{heading}</h1>
                    <p>{text}</p>
                    <div class="actions">
                        // Someone still signed in from before need not sign in again.
                        <Show
                            when=move || session.user().is_some()
                            fallback=|| view! { <A href="/sign-in" attr:class="button">"Sign in"</A> }
                        >
                            <A href="/write" attr:class="button">"Go on writing"</A>
                        </Show>
                        <A href="/">"Go home"</A>
                    </div>
                </section>
            }
            .into_any()
        }
        None => view! {
            <section class="card narrow" data-testid="sso-landing">
                <h1>"Welcome to Penora"</h1>
                <Show
                    when=move || session.user().is_some()
                    fallback=|| view! {
                        <p>"There is nothing to sign in here. "<A href="/sign-in">"Sign in"</A>" or go to the home page."</p>
                    }
                >
                    <p>"You are signed in. "<A href="/write">"Start writing"</A>"."</p>
                </Show>
                <div class="actions"><A href="/">"Go home"</A></div>
            </section>
        }
        .into_any(),
    }
    }
}
