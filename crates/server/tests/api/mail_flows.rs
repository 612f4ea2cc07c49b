//! Email verification and password reset through the development outbox.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, spawn_app_with, PASSWORD};

#[tokio::test]
async fn signup_mails_a_single_use_verification_link() {
    let app = spawn_app().await;
    let session = app.signed_up_user("verify@example.com").await;
    let token = app.mailed_token("verify@example.com");
    assert!(app.outbox()[0]["link"]
        .as_str()
        .unwrap()
        .starts_with("http://127.0.0.1:8080/verify-email?token="));

    assert_problem(
        app.post_json("/api/v1/auth/verify-email", &json!({ "token": "forged" }))
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_email_token",
    )
    .await;
    let ok = app
        .post_json("/api/v1/auth/verify-email", &json!({ "token": token }))
        .await;
    assert_eq!(ok.status(), StatusCode::OK);
    let me: Value = app
        .get_authed("/api/v1/me", &session.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["email_verified"], true);
    assert_problem(
        app.post_json("/api/v1/auth/verify-email", &json!({ "token": token }))
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_email_token",
    )
    .await;
}

#[tokio::test]
async fn verification_can_be_resent_within_limits() {
    let app = spawn_app_with(|s| s.rate_email_per_address_per_hour = 1).await;
    let session = app.signed_up_user("again@example.com").await;
    let first = app
        .post_authed(
            "/api/v1/auth/resend-verification",
            &session.access_token,
            &json!({}),
        )
        .await;
    assert_eq!(first.status(), StatusCode::ACCEPTED);
    assert_eq!(app.outbox().len(), 2);
    let second = app
        .post_authed(
            "/api/v1/auth/resend-verification",
            &session.access_token,
            &json!({}),
        )
        .await;
    assert_problem(second, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
}

#[tokio::test]
async fn password_reset_by_mailed_token() {
    let app = spawn_app().await;
    let session = app.signed_up_user("forgot@example.com").await;

    // Same answer for unknown accounts, and no mail.
    let unknown = app
        .post_json(
            "/api/v1/auth/forgot-password",
            &json!({ "email": "ghost@example.com" }),
        )
        .await;
    assert_eq!(unknown.status(), StatusCode::ACCEPTED);
    let known = app
        .post_json(
            "/api/v1/auth/forgot-password",
            &json!({ "email": "Forgot@Example.com" }),
        )
        .await;
    assert_eq!(known.status(), StatusCode::ACCEPTED);
    assert_eq!(
        app.outbox()
            .iter()
            .filter(|m| m["to"] == "ghost@example.com")
            .count(),
        0
    );
    let token = app.mailed_token("forgot@example.com");

    let weak = app
        .post_json(
            "/api/v1/auth/reset-password",
            &json!({ "token": token, "new_password": "short" }),
        )
        .await;
    let body = assert_problem(weak, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "new_password");

    let reset = app
        .post_json(
            "/api/v1/auth/reset-password",
            &json!({ "token": token, "new_password": "brand new pass 5" }),
        )
        .await;
    assert_eq!(
        reset.status(),
        StatusCode::OK,
        "a weak try does not use the token up"
    );
    let again = app
        .post_json(
            "/api/v1/auth/reset-password",
            &json!({ "token": token, "new_password": "another pass 66" }),
        )
        .await;
    assert_problem(again, StatusCode::BAD_REQUEST, "invalid_email_token").await;

    assert_problem(
        app.get_authed("/api/v1/me", &session.access_token).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    assert_problem(
        app.login("forgot@example.com", PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    assert_eq!(
        app.login("forgot@example.com", "brand new pass 5")
            .await
            .status(),
        StatusCode::OK
    );
}
