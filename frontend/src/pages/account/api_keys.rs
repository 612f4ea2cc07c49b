//! `/account/api-keys`: personal API keys. A new key's secret is shown once, with a Copy
//! button; the list shows each key's start, scopes and last use; a key can be revoked.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use penora_api_types::{ApiKey, CreateApiKeyRequest, CreatedApiKey};

use super::area::{when, AccountNav};
use crate::api::{self, ApiError};
use crate::form::{on_answer, Field, FieldError, FormError, SignedIn};
use crate::ids::ApiKeyId;
use crate::pages::table::{Col, Table};
use crate::session::Session;

/// The scopes a personal key can have, as the API names them, with what they allow.
const SCOPES: [(&str, &str, &str); 3] = [
    (
        "read",
        "Read",
        "see your account, balance, history and projects",
    ),
    ("write", "Write", "change your projects and profile"),
    (
        "generate",
        "Generate",
        "write with the AI, spending your credits",
    ),
];

fn scope_name(id: &str) -> &str {
    SCOPES
        .iter()
        .find(|(s, _, _)| *s == id)
        .map_or(id, |(_, name, _)| name)
}

#[component]
pub fn ApiKeys() -> impl IntoView {
    view! {
        <SignedIn heading="API keys" what="your API keys">
            <AccountNav/>
            <KeysCard/>
        </SignedIn>
    }
}

#[component]
fn KeysCard() -> impl IntoView {
    let session = Session::get();
    let keys = LocalResource::new(move || api::api_keys(session));
    let created = RwSignal::new(None::<CreatedApiKey>);
    let notice = RwSignal::new(None::<String>);
    let revoke = Action::new_local(move |key: &ApiKey| {
        let (id, name) = (ApiKeyId::of(key.id), key.name.clone());
        async move { api::revoke_api_key(session, id).await.map(|()| name) }
    });
    Effect::new(move |_| {
        if let Some(result) = revoke.value().get() {
            notice.set(Some(match result {
                Ok(name) => format!("Revoked \"{name}\": it no longer works."),
                Err(err) => format!("Could not revoke the key: {}", err.message()),
            }));
            keys.refetch();
        }
    });

    view! {
        <section class="card" data-testid="api-keys">
            <h1>"API keys"</h1>
            <p class="hint">
                "A personal key lets your own programs use Penora as you: send it as "
                <code>"Authorization: Bearer <key>"</code>". Give each program its own key, with only the scopes it needs."
            </p>
            <Show when=move || created.with(Option::is_some)>
                <NewSecret created=created/>
            </Show>
            <CreateKey created=created on_created=move || { notice.set(None); keys.refetch(); }/>
            <h2>"Your keys"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading your keys…"</p> }>
                {move || Suspend::new(async move {
                    match keys.await {
                        Ok(list) if list.is_empty() => view! { <p class="muted">"No keys yet."</p> }.into_any(),
                        Ok(list) => view! { <KeyTable keys=list revoke=revoke/> }.into_any(),
                        Err(err) => view! {
                            <p class="form-error" role="alert">{format!("Could not load your keys: {}", err.message())}</p>
                        }.into_any(),
                    }
                })}
            </Transition>
            <p class="notice" role="status">{move || notice.get()}</p>
        </section>
    }
}

#[component]
fn CreateKey(
    created: RwSignal<Option<CreatedApiKey>>,
    on_created: impl Fn() + Copy + 'static,
) -> impl IntoView {
    let session = Session::get();
    let name = RwSignal::new(String::new());
    let scopes = RwSignal::new(vec!["read", "write", "generate"]);
    let error = RwSignal::new(None::<ApiError>);
    let create = Action::new_local(move |body: &CreateApiKeyRequest| {
        api::create_api_key(session, body.clone())
    });
    on_answer(create, error, move |key| {
        name.set(String::new());
        created.set(Some(key));
        on_created();
    });
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        created.set(None);
        create.dispatch(CreateApiKeyRequest {
            name: name.get_untracked(),
            scopes: Some(
                scopes
                    .get_untracked()
                    .into_iter()
                    .map(str::to_owned)
                    .collect(),
            ),
        });
    };
    view! {
        <form class="key-create" on:submit=submit novalidate>
            <h2>"New key"</h2>
            <Field label="Name" name="name" value=name error=error/>
            <fieldset class="scopes">
                <legend>"What it may do"</legend>
                {SCOPES.into_iter().map(|(id, label, what)| view! {
                    <label class="check">
                        <input type="checkbox" name="scopes" value=id
                            prop:checked=move || scopes.with(|s| s.contains(&id))
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                scopes.update(|s| {
                                    s.retain(|x| *x != id);
                                    if on { s.push(id); }
                                });
                            }/>
                        <strong>{label}</strong>
                        <span class="muted">{format!("({what})")}</span>
                    </label>
                }).collect_view()}
                <FieldError name="scopes" error=error/>
            </fieldset>
            <FormError error=error/>
            <div class="actions start">
                <button type="submit" disabled=move || create.pending().get()>
                    {move || if create.pending().get() { "Creating…" } else { "Create key" }}
                </button>
            </div>
        </form>
    }
}

/// The new key's secret: shown here once, never again.
#[component]
fn NewSecret(created: RwSignal<Option<CreatedApiKey>>) -> impl IntoView {
    let input = NodeRef::<leptos::html::Input>::new();
    let secret = move || created.with(|c| c.as_ref().map(|c| c.secret.clone()).unwrap_or_default());
    let key_name =
        move || created.with(|c| c.as_ref().map(|c| c.key.name.clone()).unwrap_or_default());
    let copy = Action::new_local(move |text: &String| {
        let text = text.clone();
        async move { crate::clipboard::copy(&text).await }
    });
    let copied = move || match copy.value().get() {
        Some(true) => Some("Copied."),
        Some(false) => {
            // No clipboard (an insecure page or a refusal): select it for the keyboard.
            if let Some(el) = input.get() {
                el.select();
            }
            Some("Copying is not allowed here: the key is selected, press Ctrl+C (⌘C on a Mac).")
        }
        None => None,
    };
    view! {
        <div class="secret-box" role="region" aria-label="Your new key" data-testid="new-secret">
            <p><strong>{move || format!("Your new key \"{}\"", key_name())}</strong></p>
            <p class="warning">"Copy it now and keep it somewhere safe. It will not be shown again."</p>
            <div class="secret-row">
                <input node_ref=input readonly aria-label="The new key" data-testid="secret"
                    prop:value=secret on:focus=move |_| { if let Some(el) = input.get() { el.select(); } }/>
                <button type="button" on:click=move |_| { copy.dispatch(secret()); }>"Copy"</button>
            </div>
            <p class="notice" role="status">{copied}</p>
            <button type="button" class="secondary" on:click=move |_| created.set(None)>"Done, I stored it"</button>
        </div>
    }
}

#[component]
fn KeyTable(keys: Vec<ApiKey>, revoke: Action<ApiKey, Result<String, ApiError>>) -> impl IntoView {
    view! {
        <Table class="keys" cols=vec![Col::Text("Name"), Col::Text("Starts with"), Col::Text("Scopes"), Col::Text("Created"), Col::Text("Last used"), Col::Hidden("Actions")]>
                    {keys.into_iter().map(|key| view! { <KeyRow key=key revoke=revoke/> }).collect_view()}
                </Table>
    }
}

#[component]
fn KeyRow(key: ApiKey, revoke: Action<ApiKey, Result<String, ApiError>>) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let revoked = key.revoked;
    let scopes = key
        .scopes
        .iter()
        .map(|s| scope_name(s))
        .collect::<Vec<_>>()
        .join(", ");
    let name = key.name.clone();
    let pending = move || revoke.pending().get();
    view! {
        <tr data-testid="api-key" class:revoked=revoked>
            <td>{key.name.clone()}</td>
            <td><code>{format!("{}…", key.prefix)}</code></td>
            <td>{scopes}</td>
            <td class="nowrap">{when(key.created_at)}</td>
            <td class="nowrap">{key.last_used_at.map_or_else(|| "Never".to_owned(), when)}</td>
            <td class="nowrap">
                {if revoked {
                    view! { <span class="muted">"Revoked"</span> }.into_any()
                } else {
                    view! {
                        <Show
                            when=move || confirming.get()
                            fallback=move || view! {
                                <button type="button" class="danger" on:click=move |_| confirming.set(true)>"Revoke"</button>
                            }
                        >
                            <span class="confirm">
                                {format!("Revoke \"{name}\"? ")}
                                <button type="button" class="danger" disabled=pending
                                    on:click={let key = key.clone(); move |_| { revoke.dispatch(key.clone()); }}>
                                    {move || if pending() { "Revoking…" } else { "Yes, revoke" }}
                                </button>
                                <button type="button" class="secondary" on:click=move |_| confirming.set(false)>"Cancel"</button>
                            </span>
                        </Show>
                    }.into_any()
                }}
            </td>
        </tr>
    }
}
