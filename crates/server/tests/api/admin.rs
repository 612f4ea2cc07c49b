//! The admin view: users and balances, adjustments, the audit log.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn admins_see_users_adjust_balances_and_read_the_audit_log() {
    let app = spawn_app().await;
    let admin = app.admin("boss@example.com").await;
    let admin_id = app.user_id(&admin).await;
    let user = app.signed_up_user("customer@example.com").await;
    let user_id = app.user_id(&user).await;

    let found: Value = app
        .get_authed("/api/v1/admin/users?q=CUSTOMER", &admin.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    assert_eq!(found["items"][0]["email"], "customer@example.com");
    assert_eq!(found["items"][0]["balance"]["balance_mc"], 50_000);
    let page: Value = app
        .get_authed("/api/v1/admin/users?limit=1", &admin.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert!(page["next_cursor"].is_string());

    let path = format!("/api/v1/admin/users/{user_id}/adjustments");
    let credit = app
        .post_idem(
            &path,
            &admin.access_token,
            "adj-1",
            &json!({ "amount_mc": 5000, "reason": "support goodwill" }),
        )
        .await;
    assert_eq!(credit.status(), StatusCode::CREATED);
    let credit: Value = credit.json().await.unwrap();
    assert_eq!(credit["kind"], "admin_adjustment");
    assert_eq!(credit["balance_after_mc"], 55_000);
    let replay = app
        .post_idem(
            &path,
            &admin.access_token,
            "adj-1",
            &json!({ "amount_mc": 5000, "reason": "support goodwill" }),
        )
        .await;
    assert_eq!(
        replay.json::<Value>().await.unwrap(),
        credit,
        "applied once"
    );

    let below_zero = app
        .post_idem(
            &path,
            &admin.access_token,
            "adj-2",
            &json!({ "amount_mc": -55_001, "reason": "oops" }),
        )
        .await;
    assert_problem(
        below_zero,
        StatusCode::PAYMENT_REQUIRED,
        "insufficient_credits",
    )
    .await;
    let no_reason = app
        .post_idem(
            &path,
            &admin.access_token,
            "adj-3",
            &json!({ "amount_mc": 10, "reason": " " }),
        )
        .await;
    assert_problem(
        no_reason,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let zero = app
        .post_idem(
            &path,
            &admin.access_token,
            "adj-4",
            &json!({ "amount_mc": 0, "reason": "x" }),
        )
        .await;
    assert_problem(zero, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let ghost = app
        .post_idem(
            "/api/v1/admin/users/0193a2b4-0000-7000-8000-000000000000/adjustments",
            &admin.access_token,
            "adj-5",
            &json!({ "amount_mc": 10, "reason": "x" }),
        )
        .await;
    assert_problem(ghost, StatusCode::NOT_FOUND, "user_not_found").await;

    let detail: Value = app
        .get_authed(
            &format!("/api/v1/admin/users/{user_id}"),
            &admin.access_token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["balance"]["balance_mc"], 55_000);
    assert_eq!(detail["recent_transactions"].as_array().unwrap().len(), 2);

    let log: Value = app
        .get_authed(
            "/api/v1/admin/audit-log?action=admin.balance_adjusted",
            &admin.access_token,
        )
        .await
        .json()
        .await
        .unwrap();
    let entries = log["items"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["actor_user_id"], admin_id.as_str());
    assert_eq!(entries[0]["subject"], user_id.as_str());
    assert_eq!(entries[0]["ip"], "127.0.0.1");
    assert_eq!(entries[0]["meta"]["reason"], "support goodwill");
    let by_actor: Value = app
        .get_authed(
            &format!("/api/v1/admin/audit-log?actor={admin_id}&limit=100"),
            &admin.access_token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        by_actor["items"].as_array().unwrap().len(),
        2,
        "sign-up and the adjustment: {by_actor}"
    );
    app.assert_ledger_consistent().await;
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
