//! Against a local fake of Razorpay's HTTP API: orders, verify with a signature computed
//! here, webhooks, a gateway down or slow, reconciling what no webhook reported. And races:
//! one payment verified and webhooked many times at once, on two server processes.

use std::time::Duration;

use penora_fake_razorpay::FakeRazorpay;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::billing_orders::{captured_event, count};
use crate::helpers::{
    assert_problem, hmac_hex, spawn_app, spawn_app_with, TestApp, TEST_KEY_SECRET,
    TEST_WEBHOOK_SECRET,
};

const WELCOME_MC: i64 = 50_000;
pub(crate) const KEY_ID: &str = "rzp_test_penora";

pub(crate) async fn with_razorpay() -> (TestApp, FakeRazorpay) {
    with_razorpay_and(|_| {}).await
}

async fn with_razorpay_and(
    tweak: impl FnOnce(&mut penora_app::config::Settings),
) -> (TestApp, FakeRazorpay) {
    let fake = FakeRazorpay::start(KEY_ID, TEST_KEY_SECRET).await;
    let url = fake.url.clone();
    let app = spawn_app_with(move |s| {
        s.payments.payments_gateway = Some("razorpay".to_owned());
        s.payments.razorpay_key_id = Some(KEY_ID.to_owned());
        s.payments.razorpay_base_url = url;
        s.payments.payments_timeout_ms = 500;
        s.payments.billing_reconcile_after_ms = 0;
        tweak(s);
    })
    .await;
    (app, fake)
}

pub(crate) fn signature(order_id: &str, payment_id: &str) -> String {
    hmac_hex(
        TEST_KEY_SECRET,
        format!("{order_id}|{payment_id}").as_bytes(),
    )
}

#[tokio::test]
async fn a_razorpay_payment_is_verified_by_signature_and_credited_once() {
    let (app, fake) = with_razorpay().await;
    let user = app.signed_up_user("razor@example.com").await;
    let token = &user.access_token;
    let order = app.order(token, "pack-100").await;
    assert_eq!(order["gateway"], "razorpay");
    assert_eq!(order["key_id"], KEY_ID);
    assert!(order["checkout_url"].is_null());
    assert_eq!(fake.count("POST /orders"), 1);
    let gateway_order = order["gateway_order_id"].as_str().unwrap();
    let payment = fake.pay(gateway_order, 900, "USD");
    let paid = json!({
        "razorpay_order_id": gateway_order,
        "razorpay_payment_id": payment.id,
        "razorpay_signature": signature(gateway_order, &payment.id),
    });
    let verified = app
        .verify(token, order["order_id"].as_str().unwrap(), &paid)
        .await;
    assert_eq!(verified.status(), StatusCode::OK);
    assert_eq!(app.balance_mc(token).await, WELCOME_MC + 100_000);
    // Razorpay's webhook for the same payment, later: nothing more.
    let body = captured_event(gateway_order, &payment.id, 900, "USD");
    let ack: Value = app
        .webhook_signed(&body, "evt_after_verify", TEST_WEBHOOK_SECRET)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ack["outcome"], "already applied", "{ack}");
    assert_eq!(app.entries_of(token, "purchase").await.len(), 1);
    // A payment of another amount for another order: flagged, not credited.
    let cheap = app.order(token, "pack-100").await;
    let cheap_order = cheap["gateway_order_id"].as_str().unwrap();
    let underpaid = fake.pay(cheap_order, 90, "USD");
    let response = app
        .verify(
            token,
            cheap["order_id"].as_str().unwrap(),
            &json!({
                "razorpay_order_id": cheap_order,
                "razorpay_payment_id": underpaid.id,
                "razorpay_signature": signature(cheap_order, &underpaid.id),
            }),
        )
        .await;
    assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "payment_mismatch",
    )
    .await;
    assert_eq!(app.balance_mc(token).await, WELCOME_MC + 100_000);
}

#[tokio::test]
async fn a_gateway_down_or_slow_at_order_time_is_503_and_stores_nothing() {
    let (app, fake) = with_razorpay().await;
    let user = app.signed_up_user("down@example.com").await;
    fake.set_down(true);
    let down = app
        .post_authed(
            "/api/v1/billing/orders",
            &user.access_token,
            &json!({ "item_id": "topup-10" }),
        )
        .await;
    assert!(down.headers().contains_key("retry-after"));
    assert_problem(down, StatusCode::SERVICE_UNAVAILABLE, "gateway_unavailable").await;
    fake.set_down(false);
    fake.set_delay(Duration::from_secs(3));
    let started = std::time::Instant::now();
    let slow = app
        .post_authed(
            "/api/v1/billing/orders",
            &user.access_token,
            &json!({ "item_id": "topup-10" }),
        )
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_problem(slow, StatusCode::SERVICE_UNAVAILABLE, "gateway_unavailable").await;
    assert_eq!(count(&app, "payment_orders").await, 0);
    fake.set_delay(Duration::ZERO);
    app.order(&user.access_token, "topup-10").await;
    assert_eq!(count(&app, "payment_orders").await, 1);
}

#[tokio::test]
async fn reconciling_credits_a_payment_no_verify_or_webhook_reported() {
    let (app, fake) = with_razorpay().await;
    let user = app.signed_up_user("quiet@example.com").await;
    let order = app.order(&user.access_token, "topup-50").await;
    fake.pay(order["gateway_order_id"].as_str().unwrap(), 500, "USD");
    let found = penora_app::billing::reconcile::run(&app.state)
        .await
        .unwrap();
    assert_eq!(
        (found.orders_checked, found.orders_credited),
        (1, 1),
        "{found:?}"
    );
    assert_eq!(
        app.balance_mc(&user.access_token).await,
        WELCOME_MC + 50_000
    );
    let again = penora_app::billing::reconcile::run(&app.state)
        .await
        .unwrap();
    assert_eq!(again.orders_credited, 0);
    assert_eq!(
        app.entries_of(&user.access_token, "purchase").await.len(),
        1
    );
}

#[tokio::test]
async fn one_payment_verified_and_webhooked_many_times_at_once_on_two_servers_credits_once() {
    let app = spawn_app().await;
    let second = app.another_server().await;
    let user = app.signed_up_user("race@example.com").await;
    let token = user.access_token.clone();
    let order = app.order(&token, "pack-100").await;
    let gateway_order = order["gateway_order_id"].as_str().unwrap().to_owned();
    let paid = app.sandbox_pay(&gateway_order).await;
    let payment_id = paid["razorpay_payment_id"].as_str().unwrap().to_owned();
    let order_id = order["order_id"].as_str().unwrap().to_owned();
    let body = captured_event(&gateway_order, &payment_id, 900, "USD");
    let servers = [&app, &second];
    let mut tasks = Vec::new();
    for n in 0..40 {
        let server = servers[n % 2];
        let (token, order_id, paid, body) =
            (token.clone(), order_id.clone(), paid.clone(), body.clone());
        tasks.push(async move {
            if n % 4 < 2 {
                server.verify(&token, &order_id, &paid).await.status()
            } else {
                // Distinct event ids: each is a new delivery of the same payment.
                server
                    .webhook_signed(&body, &format!("evt_race_{n}"), TEST_WEBHOOK_SECRET)
                    .await
                    .status()
            }
        });
    }
    let statuses = futures_util::future::join_all(tasks).await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    app.wait_for_webhooks().await;
    assert_eq!(app.entries_of(&token, "purchase").await.len(), 1);
    assert_eq!(app.balance_mc(&token).await, WELCOME_MC + 100_000);
    assert_eq!(count(&app, "payments").await, 1);
}

#[tokio::test]
async fn duplicated_and_shuffled_sandbox_webhooks_credit_each_payment_once() {
    let app = spawn_app_with(|s| {
        s.payments.sandbox_webhook_duplicates = true;
        s.payments.sandbox_webhook_shuffle = true;
        s.payments.sandbox_seed = 42;
    })
    .await;
    let user = app.signed_up_user("shuffled@example.com").await;
    let token = &user.access_token;
    for item in ["topup-10", "topup-25", "pack-100"] {
        let order = app.order(token, item).await;
        app.sandbox_pay(order["gateway_order_id"].as_str().unwrap())
            .await;
    }
    app.wait_for_webhooks().await;
    app.wait_for_balance(token, |b| b == WELCOME_MC + 135_000)
        .await;
    assert_eq!(app.entries_of(token, "purchase").await.len(), 3);
    // payment.captured and order.paid for each, each delivered twice.
    assert_eq!(count(&app, "sandbox_deliveries").await, 12);
    assert_eq!(count(&app, "webhook_events").await, 6);
}

#[test]
fn production_refuses_the_sandbox_unless_a_staging_site_allows_it() {
    use crate::mail_settings::serve_in_production;
    let mail = ("PENORA_MAIL_DISABLED", "true");
    let (success, stderr) =
        serve_in_production(&[mail]).expect("production with the sandbox must not start");
    assert!(!success);
    assert!(
        stderr.contains("RAZORPAY_KEY_ID")
            && stderr.contains("PENORA_ALLOW_SANDBOX_IN_PRODUCTION=true"),
        "says what to set: {stderr}"
    );
    let staging = serve_in_production(&[mail, ("PENORA_ALLOW_SANDBOX_IN_PRODUCTION", "true")]);
    assert!(staging.is_none(), "a staging site starts: {staging:?}");
    let live = serve_in_production(&[
        mail,
        ("RAZORPAY_KEY_ID", "rzp_live_penora"),
        ("RAZORPAY_KEY_SECRET", "live-key-secret"),
        ("RAZORPAY_WEBHOOK_SECRET", "live-webhook-secret"),
    ]);
    assert!(live.is_none(), "with Razorpay's keys it starts: {live:?}");
}

/// A `subscription.charged` event for `sub` paid by `payment`, as Razorpay sends it.
fn charged_event(
    sub: &penora_payments::Subscription,
    payment: &penora_payments::Payment,
) -> String {
    json!({
        "entity": "event", "account_id": "acc_test", "event": "subscription.charged",
        "contains": ["subscription", "payment"],
        "payload": {
            "subscription": { "entity": sub },
            "payment": { "entity": payment },
        },
        "created_at": 1_700_000_000,
    })
    .to_string()
}

#[tokio::test]
async fn a_razorpay_subscription_is_granted_by_its_webhook_and_a_missed_renewal_by_reconcile() {
    use sea_orm::{ConnectionTrait, Statement};
    let (app, fake) = with_razorpay().await;
    let user = app.signed_up_user("razor-plan@example.com").await;
    let token = &user.access_token;
    let created = app
        .post_authed(
            "/api/v1/billing/subscription",
            token,
            &json!({ "item_id": "pro-monthly" }),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.unwrap();
    let sub_id = created["subscription"]["gateway_subscription_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(created["key_id"], KEY_ID);
    assert_eq!(fake.count("POST /plans"), 1);
    assert_eq!(fake.count("POST /subscriptions"), 1);

    // The first period, reported by the webhook.
    let payment = fake.charge_subscription(&sub_id);
    let sub = fake.subscription(&sub_id).unwrap();
    let ack: Value = app
        .webhook_signed(
            &charged_event(&sub, &payment),
            "evt_charged_1",
            TEST_WEBHOOK_SECRET,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ack["outcome"], "granted", "{ack}");
    let plan: Value = app
        .get_authed("/api/v1/billing/subscription", token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(plan["plan"]["id"], "pro");
    assert_eq!(app.balance_mc(token).await, WELCOME_MC + 1_500_000);

    // The renewal's webhook never comes: once the period has ended, reconcile finds it.
    let backend = app.db.get_database_backend();
    let past = penora_store::now() - chrono::Duration::hours(1);
    app.db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            match backend {
                sea_orm::DbBackend::Postgres => "UPDATE subscriptions SET current_end = $1",
                _ => "UPDATE subscriptions SET current_end = ?",
            },
            [past.into()],
        ))
        .await
        .unwrap();
    fake.charge_subscription(&sub_id);
    let found = penora_app::billing::reconcile::run(&app.state)
        .await
        .unwrap();
    assert_eq!(
        (found.subscriptions_checked, found.subscriptions_granted),
        (1, 1),
        "{found:?}"
    );
    assert_eq!(app.entries_of(token, "subscription_grant").await.len(), 2);
    assert_eq!(app.balance_mc(token).await, WELCOME_MC + 3_000_000);
    // A second subscribe reuses the gateway plan made the first time.
    let other = app.signed_up_user("razor-plan-2@example.com").await;
    let again = app
        .post_authed(
            "/api/v1/billing/subscription",
            &other.access_token,
            &json!({ "item_id": "pro-monthly" }),
        )
        .await;
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(fake.count("POST /plans"), 1);
}

#[tokio::test]
async fn a_webhook_is_applied_by_its_delivery_not_by_a_retry_racing_it() {
    // The retry job of every replica looks for stored events that are not applied yet. A
    // delivery is stored and then applied by its own request: a retry must not take it in
    // between and leave the request answering that nothing was done. Retries run every
    // 10 ms here, on two servers, to meet the request in that gap.
    let (app, fake) = with_razorpay_and(|s| s.payments.billing_retry_interval_ms = 10).await;
    let _second = app.another_server().await;
    let user = app.signed_up_user("razor-renewals@example.com").await;
    let token = &user.access_token;
    let created: Value = app
        .post_authed(
            "/api/v1/billing/subscription",
            token,
            &json!({ "item_id": "lite-monthly" }),
        )
        .await
        .json()
        .await
        .unwrap();
    let sub_id = created["subscription"]["gateway_subscription_id"]
        .as_str()
        .unwrap()
        .to_owned();
    for period in 1..=24 {
        let payment = fake.charge_subscription(&sub_id);
        let sub = fake.subscription(&sub_id).unwrap();
        let ack: Value = app
            .webhook_signed(
                &charged_event(&sub, &payment),
                &format!("evt_renewal_{period}"),
                TEST_WEBHOOK_SECRET,
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(ack["outcome"], "granted", "period {period}: {ack}");
    }
    assert_eq!(app.balance_mc(token).await, WELCOME_MC + 24 * 500_000);
}
