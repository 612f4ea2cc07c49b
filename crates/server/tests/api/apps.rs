//! The ImageGene endpoints: resolving users, debits, idempotency, overspending and bad input.

use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{answers_grouped, assert_problem, spawn_app, Session, TestApp};

/// An app, a user "painter" (their session and id) and an app key that reads users and
/// credits and writes credits.
async fn painter() -> (TestApp, Session, String, String) {
    let app = spawn_app().await;
    let session = app.signed_up_user("painter@example.com").await;
    let user = app.user_id(&session).await;
    let key = app
        .app_key(&["users:read", "credits:read", "credits:write"])
        .await;
    (app, session, user, key)
}

async fn resolve(app: &TestApp, key: &str, email: &str) -> Response {
    app.post_authed(
        "/api/v1/apps/users/resolve",
        key,
        &json!({ "email": email }),
    )
    .await
}

/// The debit "4 images" of 1,500 mc under Idempotency-Key `img-1`.
async fn debit_images(app: &TestApp, key: &str, user: &str) -> Response {
    app.post_idem(
        &format!("/api/v1/apps/users/{user}/debits"),
        key,
        "img-1",
        &json!({ "amount_mc": 1500, "description": "4 images" }),
    )
    .await
}

/// The same key with another body, and no key at all.
async fn reuse_and_omit_the_key(app: &TestApp, key: &str, user: &str) -> (Response, Response) {
    let path = format!("/api/v1/apps/users/{user}/debits");
    let reused = app
        .post_idem(&path, key, "img-1", &json!({ "amount_mc": 9 }))
        .await;
    let missing = app
        .post_authed(&path, key, &json!({ "amount_mc": 9 }))
        .await;
    (reused, missing)
}

async fn app_get(app: &TestApp, key: &str, path: &str) -> Value {
    app.get_authed(path, key).await.json().await.unwrap()
}

#[tokio::test]
async fn an_app_key_resolves_a_user_by_email() {
    let (app, _session, user, key) = painter().await;
    assert!(key.starts_with("ak_live_"));
    let resolved: Value = resolve(&app, &key, "Painter@Example.com")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(resolved["user_id"], user.as_str());
    let unknown = resolve(&app, &key, "ghost@example.com").await;
    assert_problem(unknown, StatusCode::NOT_FOUND, "user_not_found").await;
}

#[tokio::test]
async fn a_debit_is_applied_once_and_a_retry_replays_it() {
    let (app, _session, user, key) = painter().await;
    let first = debit_images(&app, &key, &user).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["balance_mc"], 48_500);

    let replay = debit_images(&app, &key, &user).await;
    assert_eq!(replay.status(), StatusCode::CREATED);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(replay.json::<Value>().await.unwrap(), first);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'app_debit'")
            .await,
        1
    );
    app.assert_ledger_consistent().await;
}

#[tokio::test]
async fn a_debit_with_a_reused_or_missing_idempotency_key_is_refused() {
    let (app, _session, user, key) = painter().await;
    assert_eq!(
        debit_images(&app, &key, &user).await.status(),
        StatusCode::CREATED
    );
    let (reused, missing) = reuse_and_omit_the_key(&app, &key, &user).await;
    assert_problem(
        reused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
    )
    .await;
    assert_problem(missing, StatusCode::BAD_REQUEST, "idempotency_key_required").await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'app_debit'")
            .await,
        1
    );
    app.assert_ledger_consistent().await;
}

#[tokio::test]
async fn balance_quota_and_history_show_a_debit() {
    let (app, session, user, key) = painter().await;
    assert_eq!(
        debit_images(&app, &key, &user).await.status(),
        StatusCode::CREATED
    );
    let balance = app_get(&app, &key, &format!("/api/v1/apps/users/{user}/balance")).await;
    assert_eq!(balance["available_mc"], 48_500);
    let quota = app_get(&app, &key, &format!("/api/v1/apps/users/{user}/quota")).await;
    assert_eq!(quota["credits"]["balance_mc"], 48_500);
    let history = app_get(
        &app,
        &session.access_token,
        "/api/v1/credits/transactions?kind=app_debit",
    )
    .await;
    assert_eq!(history["items"][0]["description"], "4 images");
}

/// Every app call that answered is audited once: not the unknown email, the replay or the
/// refused debits.
#[tokio::test]
async fn app_calls_that_answered_are_audited_once() {
    let (app, _session, user, key) = painter().await;
    resolve(&app, &key, "Painter@Example.com").await;
    resolve(&app, &key, "ghost@example.com").await;
    debit_images(&app, &key, &user).await;
    debit_images(&app, &key, &user).await;
    reuse_and_omit_the_key(&app, &key, &user).await;
    app_get(&app, &key, &format!("/api/v1/apps/users/{user}/balance")).await;
    app_get(&app, &key, &format!("/api/v1/apps/users/{user}/quota")).await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'app.%'")
            .await,
        4,
        "resolve, debit, balance, quota"
    );
}

#[tokio::test]
async fn overspending_is_402_with_the_available_amount() {
    let app = spawn_app().await;
    let session = app.signed_up_user("poor@example.com").await;
    let user = app.user_id(&session).await;
    let key = app.app_key(&["credits:write"]).await;
    let r = app.debit(&key, &user, "big", 50_001).await;
    let body = assert_problem(r, StatusCode::PAYMENT_REQUIRED, "insufficient_credits").await;
    assert_eq!(body["extra"]["available_mc"], 50_000);
    // Nothing was written, and the key is free to use for a smaller debit.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'app_debit'")
            .await,
        0
    );
    let ok = app.debit(&key, &user, "big", 50_000).await;
    assert_eq!(ok.status(), StatusCode::CREATED);
    app.assert_ledger_consistent().await;
}

#[tokio::test]
async fn bad_amounts_and_ids_are_4xx_and_write_nothing() {
    let app = spawn_app().await;
    let session = app.signed_up_user("bad@example.com").await;
    let user = app.user_id(&session).await;
    let key = app.app_key(&["credits:write"]).await;
    let path = format!("/api/v1/apps/users/{user}/debits");
    for (i, amount) in [
        json!(0),
        json!(-5),
        json!(1.5),
        json!("100"),
        json!(1_000_000_000_001_i64),
        json!(1e30),
        json!(null),
    ]
    .into_iter()
    .enumerate()
    {
        let r = app
            .post_idem(
                &path,
                &key,
                &format!("bad-{i}"),
                &json!({ "amount_mc": amount }),
            )
            .await;
        assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    }
    let unknown = app
        .post_idem(
            "/api/v1/apps/users/0193a2b4-0000-7000-8000-000000000000/debits",
            &key,
            "u",
            &json!({ "amount_mc": 5 }),
        )
        .await;
    assert_problem(unknown, StatusCode::NOT_FOUND, "user_not_found").await;
    let not_uuid = app
        .post_idem(
            "/api/v1/apps/users/42/debits",
            &key,
            "u2",
            &json!({ "amount_mc": 5 }),
        )
        .await;
    assert_problem(not_uuid, StatusCode::BAD_REQUEST, "invalid_parameter").await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'app_debit'")
            .await,
        0
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM idempotency_keys").await, 0);
}

/// Debits arriving together (on PostgreSQL they share one statement): several per user, the
/// same request sent three times at once, and more than a user can pay. Each retry answers
/// like the first, each success is one entry, and no balance goes below zero.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn debits_arriving_together_are_each_applied_once() {
    let app = std::sync::Arc::new(spawn_app().await);
    let key = app.app_key(&["credits:write"]).await;
    let mut users = Vec::new();
    for i in 0..4 {
        let session = app
            .signed_up_user(&format!("together{i}@example.com"))
            .await;
        users.push(app.user_id(&session).await);
    }
    // 4 users x 8 debits of 7 credits (welcome: 50 credits, so 7 of 8 fit), each sent three
    // times with the same key, all at once.
    let mut requests = Vec::new();
    for (u, user) in users.iter().enumerate() {
        for n in 0..8 {
            for _copy in 0..3 {
                let (app, key, user) = (app.clone(), key.clone(), user.clone());
                requests.push(((u, n), async move {
                    app.debit(&key, &user, &format!("t-{u}-{n}"), 7_000).await
                }));
            }
        }
    }
    let answers = answers_grouped(requests).await;
    let mut applied = 0;
    for copies in answers.values() {
        let (status, first) = &copies[0];
        if *status == StatusCode::CREATED {
            applied += 1;
            for (other_status, other) in copies {
                assert_eq!(*other_status, StatusCode::CREATED);
                assert_eq!(other["debit_id"], first["debit_id"], "one debit per key");
            }
        } else {
            assert_eq!(*status, StatusCode::PAYMENT_REQUIRED, "{first}");
        }
    }
    assert_eq!(applied, 4 * 7, "7 of each user's 8 debits fit");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'app_debit'")
            .await,
        applied
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE balance_mc = 1000")
            .await,
        4
    );
    app.assert_ledger_consistent().await;
}
