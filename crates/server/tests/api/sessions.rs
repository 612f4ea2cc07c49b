//! Access tokens and refresh-token rotation.

use chrono::Utc;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_problem, spawn_app, spawn_app_with, TEST_JWT_SECRET};
use penora_app::auth::jwt::JwtKeys;
use secrecy::SecretString;

#[tokio::test]
async fn reusing_a_refresh_token_revokes_the_family() {
    // No grace: any second use is a reuse (concurrent refreshes: `refresh_grace.rs`).
    let app = spawn_app_with(|s| s.refresh_reuse_grace_ms = 0).await;
    let session = app.signed_up_user("reuse@example.com").await;

    let rotated = app.refresh(&session.refresh_token).await;
    assert_eq!(rotated.status(), StatusCode::OK);
    let rotated = crate::helpers::Session::from_response(rotated).await;

    // The old token comes back (stolen, replayed): the whole family ends.
    assert_problem(
        app.refresh(&session.refresh_token).await,
        StatusCode::UNAUTHORIZED,
        "refresh_token_reused",
    )
    .await;
    assert_problem(
        app.refresh(&rotated.refresh_token).await,
        StatusCode::UNAUTHORIZED,
        "invalid_refresh_token",
    )
    .await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.refresh_token_reused'")
            .await,
        1
    );
}

#[tokio::test]
async fn missing_or_garbage_refresh_cookie_is_401() {
    let app = spawn_app().await;
    let none = app
        .client
        .post(app.url("/api/v1/auth/refresh"))
        .send()
        .await
        .unwrap();
    assert_problem(none, StatusCode::UNAUTHORIZED, "invalid_refresh_token").await;
    assert_problem(
        app.refresh("garbage").await,
        StatusCode::UNAUTHORIZED,
        "invalid_refresh_token",
    )
    .await;
}

#[tokio::test]
async fn logout_everywhere_ends_access_tokens_at_once() {
    let app = spawn_app().await;
    let a = app.signed_up_user("everywhere@example.com").await;
    let b = crate::helpers::Session::from_response(
        app.login("everywhere@example.com", crate::helpers::PASSWORD)
            .await,
    )
    .await;
    let out = app
        .post_authed("/api/v1/auth/logout-all", &a.access_token, &json!({}))
        .await;
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    for session in [&a, &b] {
        app.assert_session_ended(session).await;
    }
}

fn claims(sub: &str, exp_offset: i64) -> serde_json::Value {
    let now = Utc::now().timestamp();
    json!({
        "sub": sub, "iss": "penora", "aud": "penora-api", "iat": now - 1000, "nbf": now - 1000,
        "exp": now + exp_offset, "jti": "x", "role": "admin", "epoch": 0
    })
}

#[tokio::test]
async fn expired_forged_and_unsigned_tokens_are_401() {
    let app = spawn_app().await;
    let session = app.signed_up_user("jwt@example.com").await;
    let sub = session.body["user"]["id"].as_str().unwrap().to_owned();
    let ours = JwtKeys::new(&SecretString::from(TEST_JWT_SECRET.to_owned()), 900);
    let theirs = JwtKeys::new(
        &SecretString::from("someone-elses-secret-0123456789-abcdef".to_owned()),
        900,
    );

    let valid = ours.sign_raw(&claims(&sub, 600)).unwrap();
    assert_eq!(
        app.get_authed("/api/v1/me", &valid).await.status(),
        StatusCode::OK
    );

    let expired = ours.sign_raw(&claims(&sub, -600)).unwrap();
    assert_problem(
        app.get_authed("/api/v1/me", &expired).await,
        StatusCode::UNAUTHORIZED,
        "token_expired",
    )
    .await;

    let forged = theirs.sign_raw(&claims(&sub, 600)).unwrap();
    assert_problem(
        app.get_authed("/api/v1/me", &forged).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;

    // alg=none: header and claims, no signature.
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let unsigned = format!(
        "{}.{}.",
        b64.encode(br#"{"alg":"none","typ":"JWT"}"#),
        b64.encode(claims(&sub, 600).to_string())
    );
    assert_problem(
        app.get_authed("/api/v1/me", &unsigned).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;

    let mut wrong_audience = claims(&sub, 600);
    wrong_audience["aud"] = json!("imagegene");
    let token = ours.sign_raw(&wrong_audience).unwrap();
    assert_problem(
        app.get_authed("/api/v1/me", &token).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;

    assert_problem(
        app.get("/api/v1/me").await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    let basic = app
        .client
        .get(app.url("/api/v1/me"))
        .header("authorization", "Basic YTpi")
        .send()
        .await
        .unwrap();
    assert_problem(basic, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

#[tokio::test]
async fn login_is_rate_limited_per_email_and_ip() {
    let app = spawn_app_with(|s| {
        s.rate_login_per_email_ip_per_minute = 3;
        s.rate_login_per_ip_per_minute = 5;
    })
    .await;
    for _ in 0..3 {
        let r = app.login("target@example.com", "guess guess 1").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let limited = app.login("target@example.com", "guess guess 1").await;
    let retry_after: u64 = limited
        .headers()
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let body = assert_problem(limited, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    assert_eq!(body["extra"]["retry_after"], retry_after);
    // Other emails from the same IP pass until the IP's own limit is hit.
    assert_eq!(
        app.login("other@example.com", "guess guess 1")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_problem(
        app.login("third@example.com", "guess guess 1").await,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
    )
    .await;
}

#[tokio::test]
async fn signup_is_rate_limited_per_ip() {
    let app = spawn_app_with(|s| s.rate_signup_per_ip_per_hour = 2).await;
    app.signed_up_user("one@example.com").await;
    app.signed_up_user("two@example.com").await;
    let limited = app
        .signup("three@example.com", crate::helpers::PASSWORD)
        .await;
    assert!(limited.headers().contains_key("retry-after"));
    assert_problem(limited, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
}

/// Read-then-write transactions under concurrency: on SQLite a deferred transaction would
/// fail with "database is locked"; every one of these must succeed.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_refreshes_and_verifications_all_succeed() {
    let app = spawn_app().await;
    let mut sessions = Vec::new();
    for i in 0..12 {
        sessions.push(app.signed_up_user(&format!("busy-{i}@example.com")).await);
    }
    let bodies: Vec<serde_json::Value> = (0..12)
        .map(|i| json!({ "token": app.mailed_token(&format!("busy-{i}@example.com")) }))
        .collect();
    let refreshes = sessions.iter().map(|s| app.refresh(&s.refresh_token));
    let verifications = bodies
        .iter()
        .map(|b| app.post_json("/api/v1/auth/verify-email", b));
    let (refreshed, verified) = tokio::join!(
        futures_util::future::join_all(refreshes),
        futures_util::future::join_all(verifications)
    );
    for r in refreshed.iter().chain(verified.iter()) {
        assert_eq!(r.status(), StatusCode::OK);
    }
}
