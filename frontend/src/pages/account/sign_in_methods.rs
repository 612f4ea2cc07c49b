//! The account page's ways in: the password and linked identities (SukuSuku, Google), with
//! unlinking (never the last way in), linking Google, a first password for an account made
//! by single sign-on or Google, and deleting the account. What such an account cannot
//! confirm with a password needs a sign-in within the last 5 minutes instead.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use penora_api_types::{ErrorCode, SignInMethodName, SignInMethodView, SignInMethods};

use super::delete_account::DeleteAccount;
use crate::api::{self, ApiError};
use crate::form::{on_answer, Field, FormError};
use crate::pages::sso::explain;
use crate::session::Session;

/// Said when the server wants a recent sign-in.
pub(crate) const RECENT_NEEDED: &str =
    "For your safety this needs a sign-in within the last 5 minutes. \
     Sign out, sign in again, and do it straight away.";

fn method_label(method: SignInMethodName) -> &'static str {
    match method {
        SignInMethodName::Password => "Email and password",
        SignInMethodName::Sukusuku => "SukuSuku (the main site)",
        SignInMethodName::Google => "Google",
    }
}

/// A server error in words, with the recent sign-in rule spelled out.
pub(crate) fn say(err: &ApiError) -> String {
    match err.code() {
        Some(ErrorCode::RecentSignInRequired) => RECENT_NEEDED.to_owned(),
        _ => err.message(),
    }
}

#[component]
pub fn SignInMethodsCard() -> impl IntoView {
    let session = Session::get();
    let query = use_query_map();
    let methods = RwSignal::new(None::<SignInMethods>);
    let notice = RwSignal::new(None::<String>);
    let problem = RwSignal::new(None::<String>);
    let google_offered =
        LocalResource::new(|| async { api::providers().await.map(|p| p.google).unwrap_or(false) });

    // What a link through Google came back with.
    query.with_untracked(|q| {
        if q.get("linked").as_deref() == Some("google") {
            notice.set(Some("Google is now a way into your account.".to_owned()));
        }
        if let Some(code) = q.get("error") {
            let (heading, text) = explain(&code);
            problem.set(Some(format!("{heading}. {text}")));
        }
    });

    let found = LocalResource::new(move || api::sign_in_methods(session));
    Effect::new(move |_| match found.get() {
        Some(Ok(found)) => methods.set(Some(found)),
        Some(Err(err)) => problem.set(Some(say(&err))),
        None => {}
    });
    let load = move || found.refetch();

    let unlinking = Action::new_local(move |method: &SignInMethodName| {
        let method = *method;
        async move {
            let result = api::unlink_method(session, method.as_str()).await;
            result.map(|()| method)
        }
    });
    Effect::new(move |_| {
        match unlinking.value().get() {
            Some(Ok(method)) => notice.set(Some(format!(
                "{} is no longer linked.",
                method_label(method)
            ))),
            Some(Err(err)) => problem.set(Some(say(&err))),
            None => return,
        }
        load();
    });
    let unlink = move |method: SignInMethodName| {
        notice.set(None);
        problem.set(None);
        unlinking.dispatch(method);
    };
    let linking = Action::new_local(move |_: &()| api::link_google(session));
    Effect::new(move |_| match linking.value().get() {
        Some(Ok(url)) => {
            if let Some(window) = web_sys::window() {
                let _ = window.location().set_href(&url);
            }
        }
        Some(Err(err)) => problem.set(Some(say(&err))),
        None => {}
    });
    let link_google = move |_| {
        problem.set(None);
        linking.dispatch(());
    };
    let has_google = move || {
        methods.with(|m| {
            m.as_ref().is_some_and(|m| {
                m.methods
                    .iter()
                    .any(|v| v.method == SignInMethodName::Google)
            })
        })
    };
    // The only way in cannot be removed.
    let only_one = move || methods.with(|m| m.as_ref().is_some_and(|m| m.methods.len() == 1));

    view! {
        <section class="card" data-testid="sign-in-methods">
            <h2>"How you sign in"</h2>
            <ul class="history">
                <For
                    each=move || methods.get().map(|m| m.methods).unwrap_or_default()
                    key=|m| (m.method.as_str(), m.subject.clone())
                    let:item
                >
                    <MethodRow item=item only_one=Signal::derive(only_one) unlink=unlink/>
                </For>
            </ul>
            <Show when=only_one>
                <p class="hint">"This is your only way in, so it cannot be removed. Set a password or link another method first."</p>
            </Show>
            <Show when=move || google_offered.get().unwrap_or(false) && !has_google()>
                <div class="actions">
                    <button type="button" class="secondary" data-testid="link-google" on:click=link_google>"Link Google"</button>
                </div>
            </Show>
            <p class="notice" role="status">{move || notice.get()}</p>
            <Show when=move || problem.get().is_some()>
                <p class="form-error" role="alert">{move || problem.get()}</p>
            </Show>
        </section>
        <Show when=move || methods.with(|m| m.as_ref().is_some_and(|m| !m.has_password))>
            <FirstPassword methods=methods reload=load/>
        </Show>
        <Show when=move || methods.with(Option::is_some)>
            <DeleteAccount has_password=Signal::derive(move || methods.with(|m| m.as_ref().is_some_and(|m| m.has_password)))/>
        </Show>
    }
}

#[component]
fn MethodRow(
    item: SignInMethodView,
    only_one: Signal<bool>,
    unlink: impl Fn(SignInMethodName) + Copy + 'static,
) -> impl IntoView {
    let method = item.method;
    let details = match (&item.email, item.linked_at) {
        (Some(email), Some(at)) => format!("{email}, linked {}", at.format("%-d %b %Y")),
        (None, Some(at)) => format!("linked {}", at.format("%-d %b %Y")),
        _ => String::new(),
    };
    let used = item
        .last_used_at
        .map(|at| format!("last used {}", at.format("%-d %b %Y %H:%M")));
    view! {
        <li data-testid=format!("sign-in-method-{}", method.as_str())>
            <div class="project-head">
                <strong>{method_label(method)}</strong>
                <span class="muted">{details}</span>
                <span class="muted">{used}</span>
                {(method != SignInMethodName::Password).then(|| view! {
                    <button
                        type="button"
                        class="danger"
                        disabled=move || only_one.get()
                        title=move || only_one.get().then_some("Your only way in cannot be removed")
                        on:click=move |_| unlink(method)
                    >"Unlink"</button>
                })}
            </div>
        </li>
    }
}

/// A first password, for an account made by single sign-on or Google.
#[component]
fn FirstPassword(
    methods: RwSignal<Option<SignInMethods>>,
    reload: impl Fn() + Copy + 'static,
) -> impl IntoView {
    let session = Session::get();
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let recent = move || methods.with(|m| m.as_ref().and_then(|m| m.recent_sign_in_until));
    let set = Action::new_local(move |new_password: &String| {
        api::set_first_password(session, new_password.clone())
    });
    on_answer(set, error, move |auth| {
        password.set(String::new());
        // A fresh session: every other one has ended.
        session.sign_in(auth);
        reload();
    });
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        set.dispatch(password.get_untracked());
    };
    let recent_problem = move || {
        error.with(|e| {
            e.as_ref()
                .filter(|e| e.code() == Some(ErrorCode::RecentSignInRequired))
                .map(|_| RECENT_NEEDED)
        })
    };
    view! {
        <section class="card" data-testid="set-password">
            <h2>"Set a password"</h2>
            <p class="hint">"You sign in through another site. With a password you can also sign in here with your email address."</p>
            {move || match recent() {
                Some(until) => view! { <p class="hint">{format!("You can set it until {} (5 minutes after you signed in).", until.format("%H:%M"))}</p> }.into_any(),
                None => view! { <p class="hint">{RECENT_NEEDED}</p> }.into_any(),
            }}
            <form on:submit=submit novalidate>
                <Field label="New password" name="new_password" kind="password" autocomplete="new-password" value=password error=error/>
                <p class="hint">"At least 10 characters, with a digit, space or symbol."</p>
                <Show
                    when=move || recent_problem().is_some()
                    fallback=move || view! { <FormError error=error/> }
                >
                    <p class="form-error" role="alert">{recent_problem}</p>
                </Show>
                <button type="submit">"Set password"</button>
            </form>
        </section>
    }
}
