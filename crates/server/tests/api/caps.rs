//! What one server takes on: bounded metric labels, connection timeouts, open streams, and
//! generations a minute.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uuid::Uuid;

use crate::helpers::{assert_problem, spawn_app, spawn_app_with, TestApp};
use crate::openai_compat::personal_key;
use crate::streams::{continue_body, EventReader};

/// The (method, route) label pairs of `penora_http_requests_total`, without `/metrics`'s own.
fn request_labels(text: &str) -> BTreeSet<(String, String)> {
    let label = |line: &str, name: &str| {
        let start = line.find(&format!("{name}=\""))? + name.len() + 2;
        let len = line[start..].find('"')?;
        Some(line[start..start + len].to_owned())
    };
    text.lines()
        .filter(|line| line.starts_with("penora_http_requests_total{"))
        .filter_map(|line| Some((label(line, "method")?, label(line, "route")?)))
        .filter(|(_, route)| route != "/metrics")
        .collect()
}

async fn send(app: &TestApp, method: &str, path: &str) {
    let method = Method::from_bytes(method.as_bytes()).unwrap();
    app.client
        .request(method, app.url(path))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn made_up_methods_and_paths_add_no_metric_labels() {
    let app = spawn_app().await;
    for (method, path) in [
        ("GET", "/health"),
        ("GET", "/api/v1/nope"),
        ("ZZZ", "/health"),
        ("ZZZ", "/api/v1/nope"),
    ] {
        send(&app, method, path).await;
    }
    let before = request_labels(&app.ops_get("/metrics").await.text().await.unwrap());
    for method in ["FOO123", "BAR", "GET"] {
        for path in [
            "/health".to_owned(),
            format!("/{}", Uuid::new_v4()),
            format!("/api/v1/projects/{}/{}", Uuid::new_v4(), Uuid::new_v4()),
            format!("/api/v1/{}", Uuid::new_v4()),
        ] {
            send(&app, method, &path).await;
        }
    }
    let text = app.ops_get("/metrics").await.text().await.unwrap();
    let after = request_labels(&text);
    assert_eq!(after, before, "{text}");
    assert!(
        before.contains(&("OTHER".to_owned(), "unmatched".to_owned())),
        "{before:?}"
    );
    assert!(!text.contains("FOO123") && !text.contains("BAR"), "{text}");
}

/// Balance and reserved credits of the session's user.
async fn balance(app: &TestApp, token: &str) -> (i64, i64) {
    let body = app.get_json("/api/v1/credits/balance", token).await;
    (
        body["balance_mc"].as_i64().unwrap(),
        body["reserved_mc"].as_i64().unwrap(),
    )
}

/// A `429 rate_limited` with a `Retry-After` of 1 to 60 seconds.
async fn assert_minute_limit(response: Response) {
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(
        body["code"] == "rate_limited" || body["error"]["code"] == "rate_limited",
        "{body}"
    );
}

#[tokio::test]
async fn a_user_may_start_so_many_generations_a_minute_without_paying_for_refusals() {
    let app = spawn_app_with(|s| s.capacity.rate_generations_per_user_per_minute = 2).await;
    let user = app.signed_up_user("minute@example.com").await;
    let token = &user.access_token;
    for _ in 0..2 {
        let response = app
            .post_authed("/api/v1/generations", token, &continue_body("Once"))
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let before = balance(&app, token).await;
    let refused = app
        .post_authed("/api/v1/generations", token, &continue_body("Once"))
        .await;
    assert_minute_limit(refused).await;
    let streamed = app.stream_generation(token, &continue_body("Once")).await;
    assert_minute_limit(streamed).await;
    assert_eq!(balance(&app, token).await, before);
    assert_eq!(app.count("SELECT COUNT(*) FROM generations").await, 2);
    assert_eq!(app.count("SELECT COUNT(*) FROM holds").await, 2);
    // Another user has a minute of their own.
    let other = app.signed_up_user("other-minute@example.com").await;
    let theirs = app
        .post_authed(
            "/api/v1/generations",
            &other.access_token,
            &continue_body("Once"),
        )
        .await;
    assert_eq!(theirs.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn an_api_key_may_start_more_generations_a_minute_than_a_session() {
    let app = spawn_app_with(|s| {
        s.capacity.rate_generations_per_user_per_minute = 1;
        s.capacity.rate_generations_per_key_per_minute = 3;
    })
    .await;
    let key = personal_key(&app, "api-minute@example.com").await;
    let chat = json!({
        "model": "offline-demo",
        "messages": [{ "role": "user", "content": "A short poem." }],
        "max_tokens": 20,
    });
    for _ in 0..3 {
        let response = app.post_authed("/v1/chat/completions", &key, &chat).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    let before = app.get_json("/api/v1/credits/balance", &key).await;
    let refused = app.post_authed("/v1/chat/completions", &key, &chat).await;
    assert_minute_limit(refused).await;
    // The tools endpoint counts against the same key.
    let tools = app
        .post_authed("/api/v1/generations", &key, &continue_body("Once"))
        .await;
    assert_minute_limit(tools).await;
    assert_eq!(app.get_json("/api/v1/credits/balance", &key).await, before);
    assert_eq!(app.count("SELECT COUNT(*) FROM generations").await, 3);
}

#[tokio::test]
async fn open_streams_per_user_are_capped_until_one_ends() {
    let app = spawn_app_with(|s| {
        s.capacity.sse_streams_per_user = 1;
        s.generations_per_user = 3;
        s.offline_pace_ms = 5;
    })
    .await;
    let user = app.signed_up_user("streams@example.com").await;
    let token = &user.access_token;
    let mut open = EventReader::new(app.stream_generation(token, &continue_body("Once")).await);
    let (name, _) = open.next().await.unwrap();
    assert_eq!(name, "meta");
    let refused = app.stream_generation(token, &continue_body("Once")).await;
    assert_eq!(refused.headers()["retry-after"], "1");
    assert_problem(refused, StatusCode::TOO_MANY_REQUESTS, "too_many_streams").await;
    // Without a stream the generation is not capped by streams.
    let json_mode = app
        .post_authed("/api/v1/generations", token, &continue_body("Once"))
        .await;
    assert_eq!(json_mode.status(), StatusCode::CREATED);
    let other = app.signed_up_user("other-streams@example.com").await;
    let theirs = app
        .stream_generation(&other.access_token, &continue_body("Once"))
        .await;
    EventReader::new(theirs).all().await;
    // Once the open stream ends, the user may open another.
    let events = open.all().await;
    assert_eq!(events.last().unwrap().0, "done");
    let again = app.stream_generation(token, &continue_body("Once")).await;
    assert_eq!(
        EventReader::new(again).all().await.last().unwrap().0,
        "done"
    );
    app.assert_generations_settled().await;
}

#[tokio::test]
async fn open_streams_in_all_are_capped_with_a_503() {
    let app = spawn_app_with(|s| {
        s.capacity.sse_streams_total = 1;
        s.offline_pace_ms = 5;
    })
    .await;
    let first = app.signed_up_user("first-stream@example.com").await;
    let second = app.signed_up_user("second-stream@example.com").await;
    let mut open = EventReader::new(
        app.stream_generation(&first.access_token, &continue_body("Once"))
            .await,
    );
    open.next().await.unwrap();
    let refused = app
        .stream_generation(&second.access_token, &continue_body("Once"))
        .await;
    assert!(refused.headers().contains_key("retry-after"));
    assert_problem(
        refused,
        StatusCode::SERVICE_UNAVAILABLE,
        "service_unavailable",
    )
    .await;
    let (balance_mc, reserved_mc) = balance(&app, &second.access_token).await;
    assert_eq!(reserved_mc, 0);
    assert!(balance_mc > 0);
    // A dropped stream (the client went away) frees its place too.
    drop(open);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let response = app
            .stream_generation(&second.access_token, &continue_body("Once"))
            .await;
        if response.status() == StatusCode::OK {
            EventReader::new(response).all().await;
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the dropped stream kept its place"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_client_sending_half_a_request_is_disconnected() {
    // The shortest timeout: actix's clock for it ticks every 500 ms, so it bites after 0.5 to
    // 1 s.
    let app = spawn_app_with(|s| s.capacity.client_request_timeout_ms = 1_000).await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut socket = tokio::net::TcpStream::connect(&address).await.unwrap();
    socket
        .write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        .await
        .unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(4), socket.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "still connected after 4 s");
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(400), "{waited:?}");
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
}
