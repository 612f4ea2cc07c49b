//! Google's Gemini API, `streamGenerateContent` with `alt=sse`.
//!
//! Each event is a whole `GenerateContentResponse`: text in `candidates[0].content.parts`,
//! `finishReason` on the last one, `usageMetadata` along the way. There is no end marker
//! beyond that `finishReason`, so a stream that closes before it is cut short.

use std::collections::VecDeque;

use async_trait::async_trait;
use eventsource_stream::Event;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::error::ProviderError;
use crate::http::{ErrorReply, Transport};
use crate::provider::Provider;
use crate::sse::{event_stream, parse_json, Decoder, Flow};
use crate::types::{EventStream, FinishReason, GenerationRequest, Role, StreamEvent};

#[derive(Debug, Clone)]
pub struct Gemini {
    base_url: String,
    api_key: Option<SecretString>,
    transport: Transport,
}

impl Gemini {
    pub const ID: &'static str = "gemini";
    pub const DEFAULT_BASE_URL: &'static str = "https://generativelanguage.googleapis.com";

    /// `base_url` is the part before `/v1beta/models/..`.
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

    fn url(&self, model: &str) -> Result<String, ProviderError> {
        // The catalog may say `models/gemini-..` (as the API lists them) or just `gemini-..`.
        let model = model.strip_prefix("models/").unwrap_or(model);
        if model.is_empty() || model.contains(['/', '?', '#', ' ']) {
            return Err(ProviderError::BadRequest {
                message: format!("not a Gemini model name: {model:?}"),
            });
        }
        Ok(format!(
            "{}/v1beta/models/{model}:streamGenerateContent?alt=sse",
            self.base_url
        ))
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GenerateBody<'a> {
    contents: Vec<Content<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    system_instruction: Option<Content<'a>>,
    generation_config: GenerationConfig<'a>,
}

#[derive(Serialize)]
struct Content<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'static str>,
    parts: Vec<TextPart<'a>>,
}

#[derive(Serialize)]
struct TextPart<'a> {
    text: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GenerationConfig<'a> {
    max_output_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    stop_sequences: &'a [String],
}

impl<'a> GenerateBody<'a> {
    fn new(request: &'a GenerationRequest) -> Self {
        let mut system = Vec::new();
        let mut contents = Vec::new();
        for message in &request.messages {
            let part = TextPart {
                text: &message.content,
            };
            match message.role {
                Role::System => system.push(part),
                Role::User => contents.push(turn("user", part)),
                Role::Assistant => contents.push(turn("model", part)),
            }
        }
        Self {
            contents,
            system_instruction: (!system.is_empty()).then_some(Content {
                role: None,
                parts: system,
            }),
            generation_config: GenerationConfig {
                max_output_tokens: request.max_tokens,
                temperature: request.temperature,
                stop_sequences: &request.stop,
            },
        }
    }
}

fn turn<'a>(role: &'static str, part: TextPart<'a>) -> Content<'a> {
    Content {
        role: Some(role),
        parts: vec![part],
    }
}

#[async_trait]
impl Provider for Gemini {
    fn id(&self) -> &'static str {
        Self::ID
    }

    async fn stream(&self, request: GenerationRequest) -> Result<EventStream, ProviderError> {
        let Some(key) = &self.api_key else {
            return Err(ProviderError::NotConfigured { provider: Self::ID });
        };
        let url = self.url(&request.model)?;
        let body = GenerateBody::new(&request);
        let build = || {
            self.transport
                .client()
                .post(&url)
                .header("x-goog-api-key", key.expose_secret())
                .json(&body)
        };
        let opened = self.transport.open(build, classify, Some(key)).await?;
        let idle = self.transport.settings().timeouts.idle;
        Ok(event_stream(opened, idle, GenerateDecoder::default()))
    }

    async fn check_key(&self) -> Result<(), ProviderError> {
        let Some(key) = &self.api_key else {
            return Err(ProviderError::NotConfigured { provider: Self::ID });
        };
        let url = format!("{}/v1beta/models", self.base_url);
        let build = || {
            self.transport
                .client()
                .get(&url)
                .header("x-goog-api-key", key.expose_secret())
        };
        self.transport
            .open(build, classify, Some(key))
            .await
            .map(drop)
    }
}

/// Gemini answers a bad key with 400 INVALID_ARGUMENT; the reason says what it really is.
fn classify(reply: ErrorReply) -> ProviderError {
    if reply.status == 400 && reply.body.contains("API_KEY_INVALID") {
        return ErrorReply {
            status: 401,
            ..reply
        }
        .into_error();
    }
    reply.into_error()
}

#[derive(Default)]
struct GenerateDecoder {
    usage: Option<UsageMetadata>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Chunk {
    #[serde(default)]
    candidates: Vec<Candidate>,
    usage_metadata: Option<UsageMetadata>,
    prompt_feedback: Option<PromptFeedback>,
    error: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Candidate {
    content: Option<CandidateContent>,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct CandidateContent {
    #[serde(default)]
    parts: Vec<Part>,
}

#[derive(Deserialize)]
struct Part {
    text: Option<String>,
    /// Thought summaries of thinking models: not text for the user.
    #[serde(default)]
    thought: bool,
}

/// Counts so far; thinking tokens are billed as output, so they count as completion.
#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "camelCase")]
struct UsageMetadata {
    #[serde(default)]
    prompt_token_count: u32,
    #[serde(default)]
    candidates_token_count: u32,
    #[serde(default)]
    thoughts_token_count: u32,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PromptFeedback {
    block_reason: Option<String>,
}

impl Decoder for GenerateDecoder {
    fn decode(
        &mut self,
        event: &Event,
        out: &mut VecDeque<StreamEvent>,
    ) -> Result<Flow, ProviderError> {
        let chunk: Chunk = parse_json(&event.data)?;
        if let Some(error) = chunk.error {
            return Err(in_stream_error(error));
        }
        if chunk.usage_metadata.is_some() {
            self.usage = chunk.usage_metadata;
        }
        let mut finish = None;
        if let Some(candidate) = chunk.candidates.into_iter().next() {
            let parts = candidate.content.map(|content| content.parts);
            for part in parts.into_iter().flatten().filter(|part| !part.thought) {
                match part.text {
                    Some(text) if !text.is_empty() => out.push_back(StreamEvent::Delta(text)),
                    _ => {}
                }
            }
            finish = candidate.finish_reason.as_deref().map(finish_reason);
        } else if let Some(reason) = chunk.prompt_feedback.and_then(|f| f.block_reason) {
            // The prompt itself was blocked: no candidates will come.
            finish = Some(FinishReason::Other(format!("blocked: {reason}")));
        }
        let Some(reason) = finish else {
            return Ok(Flow::More);
        };
        if let Some(usage) = self.usage {
            out.push_back(StreamEvent::Usage {
                prompt_tokens: usage.prompt_token_count,
                completion_tokens: usage.candidates_token_count + usage.thoughts_token_count,
            });
        }
        out.push_back(StreamEvent::Finished { reason });
        Ok(Flow::Done)
    }
}

fn finish_reason(reason: &str) -> FinishReason {
    match reason {
        "STOP" => FinishReason::Stop,
        "MAX_TOKENS" => FinishReason::Length,
        other => FinishReason::Other(other.to_owned()),
    }
}

fn in_stream_error(error: serde_json::Value) -> ProviderError {
    let status = error
        .get("code")
        .and_then(serde_json::Value::as_u64)
        .and_then(|code| u16::try_from(code).ok())
        .filter(|code| (400..600).contains(code))
        .unwrap_or(500);
    classify(ErrorReply {
        status,
        retry_after: None,
        body: serde_json::json!({ "error": error }).to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Message, Task};

    #[test]
    fn roles_and_system_instruction_follow_gemini_names() {
        let request = GenerationRequest {
            model: "gemini-2.0-flash".into(),
            messages: vec![
                Message::system("Be brief."),
                Message::user("Hi"),
                Message::assistant("Hello"),
            ],
            max_tokens: 64,
            temperature: Some(0.5),
            stop: vec!["END".into()],
            task: Task::Chat,
            input: String::new(),
            seed: 0,
            target_words: None,
        };
        let body = serde_json::to_value(GenerateBody::new(&request)).unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "contents": [
                    {"role": "user", "parts": [{"text": "Hi"}]},
                    {"role": "model", "parts": [{"text": "Hello"}]}
                ],
                "systemInstruction": {"parts": [{"text": "Be brief."}]},
                "generationConfig": {
                    "maxOutputTokens": 64,
                    "temperature": 0.5,
                    "stopSequences": ["END"]
                }
            })
        );
    }

    #[test]
    fn an_invalid_key_is_unauthorized() {
        let body = r#"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"reason":"API_KEY_INVALID"}]}}"#;
        let error = classify(ErrorReply {
            status: 400,
            retry_after: None,
            body: body.into(),
        });
        assert_eq!(error.code(), "unauthorized");
        assert!(error.to_string().contains("API key not valid"));
    }

    #[test]
    fn a_blocked_prompt_finishes_with_the_reason() {
        let mut decoder = GenerateDecoder::default();
        let mut out = VecDeque::new();
        let event = Event {
            data: r#"{"promptFeedback":{"blockReason":"SAFETY"}}"#.into(),
            ..Event::default()
        };
        assert_eq!(decoder.decode(&event, &mut out), Ok(Flow::Done));
        assert_eq!(
            Vec::from(out),
            [StreamEvent::Finished {
                reason: FinishReason::Other("blocked: SAFETY".into())
            }]
        );
    }

    #[test]
    fn model_names_with_path_characters_are_refused() {
        let transport = Transport::new(Default::default()).unwrap();
        let gemini = Gemini::new("http://x", None, transport);
        assert!(gemini.url("models/gemini-2.0-flash").is_ok());
        assert_eq!(gemini.url("../x").map_err(|e| e.code()), Err("bad_request"));
    }
}
