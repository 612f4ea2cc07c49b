//! What a provider says in its errors (organisation ids, masked platform keys) stays in the
//! log: users get a generic message naming the request id, on the native API and the
//! OpenAI-compatible one, streamed or not, and in the stored generation.

use penora_fake_upstream::wire::{anthropic_event, openai_data};
use penora_fake_upstream::Wire;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::generation_faults::app_with_fake;
use crate::helpers::TestApp;

/// An upstream error text in the style of OpenAI's, with provider details in it.
pub const LEAK: &str = "Incorrect API key provided: sk-...1234. Rate limit reached for \
    gpt-4o in organization org-abc123 on tokens per min.";

/// The provider details that must never reach a user.
const SECRETS: [&str; 2] = ["org-abc123", "sk-...1234"];

/// An error event mid-stream, in `wire`'s format, carrying `LEAK`.
pub fn error_event(wire: Wire) -> String {
    match wire {
        Wire::OpenAi => openai_data(json!({ "error": { "message": LEAK, "code": 503 } })),
        Wire::Anthropic => anthropic_event(
            "error",
            json!({ "type": "error", "error": { "type": "overloaded_error", "message": LEAK } }),
        ),
        Wire::Gemini => format!(
            "data: {}\r\n\r\n",
            json!({ "error": { "code": 503, "message": LEAK, "status": "UNAVAILABLE" } })
        ),
    }
}

/// POSTs `body` to `path` with the request id `id`, streaming or not; returns the status
/// and the whole body as text.
async fn send(
    app: &TestApp,
    token: &str,
    path: &str,
    body: &Value,
    stream: bool,
    id: &str,
) -> (StatusCode, String) {
    let mut request = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .header("x-request-id", id)
        .json(body);
    if stream {
        request = request.header("accept", "text/event-stream");
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.text().await.unwrap())
}

fn assert_clean(text: &str, id: &str, what: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{what}: `{secret}` in {text}");
    }
    assert!(text.contains(id), "{what}: no request id `{id}` in {text}");
}

#[tokio::test]
async fn upstream_error_text_never_reaches_users() {
    let (app, _fake) = app_with_fake(|_| {}).await;
    let user = app.signed_up_user("leaks@example.com").await;
    let key = crate::openai_compat::personal_key(&app, "leaks-sdk@example.com").await;
    let mut n = 0;
    for model in [
        "openai-leak",
        "anthropic-leak",
        "gemini-leak",
        "openai-leakmid",
        "anthropic-leakmid",
        "gemini-leakmid",
    ] {
        for stream in [true, false] {
            n += 1;
            let id = format!("leak-native-{n}");
            let body = json!({ "tool": "write", "instructions": "the tide", "words": 200, "model": model });
            let (status, text) = send(
                &app,
                &user.access_token,
                "/api/v1/generations",
                &body,
                stream,
                &id,
            )
            .await;
            let what = format!("native {model} stream={stream}");
            let expected = if stream {
                StatusCode::OK
            } else {
                StatusCode::BAD_GATEWAY
            };
            assert_eq!(status, expected, "{what}: {text}");
            assert_clean(&text, &id, &what);

            let id = format!("leak-openai-{n}");
            let body = json!({ "model": model, "stream": stream,
                "messages": [{ "role": "user", "content": "hi" }] });
            let (status, text) = send(&app, &key, "/v1/chat/completions", &body, false, &id).await;
            let what = format!("openai {model} stream={stream}");
            assert_eq!(status, expected, "{what}: {text}");
            assert_clean(&text, &id, &what);
        }
    }
    // Nor is it stored where the user can read it later.
    for token in [&user.access_token, &key] {
        let history: Value = app.get_json("/api/v1/generations?limit=100", token).await;
        let items = history["items"].as_array().unwrap();
        assert_eq!(items.len(), 12);
        for item in items {
            assert_eq!(item["status"], "failed", "{item}");
            let text = item.to_string();
            for secret in SECRETS {
                assert!(!text.contains(secret), "stored: {text}");
            }
        }
    }
    app.assert_generations_settled().await;
}
