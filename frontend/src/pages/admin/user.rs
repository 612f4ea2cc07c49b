//! One user: who they are, their balance and newest ledger entries, and an adjustment of
//! their credits with a reason (confirmed with the balance it leaves).

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::components::A;
use penora_api_types::{AdjustmentRequest, AdminUserDetail, ErrorCode, RoleView, Transaction};

use super::amounts::parse_credits;
use super::{entry_label, fresh_key, signed_credits, when, AdminOnly, LoadError};
use crate::api::{self, ApiError};
use crate::format::credits;
use crate::ids::{route_id, UserId};
use crate::pages::table::{Col, Table};
use crate::session::Session;

#[component]
pub fn AdminUserPage() -> impl IntoView {
    view! { <AdminOnly><UserDetail/></AdminOnly> }
}

#[component]
fn UserDetail() -> impl IntoView {
    let session = Session::get();
    let id = route_id::<UserId>();
    // Bumped after an adjustment: the balance and ledger are read again.
    let reload = RwSignal::new(0_u32);
    // Outlives the form, which is drawn again with the new balance.
    let notice = RwSignal::new(None::<String>);
    let detail = LocalResource::new(move || {
        reload.track();
        api::admin_user(session, id.get())
    });
    let models = LocalResource::new(|| async {
        api::models()
            .await
            .map(|list| list.models)
            .unwrap_or_default()
    });
    let model_name = move |id: &str| {
        models
            .get()
            .and_then(|list| list.into_iter().find(|m| m.id == id))
            .map_or_else(|| id.to_owned(), |m| m.display_name)
    };

    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading the user…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(detail) => view! { <Detail detail=detail reload=reload notice=notice model_name=model_name/> }.into_any(),
                    Err(error) => view! {
                        <section class="card"><LoadError what="This user could not be loaded" error=error/>
                        <A href="/admin/users">"All users"</A></section>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Detail(
    detail: AdminUserDetail,
    reload: RwSignal<u32>,
    notice: RwSignal<Option<String>>,
    model_name: impl Fn(&str) -> String + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let user = detail.user.user;
    let balance = detail.user.balance;
    let role = match user.role {
        RoleView::Admin => "Admin",
        RoleView::User => "Writer",
    };
    let audit_link = format!("/admin/audit?subject={}", user.id);
    let payments_link = format!("/admin/payments?user_id={}", user.id);
    view! {
        <section class="card" data-testid="admin-user">
            <h1>{user.display_name.clone()}</h1>
            <dl class="facts">
                <dt>"Email"</dt><dd data-testid="admin-user-email">{user.email.clone()}</dd>
                <dt>"Email confirmed"</dt><dd>{if user.email_verified { "Yes" } else { "Not yet" }}</dd>
                <dt>"Role"</dt><dd>{role}</dd>
                <dt>"Joined"</dt><dd>{when(user.created_at)}</dd>
                <dt>"Balance"</dt>
                <dd data-testid="admin-user-balance">{format!("{} credits", credits(balance.balance_mc))}</dd>
                <dt>"Held for generations"</dt><dd>{format!("{} credits", credits(balance.reserved_mc))}</dd>
                <dt>"Available"</dt><dd>{format!("{} credits", credits(balance.available_mc))}</dd>
            </dl>
            <p class="admin-links"><A href=audit_link>"Audit log about this user"</A>" · "<A href=payments_link>"Their payments"</A></p>
        </section>
        <AdjustForm id=UserId::of(user.id) email=user.email balance_mc=balance.balance_mc reload=reload notice=notice/>
        <section class="card">
            <h2>"Ledger"</h2>
            <p class="hint">"The newest 50 entries."</p>
            <Ledger items=detail.recent_transactions model_name=model_name/>
        </section>
    }
}

/// An adjustment being confirmed: millicredits, reason, and the key its retries share.
#[derive(Clone)]
struct Pending {
    amount_mc: i64,
    reason: String,
    key: String,
}

#[component]
fn AdjustForm(
    id: UserId,
    email: String,
    balance_mc: i64,
    reload: RwSignal<u32>,
    notice: RwSignal<Option<String>>,
) -> impl IntoView {
    let session = Session::get();
    let amount = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let amount_error = RwSignal::new(None::<String>);
    let reason_error = RwSignal::new(None::<String>);
    let form_error = RwSignal::new(None::<String>);
    let pending = RwSignal::new(None::<Pending>);

    let adjust = Action::new_local(move |p: &Pending| {
        let body = AdjustmentRequest {
            amount_mc: p.amount_mc,
            reason: p.reason.clone(),
        };
        api::adjust_balance(session, id.clone(), body, p.key.clone())
    });
    Effect::new(move |_| match adjust.value().get() {
        Some(Ok(entry)) => {
            notice.set(Some(done_sentence(&entry)));
            pending.set(None);
            amount.set(String::new());
            reason.set(String::new());
            session.refresh_balance();
            reload.update(|n| *n += 1);
        }
        Some(Err(err)) => explain(&err, amount_error, reason_error, form_error, pending),
        None => {}
    });

    let review = move |ev: SubmitEvent| {
        ev.prevent_default();
        notice.set(None);
        form_error.set(None);
        let parsed = match parse_credits(&amount.get_untracked()) {
            Ok(0) => Err("Amount cannot be zero.".to_owned()),
            Ok(mc) if balance_mc.saturating_add(mc) < 0 => Err(format!(
                "Amount would take the balance below zero: it is {} credits.",
                credits(balance_mc)
            )),
            Ok(mc) => Ok(mc),
            Err(err) => Err(err.say("Amount")),
        };
        let why = reason.get_untracked().trim().to_owned();
        let why_problem = match why.chars().count() {
            0 => Some("Give a reason: it is kept in the ledger and the audit log.".to_owned()),
            n if n > 500 => Some("The reason can be at most 500 characters.".to_owned()),
            _ => None,
        };
        amount_error.set(parsed.clone().err());
        reason_error.set(why_problem.clone());
        if let (Ok(amount_mc), None) = (parsed, why_problem) {
            pending.set(Some(Pending {
                amount_mc,
                reason: why,
                key: fresh_key(),
            }));
        }
    };

    let confirm_text = move || {
        let email = email.clone();
        pending.get().map(move |p| {
            let verb = if p.amount_mc > 0 { "Add" } else { "Take" };
            let preposition = if p.amount_mc > 0 { "to" } else { "from" };
            format!(
                "{verb} {} credits {preposition} {email}? Their balance goes from {} to {} credits. Reason: “{}”.",
                credits(p.amount_mc.abs()),
                credits(balance_mc),
                credits(balance_mc + p.amount_mc),
                p.reason
            )
        })
    };

    let locked = Signal::derive(move || pending.with(Option::is_some));

    view! {
        <section class="card" data-testid="admin-adjust">
            <h2>"Adjust credits"</h2>
            <form class="adjust-form" on:submit=review novalidate>
                <AdjustInput name="amount" label="Amount in credits (negative takes away)"
                    placeholder="e.g. 12.5 or -3" inputmode="decimal"
                    value=amount error=amount_error locked=locked/>
                <AdjustInput name="reason" label="Reason"
                    placeholder="Why, for the ledger and the audit log" maxlength="500"
                    value=reason error=reason_error locked=locked/>
                <Show when=move || pending.with(Option::is_none)>
                    <div class="actions"><button type="submit">"Review adjustment"</button></div>
                </Show>
            </form>
            <Show when=move || pending.with(Option::is_some)>
                <div class="confirm" data-testid="adjust-confirm">
                    <p>{confirm_text.clone()}</p>
                    <div class="actions">
                        <button type="button" disabled=move || adjust.pending().get()
                            on:click=move |_| if let Some(p) = pending.get_untracked() { adjust.dispatch(p); }>
                            {move || if adjust.pending().get() { "Saving…" } else { "Confirm adjustment" }}
                        </button>
                        <button type="button" class="secondary" disabled=move || adjust.pending().get()
                            on:click=move |_| pending.set(None)>"Change"</button>
                    </div>
                </div>
            </Show>
            <Show when=move || form_error.with(Option::is_some)>
                <p class="form-error" role="alert">{move || form_error.get()}</p>
            </Show>
            <p class="notice" role="status" data-testid="adjust-notice">{move || notice.get()}</p>
        </section>
    }
}

fn done_sentence(entry: &Transaction) -> String {
    let verb = if entry.amount_mc > 0 { "Added" } else { "Took" };
    format!(
        "{verb} {} credits. The balance is now {} credits.",
        credits(entry.amount_mc.abs()),
        credits(entry.balance_after_mc)
    )
}

/// A refused adjustment in the form's words. A problem with what was typed closes the
/// confirmation (the next one gets a new key); anything else keeps it, so "Confirm" retries
/// the same adjustment.
fn explain(
    err: &ApiError,
    amount_error: RwSignal<Option<String>>,
    reason_error: RwSignal<Option<String>>,
    form_error: RwSignal<Option<String>>,
    pending: RwSignal<Option<Pending>>,
) {
    let amount_problem = err.field("amount_mc").map(|f| match f.code.as_str() {
        "zero" => "Amount cannot be zero.".to_owned(),
        "too_large" => "Amount is too large: at most 1,000,000,000 credits either way.".to_owned(),
        _ => f.message.replace("millicredits", "thousandths of a credit"),
    });
    let reason_problem = err.field("reason").map(|f| f.message);
    if amount_problem.is_some() || reason_problem.is_some() {
        amount_error.set(amount_problem);
        reason_error.set(reason_problem);
        pending.set(None);
        return;
    }
    if err.code() == Some(ErrorCode::InsufficientCredits) {
        amount_error.set(Some(
            "Amount would take the balance below zero (credits held for running generations cannot be taken).".to_owned(),
        ));
        pending.set(None);
        return;
    }
    form_error.set(Some(err.message()));
}

#[component]
fn Ledger(
    items: Vec<Transaction>,
    model_name: impl Fn(&str) -> String + Copy + Send + Sync + 'static,
) -> impl IntoView {
    if items.is_empty() {
        return view! { <p class="muted">"No ledger entries yet."</p> }.into_any();
    }
    view! {
        <Table class="admin-table" testid="admin-ledger" cols=vec![Col::Text("When"), Col::Text("Entry"), Col::Text("Details"), Col::Num("Credits"), Col::Num("Balance after")]>
                    {items.into_iter().map(|entry| {
                        let mut details = Vec::new();
                        if let Some(text) = entry.description.clone() { details.push(text); }
                        if let Some(model) = entry.model.as_deref() { details.push(model_name(model)); }
                        if let Some(words) = entry.words { details.push(format!("{words} words")); }
                        view! {
                            <tr data-testid="ledger-row">
                                <td>{when(entry.created_at)}</td>
                                <td>{entry_label(&entry.kind)}</td>
                                <td>{details.join(" · ")}</td>
                                <td class="num" class:minus=entry.amount_mc < 0>{signed_credits(entry.amount_mc)}</td>
                                <td class="num">{credits(entry.balance_after_mc)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </Table>
    }
    .into_any()
}

/// One input of the adjustment form with its own error; locked while the adjustment is
/// being confirmed.
#[component]
fn AdjustInput(
    name: &'static str,
    label: &'static str,
    placeholder: &'static str,
    #[prop(optional)] inputmode: Option<&'static str>,
    #[prop(optional)] maxlength: Option<&'static str>,
    value: RwSignal<String>,
    error: RwSignal<Option<String>>,
    locked: Signal<bool>,
) -> impl IntoView {
    let id = format!("adjust-{name}");
    let label_for = id.clone();
    view! {
        <label class="field" for=label_for>
            <span>{label}</span>
            <input id=id name=name inputmode=inputmode maxlength=maxlength autocomplete="off" placeholder=placeholder
                prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))
                class:invalid=move || error.with(Option::is_some)
                prop:disabled=move || locked.get()/>
            <small class="field-error" role="alert">{move || error.get()}</small>
        </label>
    }
}
