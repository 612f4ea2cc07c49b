//! Deleting the account, behind a typed confirmation: with its password when it has one;
//! otherwise a sign-in within the last 5 minutes stands in for it.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use super::sign_in_methods::say;
use crate::api::{self, ApiError};
use crate::form::on_answer;
use crate::session::Session;

/// What has to be typed to confirm.
const CONFIRM_WORD: &str = "DELETE";

#[component]
pub fn DeleteAccount(has_password: Signal<bool>) -> impl IntoView {
    let session = Session::get();
    let navigate = use_navigate();
    let password = RwSignal::new(String::new());
    let typed = RwSignal::new(String::new());
    let opened = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let delete = Action::new_local(move |password: &Option<String>| {
        api::delete_account(session, password.clone())
    });
    on_answer(delete, error, move |()| {
        session.clear();
        navigate("/", Default::default());
    });
    let confirmed = move || typed.with(|t| t.trim() == CONFIRM_WORD);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !confirmed() {
            return;
        }
        error.set(None);
        delete.dispatch(
            has_password
                .get_untracked()
                .then(|| password.get_untracked()),
        );
    };
    // A wrong password comes back as a problem with the field `current_password`.
    let password_problem = move || {
        error.with(|e| {
            e.as_ref()
                .and_then(|e| e.field("current_password"))
                .map(|f| f.message)
        })
    };
    let other_problem = move || {
        error.with(|e| {
            e.as_ref()
                .filter(|e| e.field("current_password").is_none())
                .map(say)
        })
    };
    view! {
        <section class="card danger-zone" data-testid="delete-account">
            <h2>"Delete your account"</h2>
            <p class="hint">"Your projects, keys and sessions are deleted. Your credit history is kept without your name. This cannot be undone."</p>
            <Show when=move || !opened.get()>
                <div class="actions start">
                    <button type="button" class="danger" on:click=move |_| opened.set(true)>"Delete my account…"</button>
                </div>
            </Show>
            <Show when=move || opened.get()>
                <form on:submit=submit novalidate>
                    <Show
                        when=move || has_password.get()
                        fallback=|| view! { <p class="hint">"Your account has no password, so deleting it needs a sign-in within the last 5 minutes."</p> }
                    >
                        <label class="field" for="delete-password">
                            <span>"Your password"</span>
                            <input id="delete-password" type="password" autocomplete="current-password"
                                class:invalid=move || password_problem().is_some()
                                prop:value=move || password.get()
                                on:input=move |ev| password.set(event_target_value(&ev))/>
                            <small class="field-error">{password_problem}</small>
                        </label>
                    </Show>
                    <label class="field" for="delete-confirm">
                        <span>{format!("Type {CONFIRM_WORD} to confirm")}</span>
                        <input id="delete-confirm" autocomplete="off" spellcheck="false"
                            prop:value=move || typed.get()
                            on:input=move |ev| typed.set(event_target_value(&ev))/>
                    </label>
                    <Show when=move || other_problem().is_some()>
                        <p class="form-error" role="alert">{other_problem}</p>
                    </Show>
                    <div class="actions start">
                        <button type="submit" class="danger" data-testid="confirm-delete"
                            disabled=move || !confirmed() || delete.pending().get()>
                            {move || if delete.pending().get() { "Deleting…" } else { "Delete my account for good" }}
                        </button>
                        <button type="button" class="secondary" on:click=move |_| { opened.set(false); typed.set(String::new()); }>"Keep it"</button>
                    </div>
                </form>
            </Show>
        </section>
    }
}
