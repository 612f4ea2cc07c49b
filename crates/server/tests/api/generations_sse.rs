//! Streamed generations: meta, deltas, usage and done; the balance's limit; the per-user limit.

use penora_domain::{cost_mc, count_words, Multiplier};
use reqwest::StatusCode;
use serde_json::json;

use crate::generations_json::STORY;
use crate::helpers::{assert_problem, spawn_app, spawn_app_with, Session, TestApp};
use crate::streams::{continue_body, text_of, EventReader};

#[tokio::test]
async fn a_streamed_generation_sends_meta_deltas_usage_and_done() {
    let app = spawn_app().await;
    let user = app.signed_up_user("stream@example.com").await;
    let response = app
        .stream_generation(&user.access_token, &continue_body(STORY))
        .await;
    let events = EventReader::new(response).all().await;
    let (first, meta) = &events[0];
    assert_eq!(first, "meta");
    assert_eq!(meta["model_label"], "Offline demo model");
    assert!(meta["max_cost_mc"].as_i64().unwrap() > 0);
    let (last, done) = events.last().unwrap();
    assert_eq!(last, "done");
    assert!(events.iter().any(|(name, _)| name == "usage"));
    let text = text_of(&events);
    let words = count_words(&text);
    assert_eq!(done["words"], words);
    assert_eq!(done["cost_mc"], cost_mc(words, Multiplier::ONE).get());
    assert_eq!(
        done["balance_mc"],
        50_000 - done["cost_mc"].as_i64().unwrap()
    );
    assert_eq!(done["status"], "completed");
    let id = meta["generation_id"].as_str().unwrap();
    let stored = app.settled_generation(&user.access_token, id).await;
    assert_eq!(stored["output"], text.as_str());
    app.assert_generations_settled().await;
}

#[tokio::test]
async fn a_generation_stops_at_what_the_balance_allows_and_never_goes_negative() {
    // 0.5 credits: 50 words at 1x.
    let app = spawn_app_with(|s| s.welcome_bonus_mc = 500).await;
    let user = app.signed_up_user("poor@example.com").await;
    let body = json!({ "tool": "write", "instructions": "a long saga", "words": 400 });
    let response = app.stream_generation(&user.access_token, &body).await;
    let events = EventReader::new(response).all().await;
    assert_eq!(events[0].1["max_words"], 50);
    assert_eq!(events[0].1["max_cost_mc"], 500);
    let done = &events.last().unwrap().1;
    assert_eq!(done["finish_reason"], "credit_limit");
    assert_eq!(done["words"], 50);
    assert_eq!(count_words(&text_of(&events)), 50);
    assert_eq!(done["cost_mc"], 500);
    assert_eq!(done["balance_mc"], 0);

    let again = app
        .post_authed("/api/v1/generations", &user.access_token, &body)
        .await;
    let problem = assert_problem(again, StatusCode::PAYMENT_REQUIRED, "insufficient_credits").await;
    assert_eq!(problem["extra"]["available_mc"], 0);
    app.assert_generations_settled().await;
}

/// An app allowing one generation per user at a time, a user whose slot is taken by a
/// streamed generation (kept open by the returned reader), and another user.
async fn one_slot_taken() -> (TestApp, Session, Session, EventReader, String) {
    let app = spawn_app_with(|s| {
        s.generations_per_user = 1;
        s.offline_pace_ms = 20;
    })
    .await;
    let user = app.signed_up_user("busy@example.com").await;
    let other = app.signed_up_user("other@example.com").await;
    let mut first = EventReader::new(
        app.stream_generation(&user.access_token, &continue_body(STORY))
            .await,
    );
    let (_, meta) = first.next().await.unwrap();
    let id = meta["generation_id"].as_str().unwrap().to_owned();
    (app, user, other, first, id)
}

async fn cancel(app: &TestApp, user: &Session, id: &str) {
    let cancel = app
        .post_authed(
            &format!("/api/v1/generations/{id}/cancel"),
            &user.access_token,
            &json!({}),
        )
        .await;
    assert_eq!(cancel.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_generation_beyond_the_users_limit_is_refused() {
    let (app, user, _other, _first, id) = one_slot_taken().await;
    let second = app
        .post_authed(
            "/api/v1/generations",
            &user.access_token,
            &continue_body(STORY),
        )
        .await;
    assert!(second.headers().contains_key("retry-after"));
    assert_problem(
        second,
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_generations",
    )
    .await;
    cancel(&app, &user, &id).await;
    app.assert_generations_settled().await;
}

#[tokio::test]
async fn one_users_limit_does_not_affect_another_user() {
    let (app, user, other, _first, id) = one_slot_taken().await;
    let theirs = app
        .post_authed(
            "/api/v1/generations",
            &other.access_token,
            &json!({ "tool": "write", "instructions": "x", "words": 5 }),
        )
        .await;
    assert_eq!(theirs.status(), StatusCode::CREATED);
    cancel(&app, &user, &id).await;
    app.assert_generations_settled().await;
}

#[tokio::test]
async fn a_cancelled_generation_frees_its_slot() {
    let (app, user, _other, _first, id) = one_slot_taken().await;
    cancel(&app, &user, &id).await;
    let third = app
        .post_authed(
            "/api/v1/generations",
            &user.access_token,
            &json!({ "tool": "write", "instructions": "x", "words": 5 }),
        )
        .await;
    assert_eq!(third.status(), StatusCode::CREATED);
    app.assert_generations_settled().await;
}
