//! One busy API key: generations at once are capped per plan and per kind of caller (the
//! app's sessions keep the plan's small limit, personal keys get a larger one), and many
//! writes of one user at the same moment keep the ledger exact.

use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::generations_json::STORY;
use crate::helpers::{assert_problem, spawn_app_with, TestApp};
use crate::openai_compat::personal_key;
use crate::streams::{continue_body, EventReader};

/// Opens `count` streams with `token`, each read up to its `meta`.
async fn running(app: &TestApp, token: &str, count: usize) -> Vec<EventReader> {
    let mut streams = Vec::new();
    for _ in 0..count {
        let mut stream =
            EventReader::new(app.stream_generation(token, &continue_body(STORY)).await);
        let (name, _) = stream.next().await.unwrap();
        assert_eq!(name, "meta");
        streams.push(stream);
    }
    streams
}

async fn assert_too_many(app: &TestApp, token: &str, limit: u64) {
    let refused = app
        .post_authed("/api/v1/generations", token, &continue_body(STORY))
        .await;
    let body = assert_problem(
        refused,
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_generations",
    )
    .await;
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains(&format!("{limit} generations")), "{detail}");
}

#[tokio::test]
async fn an_api_key_runs_more_generations_at_once_than_a_session() {
    let app = spawn_app_with(|s| {
        s.generations_per_user = 2;
        s.capacity.api_key_concurrent_generations = 5;
        s.capacity.sse_streams_per_user = 20;
        s.offline_pace_ms = 20;
    })
    .await;
    let user = app.signed_up_user("app-cap@example.com").await;
    let session = running(&app, &user.access_token, 2).await;
    assert_too_many(&app, &user.access_token, 2).await;

    let key = personal_key(&app, "key-cap@example.com").await;
    let keyed = running(&app, &key, 5).await;
    assert_too_many(&app, &key, 5).await;

    for stream in session.into_iter().chain(keyed) {
        assert_eq!(stream.all().await.last().unwrap().0, "done");
    }
    app.assert_generations_settled().await;
    app.assert_ledger_consistent().await;
}

/// 64 completions of one key and 64 app debits of its user at once: their opening, closing
/// and debit writes meet in the same batches; every one is billed once and the ledger adds up.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_users_writes_at_once_keep_the_ledger_exact() {
    let app = spawn_app_with(|s| {
        s.db_max_connections = Some(16);
        s.capacity.api_key_concurrent_generations = 64;
        s.offline_pace_ms = 0;
    })
    .await;
    let key = personal_key(&app, "hot-key@example.com").await;
    let app_key = app.app_key(&["users:read", "credits:write"]).await;
    let resolved = app
        .post_authed(
            "/api/v1/apps/users/resolve",
            &app_key,
            &json!({ "email": "hot-key@example.com" }),
        )
        .await;
    let resolved: Value = resolved.json().await.unwrap();
    let user = resolved["user_id"].as_str().unwrap().to_owned();
    let chat = json!({
        "model": "offline-demo",
        "messages": [{ "role": "user", "content": "A short poem." }],
        "max_tokens": 30,
    });
    let completions = (0..64).map(|_| async {
        let response = app.post_authed("/v1/chat/completions", &key, &chat).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json::<Value>().await.unwrap()
    });
    let debits = (0..64).map(|n| {
        let (app, app_key, user) = (&app, &app_key, &user);
        async move {
            let response = app.debit(app_key, user, &format!("hot-{n}"), 7).await;
            assert_eq!(response.status(), StatusCode::CREATED);
        }
    });
    let (answers, _) = tokio::join!(join_all(completions), join_all(debits));
    assert_eq!(answers.len(), 64);

    app.assert_generations_settled().await;
    app.assert_ledger_consistent().await;
    let billed = app
        .count("SELECT CAST(COALESCE(SUM(cost_mc), 0) AS BIGINT) FROM generations")
        .await;
    assert!(billed > 0);
    let spent = app
        .count("SELECT CAST(-SUM(amount_mc) AS BIGINT) FROM ledger_entries WHERE amount_mc < 0")
        .await;
    assert_eq!(
        spent,
        billed + 64 * 7,
        "each generation and debit billed once"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM generations").await, 64);
}

/// Twenty debits of one user at once, more than the balance pays: they meet in the same
/// batches, and exactly as many apply as the balance pays for; the rest are refused whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_users_overspends_at_once_apply_exactly_what_the_balance_pays() {
    let app = spawn_app_with(|s| s.db_max_connections = Some(16)).await;
    let session = app.signed_up_user("overspend@example.com").await;
    let user = app.user_id(&session).await;
    let app_key = app.app_key(&["credits:write"]).await;
    let balance = app
        .get_json("/api/v1/credits/balance", &session.access_token)
        .await["balance_mc"]
        .as_i64()
        .unwrap();
    let amount = balance / 7 + 1;
    let debits = (0..20).map(|n| {
        let (app, app_key, user) = (&app, &app_key, &user);
        async move {
            app.debit(app_key, user, &format!("over-{n}"), amount)
                .await
                .status()
        }
    });
    let statuses = join_all(debits).await;
    let applied = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::PAYMENT_REQUIRED)
        .count();
    assert_eq!((applied, refused), (6, 14), "{statuses:?}");
    let after = app
        .get_json("/api/v1/credits/balance", &session.access_token)
        .await;
    assert_eq!(after["balance_mc"], balance - 6 * amount);
    app.assert_ledger_consistent().await;
}
