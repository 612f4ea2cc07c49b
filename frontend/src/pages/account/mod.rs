//! The account overview: who they are (with renaming), the password, how they sign in, their
//! own AI provider keys, signing out and (through the sign-in methods card) deleting the
//! account.

pub mod api_keys;
mod area;
mod delete_account;
pub mod history;
mod profile;
mod provider_keys;
mod sign_in_methods;
mod usage_chart;

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::api;
use crate::form::SignedIn;
use crate::session::Session;
use area::{role_name, AccountNav};
use profile::{ChangePassword, RenameForm};
use provider_keys::ProviderKeys;
use sign_in_methods::SignInMethodsCard;

#[component]
pub fn Account() -> impl IntoView {
    let session = Session::get();

    // Re-read the account from the server whenever the page opens with a session.
    let me = LocalResource::new(move || {
        let signed_in = session.ready() && session.token().is_some();
        async move {
            if signed_in {
                api::me(session).await.ok()
            } else {
                None
            }
        }
    });
    Effect::new(move |_| {
        if let Some(Some(user)) = me.get() {
            session.set_user(user);
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

    let end_session = Action::new_local(move |all: &bool| {
        let all = *all;
        async move {
            let _ = if all {
                api::post_authed(session, "/api/v1/auth/logout-all", serde_json::json!({})).await
            } else {
                api::logout().await
            };
        }
    });
    Effect::new(move |_| {
        if end_session.version().get() > 0 {
            session.clear();
            navigate("/", Default::default());
        }
    });
    let resend = Action::new_local(move |_: &()| {
        api::post_authed(
            session,
            "/api/v1/auth/resend-verification",
            serde_json::json!({}),
        )
    });
    Effect::new(move |_| {
        notice.set(resend.value().get().map(|result| match result {
            Ok(()) => "A new confirmation link is on its way.".to_owned(),
            Err(err) => err.message(),
        }));
    });

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
                <button class="secondary" on:click=move |_| { resend.dispatch(()); }>"Send the confirmation link again"</button>
            </Show>
            <p class="notice">{move || notice.get()}</p>
            <div class="actions">
                <button on:click=move |_| { end_session.dispatch(false); }>"Sign out"</button>
                <button class="secondary" on:click=move |_| { end_session.dispatch(true); }>"Sign out everywhere"</button>
            </div>
        </section>
    }
}
