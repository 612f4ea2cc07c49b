//! The vocabulary shared by every provider: what is asked, and what streams back.

use std::pin::Pin;

use futures_util::Stream;
use serde::{Deserialize, Serialize};

use crate::error::ProviderError;

/// Who wrote a message in the conversation sent upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

/// One turn of the conversation; real providers see only these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    pub content: String,
}

impl Message {
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        Self {
            role,
            content: content.into(),
        }
    }

    pub fn system(content: impl Into<String>) -> Self {
        Self::new(Role::System, content)
    }

    pub fn user(content: impl Into<String>) -> Self {
        Self::new(Role::User, content)
    }

    pub fn assistant(content: impl Into<String>) -> Self {
        Self::new(Role::Assistant, content)
    }
}

/// How a rewrite should change the user's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RewriteStyle {
    Clearer,
    MoreVivid,
    Shorter,
    Longer,
    /// The user's own instruction, e.g. "as a pirate".
    Custom(String),
}

/// What the user asked for. Real providers ignore it (the prompt in `messages` already says
/// it); the offline model has no language model, so it follows this instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Task {
    Write,
    Continue,
    Rewrite { style: RewriteStyle },
    Describe,
    Brainstorm,
    Outline { chapters: u32 },
    Chapter { number: u32, title: String },
    Chat,
}

/// One generation, as a provider receives it.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerationRequest {
    /// The upstream model name, e.g. `meta-llama/Meta-Llama-3.1-8B-Instruct`.
    pub model: String,
    pub messages: Vec<Message>,
    pub max_tokens: u32,
    pub temperature: Option<f32>,
    /// Text at which generation stops; the stop text itself is not returned.
    pub stop: Vec<String>,
    pub task: Task,
    /// The user's text the task works on (instructions, the passage to continue or rewrite).
    pub input: String,
    /// Makes the offline model repeatable; real providers do not receive it.
    pub seed: u64,
    /// The length the writer chose, in words: real providers read it in the prompt, the
    /// offline model writes about that much. `None`: the task's own length.
    pub target_words: Option<u32>,
}

/// Why generation ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FinishReason {
    /// The model finished, or hit a stop sequence.
    Stop,
    /// `max_tokens` cut it short.
    Length,
    /// Anything else the upstream reported (content filter, tool use ...), kept verbatim.
    Other(String),
}

/// One item of a generation stream. A successful stream is `Delta*`, then `Usage` (when the
/// upstream reports it), then exactly one `Finished`, then nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEvent {
    Delta(String),
    Usage {
        prompt_tokens: u32,
        completion_tokens: u32,
    },
    Finished {
        reason: FinishReason,
    },
}

/// The stream a provider returns. It owns the upstream connection: dropping it cancels the
/// request. After an `Err` item the stream ends.
pub type EventStream = Pin<Box<dyn Stream<Item = Result<StreamEvent, ProviderError>> + Send>>;
