//! Small form pieces: a labelled input bound to a signal, and the error line under it.

use leptos::prelude::*;

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
