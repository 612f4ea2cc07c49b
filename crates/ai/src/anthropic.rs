//! Anthropic's Messages API with `stream: true`.
//!
//! Events: `message_start` (input tokens), `content_block_delta` (`delta.text`),
//! `message_delta` (output tokens, stop reason), `message_stop` (the end), `ping`, `error`.
//! System messages go in the top-level `system` field, not in `messages`.

use std::collections::VecDeque;

use async_trait::async_trait;
use eventsource_stream::Event;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::error::ProviderError;
use crate::http::{ErrorReply, Transport};
use crate::provider::Provider;
use crate::sse::{event_stream, parse_json, Decoder, Flow};
use crate::types::{EventStream, FinishReason, GenerationRequest, Message, Role, StreamEvent};

/// The API version our request and event shapes follow.
const API_VERSION: &str = "2023-06-01";

#[derive(Debug, Clone)]
pub struct Anthropic {
    base_url: String,
    api_key: Option<SecretString>,
    transport: Transport,
}

impl Anthropic {
    pub const ID: &'static str = "anthropic";
    pub const DEFAULT_BASE_URL: &'static str = "https://api.anthropic.com";

    /// `base_url` is the part before `/v1/messages`.
    pub fn new(
        base_url: impl Into<String>,
        api_key: Option<SecretString>,
        transport: Transport,
    ) -> Self {
        Self {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            api_key,
            transport,
        }
    }
}

#[derive(Serialize)]
struct MessagesBody<'a> {
    model: &'a str,
    max_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    system: Option<String>,
    messages: Vec<&'a Message>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    stop_sequences: &'a [String],
    stream: bool,
}

impl<'a> MessagesBody<'a> {
    fn new(request: &'a GenerationRequest) -> Self {
        let (system, turns): (Vec<&Message>, Vec<&Message>) = request
            .messages
            .iter()
            .partition(|message| message.role == Role::System);
        let system = (!system.is_empty()).then(|| {
            system
                .iter()
                .map(|message| message.content.as_str())
                .collect::<Vec<_>>()
                .join("\n\n")
        });
        Self {
            model: &request.model,
            max_tokens: request.max_tokens,
            system,
            messages: turns,
            temperature: request.temperature,
            stop_sequences: &request.stop,
            stream: true,
        }
    }
}

#[async_trait]
impl Provider for Anthropic {
    fn id(&self) -> &'static str {
        Self::ID
    }

    async fn stream(&self, request: GenerationRequest) -> Result<EventStream, ProviderError> {
        let Some(key) = &self.api_key else {
            return Err(ProviderError::NotConfigured { provider: Self::ID });
        };
        let url = format!("{}/v1/messages", self.base_url);
        let body = MessagesBody::new(&request);
        let build = || {
            self.transport
                .client()
                .post(&url)
                .header("x-api-key", key.expose_secret())
                .header("anthropic-version", API_VERSION)
                .json(&body)
        };
        let opened = self
            .transport
            .open(build, ErrorReply::into_error, Some(key))
            .await?;
        let idle = self.transport.settings().timeouts.idle;
        Ok(event_stream(opened, idle, MessagesDecoder::default()))
    }

    async fn check_key(&self) -> Result<(), ProviderError> {
        let Some(key) = &self.api_key else {
            return Err(ProviderError::NotConfigured { provider: Self::ID });
        };
        let url = format!("{}/v1/models", self.base_url);
        let build = || {
            self.transport
                .client()
                .get(&url)
                .header("x-api-key", key.expose_secret())
                .header("anthropic-version", API_VERSION)
        };
        self.transport
            .open(build, ErrorReply::into_error, Some(key))
            .await
            .map(drop)
    }
}

#[derive(Default)]
struct MessagesDecoder {
    input_tokens: u32,
    output_tokens: u32,
    stop_reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Payload {
    MessageStart {
        message: StartedMessage,
    },
    ContentBlockDelta {
        delta: BlockDelta,
    },
    MessageDelta {
        delta: MessageDelta,
        usage: Option<OutputUsage>,
    },
    MessageStop,
    Error {
        error: ApiError,
    },
    /// `ping`, `content_block_start`, `content_block_stop`, and types added later.
    #[serde(other)]
    Ignored,
}

#[derive(Deserialize)]
struct StartedMessage {
    usage: Option<InputUsage>,
}

/// Cached prompt tokens are counted apart by Anthropic; they are still prompt tokens.
#[derive(Deserialize)]
struct InputUsage {
    #[serde(default)]
    input_tokens: u32,
    #[serde(default)]
    cache_creation_input_tokens: Option<u32>,
    #[serde(default)]
    cache_read_input_tokens: Option<u32>,
    #[serde(default)]
    output_tokens: u32,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum BlockDelta {
    TextDelta {
        text: String,
    },
    /// Thinking, tool-input and citation deltas: not text for the user.
    #[serde(other)]
    Ignored,
}

#[derive(Deserialize)]
struct MessageDelta {
    stop_reason: Option<String>,
}

/// Cumulative output tokens so far.
#[derive(Deserialize)]
struct OutputUsage {
    output_tokens: u32,
}

#[derive(Deserialize)]
struct ApiError {
    #[serde(rename = "type")]
    kind: String,
    message: String,
}

impl Decoder for MessagesDecoder {
    fn decode(
        &mut self,
        event: &Event,
        out: &mut VecDeque<StreamEvent>,
    ) -> Result<Flow, ProviderError> {
        match parse_json(&event.data)? {
            Payload::MessageStart { message } => {
                if let Some(usage) = message.usage {
                    self.input_tokens = usage.input_tokens
                        + usage.cache_creation_input_tokens.unwrap_or(0)
                        + usage.cache_read_input_tokens.unwrap_or(0);
                    self.output_tokens = usage.output_tokens;
                }
            }
            Payload::ContentBlockDelta {
                delta: BlockDelta::TextDelta { text },
            } if !text.is_empty() => out.push_back(StreamEvent::Delta(text)),
            Payload::MessageDelta { delta, usage } => {
                if let Some(usage) = usage {
                    self.output_tokens = usage.output_tokens;
                }
                if delta.stop_reason.is_some() {
                    self.stop_reason = delta.stop_reason;
                }
            }
            Payload::MessageStop => {
                out.push_back(StreamEvent::Usage {
                    prompt_tokens: self.input_tokens,
                    completion_tokens: self.output_tokens,
                });
                let reason = finish_reason(self.stop_reason.as_deref());
                out.push_back(StreamEvent::Finished { reason });
                return Ok(Flow::Done);
            }
            Payload::Error { error } => return Err(stream_error(error)),
            Payload::ContentBlockDelta { .. } | Payload::Ignored => {}
        }
        Ok(Flow::More)
    }
}

fn finish_reason(reason: Option<&str>) -> FinishReason {
    match reason {
        None | Some("end_turn" | "stop_sequence") => FinishReason::Stop,
        Some("max_tokens") => FinishReason::Length,
        Some(other) => FinishReason::Other(other.to_owned()),
    }
}

/// An `error` event mid-stream carries a type instead of a status; map it to the status the
/// same error would have had before the stream began.
fn stream_error(error: ApiError) -> ProviderError {
    let status = match error.kind.as_str() {
        "invalid_request_error" => 400,
        "authentication_error" => 401,
        "permission_error" => 403,
        "not_found_error" => 404,
        "rate_limit_error" => 429,
        "overloaded_error" => 529,
        _ => 500,
    };
    ProviderError::from_status(status, None, error.message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(data: &str) -> Event {
        Event {
            data: data.into(),
            ..Event::default()
        }
    }

    #[test]
    fn system_messages_move_to_the_system_field() {
        let request = GenerationRequest {
            model: "claude".into(),
            messages: vec![
                Message::system("Be brief."),
                Message::user("Hi"),
                Message::system("Use British spelling."),
            ],
            max_tokens: 10,
            temperature: None,
            stop: vec![],
            task: crate::types::Task::Chat,
            input: String::new(),
            seed: 0,
            target_words: None,
        };
        let body = serde_json::to_value(MessagesBody::new(&request)).unwrap();
        assert_eq!(body["system"], "Be brief.\n\nUse British spelling.");
        assert_eq!(
            body["messages"],
            serde_json::json!([{"role": "user", "content": "Hi"}])
        );
        assert!(body.get("stop_sequences").is_none());
    }

    #[test]
    fn an_overloaded_error_event_is_upstream_unavailable() {
        let mut decoder = MessagesDecoder::default();
        let error = decoder.decode(
            &event(
                r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
            ),
            &mut VecDeque::new(),
        );
        assert_eq!(
            error,
            Err(ProviderError::UpstreamUnavailable {
                status: 529,
                message: "Overloaded".into()
            })
        );
    }

    #[test]
    fn thinking_deltas_are_not_text() {
        let mut decoder = MessagesDecoder::default();
        let mut out = VecDeque::new();
        let data = r#"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hmm"}}"#;
        assert_eq!(decoder.decode(&event(data), &mut out), Ok(Flow::More));
        assert!(out.is_empty());
    }
}
