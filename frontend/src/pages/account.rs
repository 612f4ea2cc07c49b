//! The account overview: who they are (with renaming), the password, how they sign in, their
//! own AI provider keys, signing out and (through the sign-in methods card) deleting the
//! account.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;

use crate::api;
use crate::form::SignedIn;
use crate::pages::account_area::{role_name, AccountNav};
use crate::pages::profile::{ChangePassword, RenameForm};
use crate::pages::provider_keys::ProviderKeys;
use crate::pages::sign_in_methods::SignInMethodsCard;
use crate::session::Session;

#[component]
pub fn Account() -> impl IntoView {
    let session = Session::get();

    // Re-read the account from the server whenever the page opens with a session.
    Effect::new(move |_| {
        if session.ready() && session.token().is_some() {
            spawn_local(async move {
                if let Ok(user) = api::me(session).await {
                    session.set_user(user);
                }
            });
        }
    });

    view! {
        <SignedIn heading="You are signed out" what="your account">
            <AccountNav/>
            // Shown once per sign-in: renaming updates the user in place, not the card.
            <Show when=move || session.user().is_some()>
                <AccountCard/>
            </Show>
            <ChangePassword/>
            <SignInMethodsCard/>
            <ProviderKeys/>
        </SignedIn>
    }
}

#[component]
fn AccountCard() -> impl IntoView {
    let session = Session::get();
    let navigate = use_navigate();
    let notice = RwSignal::new(None::<String>);
    let user = move || session.user();
    let verified = move || user().is_some_and(|u| u.email_verified);
    // Untracked: the form keeps what is typed when the user changes.
    let name = untrack(|| session.user())
        .map(|u| u.display_name)
        .unwrap_or_default();

    let end_session = move |all: bool| {
        let navigate = navigate.clone();
        spawn_local(async move {
            let _ = if all {
                api::post_authed(session, "/api/v1/auth/logout-all", serde_json::json!({})).await
            } else {
                api::logout().await
            };
            session.clear();
            navigate("/", Default::default());
        });
    };
    let sign_out_everywhere = {
        let end_session = end_session.clone();
        move |_| end_session(true)
    };
    let resend = move |_| {
        spawn_local(async move {
            let text = match api::post_authed(
                session,
                "/api/v1/auth/resend-verification",
                serde_json::json!({}),
            )
            .await
            {
                Ok(()) => "A new confirmation link is on its way.".to_owned(),
                Err(err) => err.message(),
            };
            notice.set(Some(text));
        });
    };

    view! {
        <section class="card">
            <h1>"Your account"</h1>
            <dl class="facts">
                <dt>"Name"</dt><dd data-testid="display-name">{move || user().map(|u| u.display_name)}</dd>
                <dt>"Email"</dt><dd data-testid="email">{move || user().map(|u| u.email)}</dd>
                <dt>"Email confirmed"</dt><dd>{move || if verified() { "Yes" } else { "Not yet" }}</dd>
                <dt>"Role"</dt><dd data-testid="role">{move || user().map(|u| role_name(u.role))}</dd>
                <dt>"Credits"</dt>
                <dd data-testid="balance">
                    {move || session.balance().map(|b| format!("{} available ({} held for generations)", crate::format::credits(b.available_mc), crate::format::credits(b.reserved_mc)))}
                </dd>
                <dt>"Member since"</dt><dd>{move || user().map(|u| u.created_at.format("%-d %B %Y").to_string())}</dd>
            </dl>
            <RenameForm current=name/>
            <Show when=move || !verified()>
                <button class="secondary" on:click=resend>"Send the confirmation link again"</button>
            </Show>
            <p class="notice">{move || notice.get()}</p>
            <div class="actions">
                <button on:click=move |_| end_session(false)>"Sign out"</button>
                <button class="secondary" on:click=sign_out_everywhere>"Sign out everywhere"</button>
            </div>
        </section>
    }
}
