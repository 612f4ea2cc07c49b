//! Sign up and sign in, by password or, when the server offers it, with Google.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;
use penora_api_types::{AuthResponse, LoginRequest, SignupRequest};

use crate::api::{self, ApiError};
use crate::form::{Field, FormError};
use crate::session::Session;

/// Sends a sign-up or sign-in, then opens the account page or shows what went wrong.
fn enter(
    request: impl std::future::Future<Output = Result<AuthResponse, ApiError>> + 'static,
    session: Session,
    navigate: impl Fn(&str, NavigateOptions) + 'static,
    busy: RwSignal<bool>,
    error: RwSignal<Option<ApiError>>,
) {
    busy.set(true);
    spawn_local(async move {
        match request.await {
            Ok(auth) => {
                session.sign_in(auth);
                navigate("/account", NavigateOptions::default());
            }
            Err(err) => error.set(Some(err)),
        }
        busy.set(false);
    });
}

/// Where "Sign in with Google" starts; the server sends the browser on to Google and, once
/// signed in, back to the writer.
const GOOGLE_START: &str = "/api/v1/auth/google/start?return_to=/write";

/// "Sign in with Google", shown only when the server offers it.
#[component]
fn GoogleSignIn() -> impl IntoView {
    let offered =
        LocalResource::new(|| async { api::providers().await.map(|p| p.google).unwrap_or(false) });
    view! {
        <Show when=move || offered.get().unwrap_or(false)>
            // `rel="external"`: a server route, not one of the app's pages.
            <p class="actions">
                <a href=GOOGLE_START rel="external" class="button secondary" data-testid="google-sign-in">"Sign in with Google"</a>
            </p>
        </Show>
    }
}

#[component]
pub fn SignUp() -> impl IntoView {
    let session = Session::get();
    let navigate = use_navigate();
    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let body = SignupRequest {
            email: email.get_untracked(),
            password: password.get_untracked(),
            display_name: Some(name.get_untracked()).filter(|n| !n.trim().is_empty()),
        };
        let request = async move { api::signup(&body).await };
        enter(request, session, navigate.clone(), busy, error);
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
                <button type="submit" disabled=move || busy.get()>"Sign up"</button>
            </form>
            <GoogleSignIn/>
            <p>"Already have an account? " <A href="/sign-in">"Sign in"</A></p>
        </section>
    }
}

#[component]
pub fn SignIn() -> impl IntoView {
    let session = Session::get();
    let navigate = use_navigate();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let body = LoginRequest {
            email: email.get_untracked(),
            password: password.get_untracked(),
        };
        let request = async move { api::login(&body).await };
        enter(request, session, navigate.clone(), busy, error);
    };

    view! {
        <section class="card narrow">
            <h1>"Sign in"</h1>
            <form on:submit=submit novalidate>
                <Field label="Email" name="email" kind="email" autocomplete="email" value=email error=error/>
                <Field label="Password" name="password" kind="password" autocomplete="current-password" value=password error=error/>
                <FormError error=error/>
                <button type="submit" disabled=move || busy.get()>"Sign in"</button>
            </form>
            <GoogleSignIn/>
            <p><A href="/forgot-password">"Forgot your password?"</A></p>
            <p>"New here? " <A href="/sign-up">"Create an account"</A></p>
        </section>
    }
}
