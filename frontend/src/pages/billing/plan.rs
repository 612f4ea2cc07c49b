//! `/billing`: the plan that applies now (its renewal, or when a cancelled one ends), a
//! cancel with a confirmation, and the payments with their receipts.

use leptos::prelude::*;
use leptos_router::components::A;
use penora_api_types::{CurrentPlan, ErrorCode, Subscription};

use super::payments::Payments;
use super::{date, storage};
use crate::api::{self, ApiError};
use crate::form::SignedIn;
use crate::session::Session;

#[component]
pub fn Billing() -> impl IntoView {
    view! {
        <SignedIn heading="Billing" what="your plan and payments">
            <CurrentPlanCard/>
            <Payments/>
        </SignedIn>
    }
}

/// A subscription's status as its payer reads it.
fn status_words(s: &Subscription) -> &'static str {
    match (s.status.as_str(), s.cancel_at_period_end) {
        ("active", true) | ("pending", true) => "Cancelled: ends with the paid period",
        ("created", _) => "Waiting for the first payment",
        ("authenticated", _) => "Payment authorised: starts shortly",
        ("active", false) => "Active",
        ("pending", false) => "Renewal failed: the payment provider is retrying",
        ("halted", _) => "Stopped: renewal failed",
        ("cancelled", _) => "Cancelled",
        ("completed", _) | ("expired", _) => "Ended",
        _ => "Unknown",
    }
}

/// A subscription that can still be cancelled.
fn cancellable(s: &Subscription) -> bool {
    !s.cancel_at_period_end
        && matches!(
            s.status.as_str(),
            "created" | "authenticated" | "active" | "pending"
        )
}

fn say(err: &ApiError) -> String {
    match err.code() {
        Some(ErrorCode::SubscriptionNotFound) => "There is no live plan to cancel.".to_owned(),
        _ => err.message(),
    }
}

#[component]
fn CurrentPlanCard() -> impl IntoView {
    let session = Session::get();
    let plan = LocalResource::new(move || api::current_plan(session));
    let confirming = RwSignal::new(false);
    let cancel = Action::new_local(move |_: &()| api::cancel_plan(session));
    let notice = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(Ok(_)) = cancel.value().get() {
            confirming.set(false);
            notice.set(Some(
                "Your plan is cancelled. Nothing more will be charged.".into(),
            ));
            plan.refetch();
        }
    });
    let cancel_failed = move || {
        cancel
            .value()
            .with(|v| v.as_ref().and_then(|r| r.as_ref().err().map(say)))
    };
    view! {
        <section class="card" data-testid="current-plan">
            <h1>"Billing"</h1>
            <Transition fallback=|| view! { <p class="muted" role="status">"Loading your plan…"</p> }>
                {move || plan.get().map(|found| match found {
                    Err(err) => view! {
                        <p class="form-error" role="alert">{format!("Your plan could not be loaded: {}", err.message())}</p>
                    }.into_any(),
                    Ok(current) => view! { <PlanFacts current=current confirming=confirming cancel=cancel/> }.into_any(),
                })}
            </Transition>
            <p class="notice" role="status">{move || notice.get()}</p>
            <Show when=move || cancel_failed().is_some()>
                <p class="form-error" role="alert">{move || cancel_failed().map(|m| format!("The plan was not cancelled: {m}"))}</p>
            </Show>
        </section>
    }
}

#[component]
fn PlanFacts(
    current: CurrentPlan,
    confirming: RwSignal<bool>,
    cancel: Action<(), Result<CurrentPlan, ApiError>>,
) -> impl IntoView {
    let tier = current.plan;
    let sub = current.subscription;
    let renewal = sub.as_ref().map(|s| {
        match (
            s.next_renewal_at,
            s.cancel_at_period_end,
            s.entitled_until.or(s.current_period_end),
        ) {
            (Some(at), _, _) => format!("Renews on {} (UTC)", date(at)),
            (None, true, Some(until)) => {
                format!("Ends on {} (UTC); nothing more is charged", date(until))
            }
            (None, _, Some(until)) if until.timestamp_millis() as f64 > js_sys::Date::now() => {
                format!("Applies until {} (UTC)", date(until))
            }
            _ => "Does not renew".to_owned(),
        }
    });
    let can_cancel = sub.as_ref().is_some_and(cancellable);
    let tier_name = tier.name.clone();
    let until = sub
        .as_ref()
        .and_then(|s| s.entitled_until.or(s.current_period_end))
        .map(|at| {
            format!(
                " It stays until {} (UTC), the end of the period you paid for.",
                date(at)
            )
        })
        .unwrap_or_default();
    view! {
        <dl class="facts" data-testid="plan-facts">
            <dt>"Plan"</dt><dd data-testid="plan-name">{tier.name.clone()}</dd>
            {sub.as_ref().map(|s| view! { <dt>"Status"</dt><dd data-testid="plan-status">{status_words(s)}</dd> })}
            {renewal.map(|r| view! { <dt>"Renewal"</dt><dd>{r}</dd> })}
            <dt>"Includes"</dt>
            <dd>{format!("{} of storage, {} generations at once, up to {} a minute",
                storage(tier.storage_bytes), tier.concurrent_generations, tier.generations_per_minute)}</dd>
        </dl>
        <div class="actions">
            <A href="/pricing" attr:class="button secondary">{if sub.is_some() { "Buy credits" } else { "See plans and credits" }}</A>
            <Show when=move || can_cancel && !confirming.get()>
                <button type="button" class="danger" data-testid="cancel-plan" on:click=move |_| confirming.set(true)>"Cancel plan"</button>
            </Show>
        </div>
        <Show when=move || confirming.get()>
            <div class="confirm" role="group" aria-label="Confirm cancelling">
                <p>{format!("Cancel your {tier_name} plan? It will not renew.{until}")}</p>
                <div class="actions">
                    <button type="button" class="danger" data-testid="confirm-cancel"
                        disabled=move || cancel.pending().get()
                        on:click=move |_| { cancel.dispatch_local(()); }>
                        {move || if cancel.pending().get() { "Cancelling…" } else { "Yes, cancel it" }}
                    </button>
                    <button type="button" class="secondary" on:click=move |_| confirming.set(false)>"Keep my plan"</button>
                </div>
            </div>
        </Show>
    }
}
