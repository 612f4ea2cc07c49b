//! The three streaming formats the fake speaks, as SSE event text: OpenAI-compatible chat
//! completions, Anthropic Messages and Gemini streamGenerateContent.

use serde_json::{json, Value};

/// A provider's streaming format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    OpenAi,
    Anthropic,
    Gemini,
}

impl Wire {
    /// Events before the first delta.
    pub fn opening(self) -> Vec<String> {
        match self {
            Self::OpenAi => vec![openai_data(json!({
                "id": "chatcmpl-1", "object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": null}]
            }))],
            Self::Anthropic => vec![
                anthropic_message_start(12),
                anthropic_event(
                    "content_block_start",
                    json!({"type": "content_block_start", "index": 0,
                           "content_block": {"type": "text", "text": ""}}),
                ),
                anthropic_event("ping", json!({"type": "ping"})),
            ],
            Self::Gemini => Vec::new(),
        }
    }

    pub fn delta(self, text: &str) -> String {
        match self {
            Self::OpenAi => openai_data(json!({
                "id": "chatcmpl-1", "object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": null}]
            })),
            Self::Anthropic => anthropic_event(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": 0,
                       "delta": {"type": "text_delta", "text": text}}),
            ),
            Self::Gemini => gemini_chunk(text, None, Some((12, 1))),
        }
    }

    /// The finish (reason "stop"), usage, and end marker. Anthropic sends the prompt count
    /// in its opening (always 12 there).
    pub fn closing(self, prompt_tokens: u32, completion_tokens: u32) -> Vec<String> {
        match self {
            Self::OpenAi => vec![
                openai_data(
                    json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}),
                ),
                openai_data(json!({
                    "choices": [],
                    "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                              "total_tokens": prompt_tokens + completion_tokens}
                })),
                "data: [DONE]\n\n".to_owned(),
            ],
            Self::Anthropic => anthropic_message_end("end_turn", completion_tokens),
            Self::Gemini => vec![gemini_chunk(
                "",
                Some("STOP"),
                Some((prompt_tokens, completion_tokens)),
            )],
        }
    }

    /// A whole successful stream of these deltas.
    pub fn stream<S: AsRef<str>>(self, deltas: &[S]) -> Vec<String> {
        self.stream_reporting(deltas, 3)
    }

    /// A whole successful stream of these deltas, reporting `completion_tokens` as used.
    pub fn stream_reporting<S: AsRef<str>>(
        self,
        deltas: &[S],
        completion_tokens: u32,
    ) -> Vec<String> {
        let mut events = self.opening();
        events.extend(deltas.iter().map(|text| self.delta(text.as_ref())));
        events.extend(self.closing(12, completion_tokens));
        events
    }

    /// An error body in the provider's format.
    pub fn error_body(self, message: &str) -> String {
        match self {
            Self::OpenAi => {
                json!({"error": {"message": message, "type": "invalid_request_error", "code": null}})
            }
            Self::Anthropic => {
                json!({"type": "error", "error": {"type": "invalid_request_error", "message": message}})
            }
            Self::Gemini => {
                json!({"error": {"code": 400, "message": message, "status": "INVALID_ARGUMENT"}})
            }
        }
        .to_string()
    }
}

pub fn openai_data(value: Value) -> String {
    format!("data: {value}\n\n")
}

pub fn anthropic_event(name: &str, value: Value) -> String {
    format!("event: {name}\ndata: {value}\n\n")
}

pub fn anthropic_message_start(input_tokens: u32) -> String {
    anthropic_event(
        "message_start",
        json!({"type": "message_start", "message": {
            "id": "msg_1", "type": "message", "role": "assistant", "content": [],
            "model": "claude-3-5-haiku-latest", "stop_reason": null,
            "usage": {"input_tokens": input_tokens, "output_tokens": 1}
        }}),
    )
}

pub fn anthropic_message_end(stop_reason: &str, output_tokens: u32) -> Vec<String> {
    vec![
        anthropic_event(
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 0}),
        ),
        anthropic_event(
            "message_delta",
            json!({"type": "message_delta",
                   "delta": {"stop_reason": stop_reason, "stop_sequence": null},
                   "usage": {"output_tokens": output_tokens}}),
        ),
        anthropic_event("message_stop", json!({"type": "message_stop"})),
    ]
}

/// Gemini separates events with CRLF pairs.
pub fn gemini_chunk(text: &str, finish: Option<&str>, usage: Option<(u32, u32)>) -> String {
    let mut candidate =
        json!({"content": {"parts": [{"text": text}], "role": "model"}, "index": 0});
    if let Some(reason) = finish {
        candidate["finishReason"] = json!(reason);
    }
    let mut value = json!({"candidates": [candidate], "modelVersion": "gemini-2.0-flash"});
    if let Some((prompt, completion)) = usage {
        value["usageMetadata"] = json!({"promptTokenCount": prompt,
            "candidatesTokenCount": completion, "totalTokenCount": prompt + completion});
    }
    format!("data: {value}\r\n\r\n")
}

/// `chars` characters of base64 without a single word break, in deltas of `per_delta`: one
/// "word" to UAX #29, however long.
pub fn unbroken_deltas(chars: usize, per_delta: usize) -> Vec<String> {
    let text: Vec<char> = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0123456789"
        .chars()
        .cycle()
        .take(chars)
        .collect();
    text.chunks(per_delta.max(1))
        .map(|chunk| chunk.iter().collect())
        .collect()
}
