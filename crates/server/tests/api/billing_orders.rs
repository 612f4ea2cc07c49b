//! Buying top-ups and packs through the sandbox: orders at the catalog's price, verify by
//! signature, webhooks, receipts, and every bad input the issue lists.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{
    assert_problem, content_type, hmac_hex, spawn_app, TEST_KEY_SECRET, TEST_WEBHOOK_SECRET,
};

const WELCOME_MC: i64 = 50_000;

#[tokio::test]
async fn the_catalog_is_public_and_prices_come_with_their_currency() {
    let app = spawn_app().await;
    let response = app.get("/api/v1/billing/catalog").await;
    assert_eq!(response.status(), StatusCode::OK);
    let catalog: Value = response.json().await.unwrap();
    assert_eq!(catalog["currency"], "USD");
    assert_eq!(catalog["gateway"], "sandbox");
    let items = catalog["items"].as_array().unwrap();
    let pack = items.iter().find(|i| i["id"] == "pack-100").unwrap();
    assert_eq!(pack["credits_mc"], 100_000);
    assert_eq!(pack["price_minor"], 900);
    assert_eq!(pack["currency"], "USD");
    let pro = items.iter().find(|i| i["id"] == "pro-yearly").unwrap();
    assert_eq!(
        (pro["tier"].as_str(), pro["period"].as_str()),
        (Some("pro"), Some("yearly"))
    );
    assert_eq!(catalog["free"]["storage_bytes"], 1024 * 1024);
    let free_models = catalog["free"]["models"].as_array().unwrap();
    assert!(!free_models.contains(&json!("llama-3.1-70b")));
    let tiers = catalog["tiers"].as_array().unwrap();
    let pro_tier = tiers.iter().find(|t| t["id"] == "pro").unwrap();
    assert_eq!(pro_tier["storage_bytes"], 20 * 1024 * 1024);
    assert!(pro_tier["models"]
        .as_array()
        .unwrap()
        .contains(&json!("llama-3.1-70b")));
    assert!(pro_tier["models"]
        .as_array()
        .unwrap()
        .contains(&json!("claude-haiku")));
}

#[tokio::test]
async fn a_paid_order_verified_twice_and_then_webhooked_credits_once() {
    let app = spawn_app().await;
    let user = app.signed_up_user("buyer@example.com").await;
    let token = &user.access_token;
    let order = app.order(token, "pack-100").await;
    assert_eq!(order["amount_minor"], 900);
    assert_eq!(order["currency"], "USD");
    assert_eq!(order["status"], "created");
    assert!(order["checkout_url"]
        .as_str()
        .unwrap()
        .contains("/api/v1/billing/sandbox/checkout?order_id="));
    let order_id = order["order_id"].as_str().unwrap();
    let paid = app
        .sandbox_pay(order["gateway_order_id"].as_str().unwrap())
        .await;
    assert_eq!(paid["status"], "paid");
    // The signature is HMAC-SHA256("order_id|payment_id", key secret), computed here.
    let expected = hmac_hex(
        TEST_KEY_SECRET,
        format!(
            "{}|{}",
            order["gateway_order_id"].as_str().unwrap(),
            paid["razorpay_payment_id"].as_str().unwrap()
        )
        .as_bytes(),
    );
    assert_eq!(paid["razorpay_signature"], expected.as_str());

    let first = app.verify(token, order_id, &paid).await;
    assert_eq!(first.status(), StatusCode::OK);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["payment"]["credits_mc"], 100_000);
    assert_eq!(first["balance_mc"], WELCOME_MC + 100_000);
    assert_eq!(first["order"]["status"], "paid");
    let again = app.verify(token, order_id, &paid).await;
    assert_eq!(again.status(), StatusCode::OK);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["payment"]["id"], first["payment"]["id"]);
    app.wait_for_webhooks().await;
    assert_eq!(app.balance_mc(token).await, WELCOME_MC + 100_000);
    let purchases = app.entries_of(token, "purchase").await;
    assert_eq!(purchases.len(), 1, "{purchases:?}");
    assert_eq!(purchases[0]["amount_mc"], 100_000);
}

#[tokio::test]
async fn the_webhook_alone_credits_a_payment_the_browser_never_verified() {
    let app = spawn_app().await;
    let user = app.signed_up_user("closed-tab@example.com").await;
    let order = app.order(&user.access_token, "topup-25").await;
    app.sandbox_pay(order["gateway_order_id"].as_str().unwrap())
        .await;
    app.wait_for_balance(&user.access_token, |b| b == WELCOME_MC + 25_000)
        .await;
    app.wait_for_webhooks().await;
    assert_eq!(
        app.entries_of(&user.access_token, "purchase").await.len(),
        1
    );
}

#[tokio::test]
async fn an_unknown_item_is_404_and_orders_nothing_and_plans_are_not_orders() {
    let app = spawn_app().await;
    let user = app.signed_up_user("unknown@example.com").await;
    let token = &user.access_token;
    let unknown = app
        .post_authed(
            "/api/v1/billing/orders",
            token,
            &json!({ "item_id": "pack-999" }),
        )
        .await;
    assert_problem(unknown, StatusCode::NOT_FOUND, "unknown_item").await;
    let plan = app
        .post_authed(
            "/api/v1/billing/orders",
            token,
            &json!({ "item_id": "pro-monthly" }),
        )
        .await;
    assert_problem(plan, StatusCode::UNPROCESSABLE_ENTITY, "wrong_item_kind").await;
    let missing = app
        .post_authed("/api/v1/billing/orders", token, &json!({}))
        .await;
    assert!(missing.status().is_client_error());
    assert_eq!(count(&app, "payment_orders").await, 0);
    let anonymous = app
        .post_json("/api/v1/billing/orders", &json!({ "item_id": "topup-10" }))
        .await;
    assert_problem(anonymous, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

#[tokio::test]
async fn an_amount_sent_by_the_client_is_ignored() {
    let app = spawn_app().await;
    let user = app.signed_up_user("tamper@example.com").await;
    let response = app
        .post_authed(
            "/api/v1/billing/orders",
            &user.access_token,
            &json!({ "item_id": "pack-100", "amount_minor": 1, "amount": 1, "currency": "INR", "credits_mc": 10_000_000 }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let order: Value = response.json().await.unwrap();
    assert_eq!(order["amount_minor"], 900);
    assert_eq!(order["currency"], "USD");
    assert_eq!(order["credits_mc"], 100_000);
}

#[tokio::test]
async fn an_order_is_idempotent_by_key() {
    let app = spawn_app().await;
    let user = app.signed_up_user("retry@example.com").await;
    let body = json!({ "item_id": "topup-10" });
    let first = app
        .post_idem(
            "/api/v1/billing/orders",
            &user.access_token,
            "order-1",
            &body,
        )
        .await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let again = app
        .post_idem(
            "/api/v1/billing/orders",
            &user.access_token,
            "order-1",
            &body,
        )
        .await;
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["order_id"], first["order_id"]);
    assert_eq!(count(&app, "payment_orders").await, 1);
    let other = app
        .post_idem(
            "/api/v1/billing/orders",
            &user.access_token,
            "order-1",
            &json!({ "item_id": "topup-25" }),
        )
        .await;
    assert_problem(
        other,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
    )
    .await;
}

#[tokio::test]
async fn bad_missing_or_another_orders_signatures_credit_nothing() {
    let app = spawn_app().await;
    let user = app.signed_up_user("forger@example.com").await;
    let token = &user.access_token;
    let a = app.order(token, "topup-10").await;
    let b = app.order(token, "pack-100").await;
    let paid_a = app
        .sandbox_pay(a["gateway_order_id"].as_str().unwrap())
        .await;
    let b_id = b["order_id"].as_str().unwrap();

    // Order A's valid signature presented for order B.
    let mut other = paid_a.clone();
    other["razorpay_order_id"] = b["gateway_order_id"].clone();
    assert_problem(
        app.verify(token, b_id, &other).await,
        StatusCode::BAD_REQUEST,
        "invalid_signature",
    )
    .await;
    // A forged signature: the right shape, the wrong key.
    let mut forged = paid_a.clone();
    forged["razorpay_order_id"] = b["gateway_order_id"].clone();
    forged["razorpay_signature"] = json!(hmac_hex(
        "guessed-secret",
        format!(
            "{}|{}",
            b["gateway_order_id"].as_str().unwrap(),
            paid_a["razorpay_payment_id"].as_str().unwrap()
        )
        .as_bytes()
    ));
    assert_problem(
        app.verify(token, b_id, &forged).await,
        StatusCode::BAD_REQUEST,
        "invalid_signature",
    )
    .await;
    for signature in ["", "zz", "00", &"a".repeat(64)] {
        let mut bad = paid_a.clone();
        bad["razorpay_signature"] = json!(signature);
        let a_id = a["order_id"].as_str().unwrap();
        assert_problem(
            app.verify(token, a_id, &bad).await,
            StatusCode::BAD_REQUEST,
            "invalid_signature",
        )
        .await;
    }
    let missing = app
        .post_authed(
            &format!(
                "/api/v1/billing/orders/{}/verify",
                a["order_id"].as_str().unwrap()
            ),
            token,
            &json!({ "razorpay_payment_id": paid_a["razorpay_payment_id"] }),
        )
        .await;
    assert!(missing.status().is_client_error(), "{}", missing.status());
    // The sandbox's own webhook may credit order A meanwhile (it was paid); order B, never
    // paid, must not be.
    let purchases = app.entries_of(token, "purchase").await;
    assert!(
        purchases.iter().all(|e| e["amount_mc"] == 10_000),
        "{purchases:?}"
    );
}

#[tokio::test]
async fn someone_elses_order_cannot_be_verified() {
    let app = spawn_app().await;
    let owner = app.signed_up_user("owner@example.com").await;
    let thief = app.signed_up_user("thief@example.com").await;
    let order = app.order(&owner.access_token, "pack-100").await;
    let paid = app
        .sandbox_pay(order["gateway_order_id"].as_str().unwrap())
        .await;
    let response = app
        .verify(
            &thief.access_token,
            order["order_id"].as_str().unwrap(),
            &paid,
        )
        .await;
    assert_problem(response, StatusCode::NOT_FOUND, "order_not_found").await;
    let garbage = app.verify(&thief.access_token, "not-a-uuid", &paid).await;
    assert_problem(garbage, StatusCode::NOT_FOUND, "order_not_found").await;
    assert_eq!(app.balance_mc(&thief.access_token).await, WELCOME_MC);
}

#[tokio::test]
async fn a_payment_of_another_amount_or_currency_credits_nothing_and_is_flagged() {
    let app = spawn_app().await;
    let admin = app.admin("admin@example.com").await;
    let user = app.signed_up_user("cheap@example.com").await;
    let token = &user.access_token;
    for (item, tamper) in [
        ("pack-100", json!({ "amount_minor": 100 })),
        ("topup-10", json!({ "currency": "INR" })),
    ] {
        let order = app.order(token, item).await;
        let mut body = json!({ "order_id": order["gateway_order_id"], "action": "pay" });
        body.as_object_mut()
            .unwrap()
            .extend(tamper.as_object().unwrap().clone());
        let paid: Value = app.sandbox_checkout(&body).await.json().await.unwrap();
        let response = app
            .verify(token, order["order_id"].as_str().unwrap(), &paid)
            .await;
        assert_problem(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "payment_mismatch",
        )
        .await;
    }
    app.wait_for_webhooks().await;
    assert_eq!(app.balance_mc(token).await, WELCOME_MC);
    let flagged: Value = app
        .get_authed(
            "/api/v1/admin/payments?mismatched=true",
            &admin.access_token,
        )
        .await
        .json()
        .await
        .unwrap();
    let items = flagged["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{flagged}");
    assert!(items
        .iter()
        .all(|p| p["amount_mismatch"] == true && p["credits_mc"] == 0));
    let all: Value = app
        .get_authed(
            "/api/v1/admin/payments?status=mismatch",
            &admin.access_token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    let bad = app
        .get_authed("/api/v1/admin/payments?status=lost", &admin.access_token)
        .await;
    assert_problem(bad, StatusCode::BAD_REQUEST, "invalid_parameter").await;
    // Every payment event is in the audit log.
    let audit: Value = app
        .get_authed("/api/v1/admin/audit-log?limit=100", &admin.access_token)
        .await
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for action in ["billing.order_created", "billing.payment_mismatch"] {
        assert!(actions.contains(&action), "{action}: {actions:?}");
    }
    let not_admin = app.get_authed("/api/v1/admin/payments", token).await;
    assert_problem(not_admin, StatusCode::FORBIDDEN, "forbidden").await;
}

#[tokio::test]
async fn webhooks_with_a_wrong_secret_are_refused_and_unknown_events_are_stored() {
    let app = spawn_app().await;
    let body = json!({
        "entity": "event", "account_id": "acc_test", "event": "payment.dispute.created",
        "contains": [], "payload": {}, "created_at": 1_700_000_000,
    })
    .to_string();
    let wrong = app
        .webhook_signed(&body, "evt_wrong", "not-the-webhook-secret")
        .await;
    assert_problem(wrong, StatusCode::BAD_REQUEST, "invalid_signature").await;
    let unsigned = app
        .client
        .post(app.url("/api/v1/billing/webhooks/razorpay"))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_problem(unsigned, StatusCode::BAD_REQUEST, "invalid_signature").await;
    assert_eq!(count(&app, "webhook_events").await, 0);

    let unknown = app
        .webhook_signed(&body, "evt_unknown", TEST_WEBHOOK_SECRET)
        .await;
    assert_eq!(unknown.status(), StatusCode::OK);
    let ack: Value = unknown.json().await.unwrap();
    assert_eq!(ack["status"], "applied");
    assert!(ack["outcome"].as_str().unwrap().starts_with("ignored"));
    let replayed: Value = app
        .webhook_signed(&body, "evt_unknown", TEST_WEBHOOK_SECRET)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(replayed["status"], "duplicate");
    assert_eq!(count(&app, "webhook_events").await, 1);
    let garbage = app
        .webhook_signed("{not json", "evt_garbage", TEST_WEBHOOK_SECRET)
        .await;
    assert_problem(garbage, StatusCode::BAD_REQUEST, "invalid_webhook").await;
}

/// A `payment.captured` event for gateway order `order_id`, as Razorpay sends it.
pub fn captured_event(order_id: &str, payment_id: &str, amount: i64, currency: &str) -> String {
    json!({
        "entity": "event", "account_id": "acc_test", "event": "payment.captured",
        "contains": ["payment"],
        "payload": { "payment": { "entity": {
            "id": payment_id, "entity": "payment", "amount": amount, "currency": currency,
            "status": "captured", "order_id": order_id, "method": "card", "amount_refunded": 0,
            "captured": true, "notes": [], "created_at": 1_700_000_000,
        }}},
        "created_at": 1_700_000_000,
    })
    .to_string()
}

#[tokio::test]
async fn a_webhook_for_an_order_not_known_yet_is_kept_and_applied_later() {
    let app = spawn_app().await;
    let user = app.signed_up_user("early@example.com").await;
    let body = captured_event("order_NotYetKnown01", "pay_EarlyArrival01", 900, "USD");
    let early: Value = app
        .webhook_signed(&body, "evt_early", TEST_WEBHOOK_SECRET)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(early["status"], "deferred", "{early}");
    // The order appears (another replica's insert committing late, say).
    let user_id = penora_domain::UserId::from_uuid(app.user_id(&user).await.parse().unwrap());
    penora_store::billing::orders::insert(
        &app.db,
        &penora_store::billing::orders::NewOrder {
            id: uuid::Uuid::now_v7(),
            user: user_id,
            item_id: "pack-100",
            credits_mc: 100_000,
            amount_minor: 900,
            currency: penora_domain::Currency::USD,
            gateway: "sandbox",
            gateway_order_id: "order_NotYetKnown01",
        },
    )
    .await
    .unwrap();
    app.wait_for_balance(&user.access_token, |b| b == WELCOME_MC + 100_000)
        .await;
    assert_eq!(
        app.entries_of(&user.access_token, "purchase").await.len(),
        1
    );
}

#[tokio::test]
async fn payments_are_listed_with_receipts_only_their_payer_can_read() {
    let app = spawn_app().await;
    let user = app.signed_up_user("receipts@example.com").await;
    let other = app.signed_up_user("nosy@example.com").await;
    let token = &user.access_token;
    for item in ["topup-10", "topup-50", "pack-100"] {
        let order = app.order(token, item).await;
        let paid = app
            .sandbox_pay(order["gateway_order_id"].as_str().unwrap())
            .await;
        assert_eq!(
            app.verify(token, order["order_id"].as_str().unwrap(), &paid)
                .await
                .status(),
            StatusCode::OK
        );
    }
    let first: Value = app
        .get_authed("/api/v1/billing/payments?limit=2", token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    assert_eq!(first["items"][0]["item_id"], "pack-100");
    let cursor = first["next_cursor"].as_str().unwrap();
    let second: Value = app
        .get_authed(
            &format!("/api/v1/billing/payments?limit=2&cursor={cursor}"),
            token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(second["items"].as_array().unwrap().len(), 1);
    assert!(second["next_cursor"].is_null());
    let receipt_url = first["items"][0]["receipt_url"].as_str().unwrap();
    assert!(first["items"][0]["receipt_number"]
        .as_str()
        .unwrap()
        .starts_with("PN-"));
    let pdf = app.get_authed(receipt_url, token).await;
    assert_eq!(pdf.status(), StatusCode::OK);
    assert_eq!(content_type(&pdf), "application/pdf");
    assert!(pdf.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let bytes = pdf.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF"));
    let stolen = app.get_authed(receipt_url, &other.access_token).await;
    assert_problem(stolen, StatusCode::NOT_FOUND, "payment_not_found").await;
    let none: Value = app
        .get_authed("/api/v1/billing/payments", &other.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert!(none["items"].as_array().unwrap().is_empty());
}

/// Rows in `table`.
pub async fn count(app: &crate::helpers::TestApp, table: &str) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let backend = app.db.get_database_backend();
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            backend,
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "n").unwrap()
}

#[tokio::test]
async fn starting_orders_and_subscriptions_is_rate_limited_per_user() {
    let app =
        crate::helpers::spawn_app_with(|s| s.payments.rate_checkouts_per_user_per_hour = 2).await;
    let user = app.signed_up_user("hammer@example.com").await;
    let token = &user.access_token;
    app.order(token, "topup-10").await;
    app.order(token, "topup-10").await;
    let third = app
        .post_authed(
            "/api/v1/billing/subscription",
            token,
            &json!({ "item_id": "lite-monthly" }),
        )
        .await;
    assert!(third.headers().contains_key("retry-after"));
    assert_problem(third, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    assert_eq!(count(&app, "payment_orders").await, 2);
    assert_eq!(count(&app, "subscriptions").await, 0);
    // Another user is counted apart.
    let other = app.signed_up_user("calm@example.com").await;
    app.order(&other.access_token, "topup-10").await;
}

#[tokio::test]
async fn old_webhook_events_are_forgotten_and_recent_ones_kept() {
    use sea_orm::{ConnectionTrait, Statement};
    let app = spawn_app().await;
    let body = json!({
        "entity": "event", "account_id": "acc_test", "event": "payment.dispute.created",
        "contains": [], "payload": {}, "created_at": 1_700_000_000,
    })
    .to_string();
    for id in ["evt_old", "evt_recent"] {
        let ack = app.webhook_signed(&body, id, TEST_WEBHOOK_SECRET).await;
        assert_eq!(ack.status(), StatusCode::OK);
    }
    let old = penora_store::now() - chrono::Duration::days(31);
    let backend = app.db.get_database_backend();
    app.db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            match backend {
                sea_orm::DbBackend::Postgres => {
                    "UPDATE webhook_events SET received_at = $1 WHERE event_id = 'evt_old'"
                }
                _ => "UPDATE webhook_events SET received_at = ? WHERE event_id = 'evt_old'",
            },
            [old.into()],
        ))
        .await
        .unwrap();
    let purged = penora_app::billing::webhooks::purge_old(&app.state)
        .await
        .unwrap();
    assert_eq!(purged, 1);
    assert_eq!(count(&app, "webhook_events").await, 1);
    // A recent event is still recognised when delivered again.
    let again: Value = app
        .webhook_signed(&body, "evt_recent", TEST_WEBHOOK_SECRET)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["status"], "duplicate");
}
