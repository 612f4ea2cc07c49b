//! Every payment, newest first, filtered by state and user; a refund through the gateway,
//! confirmed first, with what it took back (or left owed) shown after.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};
use penora_api_types::{AdminPayment, AdminRefundRequest, ErrorCode, RefundResult};

use super::amounts::{currency_decimals, money, parse_decimal};
use super::{fresh_key, short, when, AdminOnly, LoadError, Pager, Pages};
use crate::api::{self, ApiError};
use crate::format::credits;
use crate::ids::PaymentId;
use crate::pages::table::{Col, Table};
use crate::session::Session;

const STATUSES: [(&str, &str); 4] = [
    ("captured", "Paid"),
    ("partially_refunded", "Partly refunded"),
    ("refunded", "Refunded"),
    ("mismatch", "Amount mismatch (not credited)"),
];

fn status_label(status: &str) -> String {
    STATUSES
        .iter()
        .find(|(name, _)| *name == status)
        .map_or_else(
            || status.replace('_', " "),
            |(_, label)| (*label).to_owned(),
        )
}

#[component]
pub fn AdminPayments() -> impl IntoView {
    view! { <AdminOnly><PaymentsCard/></AdminOnly> }
}

#[component]
fn PaymentsCard() -> impl IntoView {
    let session = Session::get();
    let navigate = use_navigate();
    let params = use_query_map();
    let filters = Memo::new(move |_| {
        params.with(|p| {
            ["status", "mismatched", "user_id"].map(|name| p.get(name).unwrap_or_default())
        })
    });
    let pages = Pages::new();
    let reload = RwSignal::new(0_u32);
    Effect::new(move |previous: Option<[String; 3]>| {
        let now = filters.get();
        if previous.is_some_and(|p| p != now) {
            pages.reset();
        }
        now
    });
    let list = LocalResource::new(move || {
        reload.track();
        let [status, mismatched, user_id] = filters.get();
        let path = api::query(&[
            ("status", Some(status)),
            (
                "mismatched",
                (mismatched == "true").then(|| mismatched.clone()),
            ),
            ("user_id", Some(user_id)),
            ("cursor", pages.cursor.get()),
        ]);
        api::admin_payments(session, path)
    });
    let next = Signal::derive(move || list.get().and_then(|r| r.ok()).and_then(|p| p.next_cursor));
    let refunding = RwSignal::new(None::<AdminPayment>);

    let status = RwSignal::new(filters.get_untracked()[0].clone());
    let mismatched = RwSignal::new(filters.get_untracked()[1] == "true");
    let apply = move |ev: SubmitEvent| {
        ev.prevent_default();
        let [_, _, user_id] = filters.get_untracked();
        let path = api::query(&[
            ("status", Some(status.get_untracked())),
            (
                "mismatched",
                mismatched.get_untracked().then(|| "true".to_owned()),
            ),
            ("user_id", Some(user_id)),
        ]);
        navigate(&format!("/admin/payments{path}"), Default::default());
    };
    let for_user = move || Some(filters.with(|f| f[2].clone())).filter(|u| !u.is_empty());

    view! {
        <section class="card" data-testid="admin-payments">
            <h1>"Payments"</h1>
            {move || for_user().map(|user| view! {
                <p>"Only the payments of "<A href=format!("/admin/users/{user}")>"this user"</A>". "<A href="/admin/payments">"Show everyone's"</A></p>
            })}
            <form class="toolbar" on:submit=apply>
                <label class="inline" for="payment-status">"State"</label>
                <select id="payment-status" name="status" on:change=move |ev| status.set(event_target_value(&ev))>
                    <option value="" prop:selected=move || status.with(String::is_empty)>"Any"</option>
                    {STATUSES.into_iter().map(|(name, label)| view! {
                        <option value=name prop:selected=move || status.with(|s| s == name)>{label}</option>
                    }).collect_view()}
                </select>
                <label class="check">
                    <input type="checkbox" name="mismatched" prop:checked=move || mismatched.get()
                        on:change=move |ev| mismatched.set(event_target_checked(&ev))/>
                    "Only amounts that differ from the price"
                </label>
                <button type="submit">"Apply"</button>
            </form>
            <Transition fallback=|| view! { <p class="muted">"Loading payments…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(page) if page.items.is_empty() => view! { <p class="muted">"No payments match."</p> }.into_any(),
                        Ok(page) => view! { <PaymentTable items=page.items refunding=refunding/> }.into_any(),
                        Err(error) => view! { <LoadError what="Payments could not be loaded" error=error/> }.into_any(),
                    }
                })}
            </Transition>
            <Pager pages=pages next=next/>
        </section>
        {move || refunding.get().map(|payment| view! { <RefundForm payment=payment refunding=refunding reload=reload/> })}
    }
}

#[component]
fn PaymentTable(
    items: Vec<AdminPayment>,
    refunding: RwSignal<Option<AdminPayment>>,
) -> impl IntoView {
    view! {
        <Table class="admin-table" testid="payment-table" cols=vec![Col::Text("When"), Col::Text("User"), Col::Text("Item"), Col::Num("Amount"), Col::Text("State"), Col::Num("Refunded"), Col::Hidden("Actions")]>
                    {items.into_iter().map(|item| {
                        let p = &item.payment;
                        let user = item.user_id.to_string();
                        let (user_href, user_text) = (format!("/admin/users/{user}"), short(&user));
                        let amount = money(p.amount_minor, &p.currency);
                        let expected = item.amount_mismatch.then(|| format!(
                            "asked {}", money(item.expected_amount_minor, &item.expected_currency)));
                        let refundable = matches!(p.status.as_str(), "captured" | "partially_refunded")
                            && p.amount_minor > p.refunded_minor;
                        let chosen = item.clone();
                        view! {
                            <tr data-testid="payment-row">
                                <td>{when(p.created_at)}</td>
                                <td class="nowrap"><A href=user_href attr:title=user>{user_text}</A></td>
                                <td>{p.item_name.clone()}<br/><small class="muted">{format!("{} credits · {}", credits(p.credits_mc), p.receipt_number)}</small></td>
                                <td class="num">{amount}<br/><small class="form-error">{expected}</small></td>
                                <td>{status_label(&p.status)}</td>
                                <td class="num">{(p.refunded_minor > 0).then(|| money(p.refunded_minor, &p.currency))}</td>
                                <td>{refundable.then(|| view! {
                                    <button type="button" class="secondary" on:click=move |_| refunding.set(Some(chosen.clone()))>"Refund…"</button>
                                })}</td>
                            </tr>
                        }
                    }).collect_view()}
                </Table>
    }
}

#[component]
fn RefundForm(
    payment: AdminPayment,
    refunding: RwSignal<Option<AdminPayment>>,
    reload: RwSignal<u32>,
) -> impl IntoView {
    let session = Session::get();
    let p = payment.payment;
    let currency = p.currency.clone();
    let rest = p.amount_minor - p.refunded_minor;
    let typed = RwSignal::new(String::new());
    let amount_error = RwSignal::new(None::<String>);
    // The amount (minor units) being confirmed.
    let confirming = RwSignal::new(None::<i64>);
    // The key of the refund being confirmed: new for each amount reviewed, the same for its
    // retries, so trying again after no answer never refunds twice.
    let key = RwSignal::new(String::new());
    let id = PaymentId::of(p.id);
    let refund = Action::new_local(move |amount: &i64| {
        let body = AdminRefundRequest {
            amount_minor: (*amount != rest).then_some(*amount),
        };
        api::refund_payment(session, id.clone(), body, key.get_untracked())
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = refund.value().get() {
            confirming.set(None);
            session.refresh_balance();
            reload.update(|n| *n += 1);
        }
    });
    let cur = currency.clone();
    let review = move |ev: SubmitEvent| {
        ev.prevent_default();
        let text = typed.get_untracked();
        let parsed = if text.trim().is_empty() {
            Ok(rest)
        } else {
            parse_decimal(&text, currency_decimals(&cur)).map_err(|e| e.say("Amount"))
        };
        match parsed {
            Ok(n) if n <= 0 => amount_error.set(Some("Amount must be more than zero.".into())),
            Ok(n) if n > rest => amount_error.set(Some(format!(
                "Amount can be at most {}, what is left of this payment.",
                money(rest, &cur)
            ))),
            Ok(n) => {
                amount_error.set(None);
                key.set(fresh_key());
                confirming.set(Some(n));
            }
            Err(message) => amount_error.set(Some(message)),
        }
    };
    let done = move || refund.value().with(|v| matches!(v, Some(Ok(_))));
    // No answer confirmed the refund: only the same request may follow (same key).
    let unsure = move || {
        refund
            .value()
            .with(|v| matches!(v, Some(Err(err)) if outcome_unknown(err)))
    };
    let (c1, c2) = (currency.clone(), currency.clone());
    let paid = money(p.amount_minor, &currency);
    view! {
        <section class="card" data-testid="refund-form">
            <h2>"Refund a payment"</h2>
            <p>{format!("{} for {} on {} (receipt {}). Left to refund: {}.", paid, p.item_name, when(p.created_at), p.receipt_number, money(rest, &currency))}</p>
            <form on:submit=review novalidate>
                <label class="field" for="refund-amount">
                    <span>{format!("Amount to refund in {} (empty: all that is left)", currency.to_uppercase())}</span>
                    <input id="refund-amount" name="amount" inputmode="decimal" autocomplete="off"
                        prop:value=move || typed.get() on:input=move |ev| typed.set(event_target_value(&ev))
                        prop:disabled=move || confirming.with(Option::is_some) || done()/>
                    <small class="field-error" role="alert">{move || amount_error.get()}</small>
                </label>
                <Show when=move || confirming.with(Option::is_none)>
                    <div class="actions">
                        <Show when=move || !done()>
                            <button type="submit">"Review refund"</button>
                        </Show>
                        <button type="button" class="secondary" on:click=move |_| refunding.set(None)>"Close"</button>
                    </div>
                </Show>
            </form>
            {move || confirming.get().filter(|_| !done()).map(|amount| {
                let c = c1.clone();
                view! {
                    <div class="confirm" data-testid="refund-confirm">
                        <p>{format!("Refund {} through the gateway? The credits it granted go back in proportion, from what is available; the rest is recorded as a debt.", money(amount, &c))}</p>
                        <div class="actions">
                            <button type="button" disabled=move || refund.pending().get() on:click=move |_| { refund.dispatch(amount); }>
                                {move || if refund.pending().get() { "Refunding…" } else if unsure() { "Try again" } else { "Confirm refund" }}
                            </button>
                            <Show when=move || !unsure()>
                                <button type="button" class="secondary" disabled=move || refund.pending().get()
                                    on:click=move |_| confirming.set(None)>"Change"</button>
                            </Show>
                        </div>
                    </div>
                }
            })}
            {move || refund.value().get().map(|result| match result {
                Ok(done) => view! { <p class="notice" role="status" data-testid="refund-result">{outcome(&done, &c2)}</p> }.into_any(),
                Err(err) => view! { <p class="form-error" role="alert">{refusal(&err)}</p> }.into_any(),
            })}
        </section>
    }
}

/// What a refund did: refunded, and taken back or recorded as debt.
fn outcome(done: &RefundResult, currency: &str) -> String {
    let mut text = format!(
        "Refunded {}. Took back {} credits.",
        money(done.amount_minor, currency),
        credits(done.taken_mc)
    );
    if done.debt_mc > 0 {
        text.push_str(&format!(
            " {} credits could not be taken now: recorded as a debt, taken from their next purchase or grant.",
            credits(done.debt_mc)
        ));
    }
    text
}

/// No answer, or a failure that does not say the gateway refused: the refund may have
/// happened, and only a retry with the same key can tell.
fn outcome_unknown(err: &ApiError) -> bool {
    err.status == 0 || err.status >= 500
}

fn refusal(err: &ApiError) -> String {
    if outcome_unknown(err) {
        return "No answer confirmed the refund; it may have gone through. Trying again is \
                safe: this refund is never made twice."
            .to_owned();
    }
    match err.code() {
        Some(ErrorCode::RefundTooLarge) => {
            "That is more than is left of this payment; reload the list and try again.".to_owned()
        }
        _ => err.message(),
    }
}
