//! Small page pieces: a labelled input bound to a signal, the error line under it (also for
//! other inputs), and the signed-in gate.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::ApiError;

#[component]
pub fn Field(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    value: RwSignal<String>,
    error: RwSignal<Option<ApiError>>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let input_id = id.clone();
    let message = move || error.get().and_then(|e| e.field(name)).map(|f| f.message);
    view! {
        <label class="field" for=id>
            <span>{label}</span>
            <input
                id=input_id
                name=name
                type=kind
                autocomplete=autocomplete.unwrap_or("off")
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
                class:invalid=move || message().is_some()
            />
            <small class="field-error" data-field=name>{message}</small>
        </label>
    }
}

/// The server's message for field `name`, for inputs that do not use [`Field`] (selects,
/// text areas).
#[component]
pub fn FieldError(name: &'static str, error: RwSignal<Option<ApiError>>) -> impl IntoView {
    let message = move || error.get().and_then(|e| e.field(name)).map(|f| f.message);
    view! { <small class="field-error" data-field=name>{message}</small> }
}

/// The request-level error (not tied to a field), shown above the submit button.
#[component]
pub fn FormError(error: RwSignal<Option<ApiError>>) -> impl IntoView {
    let message = move || {
        error.get().and_then(|e| {
            let has_fields = e.problem.as_ref().is_some_and(|p| !p.errors.is_empty());
            (!has_fields).then(|| e.message())
        })
    };
    view! { <Show when=move || message().is_some()><p class="form-error" role="alert">{message}</p></Show> }
}

/// Shows `children` to a signed-in user; otherwise a card asking them to sign in to see
/// `what` (and "Loading…" until the session is known, so nothing flashes).
#[component]
pub fn SignedIn(heading: &'static str, what: &'static str, children: ChildrenFn) -> impl IntoView {
    let session = crate::session::Session::get();
    // Re-render only when the answer changes, not on every token refresh.
    let state = Memo::new(move |_| (session.ready(), session.user().is_some()));
    move || match state.get() {
        (false, _) => view! { <p class="muted">"Loading…"</p> }.into_any(),
        (true, false) => view! {
            <section class="card narrow">
                <h1>{heading}</h1>
                <p><A href="/sign-in">"Sign in"</A>{format!(" to see {what}.")}</p>
            </section>
        }
        .into_any(),
        (true, true) => children().into_any(),
    }
}
