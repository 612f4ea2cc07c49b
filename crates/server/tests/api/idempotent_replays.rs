//! Idempotent responses stored in the API's response shape (every key stored before the
//! services returned domain results holds one) replay unchanged for as long as they are kept.

use reqwest::{Response, StatusCode};
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

/// Replaces the response stored under `key` with `stored`, as written by the server before.
async fn store_response(app: &TestApp, key: &str, stored: &Value) {
    let sql = format!(
        "UPDATE idempotency_keys SET response = '{stored}' WHERE key = '{key}'",
        stored = stored.to_string().replace('\'', "''"),
    );
    let updated = app.db.execute_unprepared(&sql).await.unwrap();
    assert_eq!(
        updated.rows_affected(),
        1,
        "one stored response under {key}"
    );
}

async fn created(response: Response) -> Value {
    assert_eq!(response.status(), StatusCode::CREATED);
    assert!(response.headers().get("idempotent-replayed").is_none());
    response.json().await.unwrap()
}

async fn assert_replayed(response: Response, expected: &Value) {
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["idempotent-replayed"], "true");
    assert_eq!(&response.json::<Value>().await.unwrap(), expected);
}

#[tokio::test]
async fn app_debits_and_refunds_stored_in_the_api_shape_replay() {
    let app = spawn_app().await;
    let session = app.signed_up_user("old-keys@example.com").await;
    let user = app.user_id(&session).await;
    let key = app.app_key(&["credits:write"]).await;

    let debit = created(app.debit(&key, &user, "old-debit", 1500).await).await;
    let old_debit = json!({
        "debit_id": debit["debit_id"],
        "user_id": user,
        "amount_mc": 1500,
        "balance_mc": 48_500,
        "created_at": debit["created_at"],
    });
    store_response(&app, "old-debit", &old_debit).await;
    assert_replayed(app.debit(&key, &user, "old-debit", 1500).await, &old_debit).await;

    let path = format!("/api/v1/apps/users/{user}/refunds");
    let body = json!({ "debit_id": debit["debit_id"], "amount_mc": 500 });
    let refund = created(app.post_idem(&path, &key, "old-refund", &body).await).await;
    let old_refund = json!({
        "refund_id": refund["refund_id"],
        "debit_id": debit["debit_id"],
        "user_id": user,
        "amount_mc": 500,
        "refunded_total_mc": 500,
        "balance_mc": 49_000,
        "created_at": refund["created_at"],
    });
    store_response(&app, "old-refund", &old_refund).await;
    let replay = app.post_idem(&path, &key, "old-refund", &body).await;
    assert_replayed(replay, &old_refund).await;
    app.assert_ledger_consistent().await;
}

#[tokio::test]
async fn admin_adjustments_stored_in_the_api_shape_replay() {
    let app = spawn_app().await;
    let admin = app.admin("old-keys-admin@example.com").await;
    let session = app.signed_up_user("old-keys-user@example.com").await;
    let user = app.user_id(&session).await;

    let path = format!("/api/v1/admin/users/{user}/adjustments");
    let body = json!({ "amount_mc": 2500, "reason": "goodwill" });
    let token = &admin.access_token;
    let entry = created(app.post_idem(&path, token, "old-adjust", &body).await).await;
    let old_entry = json!({
        "id": entry["id"],
        "kind": "admin_adjustment",
        "amount_mc": 2500,
        "balance_after_mc": 52_500,
        "reference": entry["reference"],
        "related_entry_id": null,
        "model": null,
        "words": null,
        "description": "goodwill",
        "created_at": entry["created_at"],
    });
    store_response(&app, "old-adjust", &old_entry).await;
    let replay = app.post_idem(&path, token, "old-adjust", &body).await;
    assert_replayed(replay, &old_entry).await;
    app.assert_ledger_consistent().await;
}
