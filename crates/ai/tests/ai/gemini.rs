//! The Gemini streamGenerateContent client.

use penora_ai::{FinishReason, Gemini, HttpSettings, Provider, SecretString, Transport};
use serde_json::json;

use crate::helpers::{chat_request, fast_settings, run, API_KEY};
use crate::scenarios::Wire;
use penora_fake_upstream::wire::{self, gemini_chunk as chunk};
use penora_fake_upstream::{FakeUpstream, Reply};

pub struct GeminiWire;

fn client(base_url: &str, key: Option<&str>, settings: HttpSettings) -> Gemini {
    let transport = Transport::new(settings).unwrap();
    Gemini::new(
        base_url,
        key.map(|k| SecretString::from(k.to_owned())),
        transport,
    )
}

impl Wire for GeminiWire {
    const MODEL: &'static str = "gemini-2.0-flash";
    const FORMAT: wire::Wire = wire::Wire::Gemini;

    fn provider(base_url: &str, key: Option<&str>, settings: HttpSettings) -> Box<dyn Provider> {
        Box::new(client(base_url, key, settings))
    }
}

mod scenarios {
    crate::wire_scenarios!(super::GeminiWire);
}

#[tokio::test]
async fn sends_a_stream_generate_content_request() {
    let fake = FakeUpstream::start(vec![Reply::events(GeminiWire::closing(1, 1))]).await;
    let provider = client(&fake.base_url, Some(API_KEY), fast_settings());
    run(&provider, chat_request("models/gemini-2.0-flash"))
        .await
        .assert_well_formed();

    let request = &fake.requests()[0];
    assert_eq!(request.method, "POST");
    assert_eq!(
        request.target,
        "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse"
    );
    assert_eq!(request.header("x-goog-api-key"), Some(API_KEY));
    assert!(
        !request.target.contains(API_KEY),
        "key must not be in the URL"
    );
    assert_eq!(
        request.body,
        json!({
            "contents": [{"role": "user", "parts": [{"text": "Write one line about the sea."}]}],
            "systemInstruction": {"parts": [{"text": "You are a helpful writing assistant."}]},
            "generationConfig": {
                "maxOutputTokens": 256,
                "temperature": 0.7,
                "stopSequences": ["THE END"]
            }
        })
    );
}

#[tokio::test]
async fn text_in_the_final_chunk_and_max_tokens() {
    let events = vec![
        chunk("Tide ", None, None),
        chunk("turns", Some("MAX_TOKENS"), Some((4, 2))),
    ];
    let fake = FakeUpstream::start(vec![Reply::events(events)]).await;
    let provider = client(&fake.base_url, Some(API_KEY), fast_settings());
    let outcome = run(&provider, chat_request("gemini-2.0-flash")).await;
    outcome.assert_well_formed();
    assert_eq!(outcome.text, "Tide turns");
    assert_eq!(outcome.usage(), Some((4, 2)));
    assert_eq!(outcome.finish(), Some(&FinishReason::Length));
}

#[tokio::test]
async fn a_safety_stop_is_reported_verbatim() {
    let events = vec![chunk("Hm", Some("SAFETY"), Some((4, 1)))];
    let fake = FakeUpstream::start(vec![Reply::events(events)]).await;
    let provider = client(&fake.base_url, Some(API_KEY), fast_settings());
    let outcome = run(&provider, chat_request("gemini-2.0-flash")).await;
    outcome.assert_well_formed();
    assert_eq!(
        outcome.finish(),
        Some(&FinishReason::Other("SAFETY".into()))
    );
}

#[tokio::test]
async fn an_invalid_key_400_is_unauthorized() {
    let body = json!({"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.",
        "status": "INVALID_ARGUMENT",
        "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}]}});
    let fake = FakeUpstream::start(vec![Reply::status(400, body.to_string())]).await;
    let provider = client(&fake.base_url, Some(API_KEY), fast_settings());
    let outcome = run(&provider, chat_request("gemini-2.0-flash")).await;
    assert_eq!(outcome.error_code(), Some("unauthorized"));
}
