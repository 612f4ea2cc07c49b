//! Balances, history, models and cost estimates. Amounts are integer millicredits (`*_mc`;
//! 1 credit = 1000 mc, about 100 generated words at 1x).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Balance {
    /// Credits owned.
    pub balance_mc: i64,
    /// Credits held for generations in progress.
    pub reserved_mc: i64,
    /// What can be spent now: balance minus reserved.
    pub available_mc: i64,
}

/// One ledger entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Transaction {
    pub id: Uuid,
    /// `welcome`, `purchase`, `subscription_grant`, `generation`, `refund`, `app_debit`,
    /// `app_refund` or `admin_adjustment`.
    pub kind: String,
    /// Signed: negative amounts spend.
    pub amount_mc: i64,
    pub balance_after_mc: i64,
    pub reference: String,
    pub related_entry_id: Option<Uuid>,
    pub model: Option<String>,
    pub words: Option<i64>,
    pub description: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TransactionPage {
    pub items: Vec<Transaction>,
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsageRow {
    /// The model id, or the UTC day (`YYYY-MM-DD`).
    pub key: String,
    /// Credits spent (positive).
    pub spent_mc: i64,
    pub words: i64,
    pub entries: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Usage {
    /// `model` or `day`.
    pub group_by: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub items: Vec<UsageRow>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EstimateRequest {
    #[cfg_attr(feature = "openapi", schema(example = "offline-demo"))]
    pub model: String,
    /// Words to generate, 1 to 100,000.
    #[cfg_attr(feature = "openapi", schema(example = 500))]
    pub words: u64,
    /// The text you will send (prompt, instructions, messages), measured as the generation
    /// measures it. Give this or `input_words`, not both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    /// The billable words of your input, when you measured it yourself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_words: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Estimate {
    pub model: String,
    /// Words to generate.
    pub words: u64,
    /// The model's price multiplier in per-mille (1000 = 1x).
    pub multiplier_per_mille: u32,
    /// The total: `output_cost_mc + input_cost_mc`.
    pub cost_mc: i64,
    /// What the words generated cost.
    pub output_cost_mc: i64,
    /// The billable words of the input (0 when none was given).
    pub input_words: u64,
    /// Billable input words each generation includes free.
    pub free_input_words: u64,
    /// The model's input rate in per-mille.
    pub input_multiplier_per_mille: u32,
    /// What the input beyond the free allowance costs.
    pub input_cost_mc: i64,
}

/// A model of the catalog.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Model {
    pub id: String,
    pub display_name: String,
    /// `offline`, `deepinfra`, `openai`, `anthropic`, `gemini`, or another OpenAI-compatible name.
    pub provider: String,
    pub multiplier_per_mille: u32,
    /// Cost of 100 words, for display.
    pub cost_per_100_words_mc: i64,
    /// The rate of input beyond the free allowance, in per-mille.
    #[serde(default)]
    pub input_multiplier_per_mille: u32,
    pub context_tokens: u32,
    pub max_output_words: u32,
    /// Plans that may use it; empty means every account.
    pub plans: Vec<String>,
    /// False when switched off or its provider has no key configured (on the server, or —
    /// when you ask signed in — your own).
    pub available: bool,
    pub description: String,
    /// Signed in: you stored your own key for its provider, so it runs on your key and costs
    /// no credits.
    #[serde(default)]
    pub own_key: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelList {
    pub models: Vec<Model>,
    /// The model used when none is named.
    pub default_model: String,
}
