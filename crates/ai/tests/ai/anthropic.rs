//! The Anthropic Messages client.

use penora_ai::{Anthropic, FinishReason, HttpSettings, Provider, SecretString, Transport};
use serde_json::json;

use crate::helpers::{chat_request, fast_settings, run, API_KEY};
use crate::scenarios::Wire;
use penora_fake_upstream::wire::{
    self, anthropic_event as event, anthropic_message_end as message_end,
    anthropic_message_start as message_start,
};
use penora_fake_upstream::{FakeUpstream, Reply};

pub struct AnthropicWire;

fn client(base_url: &str, key: Option<&str>, settings: HttpSettings) -> Anthropic {
    let transport = Transport::new(settings).unwrap();
    Anthropic::new(
        base_url,
        key.map(|k| SecretString::from(k.to_owned())),
        transport,
    )
}

impl Wire for AnthropicWire {
    const MODEL: &'static str = "claude-3-5-haiku-latest";
    const FORMAT: wire::Wire = wire::Wire::Anthropic;

    fn provider(base_url: &str, key: Option<&str>, settings: HttpSettings) -> Box<dyn Provider> {
        Box::new(client(base_url, key, settings))
    }
}

mod scenarios {
    crate::wire_scenarios!(super::AnthropicWire);
}

#[tokio::test]
async fn sends_a_messages_request_with_the_system_prompt_apart() {
    let mut events = vec![message_start(1)];
    events.extend(message_end("end_turn", 1));
    let fake = FakeUpstream::start(vec![Reply::events(events)]).await;
    let provider = client(&fake.base_url, Some(API_KEY), fast_settings());
    run(&provider, chat_request("claude-x"))
        .await
        .assert_well_formed();

    let request = &fake.requests()[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.target, "/v1/messages");
    assert_eq!(request.header("x-api-key"), Some(API_KEY));
    assert_eq!(request.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(request.header("authorization"), None);
    assert_eq!(
        request.body,
        json!({
            "model": "claude-x",
            "max_tokens": 256,
            "system": "You are a helpful writing assistant.",
            "messages": [{"role": "user", "content": "Write one line about the sea."}],
            "temperature": 0.7,
            "stop_sequences": ["THE END"],
            "stream": true
        })
    );
}

#[tokio::test]
async fn max_tokens_stop_reason_is_length() {
    let mut events = AnthropicWire::opening();
    events.push(AnthropicWire::delta("Once"));
    events.extend(message_end("max_tokens", 9));
    let fake = FakeUpstream::start(vec![Reply::events(events)]).await;
    let provider = client(&fake.base_url, Some(API_KEY), fast_settings());
    let outcome = run(&provider, chat_request("m")).await;
    outcome.assert_well_formed();
    assert_eq!(outcome.finish(), Some(&FinishReason::Length));
    assert_eq!(outcome.usage(), Some((12, 9)));
}

#[tokio::test]
async fn an_error_event_mid_stream_ends_the_stream() {
    let mut events = AnthropicWire::opening();
    events.push(AnthropicWire::delta("Hi"));
    events.push(event(
        "error",
        json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
    ));
    let fake = FakeUpstream::start(vec![Reply::events(events)]).await;
    let provider = client(&fake.base_url, Some(API_KEY), fast_settings());
    let outcome = run(&provider, chat_request("m")).await;
    assert_eq!(outcome.text, "Hi");
    assert_eq!(outcome.error_code(), Some("upstream_unavailable"));
    assert_eq!(fake.request_count(), 1);
}

#[tokio::test]
async fn overloaded_529_is_retried() {
    let overloaded = Reply::status(529, AnthropicWire::error_body("Overloaded"));
    let mut events = AnthropicWire::opening();
    events.push(AnthropicWire::delta("ok"));
    events.extend(AnthropicWire::closing(12, 1));
    let fake = FakeUpstream::start(vec![overloaded, Reply::events(events)]).await;
    let provider = client(&fake.base_url, Some(API_KEY), fast_settings());
    let outcome = run(&provider, chat_request("m")).await;
    outcome.assert_well_formed();
    assert_eq!(outcome.text, "ok");
    assert_eq!(fake.request_count(), 2);
}
