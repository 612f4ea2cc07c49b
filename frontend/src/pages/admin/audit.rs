//! The audit log, newest first, filtered by what happened, who did it, what it was about and
//! when. The filters live in the address, so a filtered view can be linked to.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};
use penora_api_types::AuditEntry;

use super::{short, signed_credits, when, AdminOnly, LoadError, Pager, Pages};
use crate::api;
use crate::pages::table::{Col, Table};
use crate::session::Session;

/// The actions Penora records, as the server names them, with words for people.
const ACTIONS: [(&str, &str); 38] = [
    ("admin.balance_adjusted", "Credits adjusted by an admin"),
    ("admin.app_key_created", "App key created"),
    ("admin.app_key_revoked", "App key revoked"),
    ("admin.created", "Admin account created"),
    ("admin.role_granted", "Admin role granted"),
    ("auth.signup", "Signed up"),
    ("auth.login", "Signed in"),
    ("auth.login_failed", "Sign-in failed"),
    ("auth.logout", "Signed out"),
    ("auth.logout_all", "Signed out everywhere"),
    ("auth.email_verified", "Email confirmed"),
    ("auth.password_changed", "Password changed"),
    ("auth.password_reset_requested", "Password reset asked for"),
    ("auth.password_reset", "Password reset"),
    ("auth.password_set", "First password set"),
    ("auth.refresh_token_reused", "Old session token reused"),
    ("auth.identity_linked", "Sign-in method linked"),
    ("auth.identity_unlinked", "Sign-in method unlinked"),
    ("auth.sign_in_arrival", "Arrived by single sign-on"),
    ("auth.sign_in_refused", "Single sign-on refused"),
    ("account.deleted", "Account deleted"),
    ("api_key.created", "Personal API key created"),
    ("api_key.revoked", "Personal API key revoked"),
    ("provider_key.set", "Own provider key saved"),
    ("provider_key.deleted", "Own provider key removed"),
    ("app.debit", "ImageGene spent credits"),
    ("app.refund", "ImageGene gave credits back"),
    ("app.user_resolved", "ImageGene looked up a user"),
    ("app.share_read", "ImageGene read a shared project"),
    ("app.storage_reported", "ImageGene reported storage"),
    ("billing.order_created", "Order started"),
    ("billing.payment_failed", "Payment failed"),
    ("billing.refund_applied", "Refund made"),
    ("billing.subscription_created", "Plan subscribed"),
    ("billing.subscription_changed", "Plan changed"),
    ("billing.subscription_cancelled", "Plan cancelled"),
    ("billing.verify_refused", "Payment check refused"),
    ("billing.webhook_refused", "Gateway notice refused"),
];

fn action_label(action: &str) -> String {
    ACTIONS
        .iter()
        .find(|(name, _)| *name == action)
        .map_or_else(|| action.to_owned(), |(_, label)| (*label).to_owned())
}

/// A user id as the server writes them (a UUID).
pub fn looks_like_id(text: &str) -> bool {
    text.len() == 36
        && text.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// The day after `date` (`YYYY-MM-DD`), as the API's exclusive end of a day range.
fn day_after(date: &str) -> Option<String> {
    let day: chrono::NaiveDate = date.parse().ok()?;
    Some(format!("{}T00:00:00Z", day.succ_opt()?))
}

#[component]
pub fn AdminAudit() -> impl IntoView {
    view! { <AdminOnly><AuditCard/></AdminOnly> }
}

#[component]
fn AuditCard() -> impl IntoView {
    let session = Session::get();
    let navigate = use_navigate();
    let params = use_query_map();
    let param = move |name: &str| params.with(|p| p.get(name).unwrap_or_default());
    let filters = Memo::new(move |_| ["action", "actor", "subject", "from", "to"].map(param));
    let [action, actor, subject, from, to] = filters.get_untracked().map(RwSignal::new);
    let actor_error = RwSignal::new(None::<String>);
    let pages = Pages::new();
    Effect::new(move |previous: Option<[String; 5]>| {
        let now = filters.get();
        if previous.is_some_and(|p| p != now) {
            pages.reset();
            for (signal, value) in [action, actor, subject, from, to]
                .into_iter()
                .zip(now.clone())
            {
                signal.set(value);
            }
        }
        now
    });
    let log = LocalResource::new(move || {
        let [action, actor, subject, from, to] = filters.get();
        let path = api::query(&[
            ("action", Some(action)),
            ("actor", Some(actor)),
            ("subject", Some(subject)),
            (
                "from",
                (!from.is_empty()).then(|| format!("{from}T00:00:00Z")),
            ),
            ("to", day_after(&to)),
            ("cursor", pages.cursor.get()),
        ]);
        api::audit_log(session, path)
    });
    let next = Signal::derive(move || log.get().and_then(|r| r.ok()).and_then(|p| p.next_cursor));

    let apply = move |ev: SubmitEvent| {
        ev.prevent_default();
        let who = actor.get_untracked();
        if !who.trim().is_empty() && !looks_like_id(who.trim()) {
            actor_error.set(Some(
                "Who did it must be a user id, as on a user's page.".into(),
            ));
            return;
        }
        actor_error.set(None);
        let path = api::query(&[
            ("action", Some(action.get_untracked())),
            ("actor", Some(who)),
            ("subject", Some(subject.get_untracked())),
            ("from", Some(from.get_untracked())),
            ("to", Some(to.get_untracked())),
        ]);
        navigate(&format!("/admin/audit{path}"), Default::default());
    };
    let text_input = move |id: &'static str,
                           label: &'static str,
                           value: RwSignal<String>,
                           kind: &'static str| {
        view! {
            <label class="field" for=id>
                <span>{label}</span>
                <input id=id name=id type=kind autocomplete="off" prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev))/>
            </label>
        }
    };

    view! {
        <section class="card" data-testid="admin-audit">
            <h1>"Audit log"</h1>
            <form class="filters" on:submit=apply novalidate>
                <div class="field">
                    <label for="audit-action"><span>"What happened"</span></label>
                    <select id="audit-action" name="action" on:change=move |ev| action.set(event_target_value(&ev))>
                        <option value="" prop:selected=move || action.with(String::is_empty)>"Anything"</option>
                        {ACTIONS.into_iter().map(|(name, label)| view! {
                            <option value=name prop:selected=move || action.with(|a| a == name)>{label}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div>
                    {text_input("audit-actor", "Who did it (user id)", actor, "text")}
                    <small class="field-error" role="alert">{move || actor_error.get()}</small>
                </div>
                {text_input("audit-subject", "About (email or user id)", subject, "text")}
                {text_input("audit-from", "From (UTC day)", from, "date")}
                {text_input("audit-to", "To (UTC day, included)", to, "date")}
                <div class="actions">
                    <button type="submit">"Apply filters"</button>
                    <A href="/admin/audit">"Clear"</A>
                </div>
            </form>
            <Transition fallback=|| view! { <p class="muted">"Loading the audit log…"</p> }>
                {move || Suspend::new(async move {
                    match log.await {
                        Ok(page) if page.items.is_empty() => view! { <p class="muted">"Nothing matches these filters."</p> }.into_any(),
                        Ok(page) => view! { <AuditTable items=page.items/> }.into_any(),
                        Err(error) => view! { <LoadError what="The audit log could not be loaded" error=error/> }.into_any(),
                    }
                })}
            </Transition>
            <Pager pages=pages next=next/>
        </section>
    }
}

#[component]
fn AuditTable(items: Vec<AuditEntry>) -> impl IntoView {
    view! {
        <Table class="admin-table" testid="audit-table" cols=vec![Col::Text("When"), Col::Text("What happened"), Col::Text("Who"), Col::Text("About"), Col::Text("Details"), Col::Text("IP address")]>
                    {items.into_iter().map(|entry| {
                        let who = match entry.actor_user_id {
                            Some(id) => {
                                let id = id.to_string();
                                let (href, text) = (format!("/admin/users/{id}"), short(&id));
                                view! { <A href=href attr:title=id>{text}</A> }.into_any()
                            }
                            None => view! { <span class="muted">"Penora"</span> }.into_any(),
                        };
                        let about = match entry.subject {
                            Some(s) if looks_like_id(&s) => {
                                let (href, text) = (format!("/admin/users/{s}"), short(&s));
                                view! { <A href=href attr:title=s>{text}</A> }.into_any()
                            }
                            Some(s) => view! { <span>{s}</span> }.into_any(),
                            None => view! { <span class="muted">"—"</span> }.into_any(),
                        };
                        view! {
                            <tr data-testid="audit-row">
                                <td>{when(entry.created_at)}</td>
                                <td title=entry.action.clone()>{action_label(&entry.action)}</td>
                                <td class="nowrap">{who}</td>
                                <td class="nowrap">{about}</td>
                                <td class="details">{details(&entry.meta)}</td>
                                <td class="nowrap">{entry.ip.unwrap_or_default()}</td>
                            </tr>
                        }
                    }).collect_view()}
                </Table>
    }
}

/// An entry's details as "amount: +12.5 credits · reason: …".
fn details(meta: &serde_json::Value) -> String {
    let Some(fields) = meta.as_object() else {
        return String::new();
    };
    fields
        .iter()
        .filter(|(name, _)| !name.ends_with("_id"))
        .map(|(name, value)| {
            let (name, value) = match (name.strip_suffix("_mc"), value.as_i64()) {
                (Some(name), Some(mc)) => (name, format!("{} credits", signed_credits(mc))),
                _ => (
                    name.as_str(),
                    value
                        .as_str()
                        .map_or_else(|| value.to_string(), str::to_owned),
                ),
            };
            format!("{}: {value}", name.replace('_', " "))
        })
        .collect::<Vec<_>>()
        .join(" · ")
}
