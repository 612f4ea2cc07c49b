//! The OpenAI-compatible client (DeepInfra, OpenAI, Groq, OpenRouter, Ollama ...).

use penora_ai::{FinishReason, HttpSettings, OpenAiCompatible, Provider, SecretString, Transport};
use serde_json::json;

use crate::helpers::{chat_request, fast_settings, run, API_KEY};
use crate::scenarios::Wire;
use penora_fake_upstream::wire::{self, openai_data as data};
use penora_fake_upstream::{FakeUpstream, Reply};

pub struct OpenAiWire;

fn client(base_url: &str, key: Option<&str>, settings: HttpSettings) -> OpenAiCompatible {
    let transport = Transport::new(settings).unwrap();
    let key = key.map(|key| SecretString::from(key.to_owned()));
    OpenAiCompatible::new("deepinfra", format!("{base_url}/v1/openai"), key, transport)
}

impl Wire for OpenAiWire {
    const MODEL: &'static str = "meta-llama/Meta-Llama-3.1-8B-Instruct";
    const FORMAT: wire::Wire = wire::Wire::OpenAi;

    fn provider(base_url: &str, key: Option<&str>, settings: HttpSettings) -> Box<dyn Provider> {
        Box::new(client(base_url, key, settings))
    }
}

mod scenarios {
    crate::wire_scenarios!(super::OpenAiWire);
}

#[tokio::test]
async fn sends_a_streaming_chat_completion_request() {
    let fake = FakeUpstream::start(vec![Reply::events(OpenAiWire::closing(1, 1))]).await;
    let provider = client(&fake.base_url, Some(API_KEY), fast_settings());
    run(&provider, chat_request("my-model"))
        .await
        .assert_well_formed();

    let request = &fake.requests()[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.target, "/v1/openai/chat/completions");
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {API_KEY}").as_str())
    );
    assert_eq!(
        request.body,
        json!({
            "model": "my-model",
            "messages": [
                {"role": "system", "content": "You are a helpful writing assistant."},
                {"role": "user", "content": "Write one line about the sea."}
            ],
            "max_tokens": 256,
            "temperature": 0.7,
            "stop": ["THE END"],
            "stream": true,
            "stream_options": {"include_usage": true}
        })
    );
}

#[tokio::test]
async fn a_keyless_local_server_gets_no_authorization_header() {
    let fake = FakeUpstream::start(vec![Reply::events(OpenAiWire::closing(1, 1))]).await;
    let provider = client(&fake.base_url, None, fast_settings()).key_optional();
    let mut request = chat_request("llama3");
    request.stop.clear();
    request.temperature = None;
    run(&provider, request).await.assert_well_formed();
    let recorded = &fake.requests()[0];
    assert_eq!(recorded.header("authorization"), None);
    assert!(recorded.body.get("stop").is_none());
    assert!(recorded.body.get("temperature").is_none());
}

#[tokio::test]
async fn length_finish_and_keep_alive_comments() {
    let mut events = vec![": OPENROUTER PROCESSING\n\n".to_owned()];
    events.push(OpenAiWire::delta("cut"));
    events.push(data(
        json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "length"}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 1}}),
    ));
    events.push("data: [DONE]\n\n".to_owned());
    let fake = FakeUpstream::start(vec![Reply::events(events)]).await;
    let provider = client(&fake.base_url, Some(API_KEY), fast_settings());
    let outcome = run(&provider, chat_request("m")).await;
    outcome.assert_well_formed();
    assert_eq!(outcome.text, "cut");
    assert_eq!(outcome.usage(), Some((5, 1)));
    assert_eq!(outcome.finish(), Some(&FinishReason::Length));
}

#[tokio::test]
async fn an_error_chunk_mid_stream_ends_the_stream() {
    let events = vec![
        OpenAiWire::delta("Hi"),
        data(json!({"error": {"message": "Provider returned error", "code": 502}})),
    ];
    let fake = FakeUpstream::start(vec![Reply::events(events)]).await;
    let provider = client(&fake.base_url, Some(API_KEY), fast_settings());
    let outcome = run(&provider, chat_request("m")).await;
    assert_eq!(outcome.text, "Hi");
    assert_eq!(outcome.error_code(), Some("upstream_unavailable"));
}

#[tokio::test]
async fn plain_text_and_detail_error_bodies_give_their_message() {
    let fake = FakeUpstream::start(vec![Reply::status(
        422,
        json!({"detail": "max_tokens too large"}).to_string(),
    )])
    .await;
    let provider = client(&fake.base_url, Some(API_KEY), fast_settings());
    let outcome = run(&provider, chat_request("m")).await;
    assert_eq!(
        outcome.error.map(|e| e.to_string()),
        Some("the provider refused the request: max_tokens too large".to_owned())
    );
}
