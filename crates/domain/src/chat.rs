//! Chat completion requests (the OpenAI-compatible API), checked once at the edge.

use crate::generation::text_field;
use crate::validation::{FieldError, FieldErrors};

/// The most characters of all messages together.
pub const MAX_CONVERSATION_CHARS: usize = 100_000;
pub const MAX_MESSAGES: usize = 200;
pub const MAX_STOP_SEQUENCES: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatRole {
    System,
    User,
    Assistant,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    pub messages: Vec<(ChatRole, String)>,
    pub max_tokens: Option<u32>,
    pub temperature: Option<f32>,
    pub stop: Vec<String>,
}

/// The request as it arrived: each message's role and text (`None` when its content had
/// parts other than text).
#[derive(Debug, Clone, Default)]
pub struct RawChat<'a> {
    pub messages: Vec<(&'a str, Option<String>)>,
    pub max_tokens: Option<i64>,
    pub temperature: Option<f32>,
    pub stop: Vec<String>,
    pub n: Option<i64>,
    /// `response_format.type`, when sent; only `text` is supported.
    pub response_format: Option<&'a str>,
}

impl ChatRequest {
    pub fn parse(raw: RawChat<'_>) -> Result<Self, Vec<FieldError>> {
        let mut errors = FieldErrors::new();
        if raw.messages.is_empty() || raw.messages.len() > MAX_MESSAGES {
            errors.push(FieldError::new(
                "messages",
                "out_of_range",
                format!("Send 1 to {MAX_MESSAGES} messages."),
            ));
        }
        let total: usize = raw
            .messages
            .iter()
            .map(|(_, text)| text.as_deref().map_or(0, |t| t.chars().count()))
            .sum();
        if total > MAX_CONVERSATION_CHARS {
            errors.push(FieldError::new(
                "messages",
                "too_long",
                format!(
                    "The messages may have at most {MAX_CONVERSATION_CHARS} characters in all."
                ),
            ));
        }
        let mut messages = Vec::with_capacity(raw.messages.len());
        for (index, (role, text)) in raw.messages.into_iter().enumerate() {
            let field = format!("messages[{index}]");
            let role = match role {
                "system" | "developer" => Some(ChatRole::System),
                "user" => Some(ChatRole::User),
                "assistant" => Some(ChatRole::Assistant),
                _ => {
                    errors.push(FieldError::new(
                        format!("{field}.role"),
                        "unknown_role",
                        "`role` is system, developer, user or assistant.",
                    ));
                    None
                }
            };
            let text = match text {
                Some(text) => errors.check(
                    text_field("content", &text, MAX_CONVERSATION_CHARS).map_err(|e| {
                        FieldError::new(format!("{field}.content"), e.code, e.message)
                    }),
                ),
                None => {
                    errors.push(FieldError::new(
                        format!("{field}.content"),
                        "unsupported_content",
                        "Only text content is supported.",
                    ));
                    None
                }
            };
            if let (Some(role), Some(text)) = (role, text) {
                messages.push((role, text));
            }
        }
        if !messages.is_empty() && !messages.iter().any(|(role, _)| *role == ChatRole::User) {
            errors.push(FieldError::new(
                "messages",
                "no_user_message",
                "Send at least one `user` message.",
            ));
        }
        let max_tokens = match raw.max_tokens.map(u32::try_from) {
            None => None,
            Some(Ok(n)) if n > 0 => Some(n),
            Some(_) => {
                errors.push(FieldError::new(
                    "max_tokens",
                    "out_of_range",
                    "`max_tokens` is at least 1.",
                ));
                None
            }
        };
        if let Some(t) = raw.temperature {
            if !(0.0..=2.0).contains(&t) {
                errors.push(FieldError::new(
                    "temperature",
                    "out_of_range",
                    "`temperature` is between 0 and 2.",
                ));
            }
        }
        if raw.n.is_some_and(|n| n != 1) {
            errors.push(FieldError::new(
                "n",
                "unsupported",
                "Only `n: 1` is supported.",
            ));
        }
        if raw.response_format.is_some_and(|kind| kind != "text") {
            errors.push(FieldError::new(
                "response_format",
                "unsupported",
                "Only `response_format: {\"type\": \"text\"}` is supported.",
            ));
        }
        if raw.stop.len() > MAX_STOP_SEQUENCES
            || raw.stop.iter().any(|s| s.is_empty() || s.len() > 200)
        {
            errors.push(FieldError::new(
                "stop",
                "invalid",
                format!("Send at most {MAX_STOP_SEQUENCES} non-empty stop sequences."),
            ));
        }
        errors.finish()?;
        Ok(Self {
            messages,
            max_tokens,
            temperature: raw.temperature,
            stop: raw.stop,
        })
    }

    /// The last thing the user said.
    pub fn last_user_message(&self) -> &str {
        self.messages
            .iter()
            .rev()
            .find(|(role, _)| *role == ChatRole::User)
            .map_or("", |(_, text)| text.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw<'a>(messages: Vec<(&'a str, Option<&str>)>) -> RawChat<'a> {
        RawChat {
            messages: messages
                .into_iter()
                .map(|(role, text)| (role, text.map(str::to_owned)))
                .collect(),
            ..RawChat::default()
        }
    }

    fn codes(result: Result<ChatRequest, Vec<FieldError>>) -> Vec<&'static str> {
        result
            .err()
            .unwrap_or_default()
            .iter()
            .map(|e| e.code)
            .collect()
    }

    #[test]
    fn a_conversation_parses() {
        let chat = ChatRequest::parse(raw(vec![
            ("developer", Some("Be brief.")),
            ("user", Some("Hi")),
            ("assistant", Some("Hello!")),
            ("user", Some("A haiku?")),
        ]))
        .unwrap();
        assert_eq!(chat.messages[0].0, ChatRole::System);
        assert_eq!(chat.last_user_message(), "A haiku?");
    }

    #[test]
    fn bad_conversations_are_refused() {
        assert_eq!(codes(ChatRequest::parse(raw(vec![]))), ["out_of_range"]);
        assert_eq!(
            codes(ChatRequest::parse(raw(vec![
                ("robot", Some("x")),
                ("user", None)
            ]))),
            ["unknown_role", "unsupported_content"]
        );
        assert_eq!(
            codes(ChatRequest::parse(raw(vec![("system", Some("x"))]))),
            ["no_user_message"]
        );
        let mut bad = raw(vec![("user", Some("x"))]);
        bad.max_tokens = Some(0);
        bad.temperature = Some(3.0);
        bad.n = Some(2);
        bad.stop = vec![String::new()];
        bad.response_format = Some("json_object");
        assert_eq!(
            codes(ChatRequest::parse(bad)),
            [
                "out_of_range",
                "out_of_range",
                "unsupported",
                "unsupported",
                "invalid"
            ]
        );
        let mut text = raw(vec![("user", Some("x"))]);
        text.response_format = Some("text");
        assert!(ChatRequest::parse(text).is_ok());
    }
}
