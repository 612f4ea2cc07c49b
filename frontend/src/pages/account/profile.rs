//! The account overview's profile forms: renaming and changing the password.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use penora_api_types::{AuthResponse, ChangePasswordRequest};

use crate::api::{self, ApiError};
use crate::form::{on_answer, Field, FormError};
use crate::session::Session;

/// The display name, changed in place.
#[component]
pub fn RenameForm(current: String) -> impl IntoView {
    let session = Session::get();
    let name = RwSignal::new(current);
    let error = RwSignal::new(None::<ApiError>);
    let notice = RwSignal::new(None::<String>);
    let save = Action::new_local(move |name: &String| api::rename(session, name.clone()));
    on_answer(save, error, move |user| {
        notice.set(Some(format!("Your name is now {}.", user.display_name)));
        session.set_user(user);
    });
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        notice.set(None);
        save.dispatch(name.get_untracked());
    };
    view! {
        <form class="inline-form" on:submit=submit novalidate data-testid="rename">
            <Field label="Display name" name="display_name" autocomplete="name" value=name error=error/>
            <button type="submit" class="secondary" disabled=move || save.pending().get()>
                {move || if save.pending().get() { "Saving…" } else { "Save name" }}
            </button>
        </form>
        <FormError error=error/>
        <p class="notice" role="status">{move || notice.get()}</p>
    }
}

/// The password, for an account that has one (one without gets "Set a password" instead).
#[component]
pub fn ChangePassword() -> impl IntoView {
    let session = Session::get();
    let methods = LocalResource::new(move || api::sign_in_methods(session));
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match methods.await {
                    Ok(m) if m.has_password => Some(view! { <PasswordForm/> }.into_any()),
                    Ok(_) => None,
                    Err(err) => Some(view! {
                        <section class="card"><h2>"Change your password"</h2>
                        <p class="form-error" role="alert">{format!("Could not check your sign-in methods: {}", err.message())}</p></section>
                    }.into_any()),
                }
            })}
        </Suspense>
    }
}

#[component]
fn PasswordForm() -> impl IntoView {
    let session = Session::get();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let revoke_keys = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let notice = RwSignal::new(None::<String>);
    let change = Action::new_local(move |body: &ChangePasswordRequest| {
        api::change_password(session, body.clone())
    });
    on_answer(change, error, move |auth| {
        done(session, auth, revoke_keys, current, new, notice)
    });
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        notice.set(None);
        change.dispatch(ChangePasswordRequest {
            current_password: current.get_untracked(),
            new_password: new.get_untracked(),
            revoke_api_keys: revoke_keys.get_untracked(),
        });
    };
    view! {
        <section class="card" data-testid="change-password">
            <h2>"Change your password"</h2>
            <form on:submit=submit novalidate>
                <Field label="Current password" name="current_password" kind="password" autocomplete="current-password" value=current error=error/>
                <Field label="New password" name="new_password" kind="password" autocomplete="new-password" value=new error=error/>
                <p class="hint">"At least 10 characters, with a letter and a digit, space or symbol. You stay signed in here; every other session ends."</p>
                <label class="check">
                    <input type="checkbox" prop:checked=move || revoke_keys.get()
                        on:change=move |ev| revoke_keys.set(event_target_checked(&ev))/>
                    " Also revoke all my API keys"
                </label>
                <FormError error=error/>
                <div class="actions start">
                    <button type="submit" disabled=move || change.pending().get()>
                        {move || if change.pending().get() { "Saving…" } else { "Change password" }}
                    </button>
                </div>
            </form>
            <p class="notice" role="status">{move || notice.get()}</p>
        </section>
    }
}

/// A changed password: the fresh session replaces this one and the form empties.
fn done(
    session: Session,
    auth: AuthResponse,
    revoke_keys: RwSignal<bool>,
    current: RwSignal<String>,
    new: RwSignal<String>,
    notice: RwSignal<Option<String>>,
) {
    session.sign_in(auth);
    current.set(String::new());
    new.set(String::new());
    let keys = if revoke_keys.get_untracked() {
        " Your API keys were revoked."
    } else {
        ""
    };
    notice.set(Some(format!(
        "Your password is changed. Every other session has ended.{keys}"
    )));
}
