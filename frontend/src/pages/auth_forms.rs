//! Sign up and sign in, by password or, when the server offers it, with Google.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;
use penora_api_types::{AuthResponse, LoginRequest, SignupRequest};

use crate::api::{self, ApiError};
use crate::form::{Field, FormError};
use crate::return_to;
use crate::session::Session;

/// Signs in with what `request` answers, then opens `next` (the page that asked) or
/// `otherwise`; a refusal stays on the form, next to the field it is about.
fn enter_action<B: Clone + 'static>(
    otherwise: &'static str,
    request: impl AsyncFn(B) -> Result<AuthResponse, ApiError> + Copy + 'static,
) -> Action<B, Result<(), ApiError>> {
    let session = Session::get();
    let navigate = use_navigate();
    let next = return_to::from_query();
    Action::new_local(move |body: &B| {
        let body = body.clone();
        let navigate = navigate.clone();
        async move {
            let auth = request(body).await?;
            session.sign_in(auth);
            let target = next.get_untracked().unwrap_or_else(|| otherwise.to_owned());
            navigate(&target, NavigateOptions::default());
            Ok(())
        }
    })
}

/// The error a form shows: the last answer's, while no new attempt runs.
fn last_error<B: 'static>(action: Action<B, Result<(), ApiError>>) -> RwSignal<Option<ApiError>> {
    let error = RwSignal::new(None);
    Effect::new(move |_| {
        if let Some(outcome) = action.value().get() {
            error.set(outcome.err());
        }
    });
    error
}

/// "Sign in with Google", shown only when the server offers it. The server sends the
/// browser on to Google and, once signed in, back to `next` (or the writer).
#[component]
fn GoogleSignIn() -> impl IntoView {
    let offered =
        LocalResource::new(|| async { api::providers().await.map(|p| p.google).unwrap_or(false) });
    let next = return_to::from_query();
    let start = move || {
        let back = next.get().unwrap_or_else(|| "/write".to_owned());
        format!(
            "/api/v1/auth/google/start?return_to={}",
            js_sys::encode_uri_component(&back)
        )
    };
    view! {
        <Show when=move || offered.get().unwrap_or(false)>
            // `rel="external"`: a server route, not one of the app's pages.
            <p class="actions">
                <a href=start rel="external" class="button secondary" data-testid="google-sign-in">"Sign in with Google"</a>
            </p>
        </Show>
    }
}

#[component]
pub fn SignUp() -> impl IntoView {
    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let action = enter_action("/welcome", async |body: SignupRequest| {
        api::signup(&body).await
    });
    let error = last_error(action);
    let busy = action.pending();
    let next = return_to::from_query();

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        action.dispatch(SignupRequest {
            email: email.get_untracked(),
            password: password.get_untracked(),
            display_name: Some(name.get_untracked()).filter(|n| !n.trim().is_empty()),
        });
    };

    view! {
        <section class="card narrow">
            <h1>"Create your account"</h1>
            <form on:submit=submit novalidate>
                <Field label="Email" name="email" kind="email" autocomplete="email" value=email error=error/>
                <Field label="Your name (optional)" name="display_name" autocomplete="name" value=name error=error/>
                <Field label="Password" name="password" kind="password" autocomplete="new-password" value=password error=error/>
                <p class="hint">"At least 10 characters, with a digit, space or symbol."</p>
                <FormError error=error/>
                <button type="submit" disabled=move || busy.get()>
                    {move || if busy.get() { "Creating your account…" } else { "Sign up" }}
                </button>
            </form>
            <GoogleSignIn/>
            <p>"Already have an account? " <A href=move || return_to::with_next("/sign-in", next.get().as_deref())>"Sign in"</A></p>
        </section>
    }
}

#[component]
pub fn SignIn() -> impl IntoView {
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let action = enter_action("/write", async |body: LoginRequest| api::login(&body).await);
    let error = last_error(action);
    let busy = action.pending();
    let next = return_to::from_query();

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        action.dispatch(LoginRequest {
            email: email.get_untracked(),
            password: password.get_untracked(),
        });
    };

    view! {
        <section class="card narrow">
            <h1>"Sign in"</h1>
            <form on:submit=submit novalidate>
                <Field label="Email" name="email" kind="email" autocomplete="email" value=email error=error/>
                <Field label="Password" name="password" kind="password" autocomplete="current-password" value=password error=error/>
                <FormError error=error/>
                <button type="submit" disabled=move || busy.get()>
                    {move || if busy.get() { "Signing in…" } else { "Sign in" }}
                </button>
            </form>
            <GoogleSignIn/>
            <p><A href="/forgot-password">"Forgot your password?"</A></p>
            <p>"New here? " <A href=move || return_to::with_next("/sign-up", next.get().as_deref())>"Create an account"</A></p>
        </section>
    }
}
