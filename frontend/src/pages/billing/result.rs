//! `/billing/result`: where a checkout sends the browser back to, with what the gateway
//! handed over in the query (the sandbox's page and Razorpay Checkout's handler alike). A
//! paid order or plan is verified here, which credits it once; a failed or cancelled one
//! says that nothing was charged.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;
use penora_api_types::{
    CurrentPlan, ErrorCode, VerifiedOrder, VerifyOrderRequest, VerifySubscriptionRequest,
};
use wasm_bindgen_futures::JsFuture;

use super::money;
use super::payments::ReceiptButton;
use crate::api::{self, ApiError};
use crate::form::SignedIn;
use crate::format::credits;
use crate::session::Session;

/// What the checkout handed back.
#[derive(Clone, Default)]
struct Returned {
    status: Option<String>,
    /// The app's own order id (put there when the checkout was opened).
    order: Option<String>,
    /// The app's own subscription id, and the plan item.
    subscription: Option<String>,
    item: Option<String>,
    payment_id: Option<String>,
    gateway_order_id: Option<String>,
    gateway_subscription_id: Option<String>,
    signature: Option<String>,
    error: Option<String>,
}

impl Returned {
    fn read(q: &ParamsMap) -> Self {
        Self {
            status: q.get("status"),
            order: q.get("order"),
            subscription: q.get("subscription"),
            item: q.get("item"),
            payment_id: q.get("razorpay_payment_id"),
            gateway_order_id: q.get("razorpay_order_id"),
            gateway_subscription_id: q.get("razorpay_subscription_id"),
            signature: q.get("razorpay_signature"),
            error: q.get("error_description"),
        }
    }
}

/// What a verified payment gave.
#[derive(Clone)]
enum Confirmed {
    Order(Box<VerifiedOrder>),
    /// The plan now, and the credits each period of the item grants (when the catalog says).
    Plan(Box<CurrentPlan>, Option<i64>),
}

async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = JsFuture::from(promise).await;
}

fn missing() -> ApiError {
    ApiError {
        status: 0,
        problem: None,
    }
}

async fn verify_once(session: Session, r: &Returned) -> Result<Confirmed, ApiError> {
    let payment_id = r.payment_id.clone().ok_or_else(missing)?;
    let signature = r.signature.clone().ok_or_else(missing)?;
    if let Some(order) = &r.order {
        let body = VerifyOrderRequest {
            razorpay_payment_id: payment_id,
            razorpay_order_id: r.gateway_order_id.clone(),
            razorpay_signature: signature,
        };
        let verified = api::verify_order(session, order.clone(), body).await?;
        return Ok(Confirmed::Order(Box::new(verified)));
    }
    let body = VerifySubscriptionRequest {
        razorpay_subscription_id: r.gateway_subscription_id.clone().ok_or_else(missing)?,
        razorpay_payment_id: payment_id,
        razorpay_signature: signature,
    };
    let plan = api::verify_subscription(session, body).await?;
    let item = plan
        .subscription
        .as_ref()
        .map(|s| s.item_id.clone())
        .or_else(|| r.item.clone());
    let granted = match api::catalog().await {
        Ok(c) => c
            .items
            .into_iter()
            .find(|i| Some(&i.id) == item.as_ref())
            .map(|i| i.credits_mc),
        Err(_) => None,
    };
    Ok(Confirmed::Plan(Box::new(plan), granted))
}

/// Verifies, waiting a little while the gateway has not captured the payment yet.
async fn verify(session: Session, r: Returned) -> Result<Confirmed, ApiError> {
    let mut tries = 0;
    loop {
        match verify_once(session, &r).await {
            Err(err) if err.code() == Some(ErrorCode::PaymentNotCaptured) && tries < 5 => {
                tries += 1;
                sleep(2000).await;
            }
            Ok(done) => {
                session.refresh_balance();
                return Ok(done);
            }
            Err(err) => return Err(err),
        }
    }
}

#[component]
pub fn BillingResult() -> impl IntoView {
    let returned = use_query_map().with_untracked(Returned::read);
    let status = returned.status.clone().unwrap_or_default();
    let body = match status.as_str() {
        "paid" => view! {
            <SignedIn heading="Your payment" what="this payment">
                <Verify returned=returned.clone()/>
            </SignedIn>
        }
        .into_any(),
        "failed" | "cancelled" => view! { <NotPaid returned=returned/> }.into_any(),
        _ => view! {
            <section class="card narrow">
                <h1>"No payment to show"</h1>
                <p>"This page shows how a payment went, right after checkout."</p>
                <p class="actions"><A href="/pricing" attr:class="button">"See prices"</A><A href="/billing">"Your payments"</A></p>
            </section>
        }
        .into_any(),
    };
    view! { <div class="billing-result">{body}</div> }
}

#[component]
fn NotPaid(returned: Returned) -> impl IntoView {
    let cancelled = returned.status.as_deref() == Some("cancelled");
    let heading = if cancelled {
        "Payment cancelled — nothing was charged"
    } else {
        "Payment failed — nothing was charged"
    };
    let what = if returned.subscription.is_some() {
        "Your plan was not started"
    } else {
        "No credits were added"
    };
    view! {
        <section class="card narrow outcome failed" data-testid="billing-result" data-outcome="failed">
            <div role="alert"><h1>{heading}</h1></div>
            <p>{format!("{what}, and your balance is as it was.")}</p>
            {(returned.error.is_some() && !cancelled).then(|| view! {
                <p class="muted">"The payment provider declined it."</p>
            })}
            <h2 class="small">"What next"</h2>
            <ul>
                <li>"Try again from the prices page, with the same or another payment method."</li>
                <li>"If your bank shows a charge, it is returned automatically; your payments are listed on Billing."</li>
            </ul>
            <p class="actions">
                <A href="/pricing" attr:class="button" attr:data-testid="try-again">"Try again"</A>
                <A href="/billing">"Billing"</A>
            </p>
        </section>
    }
}

/// The server's refusal to confirm, in words: what it means for the writer.
fn unconfirmed(err: &ApiError) -> String {
    match err.code() {
        Some(ErrorCode::PaymentMismatch) => "The amount paid differs from the price, so nothing was credited. The payment is flagged for our team, who will sort it out.".to_owned(),
        Some(ErrorCode::InvalidSignature) => "The payment could not be verified, so nothing was credited.".to_owned(),
        Some(ErrorCode::PaymentNotCaptured) => "The payment provider has not confirmed the payment yet. It is credited automatically once they do; check Billing in a few minutes.".to_owned(),
        Some(ErrorCode::OrderNotFound | ErrorCode::SubscriptionNotFound) => "This payment is not one of yours, or the link is incomplete. Nothing was credited.".to_owned(),
        _ if err.problem.is_none() => "This link is missing the payment's details.".to_owned(),
        _ => format!("{}. If money was taken, it is credited automatically once the payment provider reports it; check Billing in a few minutes.", err.message().trim_end_matches('.')),
    }
}

#[component]
fn Verify(returned: Returned) -> impl IntoView {
    let session = Session::get();
    let outcome = LocalResource::new(move || verify(session, returned.clone()));
    view! {
        <Suspense fallback=|| view! {
            <section class="card narrow"><p role="status" data-testid="confirming">"Confirming your payment…"</p></section>
        }>
            {move || outcome.get().map(|done| match done {
                Ok(Confirmed::Order(v)) => view! { <PaidOrder verified=*v/> }.into_any(),
                Ok(Confirmed::Plan(plan, granted)) => view! { <PaidPlan plan=*plan granted=granted/> }.into_any(),
                Err(err) => view! {
                    <section class="card narrow outcome failed" data-testid="billing-result" data-outcome="unconfirmed">
                        <h1>"We could not confirm this payment"</h1>
                        <p role="alert">{unconfirmed(&err)}</p>
                        <p class="actions"><A href="/billing" attr:class="button">"Billing"</A><A href="/pricing">"Prices"</A></p>
                    </section>
                }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn PaidOrder(verified: VerifiedOrder) -> impl IntoView {
    let payment = verified.payment;
    view! {
        <section class="card narrow outcome paid" data-testid="billing-result" data-outcome="paid">
            <div role="status"><h1>{format!("Paid — {} credits added", credits(payment.credits_mc))}</h1></div>
            <p data-testid="result-balance">{format!("Your balance is now {} credits.", credits(verified.balance_mc))}</p>
            <dl class="facts">
                <dt>"Item"</dt><dd>{payment.item_name.clone()}</dd>
                <dt>"Amount"</dt><dd>{money(payment.amount_minor, &payment.currency)}</dd>
                <dt>"Receipt"</dt><dd>{payment.receipt_number.clone()}</dd>
            </dl>
            <p class="actions">
                <A href="/write" attr:class="button">"Start writing"</A>
                <ReceiptButton url=payment.receipt_url.clone() number=payment.receipt_number.clone()/>
                <A href="/billing">"All payments"</A>
            </p>
        </section>
    }
}

#[component]
fn PaidPlan(plan: CurrentPlan, granted: Option<i64>) -> impl IntoView {
    let added = granted
        .map(|mc| format!(" — {} credits added", credits(mc)))
        .unwrap_or_default();
    view! {
        <section class="card narrow outcome paid" data-testid="billing-result" data-outcome="paid">
            <div role="status"><h1>{format!("You are on {}{added}", plan.plan.name)}</h1></div>
            <p>"Your plan's storage and models apply now. It renews each period until you cancel it."</p>
            <p class="actions">
                <A href="/write" attr:class="button">"Start writing"</A>
                <A href="/billing">"Your plan and payments"</A>
            </p>
        </section>
    }
}
