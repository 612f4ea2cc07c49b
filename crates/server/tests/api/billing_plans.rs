//! Plans through the sandbox: each paid period grants once, the plan's storage and models
//! apply while it is paid for, cancel at the period's end, lose it on halt. Refunds and the
//! debts they leave.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, Session, TestApp};

const WELCOME_MC: i64 = 50_000;

async fn plan(app: &TestApp, token: &str) -> Value {
    app.get_authed("/api/v1/billing/subscription", token)
        .await
        .json()
        .await
        .unwrap()
}

async fn user(app: &TestApp, email: &str) -> Session {
    app.signed_up_user(email).await
}

#[tokio::test]
async fn every_catalog_item_bought_in_the_sandbox_grants_exactly_its_credits() {
    // The old app took money without crediting because a pack id was missing from an `if`
    // chain. This walks the catalog, so an item added later is covered too.
    let app = spawn_app().await;
    let catalog: Value = app
        .get("/api/v1/billing/catalog")
        .await
        .json()
        .await
        .unwrap();
    for (n, item) in catalog["items"].as_array().unwrap().iter().enumerate() {
        let id = item["id"].as_str().unwrap();
        let credits = item["credits_mc"].as_i64().unwrap();
        assert!(credits > 0, "{id}");
        let buyer = user(&app, &format!("buyer{n}@example.com")).await;
        let token = &buyer.access_token;
        let kind = if item["kind"] == "plan" {
            app.subscribe_and_pay(token, id).await;
            "subscription_grant"
        } else {
            let order = app.order(token, id).await;
            assert_eq!(order["amount_minor"], item["price_minor"], "{id}");
            let paid = app
                .sandbox_pay(order["gateway_order_id"].as_str().unwrap())
                .await;
            let verified = app
                .verify(token, order["order_id"].as_str().unwrap(), &paid)
                .await;
            assert_eq!(verified.status(), StatusCode::OK, "{id}");
            app.wait_for_webhooks().await;
            "purchase"
        };
        assert_eq!(app.balance_mc(token).await, WELCOME_MC + credits, "{id}");
        let entries = app.entries_of(token, kind).await;
        assert_eq!(entries.len(), 1, "{id}: {entries:?}");
        assert_eq!(entries[0]["amount_mc"], credits, "{id}");
    }
}

#[tokio::test]
async fn a_plan_raises_storage_and_opens_its_models_while_paid_for() {
    let app = spawn_app().await;
    let buyer = user(&app, "pro@example.com").await;
    let token = &buyer.access_token;
    let free = plan(&app, token).await;
    assert_eq!(free["plan"]["id"], "free");
    assert!(free["subscription"].is_null());
    let gated = app
        .post_authed(
            "/api/v1/generations",
            token,
            &json!({ "tool": "write", "instructions": "x", "model": "llama-3.1-70b" }),
        )
        .await;
    assert_problem(gated, StatusCode::FORBIDDEN, "model_not_in_plan").await;

    let sub_id = app.subscribe_and_pay(token, "pro-monthly").await;
    let pro = plan(&app, token).await;
    assert_eq!(pro["plan"]["id"], "pro", "{pro}");
    assert_eq!(pro["plan"]["storage_bytes"], 20 * 1024 * 1024);
    assert_eq!(pro["subscription"]["status"], "active");
    assert!(pro["subscription"]["next_renewal_at"].is_string());
    let storage: Value = app
        .get_authed("/api/v1/storage", token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(storage["limit_bytes"], 20 * 1024 * 1024, "{storage}");
    // The plan includes the model now; it cannot run here only for want of a provider key.
    let opened = app
        .post_authed(
            "/api/v1/generations",
            token,
            &json!({ "tool": "write", "instructions": "x", "model": "llama-3.1-70b" }),
        )
        .await;
    assert_problem(
        opened,
        StatusCode::UNPROCESSABLE_ENTITY,
        "model_unavailable",
    )
    .await;
    let big = "word ".repeat(300_000);
    let project = app
        .post_authed(
            "/api/v1/projects",
            token,
            &json!({ "title": "Big", "content": big }),
        )
        .await;
    assert_eq!(project.status(), StatusCode::CREATED);

    // The next period grants again, once.
    let renew = format!("/api/v1/billing/sandbox/subscriptions/{sub_id}/renew");
    let stranger = user(&app, "stranger@example.com").await;
    let refused = app
        .post_authed(&renew, &stranger.access_token, &json!({}))
        .await;
    assert_problem(refused, StatusCode::NOT_FOUND, "subscription_not_found").await;
    let anonymous = app.post_json(&renew, &json!({})).await;
    assert_problem(anonymous, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let renewed = app.post_authed(&renew, token, &json!({})).await;
    assert_eq!(renewed.status(), StatusCode::OK);
    app.wait_for_webhooks().await;
    let grants = app.entries_of(token, "subscription_grant").await;
    assert_eq!(grants.len(), 2, "{grants:?}");
    assert_eq!(app.balance_mc(token).await, WELCOME_MC + 2 * 1_500_000);

    let again = app
        .post_authed(
            "/api/v1/billing/subscription",
            token,
            &json!({ "item_id": "studio-monthly" }),
        )
        .await;
    assert_problem(again, StatusCode::CONFLICT, "subscription_exists").await;

    // Cancelled at the period's end: the plan stays until then.
    let cancelled = app
        .post_authed("/api/v1/billing/subscription/cancel", token, &json!({}))
        .await;
    assert_eq!(cancelled.status(), StatusCode::OK);
    let cancelled: Value = cancelled.json().await.unwrap();
    assert_eq!(cancelled["subscription"]["cancel_at_period_end"], true);
    assert!(cancelled["subscription"]["next_renewal_at"].is_null());
    assert_eq!(cancelled["plan"]["id"], "pro");
}

#[tokio::test]
async fn a_halted_plan_is_lost_at_once() {
    let app = spawn_app().await;
    let buyer = user(&app, "halted@example.com").await;
    let token = &buyer.access_token;
    let sub_id = app.subscribe_and_pay(token, "lite-monthly").await;
    assert_eq!(plan(&app, token).await["plan"]["id"], "lite");
    let halted = app
        .post_authed(
            &format!("/api/v1/billing/sandbox/subscriptions/{sub_id}/halt"),
            token,
            &json!({}),
        )
        .await;
    assert_eq!(halted.status(), StatusCode::OK);
    app.wait_for_webhooks().await;
    let now = plan(&app, token).await;
    assert_eq!(now["plan"]["id"], "free", "{now}");
    assert_eq!(now["subscription"]["status"], "halted");
    // The credits granted stay granted.
    assert_eq!(app.entries_of(token, "subscription_grant").await.len(), 1);
    // Nothing live is left to cancel; a new plan may be bought.
    let cancel = app
        .post_authed("/api/v1/billing/subscription/cancel", token, &json!({}))
        .await;
    assert_problem(cancel, StatusCode::NOT_FOUND, "subscription_not_found").await;
    let wrong = app
        .post_authed(
            "/api/v1/billing/subscription",
            token,
            &json!({ "item_id": "pack-100" }),
        )
        .await;
    assert_problem(wrong, StatusCode::UNPROCESSABLE_ENTITY, "wrong_item_kind").await;
}

/// Buys `item` through the sandbox and verifies it; the payment's id.
async fn buy(app: &TestApp, token: &str, item: &str) -> String {
    let order = app.order(token, item).await;
    let paid = app
        .sandbox_pay(order["gateway_order_id"].as_str().unwrap())
        .await;
    let verified: Value = app
        .verify(token, order["order_id"].as_str().unwrap(), &paid)
        .await
        .json()
        .await
        .unwrap();
    verified["payment"]["id"].as_str().unwrap().to_owned()
}

async fn ledger_sum(app: &TestApp, token: &str) -> i64 {
    let body: Value = app
        .get_authed("/api/v1/credits/transactions?limit=100", token)
        .await
        .json()
        .await
        .unwrap();
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["amount_mc"].as_i64().unwrap())
        .sum()
}

#[tokio::test]
async fn a_refund_larger_than_the_balance_leaves_a_debt_the_next_purchase_settles() {
    let app = spawn_app().await;
    let admin = app.admin("admin@example.com").await;
    let buyer = user(&app, "refunded@example.com").await;
    let token = &buyer.access_token;
    let payment = buyer_pack(&app, token).await;
    // Spend all but 30 credits (an admin adjustment stands in for generations).
    let user_id = app.user_id(&buyer).await;
    let spent = app
        .post_idem(
            &format!("/api/v1/admin/users/{user_id}/adjustments"),
            &admin.access_token,
            "spend",
            &json!({ "amount_mc": -(WELCOME_MC + 100_000 - 30_000), "reason": "spent on generations" }),
        )
        .await;
    assert_eq!(
        spent.status(),
        StatusCode::CREATED,
        "{}",
        spent.text().await.unwrap()
    );

    // A third of $9 first: 33.333 credits, rounded down.
    let refund_path = format!("/api/v1/admin/payments/{payment}/refunds");
    let partial: Value = app
        .post_idem(
            &refund_path,
            &admin.access_token,
            "refund-third",
            &json!({ "amount_minor": 300 }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(partial["taken_mc"], 30_000, "{partial}");
    assert_eq!(partial["debt_mc"], 3_333);
    let too_much = app
        .post_idem(
            &refund_path,
            &admin.access_token,
            "refund-too-much",
            &json!({ "amount_minor": 601 }),
        )
        .await;
    assert_problem(
        too_much,
        StatusCode::UNPROCESSABLE_ENTITY,
        "refund_too_large",
    )
    .await;
    // The rest: all of it is owed now.
    let rest: Value = app
        .post_idem(&refund_path, &admin.access_token, "refund-rest", &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (rest["taken_mc"].as_i64(), rest["debt_mc"].as_i64()),
        (Some(0), Some(66_667)),
        "{rest}"
    );
    assert_eq!(app.balance_mc(token).await, 0);
    app.wait_for_webhooks().await;
    let refunds = app.entries_of(token, "refund").await;
    assert_eq!(
        refunds.len(),
        1,
        "the webhook applied nothing more: {refunds:?}"
    );

    // The next purchase pays the debt off first: 100 credits - 70 owed.
    buyer_pack(&app, token).await;
    assert_eq!(app.balance_mc(token).await, 100_000 - 70_000);
    assert_eq!(ledger_sum(&app, token).await, app.balance_mc(token).await);
    let audit: Value = app
        .get_authed(
            "/api/v1/admin/audit-log?action=billing.refund_applied",
            &admin.access_token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(audit["items"].as_array().unwrap().len(), 2, "{audit}");
    let payments: Value = app
        .get_authed("/api/v1/billing/payments", token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(payments["items"][1]["status"], "refunded");
    assert_eq!(payments["items"][1]["refunded_minor"], 900);
}

async fn buyer_pack(app: &TestApp, token: &str) -> String {
    buy(app, token, "pack-100").await
}

#[tokio::test]
async fn a_subscription_verified_by_its_signature_is_granted_once() {
    let app = crate::helpers::spawn_app_with(|s| {
        // The sandbox's webhooks wait, so the verify is first.
        s.payments.billing_retry_interval_ms = 60_000;
    })
    .await;
    let buyer = user(&app, "verify-plan@example.com").await;
    let stranger = user(&app, "not-mine@example.com").await;
    let token = &buyer.access_token;
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
        .unwrap();
    let paid: Value = app
        .sandbox_checkout(&json!({ "subscription_id": sub_id, "action": "pay" }))
        .await
        .json()
        .await
        .unwrap();
    // The signature is HMAC-SHA256("payment_id|subscription_id", key secret), computed here.
    let payment_id = paid["razorpay_payment_id"].as_str().unwrap();
    let expected = crate::helpers::hmac_hex(
        crate::helpers::TEST_KEY_SECRET,
        format!("{payment_id}|{sub_id}").as_bytes(),
    );
    assert_eq!(paid["razorpay_signature"], expected.as_str());
    let body = |signature: &str| {
        json!({
            "razorpay_subscription_id": sub_id,
            "razorpay_payment_id": payment_id,
            "razorpay_signature": signature,
        })
    };
    let path = "/api/v1/billing/subscription/verify";
    let forged = app.post_authed(path, token, &body(&"0".repeat(64))).await;
    assert_problem(forged, StatusCode::BAD_REQUEST, "invalid_signature").await;
    let stolen = app
        .post_authed(path, &stranger.access_token, &body(&expected))
        .await;
    assert_problem(stolen, StatusCode::NOT_FOUND, "subscription_not_found").await;
    assert_eq!(plan(&app, token).await["plan"]["id"], "free");

    for _ in 0..2 {
        let verified = app.post_authed(path, token, &body(&expected)).await;
        assert_eq!(verified.status(), StatusCode::OK);
        let verified: Value = verified.json().await.unwrap();
        assert_eq!(verified["plan"]["id"], "lite", "{verified}");
        assert_eq!(verified["subscription"]["status"], "active");
    }
    assert_eq!(app.entries_of(token, "subscription_grant").await.len(), 1);
    assert_eq!(app.balance_mc(token).await, WELCOME_MC + 500_000);
}
