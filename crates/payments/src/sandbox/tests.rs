use std::sync::Arc;

use chrono::{Datelike, TimeZone};
use penora_domain::Currency;
use secrecy::SecretString;

use super::*;
use crate::memory::MemoryBook;
use crate::requests::Period;

struct Fixture {
    book: Arc<MemoryBook>,
    sandbox: Sandbox,
}

fn signer() -> Signer {
    Signer::new(
        SecretString::from("key-secret"),
        SecretString::from("hook-secret"),
    )
}

fn fixture_with(options: SandboxOptions) -> Fixture {
    let book = Arc::new(MemoryBook::new());
    let sandbox = Sandbox::new(book.clone(), signer(), options);
    Fixture { book, sandbox }
}

fn fixture() -> Fixture {
    fixture_with(SandboxOptions::default())
}

fn new_order(amount: i64) -> NewOrder {
    NewOrder {
        amount,
        currency: Currency::INR,
        receipt: "rcpt_1".into(),
        notes: Notes::from([("user".to_owned(), "u1".to_owned())]),
    }
}

fn new_plan(period: Period) -> NewPlan {
    NewPlan {
        period,
        interval: 1,
        name: "Pro".into(),
        amount: 49_900,
        currency: Currency::INR,
        description: None,
        notes: Notes::new(),
    }
}

/// The queued events, each checked against its signature, as (event id, kind, event).
fn events(book: &MemoryBook) -> Vec<(String, EventKind, Event)> {
    let check = signer();
    book.take_deliveries()
        .into_iter()
        .map(|d| {
            assert!(check.verify_webhook(d.body.as_bytes(), &d.signature));
            let event = Event::parse(d.body.as_bytes()).unwrap();
            assert_eq!(event.event, d.event);
            assert!(d.event_id.starts_with("evt_") && d.event_id.len() == 18);
            (d.event_id, event.kind(), event)
        })
        .collect()
}

fn kinds(events: &[(String, EventKind, Event)]) -> Vec<EventKind> {
    events.iter().map(|(_, k, _)| k.clone()).collect()
}

fn assert_id(id: &str, prefix: &str) {
    let tail = id.strip_prefix(prefix).unwrap();
    assert_eq!(tail.len(), 14, "{id}");
    assert!(tail.chars().all(|c| c.is_ascii_alphanumeric()), "{id}");
}

#[tokio::test]
async fn paying_an_order_captures_a_payment_and_queues_two_webhooks() {
    let f = fixture();
    let order = f.sandbox.create_order(&new_order(50_000)).await.unwrap();
    assert_id(&order.id, "order_");
    assert_eq!(
        (order.status.as_str(), order.amount_due),
        ("created", 50_000)
    );

    let result = f
        .sandbox
        .checkout_order(&order.id, CheckoutAction::Pay, Tamper::default())
        .await
        .unwrap();
    assert_eq!(result.status, "paid");
    let pay_id = result.razorpay_payment_id.clone().unwrap();
    assert_id(&pay_id, "pay_");
    assert_eq!(result.razorpay_order_id.as_deref(), Some(order.id.as_str()));
    assert!(f.sandbox.signer().verify_payment(
        &order.id,
        &pay_id,
        result.razorpay_signature.as_deref().unwrap()
    ));

    let paid = f.sandbox.fetch_order(&order.id).await.unwrap();
    assert_eq!(paid.status, "paid");
    assert_eq!(
        (paid.amount_paid, paid.amount_due, paid.attempts),
        (50_000, 0, 1)
    );
    let payment = f.sandbox.fetch_payment(&pay_id).await.unwrap();
    assert_eq!(payment.status, "captured");
    assert!(payment.captured);
    assert_eq!((payment.amount, payment.currency.as_str()), (50_000, "INR"));
    assert_eq!(payment.order_id.as_deref(), Some(order.id.as_str()));
    assert_eq!(payment.notes.get("user").map(String::as_str), Some("u1"));
    assert_eq!(
        f.sandbox.order_payments(&order.id).await.unwrap(),
        vec![payment.clone()]
    );

    let events = events(&f.book);
    assert_eq!(
        kinds(&events),
        vec![EventKind::PaymentCaptured, EventKind::OrderPaid]
    );
    assert_ne!(events[0].0, events[1].0);
    assert_eq!(events[0].2.payment(), Some(&payment));
    assert_eq!(events[0].2.contains, vec!["payment"]);
    assert_eq!(events[1].2.order().map(|o| o.status.as_str()), Some("paid"));
    assert_eq!(events[1].2.contains, vec!["payment", "order"]);

    let again = f
        .sandbox
        .checkout_order(&order.id, CheckoutAction::Pay, Tamper::default())
        .await;
    assert!(matches!(
        again,
        Err(GatewayError::Rejected { status: 400, ref code, .. }) if code == "BAD_REQUEST_ERROR"
    ));
    assert!(f.book.deliveries().is_empty());
}

#[tokio::test]
async fn a_failed_payment_leaves_the_order_payable() {
    let f = fixture();
    let order = f.sandbox.create_order(&new_order(100)).await.unwrap();
    let failed = f
        .sandbox
        .checkout_order(&order.id, CheckoutAction::Fail, Tamper::default())
        .await
        .unwrap();
    assert_eq!(failed.status, "failed");
    assert!(failed.razorpay_signature.is_none());
    assert!(failed.error_description.is_some());
    let attempted = f.sandbox.fetch_order(&order.id).await.unwrap();
    assert_eq!(
        (attempted.status.as_str(), attempted.attempts),
        ("attempted", 1)
    );
    let events = events(&f.book);
    assert_eq!(kinds(&events), vec![EventKind::PaymentFailed]);
    let p = events[0].2.payment().unwrap();
    assert_eq!((p.status.as_str(), p.captured), ("failed", false));
    assert!(p.error_code.is_some());

    let paid = f
        .sandbox
        .checkout_order(&order.id, CheckoutAction::Pay, Tamper::default())
        .await
        .unwrap();
    assert_eq!(paid.status, "paid");
    let payments = f.sandbox.order_payments(&order.id).await.unwrap();
    let statuses: Vec<_> = payments.iter().map(|p| p.status.as_str()).collect();
    assert_eq!(statuses, vec!["failed", "captured"]);
}

#[tokio::test]
async fn cancelling_checkout_changes_nothing() {
    let f = fixture();
    let order = f.sandbox.create_order(&new_order(100)).await.unwrap();
    let result = f
        .sandbox
        .checkout_order(&order.id, CheckoutAction::Cancel, Tamper::default())
        .await
        .unwrap();
    assert_eq!(result.status, "cancelled");
    assert!(result.razorpay_payment_id.is_none());
    assert_eq!(f.sandbox.fetch_order(&order.id).await.unwrap(), order);
    assert!(f
        .sandbox
        .order_payments(&order.id)
        .await
        .unwrap()
        .is_empty());
    assert!(f.book.deliveries().is_empty());
}

#[tokio::test]
async fn tampering_pays_another_amount_and_currency() {
    let f = fixture();
    let order = f.sandbox.create_order(&new_order(50_000)).await.unwrap();
    let tamper = Tamper {
        amount: Some(100),
        currency: Some("USD".into()),
    };
    let result = f
        .sandbox
        .checkout_order(&order.id, CheckoutAction::Pay, tamper)
        .await
        .unwrap();
    let payment = f
        .sandbox
        .fetch_payment(result.razorpay_payment_id.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!((payment.amount, payment.currency.as_str()), (100, "USD"));
    let order = f.sandbox.fetch_order(&order.id).await.unwrap();
    assert_eq!((order.amount_paid, order.amount_due), (100, 49_900));
}

#[tokio::test]
async fn refunds_take_what_is_left_and_no_more() {
    let f = fixture();
    let order = f.sandbox.create_order(&new_order(1_000)).await.unwrap();
    let paid = f
        .sandbox
        .checkout_order(&order.id, CheckoutAction::Pay, Tamper::default())
        .await
        .unwrap();
    let pay_id = paid.razorpay_payment_id.unwrap();
    f.book.take_deliveries();

    let part = f
        .sandbox
        .refund(
            &pay_id,
            &NewRefund {
                amount: Some(300),
                notes: Notes::new(),
                idempotency_key: None,
            },
        )
        .await
        .unwrap();
    assert_id(&part.id, "rfnd_");
    assert_eq!((part.amount, part.status.as_str()), (300, "processed"));
    assert_eq!(part.payment_id, pay_id);
    let p = f.sandbox.fetch_payment(&pay_id).await.unwrap();
    assert_eq!((p.amount_refunded, p.status.as_str()), (300, "captured"));

    // As Razorpay's `X-Refund-Idempotency`: the same key and request, the same refund.
    let keyed = |amount| NewRefund {
        amount: Some(amount),
        notes: Notes::new(),
        idempotency_key: Some("penora-sandbox-key".to_owned()),
    };
    let first = f.sandbox.refund(&pay_id, &keyed(100)).await.unwrap();
    let again = f.sandbox.refund(&pay_id, &keyed(100)).await.unwrap();
    assert_eq!(again, first);
    assert!(f.sandbox.refund(&pay_id, &keyed(200)).await.is_err());
    let p = f.sandbox.fetch_payment(&pay_id).await.unwrap();
    assert_eq!(p.amount_refunded, 400);

    let too_much = f
        .sandbox
        .refund(
            &pay_id,
            &NewRefund {
                amount: Some(601),
                notes: Notes::new(),
                idempotency_key: None,
            },
        )
        .await;
    assert!(matches!(
        too_much,
        Err(GatewayError::Rejected { status: 400, .. })
    ));

    let rest = f
        .sandbox
        .refund(&pay_id, &NewRefund::default())
        .await
        .unwrap();
    assert_eq!(rest.amount, 600);
    let p = f.sandbox.fetch_payment(&pay_id).await.unwrap();
    assert_eq!((p.amount_refunded, p.status.as_str()), (1_000, "refunded"));
    // The payment is still listed under its order.
    assert_eq!(
        f.sandbox.order_payments(&order.id).await.unwrap(),
        vec![p.clone()]
    );
    assert!(matches!(
        f.sandbox.refund(&pay_id, &NewRefund::default()).await,
        Err(GatewayError::Rejected { .. })
    ));

    let events = events(&f.book);
    assert_eq!(
        kinds(&events),
        vec![EventKind::RefundProcessed; 3],
        "one event per refund made, none for a repeated key"
    );
    assert_eq!(events[2].2.refund(), Some(&rest));
    assert_eq!(events[2].2.payment(), Some(&p));
    assert_eq!(events[2].2.contains, vec!["refund", "payment"]);
}

#[tokio::test]
async fn a_monthly_subscription_runs_through_its_life() {
    let f = fixture();
    let plan = f
        .sandbox
        .create_plan(&new_plan(Period::Monthly))
        .await
        .unwrap();
    assert_id(&plan.id, "plan_");
    assert_eq!(
        (plan.period.as_str(), plan.item.amount),
        ("monthly", 49_900)
    );
    let sub = f
        .sandbox
        .create_subscription(&NewSubscription {
            plan_id: plan.id.clone(),
            total_count: 12,
            notes: Notes::new(),
        })
        .await
        .unwrap();
    assert_id(&sub.id, "sub_");
    assert_eq!((sub.status.as_str(), sub.paid_count), ("created", 0));

    let result = f
        .sandbox
        .checkout_subscription(&sub.id, CheckoutAction::Pay)
        .await
        .unwrap();
    assert_eq!(result.status, "paid");
    let pay_id = result.razorpay_payment_id.clone().unwrap();
    assert!(f.sandbox.signer().verify_subscription(
        &pay_id,
        &sub.id,
        result.razorpay_signature.as_deref().unwrap()
    ));
    let active = f.sandbox.fetch_subscription(&sub.id).await.unwrap();
    assert_eq!(active.status, "active");
    assert_eq!((active.paid_count, active.remaining_count), (1, Some(11)));
    let start = Utc.timestamp_opt(active.current_start.unwrap(), 0).unwrap();
    let end = Utc.timestamp_opt(active.current_end.unwrap(), 0).unwrap();
    assert_eq!(start.checked_add_months(Months::new(1)), Some(end));
    let first = f.sandbox.fetch_payment(&pay_id).await.unwrap();
    assert_eq!(first.subscription_id.as_deref(), Some(sub.id.as_str()));
    assert_eq!(first.amount, 49_900);
    assert!(first.invoice_id.as_deref().unwrap().starts_with("inv_"));
    let events = events(&f.book);
    assert_eq!(
        kinds(&events),
        vec![
            EventKind::SubscriptionActivated,
            EventKind::SubscriptionCharged
        ]
    );
    assert_eq!(events[1].2.payment(), Some(&first));
    assert_eq!(events[1].2.subscription(), Some(&active));

    // A second checkout of the same subscription is refused.
    assert!(matches!(
        f.sandbox
            .checkout_subscription(&sub.id, CheckoutAction::Pay)
            .await,
        Err(GatewayError::Rejected { .. })
    ));

    let renewed = f.sandbox.renew_subscription(&sub.id).await.unwrap();
    assert_eq!(renewed.current_start, active.current_end);
    assert_eq!(
        end.checked_add_months(Months::new(1))
            .map(|t| t.timestamp()),
        renewed.current_end
    );
    assert_eq!((renewed.paid_count, renewed.remaining_count), (2, Some(10)));
    let payments = f.sandbox.subscription_payments(&sub.id).await.unwrap();
    assert_eq!(payments.len(), 2);
    assert_eq!(payments[0], first);
    assert_ne!(payments[0].invoice_id, payments[1].invoice_id);
    assert_eq!(kinds(&events_of(&f)), vec![EventKind::SubscriptionCharged]);

    let scheduled = f.sandbox.cancel_subscription(&sub.id, true).await.unwrap();
    assert_eq!(scheduled.status, "active");
    assert!(scheduled.has_scheduled_changes);
    assert!(f.book.deliveries().is_empty());

    let cancelled = f.sandbox.renew_subscription(&sub.id).await.unwrap();
    assert_eq!(cancelled.status, "cancelled");
    assert!(cancelled.ended_at.is_some());
    assert_eq!(cancelled.paid_count, 2);
    assert_eq!(
        kinds(&events_of(&f)),
        vec![EventKind::SubscriptionCancelled]
    );
    assert_eq!(
        f.sandbox
            .subscription_payments(&sub.id)
            .await
            .unwrap()
            .len(),
        2
    );
    assert!(matches!(
        f.sandbox.renew_subscription(&sub.id).await,
        Err(GatewayError::Rejected { .. })
    ));
    assert!(matches!(
        f.sandbox.cancel_subscription(&sub.id, false).await,
        Err(GatewayError::Rejected { .. })
    ));
}

fn events_of(f: &Fixture) -> Vec<(String, EventKind, Event)> {
    events(&f.book)
}

async fn active_subscription(f: &Fixture, period: Period, total_count: i64) -> Subscription {
    let plan = f.sandbox.create_plan(&new_plan(period)).await.unwrap();
    let sub = f
        .sandbox
        .create_subscription(&NewSubscription {
            plan_id: plan.id,
            total_count,
            notes: Notes::new(),
        })
        .await
        .unwrap();
    f.sandbox
        .checkout_subscription(&sub.id, CheckoutAction::Pay)
        .await
        .unwrap();
    f.book.take_deliveries();
    f.sandbox.fetch_subscription(&sub.id).await.unwrap()
}

#[tokio::test]
async fn a_yearly_period_is_one_calendar_year() {
    let f = fixture();
    let sub = active_subscription(&f, Period::Yearly, 3).await;
    let start = Utc.timestamp_opt(sub.current_start.unwrap(), 0).unwrap();
    let end = Utc.timestamp_opt(sub.current_end.unwrap(), 0).unwrap();
    assert_eq!(end.year(), start.year() + 1);
    assert_eq!(start.checked_add_months(Months::new(12)), Some(end));
}

#[tokio::test]
async fn a_subscription_completes_after_its_last_cycle() {
    let f = fixture();
    let sub = active_subscription(&f, Period::Monthly, 1).await;
    assert_eq!(sub.remaining_count, Some(0));
    let done = f.sandbox.renew_subscription(&sub.id).await.unwrap();
    assert_eq!(done.status, "completed");
    assert!(done.ended_at.is_some());
    assert_eq!(
        kinds(&events_of(&f)),
        vec![EventKind::SubscriptionCompleted]
    );
    assert_eq!(
        f.sandbox
            .subscription_payments(&sub.id)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn halting_goes_through_pending_and_a_renewal_revives_it() {
    let f = fixture();
    let sub = active_subscription(&f, Period::Monthly, 6).await;
    let halted = f.sandbox.halt_subscription(&sub.id).await.unwrap();
    assert_eq!(halted.status, "halted");
    let events = events_of(&f);
    assert_eq!(
        kinds(&events),
        vec![
            EventKind::SubscriptionPending,
            EventKind::SubscriptionHalted
        ]
    );
    assert_eq!(
        events[0].2.subscription().map(|s| s.status.as_str()),
        Some("pending")
    );
    assert!(matches!(
        f.sandbox.halt_subscription(&sub.id).await,
        Err(GatewayError::Rejected { .. })
    ));
    let revived = f.sandbox.renew_subscription(&sub.id).await.unwrap();
    assert_eq!((revived.status.as_str(), revived.paid_count), ("active", 2));
}

#[tokio::test]
async fn cancelling_now_ends_the_subscription_and_says_so() {
    let f = fixture();
    let sub = active_subscription(&f, Period::Monthly, 6).await;
    let cancelled = f.sandbox.cancel_subscription(&sub.id, false).await.unwrap();
    assert_eq!(cancelled.status, "cancelled");
    assert!(cancelled.ended_at.is_some());
    let events = events_of(&f);
    assert_eq!(kinds(&events), vec![EventKind::SubscriptionCancelled]);
    assert_eq!(events[0].2.subscription(), Some(&cancelled));
    assert_eq!(
        f.sandbox.fetch_subscription(&sub.id).await.unwrap(),
        cancelled
    );
}

#[tokio::test]
async fn a_failed_subscription_checkout_leaves_it_created() {
    let f = fixture();
    let plan = f
        .sandbox
        .create_plan(&new_plan(Period::Monthly))
        .await
        .unwrap();
    let sub = f
        .sandbox
        .create_subscription(&NewSubscription {
            plan_id: plan.id,
            total_count: 2,
            notes: Notes::new(),
        })
        .await
        .unwrap();
    let failed = f
        .sandbox
        .checkout_subscription(&sub.id, CheckoutAction::Fail)
        .await
        .unwrap();
    assert_eq!(failed.status, "failed");
    assert!(failed.razorpay_signature.is_none());
    assert_eq!(f.sandbox.fetch_subscription(&sub.id).await.unwrap(), sub);
    assert_eq!(kinds(&events_of(&f)), vec![EventKind::PaymentFailed]);
    let cancelled = f
        .sandbox
        .checkout_subscription(&sub.id, CheckoutAction::Cancel)
        .await
        .unwrap();
    assert_eq!(cancelled.status, "cancelled");
    assert!(f.book.deliveries().is_empty());
}

#[tokio::test]
async fn unknown_ids_are_not_found() {
    let f = fixture();
    let nf = |r: Result<_, GatewayError>| matches!(r, Err(GatewayError::NotFound(_)));
    let s = &f.sandbox;
    assert!(nf(s.fetch_order("order_nope").await.map(drop)));
    assert!(nf(s.fetch_payment("pay_nope").await.map(drop)));
    assert!(nf(s.order_payments("order_nope").await.map(drop)));
    assert!(nf(s
        .refund("pay_nope", &NewRefund::default())
        .await
        .map(drop)));
    assert!(nf(s.fetch_subscription("sub_nope").await.map(drop)));
    assert!(nf(s.cancel_subscription("sub_nope", true).await.map(drop)));
    assert!(nf(s.subscription_payments("sub_nope").await.map(drop)));
    assert!(nf(s.renew_subscription("sub_nope").await.map(drop)));
    assert!(nf(s.halt_subscription("sub_nope").await.map(drop)));
    assert!(nf(s
        .checkout_order("order_nope", CheckoutAction::Pay, Tamper::default())
        .await
        .map(drop)));
    assert!(nf(s
        .checkout_subscription("sub_nope", CheckoutAction::Pay)
        .await
        .map(drop)));
    let no_plan = NewSubscription {
        plan_id: "plan_nope".into(),
        total_count: 1,
        notes: Notes::new(),
    };
    assert!(nf(s.create_subscription(&no_plan).await.map(drop)));
}

#[tokio::test]
async fn invalid_requests_are_rejected() {
    let f = fixture();
    assert!(matches!(
        f.sandbox.create_order(&new_order(0)).await,
        Err(GatewayError::Rejected { status: 400, .. })
    ));
    let mut long = new_order(100);
    long.receipt = "r".repeat(41);
    assert!(matches!(
        f.sandbox.create_order(&long).await,
        Err(GatewayError::Rejected { .. })
    ));
    let mut plan = new_plan(Period::Monthly);
    plan.interval = 0;
    assert!(matches!(
        f.sandbox.create_plan(&plan).await,
        Err(GatewayError::Rejected { .. })
    ));
}

#[tokio::test]
async fn duplicates_queue_each_event_twice_with_one_id() {
    let f = fixture_with(SandboxOptions {
        duplicates: true,
        ..SandboxOptions::default()
    });
    let order = f.sandbox.create_order(&new_order(100)).await.unwrap();
    f.sandbox
        .checkout_order(&order.id, CheckoutAction::Pay, Tamper::default())
        .await
        .unwrap();
    let events = events_of(&f);
    assert_eq!(
        kinds(&events),
        vec![
            EventKind::PaymentCaptured,
            EventKind::PaymentCaptured,
            EventKind::OrderPaid,
            EventKind::OrderPaid
        ]
    );
    assert_eq!(events[0].0, events[1].0);
    assert_eq!(events[2].0, events[3].0);
    assert_ne!(events[0].0, events[2].0);
}

#[tokio::test]
async fn without_shuffle_deliveries_are_due_at_once_in_event_order() {
    let f = fixture();
    let before = Utc::now();
    let order = f.sandbox.create_order(&new_order(100)).await.unwrap();
    f.sandbox
        .checkout_order(&order.id, CheckoutAction::Pay, Tamper::default())
        .await
        .unwrap();
    let after = Utc::now();
    let deliveries = f.book.deliveries();
    assert_eq!(deliveries.len(), 2);
    for d in &deliveries {
        assert!(d.deliver_after >= before && d.deliver_after <= after);
    }
    assert!(deliveries[0].deliver_after <= deliveries[1].deliver_after);
}

#[tokio::test]
async fn shuffled_delays_are_bounded_and_repeat_for_a_seed() {
    let options = SandboxOptions {
        shuffle: true,
        seed: 42,
        ..SandboxOptions::default()
    };
    let a = fixture_with(options.clone());
    let b = fixture_with(options);
    let c = fixture_with(SandboxOptions {
        shuffle: true,
        seed: 43,
        ..SandboxOptions::default()
    });
    let take = |f: &Fixture| (0..32).map(|_| f.sandbox.next_delay()).collect::<Vec<_>>();
    let (da, db, dc) = (take(&a), take(&b), take(&c));
    assert_eq!(da, db);
    assert_ne!(da, dc);
    assert!(da
        .iter()
        .all(|d| *d >= TimeDelta::zero() && *d <= TimeDelta::milliseconds(1500)));
    assert!(da.iter().collect::<std::collections::HashSet<_>>().len() > 1);

    let before = Utc::now();
    let order = a.sandbox.create_order(&new_order(100)).await.unwrap();
    a.sandbox
        .checkout_order(&order.id, CheckoutAction::Pay, Tamper::default())
        .await
        .unwrap();
    let after = Utc::now();
    for d in a.book.deliveries() {
        assert!(d.deliver_after >= before);
        assert!(d.deliver_after <= after + TimeDelta::milliseconds(1500));
    }
}

#[tokio::test]
async fn the_sandbox_says_what_it_is() {
    let f = fixture();
    assert_eq!(f.sandbox.kind(), GatewayKind::Sandbox);
    assert_eq!(f.sandbox.key_id(), "rzp_test_sandbox");
}

#[test]
fn checkout_inputs_read_from_json() {
    let action: CheckoutAction = serde_json::from_str("\"fail\"").unwrap();
    assert_eq!(action, CheckoutAction::Fail);
    let tamper: Tamper = serde_json::from_str(r#"{"amount":5}"#).unwrap();
    assert_eq!((tamper.amount, tamper.currency), (Some(5), None));
}

#[test]
fn periods_advance_by_calendar() {
    let jan31 = Utc.with_ymd_and_hms(2025, 1, 31, 10, 0, 0).unwrap();
    let feb28 = Utc.with_ymd_and_hms(2025, 2, 28, 10, 0, 0).unwrap();
    assert_eq!(
        advance(jan31.timestamp(), "monthly", 1).unwrap(),
        feb28.timestamp()
    );
    let leap = Utc.with_ymd_and_hms(2024, 2, 29, 0, 0, 0).unwrap();
    let next = Utc.with_ymd_and_hms(2025, 2, 28, 0, 0, 0).unwrap();
    assert_eq!(
        advance(leap.timestamp(), "yearly", 1).unwrap(),
        next.timestamp()
    );
    assert_eq!(advance(0, "weekly", 2).unwrap(), 14 * 86_400);
    assert_eq!(advance(0, "daily", 1).unwrap(), 86_400);
    assert!(advance(0, "fortnightly", 1).is_err());
    assert!(advance(0, "monthly", -1).is_err());
}
