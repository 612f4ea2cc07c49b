//! What can go wrong talking to a provider, with a stable `code()` per kind so the server can
//! put it in its `error` event without matching on text.
//!
//! The `Display` text carries the upstream's own message (from its error body, without the
//! API key: the transport removes the key from bodies before they get here), which can name
//! the provider account (organisation ids, masked keys): it is for the log. What users see is
//! `summary()`, which carries nothing from the upstream.

use std::fmt;

/// Which wait ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutPhase {
    /// Opening the TCP/TLS connection.
    Connect,
    /// Waiting for the response headers and the first stream event.
    FirstByte,
    /// Waiting for the next stream event after the first.
    Idle,
}

impl fmt::Display for TimeoutPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Connect => "connecting",
            Self::FirstByte => "waiting for the first byte",
            Self::Idle => "waiting for the next event",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The upstream answered 401 or 403: a wrong, revoked or unpermitted key.
    #[error("the provider rejected the credentials: {message}")]
    Unauthorized { message: String },
    /// The upstream answered 429; `retry_after` is its Retry-After in seconds, when given.
    #[error("the provider is rate limiting requests: {message}")]
    RateLimited {
        retry_after: Option<u64>,
        message: String,
    },
    /// The upstream answered 5xx (or reported an overload mid-stream).
    #[error("the provider is unavailable (HTTP {status}): {message}")]
    UpstreamUnavailable { status: u16, message: String },
    /// The upstream refused the request itself (400/404/422), e.g. an unknown model.
    #[error("the provider refused the request: {message}")]
    BadRequest { message: String },
    #[error("timed out {phase}")]
    Timeout { phase: TimeoutPhase },
    /// The connection failed or broke (refused, reset, cut mid-body).
    #[error("connection to the provider failed: {detail}")]
    Connection { detail: String },
    /// The stream arrived but could not be understood.
    #[error("the provider sent a malformed stream: {detail}")]
    MalformedStream { detail: String },
    /// The stream closed cleanly but without its end marker, so the text may be cut short.
    #[error("the provider's stream ended before it said it was done")]
    StreamEndedEarly,
    /// No API key for this provider.
    #[error("the {provider} provider is not configured")]
    NotConfigured { provider: &'static str },
}

impl ProviderError {
    /// A stable, machine-readable name for the kind of error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthorized { .. } => "unauthorized",
            Self::RateLimited { .. } => "rate_limited",
            Self::UpstreamUnavailable { .. } => "upstream_unavailable",
            Self::BadRequest { .. } => "bad_request",
            Self::Timeout { .. } => "timeout",
            Self::Connection { .. } => "connection",
            Self::MalformedStream { .. } => "malformed_stream",
            Self::StreamEndedEarly => "stream_ended_early",
            Self::NotConfigured { .. } => "not_configured",
        }
    }

    /// A sentence for users, the same for every error of a kind: nothing the upstream said
    /// (its message, account ids, masked keys, addresses) is in it.
    pub fn summary(&self) -> &'static str {
        match self {
            Self::Unauthorized { .. } => {
                "The AI provider did not accept the credentials used for this model."
            }
            Self::RateLimited { .. } => {
                "The AI provider is limiting requests right now; try again shortly."
            }
            Self::UpstreamUnavailable { .. } => {
                "The AI provider is unavailable right now; try again later."
            }
            Self::BadRequest { .. } => "The AI provider refused the request.",
            Self::Timeout { .. } => "The AI provider did not answer in time.",
            Self::Connection { .. } => "The connection to the AI provider failed.",
            Self::MalformedStream { .. } => {
                "The AI provider sent an answer that could not be read."
            }
            Self::StreamEndedEarly => "The AI provider's answer ended before it was complete.",
            Self::NotConfigured { .. } => "This model's provider is not configured on this server.",
        }
    }

    /// Seconds the upstream asked us to wait, for rate limiting.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Maps an upstream HTTP error status and its human message.
    pub(crate) fn from_status(status: u16, retry_after: Option<u64>, message: String) -> Self {
        match status {
            401 | 403 => Self::Unauthorized { message },
            408 => Self::Timeout {
                phase: TimeoutPhase::FirstByte,
            },
            429 => Self::RateLimited {
                retry_after,
                message,
            },
            500..=599 => Self::UpstreamUnavailable { status, message },
            _ => Self::BadRequest { message },
        }
    }

    pub(crate) fn malformed(detail: impl fmt::Display) -> Self {
        Self::MalformedStream {
            detail: detail.to_string(),
        }
    }

    /// A transport failure from reqwest, with its cause chain (the URL left out).
    pub(crate) fn from_transport(error: reqwest::Error, phase: TimeoutPhase) -> Self {
        if error.is_timeout() {
            let phase = if error.is_connect() {
                TimeoutPhase::Connect
            } else {
                phase
            };
            return Self::Timeout { phase };
        }
        Self::Connection {
            detail: describe_chain(&error.without_url()),
        }
    }
}

/// "outer: cause: root cause", because reqwest's own message ("error sending request") hides
/// what actually happened.
fn describe_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The longest upstream message we pass on; bodies can be whole HTML error pages.
const MAX_MESSAGE_CHARS: usize = 300;

/// Finds the human message in an upstream error body. Knows the shapes our providers use:
/// `{"error": {"message": ..}}` (OpenAI, Anthropic, Gemini), `{"error": ".."}` (Ollama),
/// `{"detail": ..}` (DeepInfra, vLLM) and `{"message": ..}`; falls back to the raw text.
pub(crate) fn error_message(body: &str, status: u16) -> String {
    let parsed = serde_json::from_str::<serde_json::Value>(body).ok();
    let found = parsed.as_ref().and_then(|value| {
        [
            "/error/message",
            "/error",
            "/detail/error",
            "/detail/0/msg",
            "/detail",
            "/message",
        ]
        .iter()
        .find_map(|pointer| value.pointer(pointer).and_then(|v| v.as_str()))
        .map(str::to_owned)
    });
    let text = found.unwrap_or_else(|| body.trim().to_owned());
    if text.is_empty() || text.starts_with('<') {
        return format!("HTTP {status}");
    }
    truncate(&text, MAX_MESSAGE_CHARS)
}

fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_codes() {
        let code = |status| ProviderError::from_status(status, None, String::new()).code();
        assert_eq!(code(401), "unauthorized");
        assert_eq!(code(403), "unauthorized");
        assert_eq!(code(429), "rate_limited");
        assert_eq!(code(500), "upstream_unavailable");
        assert_eq!(code(503), "upstream_unavailable");
        assert_eq!(code(529), "upstream_unavailable");
        assert_eq!(code(400), "bad_request");
        assert_eq!(code(404), "bad_request");
        assert_eq!(code(422), "bad_request");
        assert_eq!(code(408), "timeout");
    }

    #[test]
    fn summaries_carry_nothing_from_the_upstream() {
        let secret = "org-abc123 sk-...1234";
        for err in [
            ProviderError::from_status(401, None, secret.to_owned()),
            ProviderError::from_status(429, Some(1), secret.to_owned()),
            ProviderError::from_status(503, None, secret.to_owned()),
            ProviderError::from_status(404, None, secret.to_owned()),
            ProviderError::Connection {
                detail: secret.to_owned(),
            },
            ProviderError::malformed(secret),
        ] {
            assert!(err.to_string().contains(secret), "the log keeps the detail");
            assert!(!err.summary().contains("org-"), "{err:?}");
            assert!(!err.summary().is_empty());
        }
    }

    #[test]
    fn messages_are_found_in_each_shape() {
        assert_eq!(
            error_message(r#"{"error":{"message":"no such model"}}"#, 404),
            "no such model"
        );
        assert_eq!(
            error_message(r#"{"error":"model 'x' not found"}"#, 404),
            "model 'x' not found"
        );
        assert_eq!(error_message(r#"{"detail":"bad key"}"#, 401), "bad key");
        assert_eq!(
            error_message(r#"{"detail":[{"msg":"field required"}]}"#, 422),
            "field required"
        );
        assert_eq!(error_message("plain words", 500), "plain words");
        assert_eq!(error_message("<html>oops</html>", 502), "HTTP 502");
        assert_eq!(error_message("", 503), "HTTP 503");
    }

    #[test]
    fn long_messages_are_cut_on_a_char_boundary() {
        let body = "ж".repeat(1000);
        let message = error_message(&body, 500);
        assert_eq!(message.chars().count(), MAX_MESSAGE_CHARS + 1);
    }
}
