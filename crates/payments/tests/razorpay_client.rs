//! The Razorpay client against the fake Razorpay API (penora-fake-razorpay).

// Test helpers outside #[test] functions unwrap too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use penora_domain::Currency;
use penora_fake_razorpay::FakeRazorpay;
use penora_payments::{
    Gateway, GatewayError, GatewayKind, NewOrder, NewPlan, NewRefund, NewSubscription, Notes,
    Period, Razorpay, RazorpayConfig,
};
use secrecy::SecretString;
use url::Url;

const KEY_ID: &str = "rzp_test_key";
const KEY_SECRET: &str = "key-secret";

fn config(base: &str, secret: &str, timeout: Duration) -> RazorpayConfig {
    RazorpayConfig {
        base_url: Url::parse(base).unwrap(),
        key_id: KEY_ID.to_owned(),
        key_secret: SecretString::from(secret),
        webhook_secret: SecretString::from("webhook-secret"),
        timeout,
        connect_timeout: Duration::from_secs(2),
    }
}

fn client(fake: &FakeRazorpay) -> Razorpay {
    Razorpay::new(config(&fake.url, KEY_SECRET, Duration::from_secs(10))).unwrap()
}

fn order(amount: i64) -> NewOrder {
    NewOrder {
        amount,
        currency: Currency::INR,
        receipt: "rcpt_42".into(),
        notes: Notes::from([("user_id".to_owned(), "u_1".to_owned())]),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_payments_and_refunds_round_trip() {
    let fake = FakeRazorpay::start(KEY_ID, KEY_SECRET).await;
    let rzp = client(&fake);
    assert_eq!(rzp.kind(), GatewayKind::Razorpay);
    assert_eq!(rzp.key_id(), KEY_ID);

    let created = rzp.create_order(&order(50_000)).await.unwrap();
    assert!(created.id.starts_with("order_"));
    assert_eq!(created.entity, "order");
    assert_eq!((created.amount, created.currency.as_str()), (50_000, "INR"));
    assert_eq!(created.receipt.as_deref(), Some("rcpt_42"));
    assert_eq!(
        created.notes.get("user_id").map(String::as_str),
        Some("u_1")
    );
    assert_eq!(fake.count("POST /orders"), 1);
    assert!(rzp.order_payments(&created.id).await.unwrap().is_empty());

    let paid = fake.pay(&created.id, 50_000, "INR");
    let fetched = rzp.fetch_payment(&paid.id).await.unwrap();
    assert_eq!(fetched, paid);
    assert_eq!(fetched.order_id.as_deref(), Some(created.id.as_str()));
    assert_eq!(
        rzp.order_payments(&created.id).await.unwrap(),
        vec![paid.clone()]
    );
    let order_now = rzp.fetch_order(&created.id).await.unwrap();
    assert_eq!(
        (order_now.status.as_str(), order_now.amount_paid),
        ("paid", 50_000)
    );

    let part = rzp
        .refund(
            &paid.id,
            &NewRefund {
                amount: Some(20_000),
                notes: Notes::new(),
                idempotency_key: None,
            },
        )
        .await
        .unwrap();
    assert!(part.id.starts_with("rfnd_"));
    assert_eq!((part.amount, part.status.as_str()), (20_000, "processed"));
    assert_eq!(part.payment_id, paid.id);
    // With `X-Refund-Idempotency`, the same request again gets the same refund; the key with
    // another amount is refused.
    let keyed = |amount| NewRefund {
        amount: Some(amount),
        notes: Notes::new(),
        idempotency_key: Some("penora-test-key-1".to_owned()),
    };
    let first = rzp.refund(&paid.id, &keyed(1_000)).await.unwrap();
    let again = rzp.refund(&paid.id, &keyed(1_000)).await.unwrap();
    assert_eq!(again, first);
    assert!(rzp.refund(&paid.id, &keyed(2_000)).await.is_err());
    assert_eq!(fake.refunds().len(), 2);
    let too_much = rzp
        .refund(
            &paid.id,
            &NewRefund {
                amount: Some(40_000),
                notes: Notes::new(),
                idempotency_key: None,
            },
        )
        .await;
    match too_much {
        Err(GatewayError::Rejected { status, code, .. }) => {
            assert_eq!((status, code.as_str()), (400, "BAD_REQUEST_ERROR"));
        }
        other => panic!("{other:?}"),
    }
    let rest = rzp.refund(&paid.id, &NewRefund::default()).await.unwrap();
    assert_eq!(rest.amount, 29_000);
    let refunded = rzp.fetch_payment(&paid.id).await.unwrap();
    assert_eq!(
        (refunded.status.as_str(), refunded.amount_refunded),
        ("refunded", 50_000)
    );
    assert_eq!(fake.count("POST /payments/{id}/refund"), 6);

    // The fake's dashboard refund shows up too.
    let other = rzp.create_order(&order(1_000)).await.unwrap();
    let p = fake.pay(&other.id, 999, "USD");
    fake.refund(&p.id, 999);
    let p = rzp.fetch_payment(&p.id).await.unwrap();
    assert_eq!(
        (p.amount, p.currency.as_str(), p.status.as_str()),
        (999, "USD", "refunded")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plans_and_subscriptions_round_trip() {
    let fake = FakeRazorpay::start(KEY_ID, KEY_SECRET).await;
    let rzp = client(&fake);
    let plan = rzp
        .create_plan(&NewPlan {
            period: Period::Monthly,
            interval: 1,
            name: "Penora Pro".into(),
            amount: 49_900,
            currency: Currency::INR,
            description: Some("100k credits a month".into()),
            notes: Notes::new(),
        })
        .await
        .unwrap();
    assert!(plan.id.starts_with("plan_"));
    assert_eq!((plan.period.as_str(), plan.interval), ("monthly", 1));
    assert_eq!(
        plan.item.description.as_deref(),
        Some("100k credits a month")
    );

    let sub = rzp
        .create_subscription(&NewSubscription {
            plan_id: plan.id.clone(),
            total_count: 12,
            notes: Notes::from([("user_id".to_owned(), "u_1".to_owned())]),
        })
        .await
        .unwrap();
    assert!(sub.id.starts_with("sub_"));
    assert_eq!(
        (sub.status.as_str(), sub.total_count, sub.paid_count),
        ("created", 12, 0)
    );
    assert_eq!(rzp.fetch_subscription(&sub.id).await.unwrap(), sub);
    assert!(rzp.subscription_payments(&sub.id).await.unwrap().is_empty());

    let first = fake.charge_subscription(&sub.id);
    let second = fake.charge_subscription(&sub.id);
    let payments = rzp.subscription_payments(&sub.id).await.unwrap();
    assert_eq!(payments, vec![first, second]);
    assert!(payments
        .iter()
        .all(|p| p.subscription_id.as_deref() == Some(sub.id.as_str())));
    assert_eq!(fake.count("GET /invoices"), 2);

    let active = rzp.fetch_subscription(&sub.id).await.unwrap();
    assert_eq!((active.status.as_str(), active.paid_count), ("active", 2));
    assert_eq!(active.remaining_count, Some(10));

    let scheduled = rzp.cancel_subscription(&sub.id, true).await.unwrap();
    assert_eq!(scheduled.status, "active");
    let cancelled = rzp.cancel_subscription(&sub.id, false).await.unwrap();
    assert_eq!(cancelled.status, "cancelled");
    assert!(cancelled.ended_at.is_some());
    assert!(matches!(
        rzp.cancel_subscription(&sub.id, false).await,
        Err(GatewayError::Rejected { status: 400, .. })
    ));
    assert_eq!(fake.count("POST /subscriptions/{id}/cancel"), 3);

    fake.set_subscription_status(&sub.id, "halted");
    assert_eq!(
        rzp.fetch_subscription(&sub.id).await.unwrap().status,
        "halted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_ids_and_routes_are_not_found() {
    let fake = FakeRazorpay::start(KEY_ID, KEY_SECRET).await;
    let rzp = client(&fake);
    let nf = |r: Result<(), GatewayError>| matches!(r, Err(GatewayError::NotFound(_)));
    assert!(nf(rzp.fetch_order("order_missing").await.map(drop)));
    assert!(nf(rzp.fetch_payment("pay_missing").await.map(drop)));
    assert!(nf(rzp.order_payments("order_missing").await.map(drop)));
    assert!(nf(rzp
        .refund("pay_missing", &NewRefund::default())
        .await
        .map(drop)));
    assert!(nf(rzp.fetch_subscription("sub_missing").await.map(drop)));
    assert!(nf(rzp
        .cancel_subscription("sub_missing", true)
        .await
        .map(drop)));
    // An id with a slash stays one path segment.
    assert!(nf(rzp.fetch_order("../payments/pay_x").await.map(drop)));
    assert_eq!(fake.count("GET /orders/{id}"), 2);
    // "." and ".." never leave the client.
    assert!(nf(rzp.fetch_order("..").await.map(drop)));
    assert_eq!(fake.count("GET /orders/{id}"), 2);
    assert_eq!(fake.count("POST /orders"), 0);

    // A real 404 (wrong API base).
    let base = fake.url.replace("/v1/", "/v2/");
    let wrong = Razorpay::new(config(&base, KEY_SECRET, Duration::from_secs(5))).unwrap();
    assert!(nf(wrong.fetch_order("order_1").await.map(drop)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_credentials_and_bad_requests_are_rejected() {
    let fake = FakeRazorpay::start(KEY_ID, KEY_SECRET).await;
    let wrong = Razorpay::new(config(&fake.url, "not-the-secret", Duration::from_secs(5))).unwrap();
    match wrong.create_order(&order(50_000)).await {
        Err(e @ GatewayError::Rejected { status: 401, .. }) => {
            assert!(!e.is_retryable());
            assert!(!e.to_string().contains("not-the-secret"));
        }
        other => panic!("{other:?}"),
    }
    let rzp = client(&fake);
    match rzp.create_order(&order(50)).await {
        Err(GatewayError::Rejected {
            status,
            code,
            description,
        }) => {
            assert_eq!((status, code.as_str()), (400, "BAD_REQUEST_ERROR"));
            assert!(description.contains("amount"), "{description}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_down_or_slow_razorpay_is_unavailable() {
    let fake = FakeRazorpay::start(KEY_ID, KEY_SECRET).await;
    let rzp = Razorpay::new(config(&fake.url, KEY_SECRET, Duration::from_millis(300))).unwrap();

    fake.set_down(true);
    let down = rzp.create_order(&order(50_000)).await;
    assert!(
        matches!(&down, Err(e @ GatewayError::Unavailable(_)) if e.is_retryable()),
        "{down:?}"
    );
    fake.set_down(false);
    rzp.create_order(&order(50_000)).await.unwrap();

    fake.set_delay(Duration::from_secs(3));
    let started = Instant::now();
    let slow = rzp.fetch_order("order_whatever").await;
    assert!(
        matches!(slow, Err(GatewayError::Unavailable(_))),
        "{slow:?}"
    );
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    fake.set_delay(Duration::ZERO);

    // Nothing listens on a closed port: unavailable too.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let nowhere = Razorpay::new(config(
        &format!("http://127.0.0.1:{closed}/v1/"),
        KEY_SECRET,
        Duration::from_secs(2),
    ))
    .unwrap();
    assert!(matches!(
        nowhere.fetch_payment("pay_1").await,
        Err(GatewayError::Unavailable(_))
    ));
}
