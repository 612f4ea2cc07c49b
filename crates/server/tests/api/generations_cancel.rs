//! Generations that end early: cancelled, disconnected, or left behind by a server that died.

use std::time::Duration;

use penora_domain::{billable_words_of, cost_mc, count_words, Multiplier};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::generations_json::balance;
use crate::helpers::{assert_problem, spawn_app_with, Session, TestApp};
use crate::streams::EventReader;

/// A user's streamed generation cancelled after five deltas: the app, the user, the cancel
/// path, the cancel's answer and the still open stream.
async fn cancelled_midway() -> (TestApp, Session, String, Value, EventReader) {
    let app = spawn_app_with(|s| s.offline_pace_ms = 15).await;
    let user = app.signed_up_user("cancel@example.com").await;
    let body = json!({ "tool": "write", "instructions": "a long walk", "words": 400 });
    let mut reader = EventReader::new(app.stream_generation(&user.access_token, &body).await);
    let (_, meta) = reader.next().await.unwrap();
    let id = meta["generation_id"].as_str().unwrap().to_owned();
    let mut seen = 0;
    while seen < 5 {
        if reader.next().await.unwrap().0 == "delta" {
            seen += 1;
        }
    }
    let path = format!("/api/v1/generations/{id}/cancel");
    let cancelled: Value = app
        .post_authed_json(&path, &user.access_token, &json!({}))
        .await;
    (app, user, path, cancelled, reader)
}

#[tokio::test]
async fn cancel_settles_on_the_words_delivered() {
    let (app, _user, _path, cancelled, mut reader) = cancelled_midway().await;
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["finish_reason"], "cancelled");
    // The stream ends with `done` carrying the same figures.
    let mut rest = Vec::new();
    while let Some(event) = reader.next().await {
        rest.push(event);
    }
    let (name, done) = rest.last().unwrap();
    assert_eq!(name, "done");
    assert_eq!(done["status"], "cancelled");
    assert_eq!(done["cost_mc"], cancelled["cost_mc"]);
    let words = cancelled["words"].as_u64().unwrap();
    assert!((5..400).contains(&words), "{words}");
    assert_eq!(cancelled["cost_mc"], cost_mc(words, Multiplier::ONE).get());
    // Words are billable words (no provider tokens after a cancel).
    assert_eq!(
        billable_words_of(cancelled["output"].as_str().unwrap()),
        words
    );
    app.assert_generations_settled().await;
}

#[tokio::test]
async fn cancelling_twice_answers_the_same() {
    let (app, user, path, cancelled, _reader) = cancelled_midway().await;
    let again: Value = app
        .post_authed_json(&path, &user.access_token, &json!({}))
        .await;
    assert_eq!(again, cancelled);
    app.assert_generations_settled().await;
}

#[tokio::test]
async fn no_one_cancels_a_generation_that_is_not_theirs_or_does_not_exist() {
    let (app, user, path, _cancelled, _reader) = cancelled_midway().await;
    let stranger = app.signed_up_user("stranger@example.com").await;
    let theirs = app
        .post_authed(&path, &stranger.access_token, &json!({}))
        .await;
    assert_problem(theirs, StatusCode::NOT_FOUND, "generation_not_found").await;
    let nonsense = app
        .post_authed(
            "/api/v1/generations/not-an-id/cancel",
            &user.access_token,
            &json!({}),
        )
        .await;
    assert_problem(nonsense, StatusCode::NOT_FOUND, "generation_not_found").await;
    app.assert_generations_settled().await;
}

#[tokio::test]
async fn a_client_that_disconnects_is_billed_only_for_what_it_received() {
    let app = spawn_app_with(|s| s.offline_pace_ms = 15).await;
    let user = app.signed_up_user("gone@example.com").await;
    let body = json!({ "tool": "write", "instructions": "a long walk", "words": 400 });
    let mut reader = EventReader::new(app.stream_generation(&user.access_token, &body).await);
    let (_, meta) = reader.next().await.unwrap();
    let id = meta["generation_id"].as_str().unwrap().to_owned();
    let mut received = String::new();
    while count_words(&received) < 5 {
        let (name, data) = reader.next().await.unwrap();
        if name == "delta" {
            received.push_str(data["text"].as_str().unwrap());
        }
    }
    drop(reader);
    let stored = app.settled_generation(&user.access_token, &id).await;
    assert_eq!(stored["status"], "cancelled");
    assert_eq!(stored["finish_reason"], "client_disconnected");
    let words = stored["words"].as_u64().unwrap();
    // A few more words may have been sent into the connection before it was seen closed.
    assert!(words >= count_words(&received) && words < 400, "{words}");
    assert_eq!(stored["cost_mc"], cost_mc(words, Multiplier::ONE).get());
    app.assert_generations_settled().await;
}

#[tokio::test]
async fn the_sweeper_bills_a_generation_whose_server_died() {
    let app = spawn_app_with(|s| s.offline_pace_ms = 15).await;
    let user = app.signed_up_user("crash@example.com").await;
    let state = app.state.clone();
    // Opened, some text saved, then the process "died": nothing streams it any more.
    let started = app.open_unstreamed("crash@example.com", None).await;
    let id = started.row.id;
    penora_store::generations::save_progress(
        &app.db,
        id,
        Some((
            "Twelve words were saved before the crash, and they are billed.",
            11,
        )),
    )
    .await
    .unwrap();
    let past = chrono::Utc::now() - chrono::Duration::seconds(1);
    penora_store::holds::record_delivery(
        &app.db,
        started.hold.unwrap(),
        penora_domain::Millicredits::new(110),
        Some(past),
    )
    .await
    .unwrap();
    drop(started);
    assert_eq!(penora_app::holds::sweep(&state).await.unwrap(), 1);
    let stored: Value = app
        .get_json(&format!("/api/v1/generations/{id}"), &user.access_token)
        .await;
    assert_eq!(stored["status"], "interrupted");
    assert_eq!(stored["error"]["code"], "interrupted");
    assert_eq!(stored["cost_mc"], 110);
    assert_eq!(stored["words"], 11);
    assert_eq!(
        balance(&app, &user.access_token).await["balance_mc"],
        50_000 - 110
    );
    // The slot is free again.
    let small = json!({ "tool": "write", "instructions": "x", "words": 3 });
    let next = app
        .post_authed("/api/v1/generations", &user.access_token, &small)
        .await;
    assert_eq!(next.status(), StatusCode::CREATED);
    tokio::time::sleep(Duration::from_millis(10)).await;
    app.assert_generations_settled().await;
}
