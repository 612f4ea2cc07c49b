//! The account page's own AI provider keys: with one, that provider's models run on the
//! writer's own account there and cost no credits. A key is never shown again once saved,
//! only a hint of its ends.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use penora_api_types::{ProviderKey, SetProviderKey};

use crate::api::{self, ApiError};
use crate::form::{on_answer, options, Field, FormError, Picker};
use crate::session::Session;

/// The providers that take a writer's own key, as the server names them.
const PROVIDERS: [(&str, &str); 7] = [
    ("openai", "OpenAI"),
    ("anthropic", "Anthropic"),
    ("gemini", "Google Gemini"),
    ("groq", "Groq"),
    ("openrouter", "OpenRouter"),
    ("deepinfra", "DeepInfra"),
    ("ollama", "Ollama"),
];

fn provider_name(id: &str) -> String {
    PROVIDERS
        .iter()
        .find(|(value, _)| *value == id)
        .map_or_else(|| id.to_owned(), |(_, name)| (*name).to_owned())
}

#[component]
pub fn ProviderKeys() -> impl IntoView {
    let session = Session::get();
    let keys = RwSignal::new(Vec::<ProviderKey>::new());
    let provider = RwSignal::new("openai".to_owned());
    let key = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let notice = RwSignal::new(None::<String>);

    let list = LocalResource::new(move || api::provider_keys(session));
    Effect::new(move |_| match list.get() {
        Some(Ok(list)) => keys.set(list.items),
        Some(Err(err)) => error.set(Some(err)),
        None => {}
    });

    let set = Action::new_local(move |body: &SetProviderKey| {
        api::set_provider_key(session, body.clone())
    });
    on_answer(set, error, move |saved| {
        // The key leaves the page: only the server keeps it.
        key.set(String::new());
        notice.set(Some(format!(
            "Saved your {} key {}.",
            provider_name(&saved.provider),
            saved.hint
        )));
        list.refetch();
    });
    let save = move |ev: SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        notice.set(None);
        set.dispatch(SetProviderKey {
            provider: provider.get_untracked(),
            key: key.get_untracked(),
        });
    };
    let delete = Action::new_local(move |provider: &String| {
        let provider = provider.clone();
        async move {
            let result = api::delete_provider_key(session, provider.clone()).await;
            result.map(|()| provider)
        }
    });
    Effect::new(move |_| {
        match delete.value().get() {
            Some(Ok(provider)) => notice.set(Some(format!(
                "Removed your {} key.",
                provider_name(&provider)
            ))),
            Some(Err(err)) => error.set(Some(err)),
            None => return,
        }
        list.refetch();
    });
    let remove = move |provider: String| {
        error.set(None);
        notice.set(None);
        delete.dispatch(provider);
    };

    view! {
        <section class="card" data-testid="provider-keys">
            <h2>"Your AI provider keys"</h2>
            <p class="hint">
                "With your own key for a provider, its models run on your account there and cost no Penora credits. "
                "The key is stored encrypted and never shown again: only its first and last characters, to recognise it."
            </p>
            <Show when=move || keys.with(Vec::is_empty)>
                <p class="muted">"No keys saved: every model is paid in credits."</p>
            </Show>
            <ul class="history">
                <For each=move || keys.get() key=|k| (k.provider.clone(), k.updated_at) let:item>
                    <KeyRow item=item remove=remove/>
                </For>
            </ul>
            <form class="key-form" on:submit=save novalidate>
                <Picker label="Provider" name="provider" value=provider options=options(&PROVIDERS) error=error/>
                <Field label="Key" name="key" kind="password" autocomplete="off" value=key error=error/>
                <div class="actions">
                    <button type="submit">"Save key"</button>
                </div>
            </form>
            <FormError error=error/>
            <p class="notice" role="status">{move || notice.get()}</p>
        </section>
    }
}

/// One stored key; removing it asks first (its models go back to being paid in credits).
#[component]
fn KeyRow(
    item: ProviderKey,
    remove: impl Fn(String) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let provider = item.provider.clone();
    let name = provider_name(&item.provider);
    let asking = RwSignal::new(false);
    view! {
        <li data-testid=format!("provider-key-{}", item.provider)>
            <div class="project-head">
                <strong>{name.clone()}</strong>
                <code class="hint-code">{item.hint.clone()}</code>
                <span class="muted">{format!("updated {}", item.updated_at.format("%-d %b %Y %H:%M"))}</span>
                <Show
                    when=move || asking.get()
                    fallback=move || view! {
                        <button type="button" class="danger" on:click=move |_| asking.set(true)>"Remove"</button>
                    }
                >
                    <span class="confirm" role="group" aria-label="Confirm removal">
                        {format!("Remove your {name} key? Its models will cost credits again. ")}
                        <button type="button" class="danger" on:click={
                            let provider = provider.clone();
                            move |_| remove(provider.clone())
                        }>"Yes, remove it"</button>
                        <button type="button" class="secondary" on:click=move |_| asking.set(false)>"Keep it"</button>
                    </span>
                </Show>
            </div>
        </li>
    }
}
