use penora_domain::{BilledTo, GenerationStatus};
use sea_orm::entity::prelude::*;

use crate::text::AsText;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "generations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub tool: String,
    pub model: String,
    pub provider: String,
    #[sea_orm(column_type = "Text")]
    pub input: String,
    #[sea_orm(column_type = "Text")]
    pub instructions: String,
    /// The rest of the request (length, tone, style ...) as JSON.
    #[sea_orm(column_type = "Text")]
    pub params: String,
    /// The text delivered so far (saved as it streams).
    #[sea_orm(column_type = "Text")]
    pub output: String,
    pub words: i64,
    pub cost_mc: i64,
    /// What was reserved: the most this generation can cost (its input's cost included).
    pub max_cost_mc: i64,
    /// The billable words of what the caller supplied (prompt, instructions, messages).
    pub input_words: i64,
    /// What the input beyond the free allowance cost; part of `cost_mc`. Set when the
    /// generation opens, and kept when it closes only if the upstream accepted the request.
    pub input_cost_mc: i64,
    /// `running`, `completed`, `cancelled`, `failed` or `interrupted`.
    pub status: AsText<GenerationStatus>,
    pub finish_reason: Option<String>,
    pub error_code: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub error_message: Option<String>,
    pub hold_id: Option<Uuid>,
    pub cancel_requested: bool,
    pub prompt_tokens: Option<i32>,
    pub completion_tokens: Option<i32>,
    pub project_id: Option<Uuid>,
    /// `credits`, or `own_key` when the user's own provider key paid for it.
    pub billed_to: AsText<BilledTo>,
    pub idempotency_key: Option<String>,
    pub fingerprint: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
