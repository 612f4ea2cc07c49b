//! Account recovery ends what an intruder may have left behind: sessions, personal API keys
//! and older mailed links.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, Session, TestApp, PASSWORD};

/// A personal API key of the session's user; returns its secret.
async fn personal_key(app: &TestApp, session: &Session) -> String {
    let key: Value = app
        .post_authed(
            "/api/v1/api-keys",
            &session.access_token,
            &json!({ "name": "left behind" }),
        )
        .await
        .json()
        .await
        .unwrap();
    let secret = key["secret"].as_str().unwrap().to_owned();
    assert_eq!(
        app.get_authed("/api/v1/me", &secret).await.status(),
        StatusCode::OK
    );
    secret
}

async fn assert_key_revoked(app: &TestApp, secret: &str) {
    assert_problem(
        app.get_authed("/api/v1/me", secret).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
}

#[tokio::test]
async fn password_reset_revokes_personal_api_keys_and_the_mail_says_so() {
    let app = spawn_app().await;
    let session = app.signed_up_user("recover@example.com").await;
    let secret = personal_key(&app, &session).await;

    let asked = app
        .post_json(
            "/api/v1/auth/forgot-password",
            &json!({ "email": "recover@example.com" }),
        )
        .await;
    assert_eq!(asked.status(), StatusCode::ACCEPTED);
    let mail = app
        .outbox()
        .into_iter()
        .rev()
        .find(|m| m["to"] == "recover@example.com")
        .unwrap();
    assert!(
        mail["body"].as_str().unwrap().contains("API keys"),
        "{mail}"
    );
    let token = app.mailed_token("recover@example.com");
    let reset = app
        .post_json(
            "/api/v1/auth/reset-password",
            &json!({ "token": token, "new_password": "brand new pass 5" }),
        )
        .await;
    assert_eq!(reset.status(), StatusCode::OK);

    assert_key_revoked(&app, &secret).await;
    app.assert_session_ended(&session).await;
}

#[tokio::test]
async fn password_change_revokes_api_keys_when_asked() {
    let app = spawn_app().await;
    let session = app.signed_up_user("changer@example.com").await;
    let kept = personal_key(&app, &session).await;

    let changed = app
        .post_authed(
            "/api/v1/me/password",
            &session.access_token,
            &json!({ "current_password": PASSWORD, "new_password": "a new secret 42" }),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::OK);
    let session = Session::from_response(changed).await;
    assert_eq!(
        app.get_authed("/api/v1/me", &kept).await.status(),
        StatusCode::OK
    );

    let changed = app
        .post_authed(
            "/api/v1/me/password",
            &session.access_token,
            &json!({
                "current_password": "a new secret 42",
                "new_password": "another secret 43",
                "revoke_api_keys": true
            }),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::OK);
    assert_key_revoked(&app, &kept).await;
}

#[tokio::test]
async fn logout_everywhere_revokes_api_keys_when_asked() {
    let app = spawn_app().await;
    let session = app.signed_up_user("everywhere@example.com").await;
    let secret = personal_key(&app, &session).await;

    // Without the flag (and without a body, as before) keys keep working.
    let plain = app
        .client
        .post(app.url("/api/v1/auth/logout-all"))
        .bearer_auth(&session.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get_authed("/api/v1/me", &secret).await.status(),
        StatusCode::OK
    );

    let again = Session::from_response(app.login("everywhere@example.com", PASSWORD).await).await;
    let revoking = app
        .post_authed(
            "/api/v1/auth/logout-all",
            &again.access_token,
            &json!({ "revoke_api_keys": true }),
        )
        .await;
    assert_eq!(revoking.status(), StatusCode::NO_CONTENT);
    assert_key_revoked(&app, &secret).await;
    app.assert_session_ended(&again).await;
}

#[tokio::test]
async fn a_newer_mailed_link_invalidates_older_ones_of_its_kind() {
    let app = spawn_app().await;
    let session = app.signed_up_user("links@example.com").await;
    let first_verify = app.mailed_token("links@example.com");
    let forgot = json!({ "email": "links@example.com" });
    app.post_json("/api/v1/auth/forgot-password", &forgot).await;
    let first_reset = app.mailed_token("links@example.com");
    app.post_json("/api/v1/auth/forgot-password", &forgot).await;
    let second_reset = app.mailed_token("links@example.com");
    let resent = app
        .post_authed(
            "/api/v1/auth/resend-verification",
            &session.access_token,
            &json!({}),
        )
        .await;
    assert_eq!(resent.status(), StatusCode::ACCEPTED);
    let second_verify = app.mailed_token("links@example.com");

    let old_reset = app
        .post_json(
            "/api/v1/auth/reset-password",
            &json!({ "token": first_reset, "new_password": "brand new pass 5" }),
        )
        .await;
    assert_problem(old_reset, StatusCode::BAD_REQUEST, "invalid_email_token").await;
    let old_verify = app
        .post_json(
            "/api/v1/auth/verify-email",
            &json!({ "token": first_verify }),
        )
        .await;
    assert_problem(old_verify, StatusCode::BAD_REQUEST, "invalid_email_token").await;

    // The newest of each kind works; one kind does not cancel the other.
    let verify = app
        .post_json(
            "/api/v1/auth/verify-email",
            &json!({ "token": second_verify }),
        )
        .await;
    assert_eq!(verify.status(), StatusCode::OK);
    let reset = app
        .post_json(
            "/api/v1/auth/reset-password",
            &json!({ "token": second_reset, "new_password": "brand new pass 5" }),
        )
        .await;
    assert_eq!(reset.status(), StatusCode::OK);
}

/// A key created while "sign out everywhere, keys too" runs does not outlive it: its
/// creation read the session before the sign-out and wrote the key after it.
#[tokio::test]
async fn a_key_created_during_logout_everywhere_does_not_outlive_it() {
    let app = spawn_app().await;
    let everywhere = json!({ "revoke_api_keys": true });
    let name = json!({ "name": "racing" });
    for round in 0..30 {
        let session = app
            .signed_up_user(&format!("racer{round}@example.com"))
            .await;
        let token = &session.access_token;
        let (created, _) = tokio::join!(
            app.post_authed("/api/v1/api-keys", token, &name),
            app.post_authed("/api/v1/auth/logout-all", token, &everywhere)
        );
        if created.status() == StatusCode::CREATED {
            let key: Value = created.json().await.unwrap();
            let secret = key["secret"].as_str().unwrap();
            let used = app.get_authed("/api/v1/me", secret).await;
            assert_eq!(used.status(), StatusCode::UNAUTHORIZED, "round {round}");
        }
    }
}
