//! Writing-tool generations: the request, the stored generation, and the events of a
//! streamed generation (`text/event-stream`: `meta`, `delta`, `usage`, then `done` or
//! `error`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::credits::Balance;

/// Start a generation. Every field but `tool` has a default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateGeneration {
    /// `write`, `continue`, `rewrite`, `describe` or `brainstorm`.
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^(write|continue|rewrite|describe|brainstorm)$")
    )]
    pub tool: String,
    /// The text the tool works on (needed by continue, rewrite and describe).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 50000))]
    pub input: String,
    /// What to write, or extra guidance.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub instructions: String,
    /// Rewrite only: `clearer` (default), `more_vivid`, `shorter`, `longer` or `custom`.
    #[serde(default)]
    pub style: Option<String>,
    /// Rewrite with `style: custom`: the style in your words, e.g. "as a sea shanty".
    #[serde(default)]
    pub custom_style: Option<String>,
    /// `short` (150 words), `medium` (400, default) or `long` (800); capped by the model.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(pattern = "^(short|medium|long)$"))]
    pub length: Option<String>,
    /// An exact word target instead of `length` (1 to 10,000; capped by the model).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 10000))]
    pub words: Option<i64>,
    /// E.g. "playful", "formal".
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub tone: Option<String>,
    /// A model id from `GET /api/v1/models`; the catalog's default when left out.
    #[serde(default)]
    pub model: Option<String>,
}

/// Why a generation failed, when it did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GenerationFailure {
    /// Stable: `upstream_unauthorized`, `upstream_rate_limited`, `upstream_unavailable`,
    /// `upstream_bad_request`, `upstream_timeout`, `upstream_connection`,
    /// `upstream_malformed_stream`, `upstream_stream_ended_early`, `upstream_not_configured`,
    /// `interrupted`, `progress_not_saved` (the server could not record the progress, so the
    /// stream stopped).
    pub code: String,
    pub message: String,
}

/// A generation as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Generation {
    pub id: Uuid,
    /// `write`, `continue`, `rewrite`, `describe`, `brainstorm`, `chat`, `outline`, `chapter`.
    pub tool: String,
    pub model: String,
    /// The model's display name, e.g. "Offline demo model".
    pub model_label: String,
    /// `running`, `completed`, `cancelled`, `failed` or `interrupted`.
    pub status: String,
    pub input: String,
    pub instructions: String,
    /// The text delivered (so far, while running).
    pub output: String,
    /// Billable words: `max(words, ceil(code points / 6), ceil(completion tokens × 3 / 4))`,
    /// what `cost_mc` is priced on.
    pub words: i64,
    /// What it cost (0 while running; settled when it ends).
    pub cost_mc: i64,
    /// What was reserved: the most it could cost.
    pub max_cost_mc: i64,
    /// The billable words of what you supplied (input, instructions, tone, custom style;
    /// a chat's messages; a story step's premise and outline).
    #[serde(default)]
    pub input_words: i64,
    /// The part of `cost_mc` for input beyond the free allowance (0 when the provider
    /// failed before accepting the request).
    #[serde(default)]
    pub input_cost_mc: i64,
    /// `stop` (the model finished), `length` (reached the length asked for),
    /// `credit_limit` (reached what the balance allowed), `cancelled`, `client_disconnected`,
    /// `error`.
    pub finish_reason: Option<String>,
    pub error: Option<GenerationFailure>,
    /// The project the text was saved into, if it was.
    pub project_id: Option<Uuid>,
    /// `credits`, or `own_key` when your own provider key paid for it.
    pub billed_to: String,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// A finished generation (the JSON answer of `POST /generations`) and the balance after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GenerationResult {
    pub generation: Generation,
    pub balance: Balance,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GenerationPage {
    pub items: Vec<Generation>,
    pub next_cursor: Option<String>,
}

/// Save a generation's text: into a new project (leave `project_id` out; `title` names it)
/// or appended to an existing one (a document's text, or a story's new last chapter).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SaveGeneration {
    #[serde(default)]
    pub project_id: Option<Uuid>,
    #[serde(default)]
    pub title: Option<String>,
}

/// SSE `meta`: sent first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MetaEvent {
    pub generation_id: Uuid,
    pub model: String,
    pub model_label: String,
    /// Reserved for this generation: it cannot cost more.
    pub max_cost_mc: i64,
    /// The most billable words it will write (the length asked for, or what the balance
    /// allows).
    pub max_words: i64,
}

/// SSE `delta`: the next piece of text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeltaEvent {
    pub text: String,
}

/// SSE `usage`: words delivered and their cost so far (sent from time to time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsageEvent {
    /// Billable words of the text so far (without the provider's tokens, known at the end).
    pub words: i64,
    pub cost_mc: i64,
}

/// SSE `done` (finished, cancelled) or `error` (failed): the last event. Carries the final
/// cost and the balance after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EndEvent {
    pub generation_id: Uuid,
    pub status: String,
    pub finish_reason: Option<String>,
    /// Billable words charged (the provider's completion tokens included when they count),
    /// never more than the hold pays for.
    pub words: i64,
    pub cost_mc: i64,
    pub balance_mc: i64,
    pub available_mc: i64,
    /// Set on `error` events.
    pub error: Option<GenerationFailure>,
    /// Tokens as the provider reported them (estimated from words when it did not).
    pub prompt_tokens: Option<u32>,
    pub completion_tokens: Option<u32>,
    /// Story steps: the project the text was saved into.
    #[serde(default)]
    pub saved_to: Option<Uuid>,
    /// Story steps: why the text could not be saved (e.g. `quota_exceeded`); it is still
    /// in the generation.
    #[serde(default)]
    pub save_error: Option<GenerationFailure>,
}
