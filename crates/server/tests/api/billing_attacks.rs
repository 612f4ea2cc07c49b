//! Attacks on billing: ways to keep a plan, get credits or break the server that the
//! happy-path tests do not try. Each test names the hole it closes.

use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

use crate::helpers::{TestApp, TEST_WEBHOOK_SECRET};

async fn plan_id(app: &TestApp, token: &str) -> Value {
    let body: Value = app
        .get_authed("/api/v1/billing/subscription", token)
        .await
        .json()
        .await
        .unwrap();
    body["plan"]["id"].clone()
}

/// The body of the first stored webhook event named `event`.
async fn stored_event(app: &TestApp, event: &str) -> Value {
    use penora_store::entities::webhook_event::{Column, Entity};
    let row = Entity::find()
        .filter(Column::Event.eq(event))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no stored {event}"));
    serde_json::from_str(&row.body).unwrap()
}

/// `base` (a subscription event) as event `event` with the subscription in `status`: what
/// Razorpay sends for the same period in another state.
fn as_event(base: &Value, event: &str, status: &str) -> String {
    let mut body = base.clone();
    body["event"] = json!(event);
    body["payload"]["subscription"]["entity"]["status"] = json!(status);
    body.to_string()
}

#[tokio::test]
async fn billing_attacks_a_late_pending_event_does_not_revive_a_halted_plan() {
    // Razorpay does not promise the order of deliveries: the `subscription.pending` of a
    // failing renewal may arrive after its `subscription.halted`. The plan must stay lost.
    let app = crate::helpers::spawn_app().await;
    let buyer = app.signed_up_user("late-pending@example.com").await;
    let token = &buyer.access_token;
    app.subscribe_and_pay(token, "lite-monthly").await;
    assert_eq!(plan_id(&app, token).await, "lite");
    let activated = stored_event(&app, "subscription.activated").await;

    let halted = as_event(&activated, "subscription.halted", "halted");
    let response = app
        .webhook_signed(&halted, "evt_attack_halted", TEST_WEBHOOK_SECRET)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(plan_id(&app, token).await, "free");

    let pending = as_event(&activated, "subscription.pending", "pending");
    let response = app
        .webhook_signed(&pending, "evt_attack_pending_late", TEST_WEBHOOK_SECRET)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let late_active = as_event(&activated, "subscription.activated", "active");
    let response = app
        .webhook_signed(&late_active, "evt_attack_active_late", TEST_WEBHOOK_SECRET)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let now: Value = app
        .get_authed("/api/v1/billing/subscription", token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(now["plan"]["id"], "free", "{now}");
    assert_eq!(now["subscription"]["status"], "halted", "{now}");
}

#[tokio::test]
async fn billing_attacks_a_late_activated_event_does_not_revive_a_cancelled_plan() {
    // A cancelled subscription must not be made live again by an `activated` delivered late
    // for the same period (it would renew again and block a new plan).
    let app = crate::helpers::spawn_app().await;
    let buyer = app.signed_up_user("late-active@example.com").await;
    let token = &buyer.access_token;
    let sub_id = app.subscribe_and_pay(token, "lite-monthly").await;
    let activated = stored_event(&app, "subscription.activated").await;
    let cancelled = as_event(&activated, "subscription.cancelled", "cancelled");
    let response = app
        .webhook_signed(&cancelled, "evt_attack_cancelled", TEST_WEBHOOK_SECRET)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = app
        .webhook_signed(
            &as_event(&activated, "subscription.activated", "active"),
            "evt_attack_active_after_cancel",
            TEST_WEBHOOK_SECRET,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let now: Value = app
        .get_authed("/api/v1/billing/subscription", token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(now["subscription"]["status"], "cancelled", "{now}");
    assert_eq!(
        now["subscription"]["gateway_subscription_id"], sub_id,
        "{now}"
    );
}

#[tokio::test]
async fn billing_attacks_a_fully_refunded_plan_payment_ends_the_plan() {
    // A plan's period refunded in full is not paid for: its storage and models go with it.
    let app = crate::helpers::spawn_app().await;
    let admin = app.admin("refund-admin@example.com").await;
    let buyer = app.signed_up_user("plan-refunded@example.com").await;
    let token = &buyer.access_token;
    app.subscribe_and_pay(token, "pro-monthly").await;
    assert_eq!(plan_id(&app, token).await, "pro");
    let payments: Value = app
        .get_authed("/api/v1/billing/payments", token)
        .await
        .json()
        .await
        .unwrap();
    let payment = payments["items"][0]["id"].as_str().unwrap().to_owned();
    let refunded = app
        .post_idem(
            &format!("/api/v1/admin/payments/{payment}/refunds"),
            &admin.access_token,
            "refund-plan",
            &json!({}),
        )
        .await;
    assert_eq!(refunded.status(), StatusCode::OK);
    app.wait_for_webhooks().await;
    assert_eq!(plan_id(&app, token).await, "free");
    // A same-period event delivered afterwards does not bring it back.
    let activated = stored_event(&app, "subscription.activated").await;
    let response = app
        .webhook_signed(
            &as_event(&activated, "subscription.activated", "active"),
            "evt_attack_active_after_refund",
            TEST_WEBHOOK_SECRET,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(plan_id(&app, token).await, "free");
    let gated = app
        .post_authed(
            "/api/v1/generations",
            token,
            &json!({ "tool": "write", "instructions": "x", "model": "llama-3.1-70b" }),
        )
        .await;
    crate::helpers::assert_problem(gated, StatusCode::FORBIDDEN, "model_not_in_plan").await;
    app.assert_ledger_consistent().await;
}

#[tokio::test]
async fn billing_attacks_bad_input_never_answers_5xx() {
    let app = crate::helpers::spawn_app().await;
    let admin = app.admin("fuzz-admin@example.com").await;
    let buyer = app.signed_up_user("fuzz@example.com").await;
    let token = &buyer.access_token;
    let order = app.order(token, "topup-10").await;
    let order_id = order["order_id"].as_str().unwrap();
    // Tampered sandbox payments close an order; they get one of their own.
    let tampered = app.order(token, "topup-10").await;
    let long = "x".repeat(100_000);
    let verify = format!("/api/v1/billing/orders/{order_id}/verify");
    let posts: Vec<(String, Value)> = vec![
        ("/api/v1/billing/orders".into(), json!({ "item_id": long })),
        ("/api/v1/billing/orders".into(), json!({ "item_id": 12 })),
        (
            "/api/v1/billing/orders".into(),
            json!({ "item_id": "topup-10\u{0}" }),
        ),
        ("/api/v1/billing/orders".into(), json!([])),
        (
            "/api/v1/billing/subscription".into(),
            json!({ "item_id": long }),
        ),
        (
            "/api/v1/billing/subscription".into(),
            json!({ "item_id": "topup-10" }),
        ),
        (
            verify.clone(),
            json!({ "razorpay_payment_id": long, "razorpay_signature": long }),
        ),
        (
            verify.clone(),
            json!({ "razorpay_payment_id": "pay_x", "razorpay_signature": "zz".repeat(32) }),
        ),
        (verify.clone(), json!({ "razorpay_payment_id": null })),
        (
            "/api/v1/billing/orders/not-a-uuid/verify".into(),
            json!({ "razorpay_payment_id": "p", "razorpay_signature": "s" }),
        ),
        (
            format!("/api/v1/billing/orders/{}/verify", uuid::Uuid::nil()),
            json!({ "razorpay_payment_id": "p", "razorpay_signature": "s" }),
        ),
        (
            "/api/v1/billing/sandbox/checkout".into(),
            json!({ "order_id": long, "action": "pay" }),
        ),
        (
            "/api/v1/billing/sandbox/checkout".into(),
            json!({ "order_id": tampered["gateway_order_id"], "action": "pay",
                    "amount_minor": i64::MAX }),
        ),
        (
            "/api/v1/billing/sandbox/checkout".into(),
            json!({ "order_id": tampered["gateway_order_id"], "action": "pay",
                    "currency": "ZZZZ" }),
        ),
        (
            "/api/v1/billing/sandbox/checkout".into(),
            json!({ "subscription_id": long, "action": "pay" }),
        ),
        (
            format!(
                "/api/v1/billing/sandbox/subscriptions/{}/renew",
                "s".repeat(5000)
            ),
            json!({}),
        ),
    ];
    for (path, body) in posts {
        let response = app.post_authed(&path, token, &body).await;
        let status = response.status();
        assert!(
            !status.is_server_error(),
            "{path} {}: {status} {}",
            &body.to_string().chars().take(200).collect::<String>(),
            response.text().await.unwrap()
        );
    }
    // Admin refunds: negative, zero, huge, fractional amounts; odd ids.
    let paid = app
        .sandbox_pay(order["gateway_order_id"].as_str().unwrap())
        .await;
    let verified: Value = app
        .verify(token, order_id, &paid)
        .await
        .json()
        .await
        .unwrap();
    let payment = verified["payment"]["id"].as_str().unwrap().to_owned();
    let refunds = format!("/api/v1/admin/payments/{payment}/refunds");
    for body in [
        json!({ "amount_minor": -1 }),
        json!({ "amount_minor": 0 }),
        json!({ "amount_minor": i64::MAX }),
        json!({ "amount_minor": i64::MIN }),
        json!({ "amount_minor": 1.5 }),
        json!({ "amount_minor": "100" }),
        json!({ "amount_minor": 1e30 }),
    ] {
        let key = format!("fuzz-{body}");
        let response = app
            .post_idem(&refunds, &admin.access_token, &key, &body)
            .await;
        let status = response.status();
        assert!(
            status.is_client_error(),
            "{body}: {status} {}",
            response.text().await.unwrap()
        );
    }
    for path in [
        "/api/v1/admin/payments/nope/refunds".to_owned(),
        format!("/api/v1/admin/payments/{}/refunds", uuid::Uuid::nil()),
    ] {
        let response = app
            .post_idem(&path, &admin.access_token, "fuzz-missing", &json!({}))
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
    for query in [
        "?limit=0",
        "?limit=-1",
        "?limit=99999999999999999999",
        "?cursor=zzz",
        "?from=yesterday",
        "?user_id=1",
        "?mismatched=maybe",
    ] {
        let response = app
            .get_authed(
                &format!("/api/v1/admin/payments{query}"),
                &admin.access_token,
            )
            .await;
        assert!(response.status().is_client_error(), "{query}");
        let response = app
            .get_authed(&format!("/api/v1/billing/payments{query}"), token)
            .await;
        assert!(!response.status().is_server_error(), "{query}");
    }
    // Webhooks: wrong content type, signed garbage, huge ids, events missing their entity.
    let signed_bad = [
        "null".to_owned(),
        "[]".to_owned(),
        "{}".to_owned(),
        json!({ "event": "payment.captured", "payload": {} }).to_string(),
        json!({ "event": "payment.captured", "payload": { "payment": { "entity": {} } } })
            .to_string(),
        json!({ "entity": "event", "event": "refund.processed", "contains": ["refund"],
                "payload": { "refund": { "entity": { "id": "rfnd_x", "entity": "refund",
                "amount": -5, "currency": "USD", "payment_id": "pay_unknown",
                "created_at": 1 } } }, "created_at": 1 })
        .to_string(),
        json!({ "entity": "event", "event": "payment.captured", "contains": ["payment"],
                "payload": { "payment": { "entity": {
                "id": "pay_x", "entity": "payment", "amount": i64::MAX, "currency": "USD",
                "status": "captured", "order_id": order["gateway_order_id"],
                "created_at": 1 } } }, "created_at": 1 })
        .to_string(),
    ];
    for (i, body) in signed_bad.iter().enumerate() {
        let response = app
            .webhook_signed(body, &format!("evt_fuzz_{i}"), TEST_WEBHOOK_SECRET)
            .await;
        let status = response.status();
        assert!(
            !status.is_server_error(),
            "{body}: {status} {}",
            response.text().await.unwrap()
        );
    }
    let response = app
        .webhook_signed("{}", &"e".repeat(10_000), TEST_WEBHOOK_SECRET)
        .await;
    assert!(!response.status().is_server_error());
    let response = app
        .client
        .post(app.url("/api/v1/billing/webhooks/razorpay"))
        .header("content-type", "text/plain")
        .header("x-razorpay-signature", "not hex at all")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let response = app
        .client
        .post(app.url("/api/v1/billing/orders"))
        .bearer_auth(token)
        .header("content-type", "text/plain")
        .body("{\"item_id\":\"topup-10\"}")
        .send()
        .await
        .unwrap();
    assert!(response.status().is_client_error(), "{}", response.status());
    let response = app
        .client
        .post(app.url("/api/v1/billing/orders"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body("{\"item_id\":")
        .send()
        .await
        .unwrap();
    assert!(response.status().is_client_error(), "{}", response.status());
    // The balance moved only by the one verified top-up.
    assert_eq!(app.entries_of(token, "purchase").await.len(), 1);
    app.assert_ledger_consistent().await;
}

#[tokio::test]
async fn billing_attacks_subscribing_many_times_at_once_makes_one_subscription() {
    // A user has at most one live subscription: a double click (or a script) must not
    // leave two, each renewing and charging on its own.
    let app = crate::helpers::spawn_app().await;
    let buyer = app.signed_up_user("double-sub@example.com").await;
    let token = &buyer.access_token;
    let body = json!({ "item_id": "lite-monthly" });
    let tries = (0..8).map(|_| app.post_authed("/api/v1/billing/subscription", token, &body));
    let statuses = crate::helpers::statuses_together(tries).await;
    statuses.assert_only(&[StatusCode::CREATED, StatusCode::CONFLICT]);
    assert_eq!(statuses.count(StatusCode::CREATED), 1, "{statuses:?}");
    let live = app
        .count("SELECT COUNT(*) FROM subscriptions WHERE status = 'created'")
        .await;
    assert_eq!(live, 1);
}

#[tokio::test]
async fn billing_attacks_a_renewal_at_the_price_subscribed_at_grants_after_a_price_change() {
    // A gateway plan has a fixed amount, so a subscription keeps renewing at the price it
    // was made at after the catalog's price changes. That renewal is paid in full: it must
    // grant the period's credits, not be flagged as a mismatch that grants nothing (while
    // the plan is extended anyway).
    let app = crate::helpers::spawn_app().await;
    let buyer = app.signed_up_user("old-price@example.com").await;
    let token = &buyer.access_token;
    app.subscribe_and_pay(token, "lite-monthly").await;
    let before = app.balance_mc(token).await;

    let catalog = include_str!("../../../../config/billing.toml").replacen(
        "credits = 500\nprice_minor = 2_000",
        "credits = 500\nprice_minor = 2_500",
        1,
    );
    assert!(catalog.contains("price_minor = 2_500"));
    let file = std::env::temp_dir().join(format!("billing-{}.toml", uuid::Uuid::now_v7()));
    std::fs::write(&file, catalog).unwrap();
    let repriced = app
        .another_server_with(|s| s.payments.billing_file = Some(file.clone()))
        .await;

    // Razorpay charges the next period at the plan's amount, 2000.
    let activated = stored_event(&app, "subscription.activated").await;
    let mut charged = activated.clone();
    let sub = &mut charged["payload"]["subscription"]["entity"];
    let (start, end) = (
        sub["current_end"].as_i64().unwrap(),
        sub["current_end"].as_i64().unwrap() + 31 * 86_400,
    );
    sub["current_start"] = json!(start);
    sub["current_end"] = json!(end);
    sub["paid_count"] = json!(2);
    let sub_id = sub["id"].clone();
    charged["event"] = json!("subscription.charged");
    charged["contains"] = json!(["subscription", "payment"]);
    charged["payload"]["payment"] = json!({ "entity": {
        "id": "pay_RenewalOldPrice1", "entity": "payment", "amount": 2_000, "currency": "USD",
        "status": "captured", "order_id": null, "invoice_id": "inv_RenewalOldPrice1",
        "subscription_id": sub_id, "method": "card", "amount_refunded": 0, "captured": true,
        "notes": [], "created_at": start,
    }});
    let response = repriced
        .webhook_signed(
            &charged.to_string(),
            "evt_attack_old_price_renewal",
            TEST_WEBHOOK_SECRET,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let ack: Value = response.json().await.unwrap();
    assert_eq!(ack["outcome"], "granted", "{ack}");
    assert_eq!(app.balance_mc(token).await, before + 500_000);
    let _ = std::fs::remove_file(&file);
}

#[tokio::test]
async fn billing_attacks_events_of_one_subscription_at_once_do_not_undo_a_halt() {
    // Two replicas (or Razorpay's parallel deliveries) apply a `pending` and the `halted`
    // after it at the same moment: each read the subscription before the other wrote, and
    // the `pending` written last put back the plan the halt took away.
    let app = crate::helpers::spawn_app().await;
    let other = app.another_server().await;
    let mut revived = Vec::new();
    for round in 0..4 {
        let buyer = app
            .signed_up_user(&format!("racing-halt-{round}@example.com"))
            .await;
        let token = &buyer.access_token;
        app.subscribe_and_pay(token, "lite-monthly").await;
        let activated = {
            use penora_store::entities::webhook_event::{Column, Entity};
            let rows = Entity::find()
                .filter(Column::Event.eq("subscription.activated"))
                .all(&app.db)
                .await
                .unwrap();
            let bodies: Vec<Value> = rows
                .iter()
                .map(|r| serde_json::from_str(&r.body).unwrap())
                .collect();
            let user_id = app.user_id(&buyer).await;
            bodies
                .into_iter()
                .find(|b| {
                    b["payload"]["subscription"]["entity"]["notes"]["penora_user_id"] == user_id
                })
                .expect("this user's activated event")
        };
        let halted = as_event(&activated, "subscription.halted", "halted");
        let pending = as_event(&activated, "subscription.pending", "pending");
        let sends = (0..6).map(|i| {
            let (server, body, id) = match i % 2 {
                0 => (
                    &other,
                    pending.clone(),
                    format!("evt_race_pending_{round}_{i}"),
                ),
                _ => (&app, halted.clone(), format!("evt_race_halted_{round}_{i}")),
            };
            async move { server.webhook_signed(&body, &id, TEST_WEBHOOK_SECRET).await }
        });
        futures_util::future::join_all(sends).await;
        let now: Value = app
            .get_authed("/api/v1/billing/subscription", token)
            .await
            .json()
            .await
            .unwrap();
        if now["plan"]["id"] != "free" || now["subscription"]["status"] != "halted" {
            revived.push(now);
        }
    }
    assert!(revived.is_empty(), "{revived:#?}");
}
