//! Idempotent starts, and generations opened together: each runs and is billed once.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::generations_json::STORY;
use crate::helpers::{answers_grouped, assert_problem, spawn_app, spawn_app_with};
use crate::streams::continue_body;

#[tokio::test]
async fn a_retried_start_with_the_same_idempotency_key_runs_once() {
    let app = spawn_app().await;
    let user = app.signed_up_user("retry@example.com").await;
    let body = continue_body(STORY);
    let first = app
        .post_idem("/api/v1/generations", &user.access_token, "gen-1", &body)
        .await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let again = app
        .post_idem("/api/v1/generations", &user.access_token, "gen-1", &body)
        .await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["generation"], first["generation"]);
    assert_eq!(app.count("SELECT COUNT(*) FROM generations").await, 1);
    let other = app
        .post_idem(
            "/api/v1/generations",
            &user.access_token,
            "gen-1",
            &continue_body("Other text."),
        )
        .await;
    assert_problem(
        other,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
    )
    .await;
    app.assert_generations_settled().await;
}

/// Retries racing each other (as many as the user's three slots): the one-statement open
/// refuses all but one on the unique key, and the others answer with that one.
#[tokio::test]
async fn retries_sent_together_with_one_idempotency_key_run_once() {
    let app = spawn_app().await;
    let user = app.signed_up_user("race@example.com").await;
    let body = continue_body(STORY);
    let tries =
        (0..3).map(|_| app.post_idem("/api/v1/generations", &user.access_token, "race-1", &body));
    let mut ids = Vec::new();
    for response in futures_util::future::join_all(tries).await {
        assert!(response.status().is_success(), "{}", response.status());
        let answer: Value = response.json().await.unwrap();
        ids.push(answer["generation"]["id"].clone());
    }
    assert!(
        ids.iter().all(|id| *id == ids[0] && id.is_string()),
        "{ids:?}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM generations").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM holds").await, 1);
    app.assert_generations_settled().await;
}

/// Generations opening and closing together (on PostgreSQL they share statements): each of
/// five users sends, all at once, a short request three times with one idempotency key and a
/// long one that the balance pays only part of (refused in its lot, then opened the long way
/// for less, or refused for credit). Every copy answers like the others, and every
/// generation is billed exactly what it delivered.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn generations_opened_together_are_each_opened_once_and_billed_exactly() {
    // 0.5 credits each: 50 words at 1x.
    let app = std::sync::Arc::new(
        spawn_app_with(|s| {
            s.welcome_bonus_mc = 500;
            s.generations_per_user = 10;
        })
        .await,
    );
    let mut requests = Vec::new();
    for u in 0..5 {
        let token = app
            .signed_up_user(&format!("lot{u}@example.com"))
            .await
            .access_token;
        for copy in 0..4 {
            let (app, token) = (app.clone(), token.clone());
            requests.push(((u, copy < 3), async move {
                if copy < 3 {
                    let short = json!({ "tool": "write", "instructions": "a haiku", "words": 20 });
                    app.post_idem("/api/v1/generations", &token, &format!("short-{u}"), &short)
                        .await
                } else {
                    let long = json!({ "tool": "write", "instructions": "a saga", "words": 400 });
                    app.post_authed("/api/v1/generations", &token, &long).await
                }
            }));
        }
    }
    let answers = answers_grouped(requests).await;
    for copies in answers.values() {
        let (status, first) = &copies[0];
        for (other_status, other) in copies {
            assert_eq!(other_status.is_success(), status.is_success(), "{other}");
            if status.is_success() {
                assert_eq!(other["generation"]["id"], first["generation"]["id"]);
            } else {
                assert_eq!(*other_status, StatusCode::PAYMENT_REQUIRED, "{other}");
            }
        }
    }
    assert!(app.count("SELECT COUNT(*) FROM generations").await >= 5);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE balance_mc < 0")
            .await,
        0
    );
    app.assert_generations_settled().await;
}

/// The opening statement's checks hold for each opening when they are written together (one
/// lot on PostgreSQL, all queued before the writer runs) as when alone (SQLite).
#[tokio::test]
async fn openings_written_together_each_check_their_own_account() {
    use penora_domain::{Millicredits, UserId};
    use penora_store::generations::{Checks, NewGeneration, Opening};
    use sea_orm::ConnectionTrait;

    let app = spawn_app().await;
    let mut users = Vec::new();
    for u in 0..4 {
        let session = app.signed_up_user(&format!("check{u}@example.com")).await;
        let id = UserId::parse(&app.user_id(&session).await).unwrap();
        let row = penora_store::users::find_by_id(&app.db, id)
            .await
            .unwrap()
            .unwrap();
        users.push((id, row.session_epoch));
    }
    // The third stored a provider key of their own.
    let backend = app.db.get_database_backend();
    app.db
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            "UPDATE users SET provider_keys = 1 WHERE id = $1",
            [users[2].0.as_uuid().into()],
        ))
        .await
        .unwrap();
    // (session epoch to check, refuse own keys, opens)
    let cases = [
        (Some(users[0].1), true, true),
        (Some(users[1].1 + 1), true, false),
        (None, true, false),
        (None, false, true),
    ];
    let at = penora_store::now();
    let openings: Vec<Opening> = users
        .iter()
        .zip(&cases)
        .map(
            |((user, _), (session_epoch, without_own_keys, _))| Opening {
                new: NewGeneration {
                    id: uuid::Uuid::now_v7(),
                    user: *user,
                    tool: "write",
                    model: "offline-demo",
                    provider: "offline",
                    input: "",
                    instructions: "a haiku",
                    params: json!({}),
                    max_cost: Millicredits::new(200),
                    input_words: 2,
                    input_cost: Millicredits::ZERO,
                    hold: Some(uuid::Uuid::now_v7()),
                    project: None,
                    billed_to: penora_domain::BilledTo::Credits,
                    idempotency_key: None,
                    fingerprint: None,
                },
                slots: 3,
                expires_at: at + chrono::Duration::seconds(120),
                at,
                checks: Checks {
                    session_epoch: *session_epoch,
                    without_own_keys: *without_own_keys,
                },
            },
        )
        .collect();
    let opened = futures_util::future::join_all(
        openings
            .iter()
            .map(|opening| app.state.generations.open(opening)),
    )
    .await;
    for ((opened, (_, _, opens)), user) in opened.into_iter().zip(&cases).zip(&users) {
        assert_eq!(opened.unwrap().is_some(), *opens, "{user:?}");
    }
    let mut reserved = Vec::new();
    for (user, _) in &users {
        let row = penora_store::users::find_by_id(&app.db, *user)
            .await
            .unwrap();
        reserved.push(row.unwrap().reserved_mc);
    }
    assert_eq!(reserved, [200, 0, 0, 200]);
}
