//! The OpenAI-compatible API's model lookup and the request parameters it accepts the way
//! OpenAI does.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::spawn_app;
use crate::openai_compat::personal_key;

fn chat(content: &str) -> Value {
    json!({
        "model": "offline-demo",
        "messages": [{ "role": "user", "content": content }],
    })
}

#[tokio::test]
async fn a_model_is_found_by_id_in_openais_shape() {
    let app = spawn_app().await;
    let key = personal_key(&app, "model@example.com").await;
    let model: Value = app.get_json("/v1/models/offline-demo", &key).await;
    assert_eq!(
        model,
        json!({ "id": "offline-demo", "object": "model", "created": model["created"],
                "owned_by": "offline" })
    );
    assert!(model["created"].as_i64().unwrap() > 0);
    for missing in ["/v1/models/gpt-5", "/v1/models/meta-llama/Llama-3-70b"] {
        let response = app.get_authed(missing, &key).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{missing}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "model_not_found", "{body}");
        assert_eq!(body["error"]["type"], "invalid_request_error");
        assert_eq!(body["error"]["param"], "model");
    }
    let anonymous = app.get("/v1/models/offline-demo").await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn openais_optional_parameters_are_accepted_and_unknown_fields_ignored() {
    let app = spawn_app().await;
    let key = personal_key(&app, "params@example.com").await;
    let mut request = chat("A poem about the moon");
    for (name, value) in [
        ("n", json!(1)),
        ("user", json!("user-1234")),
        ("seed", json!(42)),
        ("response_format", json!({ "type": "text" })),
        ("stream_options", Value::Null),
        // Not in Penora's subset: ignored, as OpenAI ignores what it does not know.
        ("presence_penalty", json!(0.5)),
        ("logit_bias", json!({ "50256": -100 })),
        ("metadata", json!({ "purpose": "test" })),
        ("store", json!(false)),
        ("a_field_from_the_future", json!({ "nested": [1, 2] })),
    ] {
        request[name] = value;
    }
    let response = app
        .post_authed("/v1/chat/completions", &key, &request)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    app.assert_generations_settled().await;
}

/// The `data:` payloads of a streamed completion, `[DONE]` last.
async fn stream_data(response: reqwest::Response) -> Vec<String> {
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.text().await.unwrap();
    body.split("\n\n")
        .filter_map(|frame| frame.strip_prefix("data: "))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn a_stream_without_include_usage_ends_with_the_finish_chunk_and_no_usage() {
    let app = spawn_app().await;
    let key = personal_key(&app, "nousage@example.com").await;
    for options in [None, Some(json!({ "include_usage": false }))] {
        let mut request = chat("A poem about snow");
        request["stream"] = json!(true);
        if let Some(options) = options {
            request["stream_options"] = options;
        }
        let data = stream_data(
            app.post_authed("/v1/chat/completions", &key, &request)
                .await,
        )
        .await;
        assert_eq!(data.last().unwrap(), "[DONE]");
        let chunks: Vec<Value> = data[..data.len() - 1]
            .iter()
            .map(|d| serde_json::from_str(d).unwrap())
            .collect();
        assert!(chunks.iter().all(|c| c.get("usage").is_none()), "{data:?}");
        assert!(chunks
            .iter()
            .all(|c| c["choices"].as_array().unwrap().len() == 1));
        assert_eq!(
            chunks.last().unwrap()["choices"][0]["finish_reason"],
            "stop"
        );
    }
    app.assert_generations_settled().await;
}
