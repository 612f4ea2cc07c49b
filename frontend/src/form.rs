//! Small page pieces: a labelled input or select bound to a signal, the error line under it
//! (also for other inputs), the signed-in gate, and reading inputs into a request.

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
    let message = move || {
        let problem = error.get().and_then(|e| e.field(name))?;
        Some(in_words(&problem.message, name, label))
    };
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

/// The server's message about `name` in the form's words: its field name becomes the
/// field's label ("`chapter_count` is 1 to 50" → "“Chapters” is 1 to 50").
pub fn in_words(message: &str, name: &str, label: &str) -> String {
    let label = label.trim_end_matches(" (optional)");
    message.replace(&format!("`{name}`"), &format!("“{label}”"))
}

/// Text that is left out of a request when blank (the server then uses its default).
pub fn optional(text: RwSignal<String>) -> Option<String> {
    let value = text.get_untracked();
    (!value.trim().is_empty()).then_some(value)
}

/// A whole number from a number input; `None` (the server's default) when left empty.
/// Number inputs report anything that is not a number as empty.
pub fn number(text: RwSignal<String>) -> Option<i64> {
    text.with_untracked(|t| t.trim().parse().ok())
}

/// One option of a [`Picker`]: value, label, and whether it can be chosen.
pub type Choice = (String, String, bool);

/// Options that can all be chosen, from `(value, label)` pairs.
pub fn options(pairs: &[(&str, &str)]) -> Vec<Choice> {
    pairs
        .iter()
        .map(|(value, label)| ((*value).to_owned(), (*label).to_owned(), true))
        .collect()
}

/// A labelled select bound to `value`. The label sits beside the select, not around it, so
/// its text (the accessible name) is not run together with every option's.
#[component]
pub fn Picker(
    label: &'static str,
    name: &'static str,
    value: RwSignal<String>,
    #[prop(into)] options: Signal<Vec<Choice>>,
    error: RwSignal<Option<ApiError>>,
) -> impl IntoView {
    let id = format!("field-{name}");
    view! {
        <div class="field">
            <label for=id.clone()><span>{label}</span></label>
            <select id=id name=name on:change=move |ev| value.set(event_target_value(&ev))>
                // `selected` per option, not the select's value: options may arrive later
                // than the value (the model catalog loads after the page).
                {move || options.get().into_iter().map(|(id, text, enabled)| {
                    let selected = id.clone();
                    view! {
                        <option value=id disabled=!enabled prop:selected=move || value.with(|v| *v == selected)>{text}</option>
                    }
                }).collect_view()}
            </select>
            <FieldError name=name error=error/>
        </div>
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

/// Shows `children` to a signed-in user. A visitor found signed out when the page opens, or
/// whose session ran out on it, is sent to sign in and brought back here afterwards (one who
/// signs out on purpose is not); "Loading…" shows until the session is known, so nothing
/// flashes.
#[component]
pub fn SignedIn(heading: &'static str, what: &'static str, children: ChildrenFn) -> impl IntoView {
    let session = crate::session::Session::get();
    // Re-render only when the answer changes, not on every token refresh.
    let state = Memo::new(move |_| (session.ready(), session.user().is_some()));
    let navigate = leptos_router::hooks::use_navigate();
    let sign_in = move || crate::return_to::with_next("/sign-in", Some(&crate::return_to::here()));
    Effect::new(move |before: Option<(bool, bool)>| {
        let now = state.get();
        let first_look = before.is_none_or(|(ready, _)| !ready);
        if now == (true, false) && (first_look || session.expired()) {
            let options = leptos_router::NavigateOptions {
                replace: true,
                ..Default::default()
            };
            navigate(&sign_in(), options);
        }
        now
    });
    move || match state.get() {
        (false, _) => view! { <p class="muted" role="status">"Loading…"</p> }.into_any(),
        (true, false) => view! {
            <section class="card narrow">
                <h1>{heading}</h1>
                <p><A href=sign_in()>"Sign in"</A>{format!(" to see {what}.")}</p>
            </section>
        }
        .into_any(),
        (true, true) => children().into_any(),
    }
}

/// Runs `done` with each answer of `action`, or shows its error in `error` (next to the
/// control that sent it).
pub fn on_answer<I, T>(
    action: Action<I, Result<T, ApiError>>,
    error: RwSignal<Option<ApiError>>,
    done: impl Fn(T) + 'static,
) where
    I: 'static,
    T: Clone + Send + Sync + 'static,
{
    Effect::new(move |_| match action.value().get() {
        Some(Ok(value)) => done(value),
        Some(Err(err)) => error.set(Some(err)),
        None => {}
    });
}
