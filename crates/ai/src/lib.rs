//! Penora's generation providers.
//!
//! Everything that writes text implements [`Provider`]: it takes a [`GenerationRequest`] and
//! streams [`StreamEvent`]s (text deltas, then usage, then why it finished). Implementations:
//!
//! - [`Offline`]: the deterministic demo model; no key, no network.
//! - [`OpenAiCompatible`]: DeepInfra, OpenAI, Groq, OpenRouter, Ollama, vLLM, llama.cpp.
//! - [`Anthropic`] and [`Gemini`].
//!
//! [`ProviderConfig`] says which upstreams have keys; [`Providers`] holds one client each.
//! Upstream failures become a [`ProviderError`] with a stable `code()`. Requests are retried
//! only before the first byte of a stream, never after text has been yielded.
//!
//! This crate knows nothing of billing or HTTP serving; the server does both around it.

mod anthropic;
mod config;
mod error;
mod gemini;
mod http;
pub mod metrics;
mod offline;
mod openai;
mod provider;
mod providers;
mod retry;
mod sse;
mod types;

pub use anthropic::Anthropic;
pub use config::{ApiFormat, KnownUpstream, ProviderConfig, UpstreamConfig, KNOWN_UPSTREAMS};
pub use error::{ProviderError, TimeoutPhase};
pub use gemini::Gemini;
pub use http::{ClientBuildError, HttpSettings, Timeouts, Transport};
pub use offline::{Offline, OFFLINE_CONTROLS, OFFLINE_ID, OFFLINE_LABEL, OFFLINE_UNBROKEN};
pub use openai::OpenAiCompatible;
pub use provider::Provider;
pub use providers::Providers;
pub use retry::RetryPolicy;
pub use secrecy::SecretString;
pub use types::{
    EventStream, FinishReason, GenerationRequest, Message, RewriteStyle, Role, StreamEvent, Task,
};
