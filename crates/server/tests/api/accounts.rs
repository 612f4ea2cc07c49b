//! Sign-up, sign-in, profile, password change and deletion.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_problem, spawn_app, Session, PASSWORD};

#[tokio::test]
async fn signup_login_me_refresh_logout() {
    let app = spawn_app().await;

    let signup = app.signup("  Ada@Example.com ", PASSWORD).await;
    assert_eq!(signup.status(), StatusCode::CREATED);
    let set_cookie = signup
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/api/v1/auth"] {
        assert!(set_cookie.contains(attr), "{attr} in {set_cookie}");
    }
    let session = Session::from_response(signup).await;
    assert_eq!(session.body["user"]["email"], "ada@example.com");
    assert_eq!(session.body["user"]["display_name"], "ada");
    assert_eq!(session.body["user"]["role"], "user");
    assert_eq!(session.body["user"]["email_verified"], false);
    assert_eq!(session.body["token_type"], "Bearer");
    assert_eq!(session.body["expires_in"], 900);
    assert!(
        session.body.get("refresh_token").is_none(),
        "refresh token only in the cookie"
    );

    let login = app.login("ADA@example.COM", PASSWORD).await;
    assert_eq!(login.status(), StatusCode::OK);
    let login = Session::from_response(login).await;

    let me = app.get_authed("/api/v1/me", &login.access_token).await;
    assert_eq!(me.status(), StatusCode::OK);
    let me: serde_json::Value = me.json().await.unwrap();
    assert_eq!(me["email"], "ada@example.com");
    assert_eq!(me["id"], session.body["user"]["id"]);

    let refreshed = app.refresh(&login.refresh_token).await;
    assert_eq!(refreshed.status(), StatusCode::OK);
    let refreshed = Session::from_response(refreshed).await;
    assert_ne!(refreshed.refresh_token, login.refresh_token, "rotated");
    let me = app.get_authed("/api/v1/me", &refreshed.access_token).await;
    assert_eq!(me.status(), StatusCode::OK);

    let logout = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .header(
            "cookie",
            format!("penora_refresh={}", refreshed.refresh_token),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    let cleared = logout
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(cleared.contains("Max-Age=0"), "cookie cleared: {cleared}");
    assert_problem(
        app.refresh(&refreshed.refresh_token).await,
        StatusCode::UNAUTHORIZED,
        "invalid_refresh_token",
    )
    .await;
    // The first session is separate and still works.
    assert_eq!(
        app.refresh(&session.refresh_token).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn new_accounts_and_sign_ins_are_audited() {
    let app = spawn_app().await;
    app.signed_up_user("audit@example.com").await;
    app.login("audit@example.com", "wrong password 1").await;
    app.login("nobody@example.com", "wrong password 1").await;
    app.login("audit@example.com", PASSWORD).await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.signup'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.login_failed'")
            .await,
        2
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'auth.login' AND ip = '127.0.0.1'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn wrong_password_and_unknown_email_look_the_same() {
    let app = spawn_app().await;
    app.signed_up_user("grace@example.com").await;
    let wrong = assert_problem(
        app.login("grace@example.com", "not my password 1").await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    let unknown = assert_problem(
        app.login("nobody@example.com", "not my password 1").await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    assert_eq!(wrong["detail"], unknown["detail"]);
    assert_eq!(wrong["title"], unknown["title"]);
}

#[tokio::test]
async fn duplicate_email_in_another_case_is_409() {
    let app = spawn_app().await;
    app.signed_up_user("linus@example.com").await;
    let again = app.signup("LINUS@Example.com", PASSWORD).await;
    assert_problem(again, StatusCode::CONFLICT, "email_taken").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 1);
}

#[tokio::test]
async fn signup_reports_every_bad_field() {
    let app = spawn_app().await;
    let response = app
        .post_json(
            "/api/v1/auth/signup",
            &json!({ "email": "not-an-email", "password": "short", "display_name": "  " }),
        )
        .await;
    let body = assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let fields: Vec<(&str, &str)> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        fields,
        vec![
            ("email", "invalid"),
            ("password", "too_short"),
            ("display_name", "required")
        ]
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users").await,
        0,
        "nothing written"
    );
}

#[tokio::test]
async fn weak_passwords_are_refused_with_their_rule() {
    let app = spawn_app().await;
    for (password, code) in [
        ("onlyletterslong", "too_simple"),
        ("password123", "too_common"),
        ("margaret-1999", "contains_email"),
    ] {
        let body = assert_problem(
            app.signup("margaret@example.com", password).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert_eq!(body["errors"][0]["field"], "password");
        assert_eq!(body["errors"][0]["code"], code, "{password}");
    }
}

#[tokio::test]
async fn profile_can_be_renamed() {
    let app = spawn_app().await;
    let session = app.signed_up_user("ren@example.com").await;
    let response = app
        .client
        .patch(app.url("/api/v1/me"))
        .bearer_auth(&session.access_token)
        .json(&json!({ "display_name": "  Ren Hoek " }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["display_name"], "Ren Hoek");
    let bad = app
        .client
        .patch(app.url("/api/v1/me"))
        .bearer_auth(&session.access_token)
        .json(&json!({ "display_name": "x".repeat(81) }))
        .send()
        .await
        .unwrap();
    assert_problem(bad, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
}

#[tokio::test]
async fn password_change_ends_other_sessions() {
    let app = spawn_app().await;
    let first = app.signed_up_user("pw@example.com").await;
    let other = Session::from_response(app.login("pw@example.com", PASSWORD).await).await;

    let wrong = app
        .post_authed(
            "/api/v1/me/password",
            &first.access_token,
            &json!({ "current_password": "nope nope 1", "new_password": "a new secret 42" }),
        )
        .await;
    let body = assert_problem(wrong, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "current_password");

    let changed = app
        .post_authed(
            "/api/v1/me/password",
            &first.access_token,
            &json!({ "current_password": PASSWORD, "new_password": "a new secret 42" }),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::OK);
    let fresh = Session::from_response(changed).await;

    app.assert_session_ended(&other).await;
    assert_eq!(
        app.get_authed("/api/v1/me", &fresh.access_token)
            .await
            .status(),
        StatusCode::OK
    );
    assert_problem(
        app.login("pw@example.com", PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    assert_eq!(
        app.login("pw@example.com", "a new secret 42")
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn deleting_the_account_removes_its_data() {
    let app = spawn_app().await;
    let session = app.signed_up_user("gone@example.com").await;
    let keep = app.signed_up_user("stays@example.com").await;

    let wrong = app
        .client
        .delete(app.url("/api/v1/me"))
        .bearer_auth(&session.access_token)
        .json(&json!({ "password": "wrong password 9" }))
        .send()
        .await
        .unwrap();
    assert_problem(wrong, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;

    let deleted = app
        .client
        .delete(app.url("/api/v1/me"))
        .bearer_auth(&session.access_token)
        .json(&json!({ "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);

    app.assert_session_ended(&session).await;
    assert_problem(
        app.login("gone@example.com", PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE deleted_at IS NULL")
            .await,
        1,
        "the deleted account is only a tombstone"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM email_tokens").await,
        1,
        "only the other user's token is left"
    );
    assert_eq!(
        app.get_authed("/api/v1/me", &keep.access_token)
            .await
            .status(),
        StatusCode::OK
    );
    // The audit trail stays, detached from the deleted account.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'account.deleted'")
            .await,
        1
    );
}
