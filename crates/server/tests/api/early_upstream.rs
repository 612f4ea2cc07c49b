//! Calling the provider while a generation's opening commits: only when this server knows
//! the caller's available credits pay for it, never forwarding text before the opening
//! committed, and dropping the call when the opening is refused.
//!
//! Each test holds the user's row in a transaction of its own (on SQLite the write lock),
//! so the opening waits on it: what the provider received meanwhile shows which way the
//! server went.

use std::time::Duration;

use penora_fake_upstream::FakeUpstream;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, DatabaseTransaction, Statement};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::generation_faults::{app_with_fake, DELTAS};
use crate::helpers::TestApp;
use crate::streams::{text_of, EventReader};

fn body(model: &str) -> Value {
    json!({ "tool": "write", "instructions": "the tide", "words": 200, "model": model })
}

/// Holds `user`'s row until the transaction ends, adding `bump` to its session epoch (a
/// bump signs the user's sessions out when committed).
async fn hold_row(app: &TestApp, user: &str, bump: i64) -> DatabaseTransaction {
    let txn = penora_store::begin_write(&app.db).await.unwrap();
    let user = Uuid::parse_str(user).unwrap();
    txn.execute_raw(Statement::from_sql_and_values(
        app.db.get_database_backend(),
        "UPDATE users SET session_epoch = session_epoch + $1 WHERE id = $2",
        [bump.into(), user.into()],
    ))
    .await
    .unwrap();
    txn
}

/// Whether the fake has received more than `count` requests within a second.
async fn received_more_than(fake: &FakeUpstream, count: usize) -> bool {
    for _ in 0..100 {
        if fake.request_count() > count {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

/// Streams a generation with `model` in a task; its events.
fn streaming(
    app: &TestApp,
    token: &str,
    model: &str,
) -> tokio::task::JoinHandle<Vec<(String, Value)>> {
    let (client, url, token, body) = (
        app.client.clone(),
        app.url("/api/v1/generations"),
        token.to_owned(),
        body(model),
    );
    tokio::spawn(async move {
        let response = client
            .post(url)
            .bearer_auth(token)
            .header("accept", "text/event-stream")
            .json(&body)
            .send()
            .await
            .unwrap();
        EventReader::new(response).all().await
    })
}

/// A user whose first generation has settled here, so the server knows what they have left.
async fn known_user(app: &TestApp, email: &str) -> (String, String) {
    let user = app.signed_up_user(email).await;
    let first = app
        .post_authed(
            "/api/v1/generations",
            &user.access_token,
            &body("openai-ok"),
        )
        .await;
    assert_eq!(first.status(), StatusCode::CREATED);
    (user.access_token.clone(), app.user_id(&user).await)
}

#[tokio::test]
async fn a_known_availability_calls_the_provider_while_the_opening_waits() {
    // SQLite has one writer: the held write would also hold the limit a minute, which is
    // counted before the early call (a caller over it sends nothing upstream). PostgreSQL
    // locks the user's row only.
    if std::env::var("PENORA_TEST_DATABASE_URL").is_err() {
        return;
    }
    let (app, fake) = app_with_fake(|_| {}).await;
    let (token, user) = known_user(&app, "early@example.com").await;
    let before = fake.request_count();
    let held = hold_row(&app, &user, 0).await;
    let generation = streaming(&app, &token, "openai-ok");
    assert!(received_more_than(&fake, before).await, "called early");
    assert!(
        !generation.is_finished(),
        "nothing answered before the opening"
    );
    held.commit().await.unwrap();
    let events = generation.await.unwrap();
    assert_eq!(events.first().unwrap().0, "meta");
    assert_eq!(events.last().unwrap().0, "done");
    assert_eq!(text_of(&events), DELTAS.concat());
    assert_eq!(
        fake.request_count(),
        before + 1,
        "the early call was the one used"
    );
    app.assert_generations_settled().await;
    app.assert_ledger_consistent().await;
}

#[tokio::test]
async fn an_unknown_availability_calls_the_provider_after_the_opening() {
    let (app, fake) = app_with_fake(|_| {}).await;
    let user = app.signed_up_user("first-time@example.com").await;
    let id = app.user_id(&user).await;
    let held = hold_row(&app, &id, 0).await;
    let generation = streaming(&app, &user.access_token, "openai-ok");
    assert!(
        !received_more_than(&fake, 0).await,
        "no call before the opening"
    );
    held.commit().await.unwrap();
    let events = generation.await.unwrap();
    assert_eq!(events.last().unwrap().0, "done");
    assert_eq!(text_of(&events), DELTAS.concat());
    assert_eq!(fake.request_count(), 1);
    app.assert_generations_settled().await;
}

#[tokio::test]
async fn a_refused_opening_drops_the_provider_call_started_early() {
    // SQLite has one writer: the held write would also hold the limit a minute, which is
    // counted before the early call (a caller over it sends nothing upstream). PostgreSQL
    // locks the user's row only.
    if std::env::var("PENORA_TEST_DATABASE_URL").is_err() {
        return;
    }
    let (app, fake) = app_with_fake(|_| {}).await;
    let (token, user) = known_user(&app, "refused@example.com").await;
    let balance = app.count("SELECT balance_mc FROM users").await;
    let before = fake.request_count();
    // Committed, the bump signs the session out: the opening is refused.
    let held = hold_row(&app, &user, 1).await;
    let refused = {
        let (client, url) = (app.client.clone(), app.url("/api/v1/generations"));
        let token = token.clone();
        tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(token)
                .header("accept", "text/event-stream")
                .json(&body("openai-hang"))
                .send()
                .await
                .unwrap()
        })
    };
    assert!(received_more_than(&fake, before).await, "called early");
    held.commit().await.unwrap();
    let response = refused.await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let text = response.text().await.unwrap();
    assert!(!text.contains("delta"), "no text: {text}");
    assert!(
        fake.client_closed_within(Duration::from_secs(2)).await,
        "the upstream request was dropped"
    );
    assert_eq!(fake.clients_closed(), fake.request_count() - before);
    assert_eq!(app.count("SELECT COUNT(*) FROM generations").await, 1);
    assert_eq!(app.count("SELECT balance_mc FROM users").await, balance);
    app.assert_generations_settled().await;
    app.assert_ledger_consistent().await;
}
