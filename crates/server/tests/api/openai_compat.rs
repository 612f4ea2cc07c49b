//! The OpenAI-compatible API: OpenAI's shapes, billing in credits, OpenAI's error body.

use penora_domain::{cost_mc, count_words, Multiplier};
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_with, TestApp};

pub async fn personal_key(app: &TestApp, email: &str) -> String {
    let user = app.signed_up_user(email).await;
    let response = app
        .post_authed(
            "/api/v1/api-keys",
            &user.access_token,
            &json!({ "name": "sdk", "scopes": ["generate", "read"] }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    body["secret"].as_str().unwrap().to_owned()
}

fn chat(content: &str) -> Value {
    json!({
        "model": "offline-demo",
        "messages": [
            { "role": "system", "content": "You are a poet." },
            { "role": "user", "content": content },
        ],
    })
}

/// Asserts OpenAI's error shape; returns `error`.
async fn assert_openai_error(
    response: Response,
    status: StatusCode,
    kind: &str,
    code: &str,
) -> Value {
    assert_eq!(response.status(), status);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let body: Value = response.json().await.unwrap();
    let error = body["error"].clone();
    assert_eq!(error["type"], kind, "{body}");
    assert_eq!(error["code"], code, "{body}");
    assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
    error
}

async fn balance_mc(app: &TestApp, key: &str) -> i64 {
    let body: Value = app.get_json("/api/v1/credits/balance", key).await;
    body["balance_mc"].as_i64().unwrap()
}

#[tokio::test]
async fn models_lists_what_the_key_can_use() {
    let app = spawn_app().await;
    let key = personal_key(&app, "models@example.com").await;
    let body: Value = app.get_json("/v1/models", &key).await;
    assert_eq!(body["object"], "list");
    let ids: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["offline-demo"], "only models usable now");
    assert_eq!(body["data"][0]["object"], "model");
    let anonymous = app.get("/v1/models").await;
    assert_openai_error(
        anonymous,
        StatusCode::UNAUTHORIZED,
        "authentication_error",
        "unauthorized",
    )
    .await;
}

#[tokio::test]
async fn a_completion_has_openais_shape_and_is_billed() {
    let app = spawn_app().await;
    let key = personal_key(&app, "sdk@example.com").await;
    let response = app
        .post_authed("/v1/chat/completions", &key, &chat("A poem about the sea"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["object"], "chat.completion");
    assert!(body["id"].as_str().unwrap().starts_with("chatcmpl-"));
    assert_eq!(body["model"], "offline-demo");
    let choice = &body["choices"][0];
    assert_eq!(choice["message"]["role"], "assistant");
    assert_eq!(choice["finish_reason"], "stop");
    let text = choice["message"]["content"].as_str().unwrap();
    let words = count_words(text);
    assert!(words > 3);
    let usage = &body["usage"];
    assert_eq!(
        usage["total_tokens"].as_u64().unwrap(),
        usage["prompt_tokens"].as_u64().unwrap() + usage["completion_tokens"].as_u64().unwrap()
    );
    assert_eq!(
        balance_mc(&app, &key).await,
        50_000 - cost_mc(words, Multiplier::ONE).get()
    );
    // It is a generation like any other.
    let history: Value = app.get_json("/api/v1/generations?tool=chat", &key).await;
    assert_eq!(history["items"][0]["output"], text);
    assert_eq!(history["items"][0]["input"], "A poem about the sea");
    app.assert_generations_settled().await;
}

#[tokio::test]
async fn max_tokens_and_stop_limit_the_text_and_the_charge() {
    let app = spawn_app().await;
    let key = personal_key(&app, "limits@example.com").await;
    let mut request = chat("A long story please");
    request["max_tokens"] = json!(8);
    let body: Value = app
        .post_authed_json("/v1/chat/completions", &key, &request)
        .await;
    let text = body["choices"][0]["message"]["content"].as_str().unwrap();
    assert!(count_words(text) <= 6, "{text}");
    assert_eq!(body["choices"][0]["finish_reason"], "length");

    let full: Value = app
        .post_authed_json("/v1/chat/completions", &key, &chat("A story about a fox"))
        .await;
    let full_text = full["choices"][0]["message"]["content"].as_str().unwrap();
    let stop_word = full_text.split_whitespace().nth(3).unwrap();
    let mut stopped = chat("A story about a fox");
    stopped["stop"] = json!(stop_word);
    let body: Value = app
        .post_authed_json("/v1/chat/completions", &key, &stopped)
        .await;
    let text = body["choices"][0]["message"]["content"].as_str().unwrap();
    assert!(
        !text.contains(stop_word) && full_text.starts_with(text),
        "{text}"
    );
    app.assert_generations_settled().await;
}

#[tokio::test]
async fn a_streamed_completion_sends_chunks_usage_and_done() {
    let app = spawn_app().await;
    let key = personal_key(&app, "chunks@example.com").await;
    let mut request = chat("A poem about rain");
    request["stream"] = json!(true);
    request["stream_options"] = json!({ "include_usage": true });
    let response = app
        .post_authed("/v1/chat/completions", &key, &request)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let body = response.text().await.unwrap();
    let data: Vec<&str> = body
        .split("\n\n")
        .filter_map(|frame| frame.strip_prefix("data: "))
        .collect();
    assert_eq!(*data.last().unwrap(), "[DONE]");
    let chunks: Vec<Value> = data[..data.len() - 1]
        .iter()
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    assert!(chunks
        .iter()
        .all(|c| c["object"] == "chat.completion.chunk"));
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    let finish = &chunks[chunks.len() - 2];
    assert_eq!(finish["choices"][0]["finish_reason"], "stop");
    let usage = &chunks[chunks.len() - 1];
    assert_eq!(usage["choices"], json!([]));
    assert!(usage["usage"]["completion_tokens"].as_u64().unwrap() > 0);
    let words = count_words(&text);
    assert_eq!(
        balance_mc(&app, &key).await,
        50_000 - cost_mc(words, Multiplier::ONE).get()
    );
    app.assert_generations_settled().await;
}

#[tokio::test]
async fn bad_requests_get_openais_statuses_and_error_shape() {
    let app = spawn_app_with(|s| s.welcome_bonus_mc = 0).await;
    let key = personal_key(&app, "errors@example.com").await;
    let post = |body: Value| {
        let app = &app;
        let key = key.clone();
        async move { app.post_authed("/v1/chat/completions", &key, &body).await }
    };
    let mut unknown = chat("x");
    unknown["model"] = json!("gpt-5");
    let error = assert_openai_error(
        post(unknown).await,
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        "model_not_found",
    )
    .await;
    assert_eq!(error["param"], "model");
    let invalid = |field: &str, value: Value| {
        let mut body = chat("x");
        body[field] = value;
        body
    };
    for (body, param) in [
        (
            json!({ "model": "offline-demo", "messages": [{ "role": "wizard", "content": "x" }] }),
            "messages[0].role",
        ),
        (json!({ "model": "offline-demo" }), "messages"),
        (
            json!({ "model": "offline-demo", "messages": [] }),
            "messages",
        ),
        (
            json!({ "model": "offline-demo", "messages": [{ "role": "user", "content": [{ "type": "image_url" }] }] }),
            "messages[0].content",
        ),
        (invalid("n", json!(2)), "n"),
        (invalid("max_tokens", json!(0)), "max_tokens"),
        (invalid("temperature", json!(3.5)), "temperature"),
        (
            invalid("response_format", json!({ "type": "json_object" })),
            "response_format",
        ),
    ] {
        let error = assert_openai_error(
            post(body.clone()).await,
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "validation_failed",
        )
        .await;
        assert_eq!(error["param"], param, "{body}");
    }
    // No credits at all: OpenAI's quota error, which its SDKs raise as a RateLimitError
    // (without retrying it).
    let response = post(chat("x")).await;
    assert_eq!(response.headers()["x-should-retry"], "false");
    let error = assert_openai_error(
        response,
        StatusCode::TOO_MANY_REQUESTS,
        "insufficient_quota",
        "insufficient_quota",
    )
    .await;
    assert_eq!(error["param"], Value::Null);
    // The native API keeps its 402.
    let native = app
        .post_authed(
            "/api/v1/generations",
            &key,
            &json!({ "tool": "write", "instructions": "x", "words": 50 }),
        )
        .await;
    crate::helpers::assert_problem(native, StatusCode::PAYMENT_REQUIRED, "insufficient_credits")
        .await;
    let broken = app
        .client
        .post(app.url("/v1/chat/completions"))
        .bearer_auth(&key)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_openai_error(
        broken,
        StatusCode::BAD_REQUEST,
        "invalid_request_error",
        "malformed_json",
    )
    .await;
    let wrong_key = app
        .post_authed("/v1/chat/completions", "pk_live_not_a_key", &chat("x"))
        .await;
    assert_openai_error(
        wrong_key,
        StatusCode::UNAUTHORIZED,
        "authentication_error",
        "unauthorized",
    )
    .await;
    assert_eq!(app.count("SELECT COUNT(*) FROM generations").await, 0);
}
