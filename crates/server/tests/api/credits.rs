//! Balance, models, estimates, personal API keys, holds (history and usage are in
//! `credits_history.rs`).

use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, spawn_app_with, Session, TestApp};

#[tokio::test]
async fn new_accounts_get_the_welcome_bonus_once() {
    let app = spawn_app().await;
    let session = app.signed_up_user("bonus@example.com").await;
    let balance: Value = app
        .get_authed("/api/v1/credits/balance", &session.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        balance,
        json!({ "balance_mc": 50_000, "reserved_mc": 0, "available_mc": 50_000 })
    );
    let page: Value = app
        .get_authed("/api/v1/credits/transactions", &session.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["kind"], "welcome");
    assert_eq!(page["items"][0]["amount_mc"], 50_000);
    assert_eq!(page["items"][0]["balance_after_mc"], 50_000);
    assert!(page["next_cursor"].is_null());
    // A failed second sign-up with the same email grants nothing.
    app.signup("BONUS@example.com", crate::helpers::PASSWORD)
        .await;
    assert_eq!(app.count("SELECT COUNT(*) FROM ledger_entries").await, 1);
    app.assert_ledger_consistent().await;
}

#[tokio::test]
async fn the_bonus_is_configurable() {
    let app = spawn_app_with(|s| s.welcome_bonus_mc = 10_000).await;
    let session = app.signed_up_user("ten@example.com").await;
    let balance: Value = app
        .get_authed("/api/v1/credits/balance", &session.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(balance["balance_mc"], 10_000);
}

#[tokio::test]
async fn models_and_estimates() {
    let app = spawn_app().await;
    let list: Value = app.get("/api/v1/models").await.json().await.unwrap();
    assert_eq!(list["default_model"], "offline-demo");
    let offline = list["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "offline-demo")
        .unwrap();
    assert_eq!(offline["display_name"], "Offline demo model");
    assert_eq!(offline["available"], true);
    assert_eq!(offline["cost_per_100_words_mc"], 1000);
    let mixtral = list["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "mixtral-8x7b")
        .unwrap();
    assert_eq!(mixtral["multiplier_per_mille"], 1500);

    let estimate: Value = app
        .post_json(
            "/api/v1/credits/estimate",
            &json!({ "model": "mixtral-8x7b", "words": 333 }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(estimate["cost_mc"], 4995);
    assert_problem(
        app.post_json(
            "/api/v1/credits/estimate",
            &json!({ "model": "gpt-9", "words": 10 }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown_model",
    )
    .await;
    for words in [json!(0), json!(100_001)] {
        let r = app
            .post_json(
                "/api/v1/credits/estimate",
                &json!({ "model": "offline-demo", "words": words }),
            )
            .await;
        assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    }
    for words in [json!(-5), json!(1.5), json!("100")] {
        let r = app
            .post_json(
                "/api/v1/credits/estimate",
                &json!({ "model": "offline-demo", "words": words }),
            )
            .await;
        assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    }
}

/// An app, a user "keys" and their new personal key named "my script" (its creation
/// answer and secret).
async fn personal_key() -> (TestApp, Session, Value, String) {
    let app = spawn_app().await;
    let session = app.signed_up_user("keys@example.com").await;
    let created = app
        .post_authed(
            "/api/v1/api-keys",
            &session.access_token,
            &json!({ "name": "my script" }),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.unwrap();
    let secret = created["secret"].as_str().unwrap().to_owned();
    (app, session, created, secret)
}

/// DELETE of the personal key `id` with the user's session.
async fn revoke(app: &TestApp, session: &Session, id: &str) -> Response {
    app.client
        .delete(app.url(&format!("/api/v1/api-keys/{id}")))
        .bearer_auth(&session.access_token)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_personal_key_is_shown_once_and_never_listed() {
    let (app, session, created, secret) = personal_key().await;
    assert!(secret.starts_with("pk_live_"));
    assert_eq!(created["scopes"], json!(["generate", "read", "write"]));
    assert!(secret.starts_with(created["prefix"].as_str().unwrap()));
    let listed: Value = app
        .get_authed("/api/v1/api-keys", &session.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert!(
        !listed.to_string().contains(&secret),
        "secrets are never listed"
    );
}

#[tokio::test]
async fn a_personal_key_acts_as_its_user() {
    let (app, _session, _created, secret) = personal_key().await;
    let me: Value = app
        .get_authed("/api/v1/me", &secret)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], "keys@example.com");
    assert_eq!(
        app.get_authed("/api/v1/credits/balance", &secret)
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_personal_key_cannot_make_keys_or_reach_app_endpoints() {
    let (app, session, _created, secret) = personal_key().await;
    // Keys cannot make keys, change the password or reach app endpoints.
    let r = app
        .post_authed("/api/v1/api-keys", &secret, &json!({ "name": "x" }))
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "session_required").await;
    let user = app.user_id(&session).await;
    let r = app
        .get_authed(&format!("/api/v1/apps/users/{user}/balance"), &secret)
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "app_key_required").await;
}

#[tokio::test]
async fn a_personal_key_cannot_have_an_app_scope() {
    let (app, session, _created, _secret) = personal_key().await;
    let bad = app
        .post_authed(
            "/api/v1/api-keys",
            &session.access_token,
            &json!({ "name": "x", "scopes": ["credits:write"] }),
        )
        .await;
    assert_problem(bad, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
}

#[tokio::test]
async fn a_revoked_personal_key_stops_working_and_is_revoked_once() {
    let (app, session, created, secret) = personal_key().await;
    let id = created["id"].as_str().unwrap();
    let revoked = revoke(&app, &session, id).await;
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    assert_problem(
        app.get_authed("/api/v1/me", &secret).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    let again = revoke(&app, &session, id).await;
    assert_problem(again, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'api_key.%'")
            .await,
        2
    );
}

/// Creating and revoking a key are audited; refused creations and a second revocation are not.
#[tokio::test]
async fn a_personal_keys_creation_and_revocation_are_audited_once_each() {
    let (app, session, created, secret) = personal_key().await;
    app.post_authed("/api/v1/api-keys", &secret, &json!({ "name": "x" }))
        .await;
    app.post_authed(
        "/api/v1/api-keys",
        &session.access_token,
        &json!({ "name": "x", "scopes": ["credits:write"] }),
    )
    .await;
    let id = created["id"].as_str().unwrap();
    revoke(&app, &session, id).await;
    revoke(&app, &session, id).await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'api_key.%'")
            .await,
        2
    );
}

#[tokio::test]
async fn another_user_does_not_see_a_personal_key() {
    let (app, _session, _created, _secret) = personal_key().await;
    let other = app.signed_up_user("other@example.com").await;
    let theirs: Value = app
        .get_authed("/api/v1/api-keys", &other.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn holds_reserve_settle_and_sweep() {
    use penora_app::holds;
    use penora_domain::{Millicredits, UserId};
    use penora_store::holds::Settled;

    let app = spawn_app().await;
    let session = app.signed_up_user("holds@example.com").await;
    let user = UserId::parse(&app.user_id(&session).await).unwrap();
    let state = &app.state;
    let minute = chrono::Duration::minutes(1);

    let hold = holds::reserve(
        state,
        user,
        Millicredits::new(30_000),
        Some("offline-demo"),
        minute,
    )
    .await
    .unwrap();
    let balance: Value = app
        .get_authed("/api/v1/credits/balance", &session.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        balance,
        json!({ "balance_mc": 50_000, "reserved_mc": 30_000, "available_mc": 20_000 })
    );
    assert!(
        holds::reserve(state, user, Millicredits::new(20_001), None, minute)
            .await
            .is_err(),
        "only what is available"
    );

    let settled = holds::settle(
        state,
        hold.id,
        Millicredits::new(12_345),
        Some(1234),
        json!({}),
    )
    .await
    .unwrap();
    assert!(
        matches!(settled, Settled::Now { charged, entry: Some(_) } if charged == Millicredits::new(12_345))
    );
    let again = holds::settle(state, hold.id, Millicredits::new(30_000), None, json!({}))
        .await
        .unwrap();
    assert!(
        matches!(again, Settled::Already { charged } if charged == Millicredits::new(12_345)),
        "settles once"
    );

    // An abandoned hold: the sweeper charges what was delivered, capped at the hold.
    let stale = holds::reserve(
        state,
        user,
        Millicredits::new(1_000),
        None,
        chrono::Duration::seconds(-1),
    )
    .await
    .unwrap();
    penora_store::holds::record_delivery(&app.db, stale.id, Millicredits::new(400), None)
        .await
        .unwrap();
    assert_eq!(holds::sweep(state).await.unwrap(), 1);
    assert_eq!(holds::sweep(state).await.unwrap(), 0);
    let balance: Value = app
        .get_authed("/api/v1/credits/balance", &session.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        balance,
        json!({ "balance_mc": 50_000 - 12_345 - 400, "reserved_mc": 0, "available_mc": 50_000 - 12_345 - 400 })
    );
    let usage: Value = app
        .get_authed(
            "/api/v1/credits/usage?group_by=model",
            &session.access_token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(usage["items"][0]["key"], "generation");
    assert_eq!(usage["items"][1]["key"], "offline-demo");
    assert_eq!(usage["items"][1]["words"], 1234);
    app.assert_ledger_consistent().await;
}
