//! One Idempotency-Key on every path that moves credits: retries sent together answer like
//! the first, and a key reused for another request (another operation, user or amount)
//! is `422 idempotency_key_reused` — never a 500.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, TestApp};

/// `copies` identical requests sent at once: each status and body.
async fn together(
    app: &TestApp,
    path: &str,
    token: &str,
    key: &str,
    body: &Value,
    copies: usize,
) -> Vec<(StatusCode, Value)> {
    let tries = (0..copies).map(|_| app.post_idem(path, token, key, body));
    let mut answers = Vec::new();
    for response in futures_util::future::join_all(tries).await {
        let status = response.status();
        answers.push((status, response.json::<Value>().await.unwrap_or_default()));
    }
    answers
}

fn all_like_the_first(answers: &[(StatusCode, Value)], id: &str) {
    let (_, first) = &answers[0];
    for (status, body) in answers {
        assert_eq!(*status, StatusCode::CREATED, "{answers:?}");
        assert_eq!(body[id], first[id], "one application per key");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refund_retries_sent_together_apply_once() {
    let app = spawn_app().await;
    let session = app.signed_up_user("refund-retries@example.com").await;
    let user = app.user_id(&session).await;
    let key = app.app_key(&["credits:write"]).await;
    let debit: Value = app.debit(&key, &user, "d", 700).await.json().await.unwrap();
    let refunds = format!("/api/v1/apps/users/{user}/refunds");
    let body = json!({ "debit_id": debit["debit_id"], "amount_mc": 100 });
    let answers = together(&app, &refunds, &key, "r", &body, 8).await;
    all_like_the_first(&answers, "refund_id");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'app_refund'")
            .await,
        1
    );
    app.assert_ledger_consistent().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn adjustment_retries_sent_together_apply_once() {
    let app = spawn_app().await;
    let admin = app.admin("retries-boss@example.com").await;
    let user = app.signed_up_user("adjust-retries@example.com").await;
    let user_id = app.user_id(&user).await;
    let path = format!("/api/v1/admin/users/{user_id}/adjustments");
    let body = json!({ "amount_mc": 5000, "reason": "goodwill" });
    let answers = together(&app, &path, &admin.access_token, "a", &body, 8).await;
    all_like_the_first(&answers, "id");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'admin_adjustment'")
            .await,
        1
    );
    app.assert_ledger_consistent().await;
}

#[tokio::test]
async fn a_key_reused_for_another_request_is_refused_on_every_path() {
    let app = spawn_app().await;
    let session = app.signed_up_user("reuse-a@example.com").await;
    let user = app.user_id(&session).await;
    let other = app.signed_up_user("reuse-b@example.com").await;
    let other = app.user_id(&other).await;
    let key = app.app_key(&["credits:write"]).await;
    let debit: Value = app
        .debit(&key, &user, "k1", 700)
        .await
        .json()
        .await
        .unwrap();
    let refunds = format!("/api/v1/apps/users/{user}/refunds");
    let refund = json!({ "debit_id": debit["debit_id"], "amount_mc": 100 });
    let reused = "idempotency_key_reused";
    let r = app.post_idem(&refunds, &key, "k1", &refund).await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, reused).await;
    let r = app.post_idem(&refunds, &key, "k2", &refund).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let d = app.debit(&key, &user, "k2", 10).await;
    assert_problem(d, StatusCode::UNPROCESSABLE_ENTITY, reused).await;
    let d = app.debit(&key, &other, "k1", 10).await;
    assert_problem(d, StatusCode::UNPROCESSABLE_ENTITY, reused).await;

    let admin = app.admin("reuse-boss@example.com").await;
    let adjust = |u: &str, amount: i64| {
        let path = format!("/api/v1/admin/users/{u}/adjustments");
        let body = json!({ "amount_mc": amount, "reason": "x" });
        let token = admin.access_token.clone();
        let app = &app;
        async move { app.post_idem(&path, &token, "same", &body).await }
    };
    assert_eq!(adjust(&user, 5).await.status(), StatusCode::CREATED);
    assert_problem(
        adjust(&other, 5).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        reused,
    )
    .await;
    assert_problem(
        adjust(&user, 6).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        reused,
    )
    .await;
    app.assert_ledger_consistent().await;
}
