//! Buying through the sandbox, and signing what Razorpay would sign, computed here with
//! `ring` directly (not through penora-payments), so a signing bug cannot hide itself.

use std::time::Duration;

use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use super::TestApp;

/// The key secret the test servers' gateway signs payments with.
pub const TEST_KEY_SECRET: &str = "rzp-test-key-secret-for-penora-tests";
/// The webhook secret the test servers check webhooks with.
pub const TEST_WEBHOOK_SECRET: &str = "rzp-test-webhook-secret-for-penora-tests";

/// HMAC-SHA256 of `data` with `secret`, lowercase hex.
pub fn hmac_hex(secret: &str, data: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    ring::hmac::sign(&key, data)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl TestApp {
    /// Orders `item` and answers the order (201).
    pub async fn order(&self, token: &str, item: &str) -> Value {
        let response = self
            .post_authed("/api/v1/billing/orders", token, &json!({ "item_id": item }))
            .await;
        assert_eq!(response.status(), StatusCode::CREATED, "order {item}");
        response.json().await.unwrap()
    }

    /// Does `action` on the sandbox's checkout of gateway order `gateway_order_id`.
    pub async fn sandbox_checkout(&self, body: &Value) -> Response {
        self.post_json("/api/v1/billing/sandbox/checkout", body)
            .await
    }

    /// Subscribes to `item` and pays the first period in the sandbox, waiting for its
    /// webhooks; the subscription's gateway id.
    pub async fn subscribe_and_pay(&self, token: &str, item: &str) -> String {
        let response = self
            .post_authed(
                "/api/v1/billing/subscription",
                token,
                &json!({ "item_id": item }),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED, "subscribe {item}");
        let created: Value = response.json().await.unwrap();
        assert_eq!(created["subscription"]["status"], "created");
        assert!(created["checkout_url"]
            .as_str()
            .unwrap()
            .contains("subscription_id=sub_"));
        let sub_id = created["subscription"]["gateway_subscription_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let paid: Value = self
            .sandbox_checkout(&json!({ "subscription_id": sub_id, "action": "pay" }))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(paid["status"], "paid", "{paid}");
        self.wait_for_webhooks().await;
        sub_id
    }

    /// Pays gateway order `gateway_order_id` in the sandbox: the signed result.
    pub async fn sandbox_pay(&self, gateway_order_id: &str) -> Value {
        let response = self
            .sandbox_checkout(&json!({ "order_id": gateway_order_id, "action": "pay" }))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    /// Verifies order `order_id` with a checkout result.
    pub async fn verify(&self, token: &str, order_id: &str, paid: &Value) -> Response {
        self.post_authed(
            &format!("/api/v1/billing/orders/{order_id}/verify"),
            token,
            &json!({
                "razorpay_payment_id": paid["razorpay_payment_id"],
                "razorpay_order_id": paid["razorpay_order_id"],
                "razorpay_signature": paid["razorpay_signature"],
            }),
        )
        .await
    }

    /// Posts `body` to the webhook endpoint signed with `secret`, as event `event_id`.
    pub async fn webhook_signed(&self, body: &str, event_id: &str, secret: &str) -> Response {
        self.client
            .post(self.url("/api/v1/billing/webhooks/razorpay"))
            .header("content-type", "application/json")
            .header("x-razorpay-signature", hmac_hex(secret, body.as_bytes()))
            .header("x-razorpay-event-id", event_id)
            .body(body.to_owned())
            .send()
            .await
            .unwrap()
    }

    pub async fn balance_mc(&self, token: &str) -> i64 {
        let body: Value = self
            .get_authed("/api/v1/credits/balance", token)
            .await
            .json()
            .await
            .unwrap();
        body["balance_mc"].as_i64().unwrap()
    }

    /// The user's ledger entries of `kind` (newest first).
    pub async fn entries_of(&self, token: &str, kind: &str) -> Vec<Value> {
        let body: Value = self
            .get_authed(
                &format!("/api/v1/credits/transactions?kind={kind}&limit=100"),
                token,
            )
            .await
            .json()
            .await
            .unwrap();
        body["items"].as_array().cloned().unwrap_or_default()
    }

    /// Waits (up to 10 s) until `done` holds for the user's balance.
    pub async fn wait_for_balance(&self, token: &str, done: impl Fn(i64) -> bool) -> i64 {
        for _ in 0..200 {
            let balance = self.balance_mc(token).await;
            if done(balance) {
                return balance;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "the balance never got there: {}",
            self.balance_mc(token).await
        );
    }

    /// Waits (up to 10 s) until the sandbox delivered every webhook it queued.
    pub async fn wait_for_webhooks(&self) {
        use sea_orm::{ConnectionTrait, Statement};
        for _ in 0..200 {
            let backend = self.db.get_database_backend();
            let row = self
                .db
                .query_one_raw(Statement::from_string(
                    backend,
                    "SELECT COUNT(*) AS n FROM sandbox_deliveries WHERE delivered_at IS NULL",
                ))
                .await
                .unwrap()
                .unwrap();
            let pending: i64 = row.try_get("", "n").unwrap();
            if pending == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("sandbox webhooks still undelivered");
    }
}
