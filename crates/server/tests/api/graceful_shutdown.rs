//! Stopping a replica (SIGTERM): running generations finish within the grace period or end
//! with an `error` event, billed for what the client received, and nothing is left reserved.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use penora_app::config::Settings;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_problem, spawn_app_with, TestApp};
use crate::streams::{text_of, EventReader};

fn slow_stream(grace_secs: u64) -> impl FnOnce(&mut Settings) {
    move |s| {
        s.offline_pace_ms = 20;
        s.generation_save_interval_ms = 50;
        s.shutdown_grace_secs = grace_secs;
    }
}

/// Starts stopping `app` in the background (the test reads the stream meanwhile).
fn stop_in_background(app: &std::sync::Arc<TestApp>) -> tokio::task::JoinHandle<Duration> {
    let app = app.clone();
    tokio::spawn(async move {
        let began = Instant::now();
        app.shut_down().await.expect("the server stops cleanly");
        began.elapsed()
    })
}

#[tokio::test]
async fn a_stream_running_past_the_grace_ends_with_an_error_and_pays_for_what_it_delivered() {
    let app = std::sync::Arc::new(spawn_app_with(slow_stream(1)).await);
    let user = app.signed_up_user("restart@example.com").await;
    // 400 words at 20 ms a word: eight seconds, far past the one-second grace.
    let body = json!({ "tool": "write", "instructions": "a long walk", "words": 400 });
    let mut reader = EventReader::new(app.stream_generation(&user.access_token, &body).await);
    let (_, meta) = reader.next().await.expect("meta");
    let id = meta["generation_id"].as_str().expect("id").to_owned();

    let stopping = stop_in_background(&app);
    let mut events = Vec::new();
    while let Some(event) = reader.next().await {
        events.push(event);
    }
    let (name, end) = events.last().expect("an end event");
    assert_eq!(name, "error", "{end}");
    assert_eq!(end["error"]["code"], "server_restarting", "{end}");
    assert_eq!(end["status"], "interrupted", "{end}");
    let words = end["words"].as_i64().expect("words");
    assert!(
        words > 0 && words < 200,
        "cut after about a second: {words} words"
    );
    let stopped_after = stopping.await.expect("stopping");
    assert!(stopped_after < Duration::from_secs(8), "{stopped_after:?}");

    // Billed for exactly the text the client received, and nothing left reserved: the
    // hold and the concurrency slot were settled before the server stopped. (Read through
    // a restarted replica: the stopped one's pooled connections went with its workers.)
    let restarted = app.another_server().await;
    let stored = penora_store::generations::find(&restarted.db, id.parse().expect("uuid"))
        .await
        .expect("read")
        .expect("the generation");
    assert_eq!(stored.output, text_of(&events));
    assert_eq!(stored.words, words);
    assert_eq!(stored.cost_mc, end["cost_mc"].as_i64().expect("cost"));
    assert!(stored.cost_mc > 0);
    restarted.assert_generations_settled().await;
    // The restarted replica finds nothing to sweep.
    assert_eq!(
        penora_app::holds::sweep(&restarted.state)
            .await
            .expect("sweep"),
        0
    );
}

#[tokio::test]
async fn a_stream_that_ends_within_the_grace_completes_and_new_ones_are_refused() {
    let app = std::sync::Arc::new(spawn_app_with(slow_stream(10)).await);
    let user = app.signed_up_user("drain@example.com").await;
    // 40 words at 20 ms: under a second.
    let body = json!({ "tool": "write", "instructions": "a short walk", "words": 40 });
    let mut reader = EventReader::new(app.stream_generation(&user.access_token, &body).await);
    reader.next().await.expect("meta");

    let stopping = stop_in_background(&app);
    // While it drains, a generation asked on a connection still open is refused.
    tokio::time::sleep(Duration::from_millis(100)).await;
    match app
        .client
        .post(app.url("/api/v1/generations"))
        .bearer_auth(&user.access_token)
        .json(&body)
        .send()
        .await
    {
        Ok(response) => {
            assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_problem(
                response,
                StatusCode::SERVICE_UNAVAILABLE,
                "server_restarting",
            )
            .await;
        }
        // The listener is closed: a new connection is refused.
        Err(err) => assert!(err.is_connect(), "{err}"),
    }

    let mut events = Vec::new();
    while let Some(event) = reader.next().await {
        events.push(event);
    }
    let (name, end) = events.last().expect("an end event");
    assert_eq!(name, "done", "{end}");
    assert_eq!(end["status"], "completed");
    assert!(end["words"].as_i64().expect("words") > 0);
    let stopped_after = stopping.await.expect("stopping");
    assert!(
        stopped_after < Duration::from_secs(5),
        "stopped once the stream ended, not after the grace: {stopped_after:?}"
    );
    app.another_server()
        .await
        .assert_generations_settled()
        .await;
}

/// The real process: SIGTERM stops it cleanly and promptly.
#[test]
fn the_server_process_stops_on_sigterm() {
    let dir = std::env::temp_dir().join(format!("penora-sigterm-{}", uuid::Uuid::new_v4()));
    // Port 0: the server picks a free one and logs it.
    let mut child = Command::new(env!("CARGO_BIN_EXE_penora"))
        .arg("serve")
        .env_clear()
        .env("PENORA_DATA_DIR", &dir)
        .env("PENORA_BIND", "127.0.0.1:0")
        .env("PENORA_OPS_BIND", "")
        .env("PENORA_LOG_FORMAT", "text")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run penora");
    let stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut lines = stdout.lines().map_while(Result::ok);
    let listening = lines.find(|line| line.contains("listening on"));
    assert!(listening.is_some(), "the server listens");
    // Keep reading its log, so it never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(term.success());
    let began = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(began.elapsed() < Duration::from_secs(10), "still running");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");
    let _ = std::fs::remove_dir_all(&dir);
}
