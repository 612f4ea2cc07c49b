//! What one replica does reaches the others at once through PostgreSQL `LISTEN/NOTIFY`: a
//! cancel stops a generation streaming on another replica long before its next save, and a
//! revoked key stops working on a replica that had it cached. (SQLite runs one process:
//! these only run on PostgreSQL.)

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::spawn_app_with;
use crate::streams::EventReader;

fn on_postgres() -> bool {
    std::env::var("PENORA_TEST_DATABASE_URL").is_ok()
}

#[tokio::test]
async fn a_cancel_on_one_replica_stops_the_stream_on_another_at_once() {
    if !on_postgres() {
        return;
    }
    // Saves every ten seconds: without a notice the cancel would wait for the next one.
    let slow_saves = |s: &mut penora_app::config::Settings| {
        s.offline_pace_ms = 20;
        s.generation_save_interval_ms = 10_000;
    };
    let streaming = spawn_app_with(slow_saves).await;
    let other = streaming.another_server_with(slow_saves).await;
    let user = streaming.signed_up_user("notices@example.com").await;
    let body = json!({ "tool": "write", "instructions": "a long walk", "words": 400 });
    let mut reader = EventReader::new(streaming.stream_generation(&user.access_token, &body).await);
    let (_, meta) = reader.next().await.expect("meta");
    let id = meta["generation_id"].as_str().expect("id").to_owned();
    // Let the other replica's listener be listening.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let asked = Instant::now();
    let response = other
        .post_authed(
            &format!("/api/v1/generations/{id}/cancel"),
            &user.access_token,
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let mut last = None;
    while let Some(event) = reader.next().await {
        last = Some(event);
    }
    let stopped_after = asked.elapsed();
    let (_, end) = last.expect("an end event");
    assert_eq!(end["status"], "cancelled", "{end}");
    assert!(
        stopped_after < Duration::from_secs(3),
        "stopped {stopped_after:?} after the cancel"
    );
    streaming.assert_generations_settled().await;
}

#[tokio::test]
async fn a_key_revoked_on_one_replica_stops_working_on_another_at_once() {
    if !on_postgres() {
        return;
    }
    // A minute's cache: without a notice the revoked key would work on for a minute.
    let long_cache = |s: &mut penora_app::config::Settings| s.api_key_cache_ms = 60_000;
    let cached = spawn_app_with(long_cache).await;
    let other = cached.another_server_with(long_cache).await;
    let user = cached.signed_up_user("revoked@example.com").await;
    let created: Value = cached
        .post_authed(
            "/api/v1/api-keys",
            &user.access_token,
            &json!({ "name": "backend" }),
        )
        .await
        .json()
        .await
        .expect("json");
    let secret = created["secret"].as_str().expect("secret");
    let key_id = created["id"].as_str().expect("id");
    let balance = || cached.get_authed("/api/v1/credits/balance", secret);
    assert_eq!(balance().await.status(), StatusCode::OK, "cached now");
    tokio::time::sleep(Duration::from_millis(300)).await;

    let revoked = other
        .client
        .delete(other.url(&format!("/api/v1/api-keys/{key_id}")))
        .bearer_auth(&user.access_token)
        .send()
        .await
        .expect("revoke");
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let status = balance().await.status();
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the revoked key still works: {status}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
