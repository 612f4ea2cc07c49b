//! The billing page's payments: newest first, with status in words, amount, date and a
//! receipt to download.

use leptos::prelude::*;
use penora_api_types::{Payment, PaymentList};

use super::{date, date_time, money};
use crate::api::{self, ApiError};
use crate::format::credits;
use crate::pages::table::{Col, Table};
use crate::session::Session;

/// A payment's status as its payer reads it.
fn status_words(p: &Payment) -> String {
    match p.status.as_str() {
        "captured" => "Paid".to_owned(),
        "mismatch" => "Under review: the amount paid differed, nothing was credited".to_owned(),
        "partially_refunded" => format!(
            "Partly refunded ({} back)",
            money(p.refunded_minor, &p.currency)
        ),
        "refunded" => "Refunded".to_owned(),
        other => other.replace('_', " "),
    }
}

/// Downloads a receipt (it needs the session's token, so it is a button, not a link).
#[component]
pub fn ReceiptButton(url: String, number: String) -> impl IntoView {
    let session = Session::get();
    let download =
        Action::new_local(move |url: &String| api::download_receipt(session, url.clone()));
    let failed = move || {
        download.value().with(|v| {
            v.as_ref()
                .and_then(|r| r.as_ref().err().map(ApiError::message))
        })
    };
    view! {
        <button
            type="button"
            class="secondary"
            data-testid="receipt"
            aria-label=format!("Download receipt {number}")
            disabled=move || download.pending().get()
            on:click=move |_| { download.dispatch_local(url.clone()); }
        >
            {move || if download.pending().get() { "Downloading…" } else { "Receipt (PDF)" }}
        </button>
        <Show when=move || failed().is_some()>
            <span class="form-error" role="alert">{move || failed().map(|m| format!("Receipt not downloaded: {m}"))}</span>
        </Show>
    }
}

#[component]
pub fn Payments() -> impl IntoView {
    let session = Session::get();
    let first = LocalResource::new(move || api::payments(session, None));
    // Later pages, appended by "Load more".
    let more = RwSignal::new(Vec::<Payment>::new());
    let next = RwSignal::new(None::<Option<String>>);
    let load_more = Action::new_local(move |cursor: &String| {
        let cursor = cursor.clone();
        async move {
            let page: PaymentList = api::payments(session, Some(cursor)).await?;
            more.update(|all| all.extend(page.items));
            next.set(Some(page.next_cursor));
            Ok::<(), ApiError>(())
        }
    });
    let cursor = move || match next.get() {
        Some(c) => c,
        None => first.get().and_then(|r| r.ok()).and_then(|p| p.next_cursor),
    };
    let more_failed = move || {
        load_more.value().with(|v| {
            v.as_ref()
                .and_then(|r| r.as_ref().err().map(ApiError::message))
        })
    };
    view! {
        <section class="card" data-testid="payments">
            <h2>"Payments"</h2>
            <Transition fallback=|| view! { <p class="muted" role="status">"Loading payments…"</p> }>
                {move || first.get().map(|found| match found {
                    Err(err) => view! {
                        <p class="form-error" role="alert">{format!("Your payments could not be loaded: {}", err.message())}</p>
                    }.into_any(),
                    Ok(page) if page.items.is_empty() => view! {
                        <p class="muted">"No payments yet. Packs, top-ups and plans you buy are listed here with their receipts."</p>
                    }.into_any(),
                    Ok(page) => view! {
                        <Table class="payments-table" cols=vec![Col::Text("Date"), Col::Text("Item"), Col::Text("Amount"), Col::Text("Credits"), Col::Text("Status"), Col::Text("Receipt")]>
                                    {page.items.into_iter().map(|p| view! { <PaymentRow payment=p/> }).collect_view()}
                                    <For each=move || more.get() key=|p| p.id let:p><PaymentRow payment=p/></For>
                                </Table>
                    }.into_any(),
                })}
            </Transition>
            <Show when=move || cursor().is_some()>
                <button type="button" class="secondary" disabled=move || load_more.pending().get()
                    on:click=move |_| { if let Some(c) = cursor() { load_more.dispatch_local(c); } }>
                    {move || if load_more.pending().get() { "Loading…" } else { "Load more" }}
                </button>
            </Show>
            <Show when=move || more_failed().is_some()>
                <p class="form-error" role="alert">{move || more_failed().map(|m| format!("More payments could not be loaded: {m}"))}</p>
            </Show>
        </section>
    }
}

#[component]
fn PaymentRow(payment: Payment) -> impl IntoView {
    let period = match (payment.period_start, payment.period_end) {
        (Some(from), Some(to)) => Some(format!("{} to {}", date(from), date(to))),
        _ => None,
    };
    view! {
        <tr data-testid="payment-row" data-status=payment.status.clone()>
            <td>{date_time(payment.created_at)}</td>
            <td>{payment.item_name.clone()}{period.map(|p| view! { <br/><small class="muted">{p}</small> })}</td>
            <td class="num">{money(payment.amount_minor, &payment.currency)}</td>
            <td class="num">{credits(payment.credits_mc)}</td>
            <td>{status_words(&payment)}</td>
            <td><ReceiptButton url=payment.receipt_url.clone() number=payment.receipt_number.clone()/></td>
        </tr>
    }
}
