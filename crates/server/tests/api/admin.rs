//! The admin view: users and balances, adjustments, the audit log.

use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, Session, TestApp};

/// An app, an admin (session and id), a user's id and the path of that user's adjustments.
async fn admin_and_customer() -> (TestApp, Session, String, String, String) {
    let app = spawn_app().await;
    let admin = app.admin("boss@example.com").await;
    let admin_id = app.user_id(&admin).await;
    let user = app.signed_up_user("customer@example.com").await;
    let user_id = app.user_id(&user).await;
    let path = format!("/api/v1/admin/users/{user_id}/adjustments");
    (app, admin, admin_id, user_id, path)
}

/// The adjustment of +5,000 mc "support goodwill" under Idempotency-Key `adj-1`.
async fn goodwill(app: &TestApp, admin: &Session, path: &str) -> Response {
    app.post_idem(
        path,
        &admin.access_token,
        "adj-1",
        &json!({ "amount_mc": 5000, "reason": "support goodwill" }),
    )
    .await
}

/// Adjustments to refuse: below zero after the goodwill, no reason, zero, an unknown user.
async fn bad_adjustments(app: &TestApp, admin: &Session, path: &str) -> [Response; 4] {
    let token = &admin.access_token;
    [
        app.post_idem(
            path,
            token,
            "adj-2",
            &json!({ "amount_mc": -55_001, "reason": "oops" }),
        )
        .await,
        app.post_idem(
            path,
            token,
            "adj-3",
            &json!({ "amount_mc": 10, "reason": " " }),
        )
        .await,
        app.post_idem(
            path,
            token,
            "adj-4",
            &json!({ "amount_mc": 0, "reason": "x" }),
        )
        .await,
        app.post_idem(
            "/api/v1/admin/users/0193a2b4-0000-7000-8000-000000000000/adjustments",
            token,
            "adj-5",
            &json!({ "amount_mc": 10, "reason": "x" }),
        )
        .await,
    ]
}

async fn admin_get(app: &TestApp, admin: &Session, path: &str) -> Value {
    app.get_authed(path, &admin.access_token)
        .await
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn admins_find_users_by_email_and_page_through_them() {
    let (app, admin, _admin_id, _user_id, _path) = admin_and_customer().await;
    let found = admin_get(&app, &admin, "/api/v1/admin/users?q=CUSTOMER").await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    assert_eq!(found["items"][0]["email"], "customer@example.com");
    assert_eq!(found["items"][0]["balance"]["balance_mc"], 50_000);
    let page = admin_get(&app, &admin, "/api/v1/admin/users?limit=1").await;
    assert!(page["next_cursor"].is_string());
}

#[tokio::test]
async fn an_admin_adjustment_is_a_ledger_entry_applied_once() {
    let (app, admin, _admin_id, _user_id, path) = admin_and_customer().await;
    let credit = goodwill(&app, &admin, &path).await;
    assert_eq!(credit.status(), StatusCode::CREATED);
    let credit: Value = credit.json().await.unwrap();
    assert_eq!(credit["kind"], "admin_adjustment");
    assert_eq!(credit["balance_after_mc"], 55_000);
    let replay = goodwill(&app, &admin, &path).await;
    assert_eq!(
        replay.json::<Value>().await.unwrap(),
        credit,
        "applied once"
    );
    app.assert_ledger_consistent().await;
}

#[tokio::test]
async fn bad_adjustments_are_refused() {
    let (app, admin, _admin_id, _user_id, path) = admin_and_customer().await;
    assert_eq!(
        goodwill(&app, &admin, &path).await.status(),
        StatusCode::CREATED
    );
    let [below_zero, no_reason, zero, ghost] = bad_adjustments(&app, &admin, &path).await;
    assert_problem(
        below_zero,
        StatusCode::PAYMENT_REQUIRED,
        "insufficient_credits",
    )
    .await;
    assert_problem(
        no_reason,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_problem(zero, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_problem(ghost, StatusCode::NOT_FOUND, "user_not_found").await;
    app.assert_ledger_consistent().await;
}

#[tokio::test]
async fn a_users_detail_shows_the_balance_and_recent_transactions() {
    let (app, admin, _admin_id, user_id, path) = admin_and_customer().await;
    assert_eq!(
        goodwill(&app, &admin, &path).await.status(),
        StatusCode::CREATED
    );
    bad_adjustments(&app, &admin, &path).await;
    let detail = admin_get(&app, &admin, &format!("/api/v1/admin/users/{user_id}")).await;
    assert_eq!(detail["balance"]["balance_mc"], 55_000);
    assert_eq!(detail["recent_transactions"].as_array().unwrap().len(), 2);
}

/// The audit log holds the adjustment with its actor, subject, address and reason; refused
/// adjustments and reads leave no entry.
#[tokio::test]
async fn adjustments_are_audited_with_actor_subject_address_and_reason() {
    let (app, admin, admin_id, user_id, path) = admin_and_customer().await;
    goodwill(&app, &admin, &path).await;
    goodwill(&app, &admin, &path).await;
    bad_adjustments(&app, &admin, &path).await;
    let log = admin_get(
        &app,
        &admin,
        "/api/v1/admin/audit-log?action=admin.balance_adjusted",
    )
    .await;
    let entries = log["items"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["actor_user_id"], admin_id.as_str());
    assert_eq!(entries[0]["subject"], user_id.as_str());
    assert_eq!(entries[0]["ip"], "127.0.0.1");
    assert_eq!(entries[0]["meta"]["reason"], "support goodwill");
    let by_actor = admin_get(
        &app,
        &admin,
        &format!("/api/v1/admin/audit-log?actor={admin_id}&limit=100"),
    )
    .await;
    assert_eq!(
        by_actor["items"].as_array().unwrap().len(),
        2,
        "sign-up and the adjustment: {by_actor}"
    );
}

#[tokio::test]
async fn non_admins_and_keys_are_kept_out() {
    let app = spawn_app().await;
    let user = app.signed_up_user("plain@example.com").await;
    for path in ["/api/v1/admin/users", "/api/v1/admin/audit-log"] {
        assert_problem(
            app.get_authed(path, &user.access_token).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
        assert_problem(
            app.get(path).await,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        )
        .await;
    }
    let r = app
        .post_authed(
            "/api/v1/admin/app-keys",
            &user.access_token,
            &json!({ "name": "x", "scopes": ["users:read"] }),
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    // An admin's personal key is not an admin session.
    let admin = app.admin("keyed-admin@example.com").await;
    let key: Value = app
        .post_authed(
            "/api/v1/api-keys",
            &admin.access_token,
            &json!({ "name": "k" }),
        )
        .await
        .json()
        .await
        .unwrap();
    let r = app
        .get_authed("/api/v1/admin/users", key["secret"].as_str().unwrap())
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "session_required").await;
    let bad_scope = app
        .post_authed(
            "/api/v1/admin/app-keys",
            &admin.access_token,
            &json!({ "name": "x", "scopes": ["root"] }),
        )
        .await;
    assert_problem(
        bad_scope,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
}
