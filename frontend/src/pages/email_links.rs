//! The pages mailed links open: confirm an email, ask for and complete a password reset.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;
use penora_api_types::{ForgotPasswordRequest, ResetPasswordRequest, VerifyEmailRequest};

use crate::api::{self, ApiError};
use crate::form::{on_answer, Field, FormError};

fn token_from_query() -> String {
    use_query_map()
        .get_untracked()
        .get("token")
        .unwrap_or_default()
}

#[component]
pub fn VerifyEmail() -> impl IntoView {
    let token = token_from_query();
    let outcome = LocalResource::new(move || {
        let body = VerifyEmailRequest {
            token: token.clone(),
        };
        async move { api::post_public("/api/v1/auth/verify-email", &body).await }
    });
    view! {
        <section class="card narrow">
            <h1>"Confirm your email"</h1>
            {move || match outcome.get() {
                None => view! { <p class="muted">"Checking your link…"</p> }.into_any(),
                Some(Ok(())) => view! { <p>"Your email address is confirmed. " <A href="/account">"Go to your account"</A></p> }.into_any(),
                Some(Err(err)) => view! { <p class="form-error">{err.message()}</p> }.into_any(),
            }}
        </section>
    }
}

#[component]
pub fn ForgotPassword() -> impl IntoView {
    let email = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let sent = RwSignal::new(false);
    let ask = Action::new_local(move |body: &ForgotPasswordRequest| {
        let body = body.clone();
        async move { api::post_public("/api/v1/auth/forgot-password", &body).await }
    });
    on_answer(ask, error, move |()| sent.set(true));
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        ask.dispatch(ForgotPasswordRequest {
            email: email.get_untracked(),
        });
    };
    view! {
        <section class="card narrow">
            <h1>"Reset your password"</h1>
            <Show when=move || !sent.get() fallback=|| view! { <p>"If an account has this address, a reset link is on its way."</p> }>
                <form on:submit=submit novalidate>
                    <Field label="Email" name="email" kind="email" autocomplete="email" value=email error=error/>
                    <FormError error=error/>
                    <button type="submit">"Mail me a link"</button>
                </form>
            </Show>
        </section>
    }
}

#[component]
pub fn ResetPassword() -> impl IntoView {
    let token = token_from_query();
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let done = RwSignal::new(false);
    let reset = Action::new_local(move |body: &ResetPasswordRequest| {
        let body = body.clone();
        async move { api::post_public("/api/v1/auth/reset-password", &body).await }
    });
    on_answer(reset, error, move |()| done.set(true));
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        reset.dispatch(ResetPasswordRequest {
            token: token.clone(),
            new_password: password.get_untracked(),
        });
    };
    view! {
        <section class="card narrow">
            <h1>"Choose a new password"</h1>
            <Show when=move || !done.get() fallback=|| view! { <p>"Your password is changed. " <A href="/sign-in">"Sign in"</A></p> }>
                <form on:submit=submit.clone() novalidate>
                    <Field label="New password" name="new_password" kind="password" autocomplete="new-password" value=password error=error/>
                    <FormError error=error/>
                    <button type="submit">"Save the new password"</button>
                </form>
            </Show>
        </section>
    }
}
