//! App keys: server-to-server keys for sister apps such as ImageGene. A new key's secret is
//! shown once, with Copy; revoking asks first, since apps using the key stop at once.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use penora_api_types::{ApiKey, CreateAppKeyRequest, CreatedApiKey};

use super::{when, AdminOnly, LoadError};
use crate::api::{self, ApiError};
use crate::form::{on_answer, Field, FormError};
use crate::ids::AppKeyId;
use crate::pages::table::{Col, Table};
use crate::session::Session;

/// What an app key may do, as the server names it, with words for people.
const SCOPES: [(&str, &str); 5] = [
    ("users:read", "Look up users"),
    ("credits:read", "Read balances"),
    ("credits:write", "Spend and give back credits"),
    ("projects:read", "Read shared projects"),
    ("storage:write", "Report storage used"),
];

fn scope_label(scope: &str) -> String {
    SCOPES
        .iter()
        .find(|(name, _)| *name == scope)
        .map_or_else(|| scope.to_owned(), |(_, label)| (*label).to_owned())
}

#[component]
pub fn AdminAppKeys() -> impl IntoView {
    view! { <AdminOnly><AppKeysCard/></AdminOnly> }
}

#[component]
fn AppKeysCard() -> impl IntoView {
    let session = Session::get();
    let reload = RwSignal::new(0_u32);
    let keys = LocalResource::new(move || {
        reload.track();
        api::app_keys(session)
    });
    let created = RwSignal::new(None::<CreatedApiKey>);
    let notice = RwSignal::new(None::<String>);
    let revoke_error = RwSignal::new(None::<String>);
    let revoke = Action::new_local(move |key: &ApiKey| {
        let (id, name) = (AppKeyId::of(key.id), key.name.clone());
        async move { api::revoke_app_key(session, id).await.map(|()| name) }
    });
    Effect::new(move |_| match revoke.value().get() {
        Some(Ok(name)) => {
            revoke_error.set(None);
            notice.set(Some(format!(
                "Revoked “{name}”: apps using it are refused from now on."
            )));
            reload.update(|n| *n += 1);
        }
        Some(Err(err)) => revoke_error.set(Some(err.message())),
        None => {}
    });

    view! {
        <section class="card" data-testid="admin-app-keys">
            <h1>"App keys"</h1>
            <p class="hint">"Keys for Penora's sister apps (such as ImageGene) to call Penora from their servers. The secret is shown once, when the key is made."</p>
            <Transition fallback=|| view! { <p class="muted">"Loading app keys…"</p> }>
                {move || Suspend::new(async move {
                    match keys.await {
                        Ok(list) if list.items.is_empty() => view! { <p class="muted">"No app keys yet."</p> }.into_any(),
                        Ok(list) => view! { <KeyTable items=list.items revoke=revoke/> }.into_any(),
                        Err(error) => view! { <LoadError what="App keys could not be loaded" error=error/> }.into_any(),
                    }
                })}
            </Transition>
            <Show when=move || revoke_error.with(Option::is_some)>
                <p class="form-error" role="alert">{move || revoke_error.get()}</p>
            </Show>
            <p class="notice" role="status">{move || notice.get()}</p>
        </section>
        <CreateKey created=created reload=reload/>
    }
}

#[component]
fn KeyTable(items: Vec<ApiKey>, revoke: Action<ApiKey, Result<String, ApiError>>) -> impl IntoView {
    // The key whose revocation is being confirmed.
    let confirming = RwSignal::new(None::<String>);
    view! {
        <Table class="admin-table" testid="app-key-table" cols=vec![Col::Text("Name"), Col::Text("Starts with"), Col::Text("May"), Col::Text("Made"), Col::Text("Last used"), Col::Text("State")]>
                    {items.into_iter().map(|key| {
                        let id = key.id.to_string();
                        let scopes = key.scopes.iter().map(|s| scope_label(s)).collect::<Vec<_>>().join(", ");
                        let used = key.last_used_at.map_or_else(|| "Never".to_owned(), when);
                        let (this, this_too) = (id.clone(), id.clone());
                        let asking = move || confirming.with(|c| c.as_deref() == Some(this.as_str()));
                        let state = if key.revoked {
                            view! { <span class="muted">"Revoked"</span> }.into_any()
                        } else {
                            let key = key.clone();
                            view! {
                                <Show when=asking.clone() fallback=move || view! {
                                    <button type="button" class="danger" on:click={
                                        let id = this_too.clone();
                                        move |_| confirming.set(Some(id.clone()))
                                    }>"Revoke"</button>
                                }>
                                    <span class="confirm-inline" role="group" aria-label="Confirm revoking">
                                        "Apps using it stop working. "
                                        <button type="button" class="danger" disabled=move || revoke.pending().get()
                                            on:click={ let key = key.clone(); move |_| { revoke.dispatch(key.clone()); } }>
                                            {move || if revoke.pending().get() { "Revoking…" } else { "Revoke now" }}
                                        </button>
                                        <button type="button" class="secondary" on:click=move |_| confirming.set(None)>"Keep"</button>
                                    </span>
                                </Show>
                            }.into_any()
                        };
                        view! {
                            <tr data-testid="app-key-row">
                                <td>{key.name.clone()}</td>
                                <td><code>{format!("{}…", key.prefix)}</code></td>
                                <td>{scopes}</td>
                                <td>{when(key.created_at)}</td>
                                <td>{used}</td>
                                <td>{state}</td>
                            </tr>
                        }
                    }).collect_view()}
                </Table>
    }
}

#[component]
fn CreateKey(created: RwSignal<Option<CreatedApiKey>>, reload: RwSignal<u32>) -> impl IntoView {
    let session = Session::get();
    let name = RwSignal::new(String::new());
    let chosen = RwSignal::new(Vec::<&'static str>::new());
    let error = RwSignal::new(None::<ApiError>);
    let copied = RwSignal::new(None::<String>);
    let create = Action::new_local(move |body: &CreateAppKeyRequest| {
        api::create_app_key(session, body.clone())
    });
    on_answer(create, error, move |key| {
        created.set(Some(key));
        name.set(String::new());
        chosen.set(Vec::new());
        copied.set(None);
        reload.update(|n| *n += 1);
    });
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        create.dispatch(CreateAppKeyRequest {
            name: name.get_untracked().trim().to_owned(),
            scopes: chosen
                .get_untracked()
                .into_iter()
                .map(str::to_owned)
                .collect(),
        });
    };
    let copy = Action::new_local(move |secret: &String| {
        let secret = secret.clone();
        async move {
            let done = crate::clipboard::copy(&secret).await;
            copied.set(Some(if done {
                "Copied.".to_owned()
            } else {
                "Could not copy: select the key and copy it yourself.".to_owned()
            }));
        }
    });

    view! {
        <section class="card" data-testid="create-app-key">
            <h2>"New app key"</h2>
            {move || created.get().map(|key| view! {
                <div class="secret" data-testid="app-key-secret">
                    <p><strong>{format!("The key for “{}”. ", key.key.name)}</strong>"Store it now: it cannot be shown again."</p>
                    <div class="toolbar">
                        <input readonly aria-label="The new app key" prop:value=key.secret.clone()/>
                        <button type="button" on:click={
                            let secret = key.secret.clone();
                            move |_| { copy.dispatch(secret.clone()); }
                        }>"Copy"</button>
                        <button type="button" class="secondary" on:click=move |_| created.set(None)>"Done"</button>
                    </div>
                    <p class="notice" role="status">{move || copied.get()}</p>
                </div>
            })}
            <form on:submit=submit novalidate>
                <Field label="Name (which app it is for)" name="name" value=name error=error/>
                <fieldset class="scopes">
                    <legend>"What it may do"</legend>
                    {SCOPES.into_iter().map(|(scope, label)| view! {
                        <label class="check">
                            <input type="checkbox" name="scopes" value=scope
                                prop:checked=move || chosen.with(|c| c.contains(&scope))
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    chosen.update(|c| { c.retain(|s| *s != scope); if on { c.push(scope); } });
                                }/>
                            {label}
                        </label>
                    }).collect_view()}
                    <small class="field-error" data-field="scopes">{move || error.get().and_then(|e| e.field("scopes")).map(|f| f.message)}</small>
                </fieldset>
                <FormError error=error/>
                <div class="actions">
                    <button type="submit" disabled=move || create.pending().get()>
                        {move || if create.pending().get() { "Creating…" } else { "Create key" }}
                    </button>
                </div>
            </form>
        </section>
    }
}
