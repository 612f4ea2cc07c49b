//! The account's sign-in methods: listing them, unlinking one while another way in remains,
//! setting a first password on an account made by single sign-on, and deleting such an
//! account. What has no password to confirm with needs a recent sign-in (5 minutes).

use chrono::{DateTime, Utc};
use penora_domain::{ExternalSubject, Provider, UserId};
use penora_store::identities;
use reqwest::{Response, StatusCode};
use secrecy::SecretString;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{assert_problem, refresh_cookie, spawn_app_with, Session, TestApp, PASSWORD};

const ISSUER: &str = "https://sukusuku.example";
const SSO_SECRET: &str = "sso-test-secret-0123456789-abcdefghijklmnop";

async fn spawn_sso_app() -> TestApp {
    spawn_app_with(|s| {
        s.sign_in.sukusuku_sso_issuer = Some(ISSUER.to_owned());
        s.sign_in.sukusuku_sso_secret = Some(SecretString::from(SSO_SECRET.to_owned()));
    })
    .await
}

/// A fresh single sign-on token from the main site for `sub`.
fn sso_token(sub: &str, email: &str) -> String {
    let now = Utc::now().timestamp();
    let claims = json!({
        "iss": ISSUER, "aud": "penora", "sub": sub, "email": email, "email_verified": true,
        "name": "Mira", "iat": now, "nbf": now, "exp": now + 300,
        "jti": Uuid::new_v4().to_string(),
    });
    penora_fake_idp::keys::hs256(&claims, SSO_SECRET.as_bytes())
}

/// Arrives from the main site as `sub` and trades the refresh cookie for a session, as the
/// app does on start-up.
async fn sso_session(app: &TestApp, sub: &str, email: &str) -> Session {
    let arrived = app
        .client
        .post(app.url("/api/v1/auth/sso"))
        .form(&[
            ("token", sso_token(sub, email)),
            ("return_to", "/write".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(arrived.status(), StatusCode::SEE_OTHER);
    let cookie = refresh_cookie(arrived.headers()).expect("signed in");
    let refreshed = app.refresh(&cookie).await;
    assert_eq!(refreshed.status(), StatusCode::OK);
    Session::from_response(refreshed).await
}

/// The session's access token as if its sign-in happened `secs_ago` seconds ago.
fn signed_in_ago(app: &TestApp, session: &Session, secs_ago: i64) -> String {
    let mut claims = app.state.jwt.verify(&session.access_token).unwrap();
    claims.auth_time = Utc::now().timestamp() - secs_ago;
    app.state.jwt.sign_raw(&claims).unwrap()
}

async fn methods(app: &TestApp, token: &str) -> Value {
    let response = app.get_authed("/api/v1/me/sign-in-methods", token).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn unlink(app: &TestApp, token: &str, method: &str) -> Response {
    let path = format!("/api/v1/me/sign-in-methods/{method}");
    let request = app.client.delete(app.url(&path)).bearer_auth(token);
    request.send().await.unwrap()
}

async fn set_password(app: &TestApp, token: &str, password: &str) -> Response {
    let request = app.client.put(app.url("/api/v1/me/password"));
    let body = json!({ "new_password": password });
    request.bearer_auth(token).json(&body).send().await.unwrap()
}

async fn delete_me(app: &TestApp, token: &str, body: &Value) -> Response {
    let request = app.client.delete(app.url("/api/v1/me")).bearer_auth(token);
    request.json(body).send().await.unwrap()
}

fn user_id(session: &Session) -> UserId {
    UserId::parse(session.body["user"]["id"].as_str().unwrap()).unwrap()
}

async fn linked(app: &TestApp, session: &Session) -> Vec<Provider> {
    let rows = identities::of_user(&app.db, user_id(session))
        .await
        .unwrap();
    rows.into_iter().map(|row| *row.provider).collect()
}

/// Links a Google identity directly (the Google flow has its own tests).
async fn link_google(app: &TestApp, session: &Session, subject: &str) {
    let subject = ExternalSubject::parse(subject).unwrap();
    identities::link(
        &app.db,
        user_id(session),
        Provider::Google,
        &subject,
        None,
        Utc::now(),
    )
    .await
    .unwrap();
}

fn time(value: &Value) -> DateTime<Utc> {
    value.as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn lists_the_password_and_each_linked_identity() {
    let app = spawn_sso_app().await;
    app.verified_user("mira@example.com").await;
    // The main site vouches for the address: its identity is linked to the account.
    let sub = "9".repeat(40);
    let session = sso_session(&app, &sub, "mira@example.com").await;

    let body = methods(&app, &session.access_token).await;
    insta::assert_json_snapshot!(body, {
        ".methods[].linked_at" => "[timestamp]",
        ".methods[].last_used_at" => "[timestamp]",
        ".recent_sign_in_until" => "[timestamp]",
    }, @r#"
    {
      "has_password": true,
      "methods": [
        {
          "method": "password"
        },
        {
          "email": "mira@example.com",
          "last_used_at": "[timestamp]",
          "linked_at": "[timestamp]",
          "method": "sukusuku",
          "subject": "9999999999999999999999999999999999999999"
        }
      ],
      "recent_sign_in_until": "[timestamp]"
    }
    "#);
    let list = body["methods"].as_array().unwrap();
    assert!(time(&list[1]["linked_at"]) <= time(&list[1]["last_used_at"]));
    let until = time(&body["recent_sign_in_until"]);
    let left = (until - Utc::now()).num_seconds();
    assert!((290..=300).contains(&left), "{left} s left");

    let stale = signed_in_ago(&app, &session, 301);
    let body = methods(&app, &stale).await;
    assert_eq!(body["recent_sign_in_until"], Value::Null);

    let only_sso = sso_session(&app, "42", "noor@example.com").await;
    let body = methods(&app, &only_sso.access_token).await;
    assert_eq!(body["has_password"], false);
    let list = body["methods"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{body}");
    assert_eq!(list[0]["method"], "sukusuku");
    assert_eq!(list[0]["subject"], "42");
}

#[tokio::test]
async fn an_api_key_cannot_see_or_change_sign_in_methods() {
    let app = spawn_sso_app().await;
    let session = app.signed_up_user("keys@example.com").await;
    let created = app
        .post_authed(
            "/api/v1/api-keys",
            &session.access_token,
            &json!({ "name": "cli", "scopes": ["read", "write"] }),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let key: Value = created.json().await.unwrap();
    let key = key["secret"].as_str().unwrap();
    let listed = app.get_authed("/api/v1/me/sign-in-methods", key).await;
    assert_problem(listed, StatusCode::FORBIDDEN, "session_required").await;
    let set = set_password(&app, key, "another horse 8").await;
    assert_problem(set, StatusCode::FORBIDDEN, "session_required").await;
}

#[tokio::test]
async fn the_only_sign_in_method_cannot_be_unlinked() {
    let app = spawn_sso_app().await;
    let session = sso_session(&app, "1001", "only@example.com").await;
    let token = &session.access_token;

    let refused = unlink(&app, token, "sukusuku").await;
    let body = assert_problem(refused, StatusCode::CONFLICT, "last_sign_in_method").await;
    assert!(body["detail"].as_str().unwrap().contains("only way"));
    assert_eq!(linked(&app, &session).await, vec![Provider::Sukusuku]);

    // Not linked, unknown, and the password (changed, never unlinked).
    assert_problem(
        unlink(&app, token, "google").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_problem(
        unlink(&app, token, "facebook").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let password = unlink(&app, token, "password").await;
    assert_problem(
        password,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(linked(&app, &session).await, vec![Provider::Sukusuku]);
    let audited = "SELECT COUNT(*) FROM audit_log WHERE action = 'auth.identity_unlinked'";
    assert_eq!(app.count(audited).await, 0);
}

#[tokio::test]
async fn an_identity_is_unlinked_while_another_way_in_remains() {
    let app = spawn_sso_app().await;
    app.verified_user("pass@example.com").await;
    let session = sso_session(&app, "2002", "pass@example.com").await;

    let unlinked = unlink(&app, &session.access_token, "sukusuku").await;
    assert_eq!(unlinked.status(), StatusCode::NO_CONTENT);
    assert_eq!(linked(&app, &session).await, vec![]);
    let body = methods(&app, &session.access_token).await;
    assert_eq!(body["methods"], json!([{ "method": "password" }]));
    let audited = "SELECT COUNT(*) FROM audit_log WHERE action = 'auth.identity_unlinked' \
                   AND CAST(meta AS TEXT) LIKE '%2002%'";
    assert_eq!(app.count(audited).await, 1);

    // Unlinked twice: the second finds nothing.
    let again = unlink(&app, &session.access_token, "sukusuku").await;
    assert_problem(again, StatusCode::NOT_FOUND, "not_found").await;

    // Without a password, another identity is a way in too.
    let both = sso_session(&app, "3003", "both@example.com").await;
    link_google(&app, &both, "g-3003").await;
    let unlinked = unlink(&app, &both.access_token, "google").await;
    assert_eq!(unlinked.status(), StatusCode::NO_CONTENT);
    assert_eq!(linked(&app, &both).await, vec![Provider::Sukusuku]);
}

#[tokio::test]
async fn two_unlinks_at_once_leave_one_way_in() {
    let app = spawn_sso_app().await;
    for n in 0..4 {
        let session = sso_session(&app, &format!("40{n}"), &format!("race{n}@example.com")).await;
        link_google(&app, &session, &format!("g-40{n}")).await;
        let token = &session.access_token;
        let (a, b) = tokio::join!(
            unlink(&app, token, "sukusuku"),
            unlink(&app, token, "google")
        );
        let mut statuses = [a.status(), b.status()];
        statuses.sort();
        assert_eq!(statuses, [StatusCode::NO_CONTENT, StatusCode::CONFLICT]);
        assert_eq!(linked(&app, &session).await.len(), 1);
    }
}

#[tokio::test]
async fn a_first_password_needs_a_recent_sign_in() {
    let app = spawn_sso_app().await;
    let session = sso_session(&app, "5005", "first@example.com").await;
    let other = app.refresh(&session.refresh_token).await;
    assert_eq!(other.status(), StatusCode::OK);
    let other = Session::from_response(other).await;
    let elsewhere = sso_session(&app, "5005", "first@example.com").await;

    let stale = signed_in_ago(&app, &other, 301);
    let refused = set_password(&app, &stale, "brand new horse 9").await;
    let body = assert_problem(refused, StatusCode::FORBIDDEN, "recent_sign_in_required").await;
    assert!(body["detail"].as_str().unwrap().contains("5 minutes"));
    let weak = set_password(&app, &other.access_token, "short").await;
    let body = assert_problem(weak, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "new_password", "{body}");
    assert_eq!(
        methods(&app, &other.access_token).await["has_password"],
        false
    );

    let set = set_password(&app, &signed_in_ago(&app, &other, 290), "brand new horse 9").await;
    assert_eq!(set.status(), StatusCode::OK);
    let fresh = Session::from_response(set).await;
    assert_eq!(fresh.body["user"]["email"], "first@example.com");
    let audited = "SELECT COUNT(*) FROM audit_log WHERE action = 'auth.password_set'";
    assert_eq!(app.count(audited).await, 1);

    // The other sessions ended; the fresh one works, and so does the new password.
    app.assert_session_ended(&elsewhere).await;
    let body = methods(&app, &fresh.access_token).await;
    assert_eq!(body["has_password"], true);
    assert_eq!(body["methods"][0], json!({ "method": "password" }));
    let login = app.login("first@example.com", "brand new horse 9").await;
    assert_eq!(login.status(), StatusCode::OK);

    // A second first password: change it instead.
    let again = set_password(&app, &fresh.access_token, "yet another horse 1").await;
    assert_problem(again, StatusCode::CONFLICT, "password_already_set").await;
    assert_eq!(app.count(audited).await, 1);
}

#[tokio::test]
async fn an_account_with_a_password_sets_none_with_put() {
    let app = spawn_sso_app().await;
    let session = app.signed_up_user("has@example.com").await;
    let again = set_password(&app, &session.access_token, "yet another horse 1").await;
    assert_problem(again, StatusCode::CONFLICT, "password_already_set").await;
    let login = app.login("has@example.com", PASSWORD).await;
    assert_eq!(login.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_account_without_a_password_is_deleted_only_after_a_recent_sign_in() {
    let app = spawn_sso_app().await;
    let session = sso_session(&app, "6006", "gone@example.com").await;
    let id = user_id(&session).to_string();
    let active = "SELECT COUNT(*) FROM users WHERE email = 'gone@example.com'";

    let stale = signed_in_ago(&app, &session, 301);
    let refused = delete_me(&app, &stale, &json!({})).await;
    assert_problem(refused, StatusCode::FORBIDDEN, "recent_sign_in_required").await;
    assert_eq!(app.count(active).await, 1);
    assert_eq!(linked(&app, &session).await, vec![Provider::Sukusuku]);

    let deleted = delete_me(&app, &session.access_token, &json!({})).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.count(active).await, 0);
    assert_eq!(linked(&app, &session).await, vec![]);
    let audited = format!(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'account.deleted' AND subject = '{id}'"
    );
    assert_eq!(app.count(&audited).await, 1);
}

#[tokio::test]
async fn an_account_with_a_password_is_still_deleted_only_with_it() {
    let app = spawn_sso_app().await;
    let session = app.signed_up_user("keep@example.com").await;
    // A recent sign-in does not stand in for the password.
    let refused = delete_me(&app, &session.access_token, &json!({})).await;
    assert_problem(
        refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let wrong = delete_me(&app, &session.access_token, &json!({ "password": "nope" })).await;
    assert_problem(wrong, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let stale = signed_in_ago(&app, &session, 3600);
    let deleted = delete_me(&app, &stale, &json!({ "password": PASSWORD })).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
}
