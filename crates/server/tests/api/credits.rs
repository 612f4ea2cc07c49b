//! Balance, history, usage, models, estimates, personal API keys.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, spawn_app_with};

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

#[tokio::test]
async fn history_pages_filters_and_usage() {
    let app = spawn_app().await;
    let session = app.signed_up_user("history@example.com").await;
    let user = app.user_id(&session).await;
    let key = app.app_key(&["credits:write"]).await;
    for i in 0..5 {
        let r = app.debit(&key, &user, &format!("h-{i}"), 100 + i).await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let first: Value = app
        .get_authed(
            "/api/v1/credits/transactions?limit=4",
            &session.access_token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["items"].as_array().unwrap().len(), 4);
    assert_eq!(first["items"][0]["amount_mc"], -104, "newest first");
    let cursor = first["next_cursor"].as_str().unwrap();
    let second: Value = app
        .get_authed(
            &format!("/api/v1/credits/transactions?limit=4&cursor={cursor}"),
            &session.access_token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(second["items"].as_array().unwrap().len(), 2);
    assert_eq!(second["items"][1]["kind"], "welcome");
    assert!(second["next_cursor"].is_null());

    let debits: Value = app
        .get_authed(
            "/api/v1/credits/transactions?kind=app_debit",
            &session.access_token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(debits["items"].as_array().unwrap().len(), 5);
    for bad in [
        "kind=gift",
        "limit=0",
        "limit=101",
        "cursor=nonsense",
        "from=yesterday",
    ] {
        let r = app
            .get_authed(
                &format!("/api/v1/credits/transactions?{bad}"),
                &session.access_token,
            )
            .await;
        assert_problem(r, StatusCode::BAD_REQUEST, "invalid_parameter").await;
    }

    let by_day: Value = app
        .get_authed("/api/v1/credits/usage?group_by=day", &session.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_day["items"].as_array().unwrap().len(), 1);
    assert_eq!(by_day["items"][0]["spent_mc"], 510);
    assert_eq!(by_day["items"][0]["entries"], 5);
    let by_model: Value = app
        .get_authed(
            "/api/v1/credits/usage?group_by=model",
            &session.access_token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_model["items"][0]["key"], "app_debit");
    let bad = app
        .get_authed("/api/v1/credits/usage?group_by=week", &session.access_token)
        .await;
    assert_problem(bad, StatusCode::BAD_REQUEST, "invalid_parameter").await;
    let too_long = app
        .get_authed(
            "/api/v1/credits/usage?group_by=day&from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z",
            &session.access_token,
        )
        .await;
    assert_problem(too_long, StatusCode::BAD_REQUEST, "invalid_parameter").await;
}

#[tokio::test]
async fn personal_api_keys_act_as_their_user_until_revoked() {
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

    let bad = app
        .post_authed(
            "/api/v1/api-keys",
            &session.access_token,
            &json!({ "name": "x", "scopes": ["credits:write"] }),
        )
        .await;
    assert_problem(bad, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;

    let id = created["id"].as_str().unwrap();
    let revoked = app
        .client
        .delete(app.url(&format!("/api/v1/api-keys/{id}")))
        .bearer_auth(&session.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    assert_problem(
        app.get_authed("/api/v1/me", &secret).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    let again = app
        .client
        .delete(app.url(&format!("/api/v1/api-keys/{id}")))
        .bearer_auth(&session.access_token)
        .send()
        .await
        .unwrap();
    assert_problem(again, StatusCode::NOT_FOUND, "not_found").await;

    // Another user cannot revoke it, nor see it.
    let other = app.signed_up_user("other@example.com").await;
    let theirs: Value = app
        .get_authed("/api/v1/api-keys", &other.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["items"].as_array().unwrap().len(), 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'api_key.%'")
            .await,
        2
    );
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
