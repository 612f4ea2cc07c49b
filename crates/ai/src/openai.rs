//! OpenAI's chat-completions streaming API, which DeepInfra, Groq, OpenRouter, Ollama, vLLM
//! and llama.cpp also speak; only the base URL and key differ.
//!
//! Stream: `data: {"choices":[{"delta":{"content":".."},"finish_reason":null}]}` chunks, a
//! usage chunk (`choices: []`, asked for with `stream_options.include_usage`), `data: [DONE]`.

use std::collections::VecDeque;

use async_trait::async_trait;
use eventsource_stream::Event;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::error::ProviderError;
use crate::http::{ErrorReply, Transport};
use crate::provider::Provider;
use crate::sse::{event_stream, parse_json, Decoder, Flow};
use crate::types::{EventStream, FinishReason, GenerationRequest, Message, StreamEvent};

/// A client for one OpenAI-compatible upstream.
#[derive(Debug, Clone)]
pub struct OpenAiCompatible {
    id: &'static str,
    base_url: String,
    api_key: Option<SecretString>,
    key_required: bool,
    /// The path after the base URL that [`Provider::check_key`] reads.
    key_check_path: &'static str,
    transport: Transport,
}

impl OpenAiCompatible {
    pub const DEEPINFRA_BASE_URL: &'static str = "https://api.deepinfra.com/v1/openai";
    pub const OPENAI_BASE_URL: &'static str = "https://api.openai.com/v1";

    /// `base_url` is the part before `/chat/completions`, e.g. `https://api.openai.com/v1`.
    /// Without a key, `stream` fails with `not_configured` unless the key is made optional.
    pub fn new(
        id: &'static str,
        base_url: impl Into<String>,
        api_key: Option<SecretString>,
        transport: Transport,
    ) -> Self {
        Self {
            id,
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            api_key,
            key_required: true,
            key_check_path: "/models",
            transport,
        }
    }

    /// Where a key is checked, when the model list is public (OpenRouter: `/key`).
    pub fn key_checked_at(mut self, path: &'static str) -> Self {
        self.key_check_path = path;
        self
    }

    /// For local servers (Ollama, vLLM, llama.cpp) that take no key.
    pub fn key_optional(mut self) -> Self {
        self.key_required = false;
        self
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }
}

#[derive(Serialize)]
struct ChatBody<'a> {
    model: &'a str,
    messages: &'a [Message],
    max_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    stop: &'a [String],
    stream: bool,
    stream_options: StreamOptions,
}

#[derive(Serialize)]
struct StreamOptions {
    include_usage: bool,
}

#[async_trait]
impl Provider for OpenAiCompatible {
    fn id(&self) -> &'static str {
        self.id
    }

    async fn stream(&self, request: GenerationRequest) -> Result<EventStream, ProviderError> {
        if self.key_required && self.api_key.is_none() {
            return Err(ProviderError::NotConfigured { provider: self.id });
        }
        let url = format!("{}/chat/completions", self.base_url);
        let body = ChatBody {
            model: &request.model,
            messages: &request.messages,
            max_tokens: request.max_tokens,
            temperature: request.temperature,
            stop: &request.stop,
            stream: true,
            stream_options: StreamOptions {
                include_usage: true,
            },
        };
        let build = || {
            let post = self.transport.client().post(&url).json(&body);
            match &self.api_key {
                Some(key) => post.bearer_auth(key.expose_secret()),
                None => post,
            }
        };
        let opened = self
            .transport
            .open(build, ErrorReply::into_error, self.api_key.as_ref())
            .await?;
        let idle = self.transport.settings().timeouts.idle;
        Ok(event_stream(opened, idle, ChatDecoder::default()))
    }

    async fn check_key(&self) -> Result<(), ProviderError> {
        let Some(key) = &self.api_key else {
            return Err(ProviderError::NotConfigured { provider: self.id });
        };
        let url = format!("{}{}", self.base_url, self.key_check_path);
        let build = || {
            self.transport
                .client()
                .get(&url)
                .bearer_auth(key.expose_secret())
        };
        self.transport
            .open(build, ErrorReply::into_error, Some(key))
            .await
            .map(drop)
    }
}

#[derive(Default)]
struct ChatDecoder {
    finish: Option<FinishReason>,
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Vec<Choice>,
    usage: Option<Usage>,
    /// Some compatible servers report failures inside the stream.
    error: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Choice {
    delta: Option<Delta>,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Delta {
    content: Option<String>,
}

#[derive(Deserialize, Clone, Copy)]
struct Usage {
    prompt_tokens: u32,
    completion_tokens: u32,
}

impl Decoder for ChatDecoder {
    fn decode(
        &mut self,
        event: &Event,
        out: &mut VecDeque<StreamEvent>,
    ) -> Result<Flow, ProviderError> {
        if event.data.trim() == "[DONE]" {
            if let Some(usage) = self.usage {
                out.push_back(StreamEvent::Usage {
                    prompt_tokens: usage.prompt_tokens,
                    completion_tokens: usage.completion_tokens,
                });
            }
            // A [DONE] without a finish_reason is still a normal end.
            let reason = self.finish.take().unwrap_or(FinishReason::Stop);
            out.push_back(StreamEvent::Finished { reason });
            return Ok(Flow::Done);
        }
        let chunk: Chunk = parse_json(&event.data)?;
        if let Some(error) = chunk.error {
            return Err(in_stream_error(&error));
        }
        for choice in chunk.choices.into_iter().take(1) {
            if let Some(text) = choice.delta.and_then(|delta| delta.content) {
                if !text.is_empty() {
                    out.push_back(StreamEvent::Delta(text));
                }
            }
            if let Some(reason) = choice.finish_reason {
                self.finish = Some(finish_reason(&reason));
            }
        }
        if chunk.usage.is_some() {
            self.usage = chunk.usage;
        }
        Ok(Flow::More)
    }
}

fn finish_reason(reason: &str) -> FinishReason {
    match reason {
        "stop" => FinishReason::Stop,
        "length" => FinishReason::Length,
        other => FinishReason::Other(other.to_owned()),
    }
}

/// `{"error": {"message": .., "code": 429}}` mid-stream: the status is in `code` when numeric.
fn in_stream_error(error: &serde_json::Value) -> ProviderError {
    let status = error
        .get("code")
        .and_then(serde_json::Value::as_u64)
        .and_then(|code| u16::try_from(code).ok())
        .filter(|code| (400..600).contains(code))
        .unwrap_or(502);
    let body = serde_json::json!({ "error": error }).to_string();
    ErrorReply {
        status,
        retry_after: None,
        body,
    }
    .into_error()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(text: &str) -> Event {
        Event {
            event: "message".into(),
            data: text.into(),
            ..Event::default()
        }
    }

    #[test]
    fn usage_comes_before_finished_even_when_reported_after_finish_reason() {
        let mut decoder = ChatDecoder::default();
        let mut out = VecDeque::new();
        let chunks = [
            r#"{"choices":[{"delta":{"role":"assistant","content":""}}]}"#,
            r#"{"choices":[{"delta":{"content":"Hi"},"finish_reason":null}]}"#,
            r#"{"choices":[{"delta":{},"finish_reason":"length"}]}"#,
            r#"{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}"#,
        ];
        for chunk in chunks {
            assert_eq!(decoder.decode(&data(chunk), &mut out), Ok(Flow::More));
        }
        assert_eq!(decoder.decode(&data("[DONE]"), &mut out), Ok(Flow::Done));
        assert_eq!(
            Vec::from(out),
            [
                StreamEvent::Delta("Hi".into()),
                StreamEvent::Usage {
                    prompt_tokens: 3,
                    completion_tokens: 1
                },
                StreamEvent::Finished {
                    reason: FinishReason::Length
                },
            ]
        );
    }

    #[test]
    fn debug_output_hides_the_key() {
        let transport = Transport::new(Default::default()).unwrap();
        let key = SecretString::from("sk-live-secret".to_owned());
        let client = OpenAiCompatible::new("openai", "http://x/v1/", Some(key), transport);
        assert!(!format!("{client:?}").contains("sk-live-secret"));
        assert_eq!(client.base_url(), "http://x/v1");
    }

    #[test]
    fn an_error_chunk_becomes_an_error() {
        let mut decoder = ChatDecoder::default();
        let error = decoder
            .decode(
                &data(r#"{"error":{"message":"overloaded","code":503}}"#),
                &mut VecDeque::new(),
            )
            .err();
        assert_eq!(
            error,
            Some(ProviderError::UpstreamUnavailable {
                status: 503,
                message: "overloaded".into()
            })
        );
    }
}
