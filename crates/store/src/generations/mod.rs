//! Generations and the per-user count of running ones.
//!
//! A generation row is written when it starts (with its hold, in one transaction), updated
//! with the text delivered so far while it streams, and closed exactly once: `finish` is a
//! conditional update on `status = 'running'`, so the streaming task, a cancel on another
//! replica and the hold sweeper can all try and only one closes it.

use chrono::Utc;
use penora_domain::{BilledTo, GenerationStatus, Millicredits, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, ExprTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

mod batch;
mod close;
mod open;
mod writer;

pub use close::{Closed, Closing};
pub use open::{Checks, Opening};
pub use writer::Writer;

use crate::entities::generation::{self, Column, Entity as Generations};
use crate::entities::user::{self, Entity as Users};
use crate::text::AsText;
use crate::Page;

pub use crate::entities::generation::Model as GenerationRow;

const RUNNING: AsText<GenerationStatus> = AsText(GenerationStatus::Running);

/// Takes one of the user's `limit` generation slots; false when all are in use.
pub async fn take_slot(
    txn: &impl ConnectionTrait,
    user: UserId,
    limit: u32,
) -> Result<bool, DbErr> {
    let taken = Users::update_many()
        .col_expr(
            user::Column::ActiveGenerations,
            Expr::col(user::Column::ActiveGenerations).add(1),
        )
        .filter(user::Column::Id.eq(user.as_uuid()))
        .filter(user::Column::ActiveGenerations.lt(i64::from(limit)))
        .exec(txn)
        .await?;
    Ok(taken.rows_affected == 1)
}

/// Gives a slot back (in the transaction that closes the generation).
pub async fn release_slot(txn: &impl ConnectionTrait, user: Uuid) -> Result<(), DbErr> {
    Users::update_many()
        .col_expr(
            user::Column::ActiveGenerations,
            Expr::col(user::Column::ActiveGenerations).sub(1),
        )
        .filter(user::Column::Id.eq(user))
        .filter(user::Column::ActiveGenerations.gt(0))
        .exec(txn)
        .await?;
    Ok(())
}

/// A generation as it starts.
#[derive(Debug, Clone)]
pub struct NewGeneration<'a> {
    pub id: Uuid,
    pub user: UserId,
    pub tool: &'a str,
    pub model: &'a str,
    pub provider: &'a str,
    pub input: &'a str,
    pub instructions: &'a str,
    pub params: serde_json::Value,
    /// The hold's amount: the input's cost and the most the output may cost.
    pub max_cost: Millicredits,
    /// The billable words of the caller's input, and what those beyond the free allowance
    /// cost (included in `max_cost`).
    pub input_words: u64,
    pub input_cost: Millicredits,
    pub hold: Option<Uuid>,
    pub project: Option<Uuid>,
    pub billed_to: BilledTo,
    pub idempotency_key: Option<&'a str>,
    pub fingerprint: Option<&'a str>,
}

pub async fn insert(
    txn: &impl ConnectionTrait,
    new: NewGeneration<'_>,
) -> Result<GenerationRow, DbErr> {
    let now = crate::now();
    generation::ActiveModel {
        id: Set(new.id),
        user_id: Set(new.user.as_uuid()),
        tool: Set(new.tool.to_owned()),
        model: Set(new.model.to_owned()),
        provider: Set(new.provider.to_owned()),
        input: Set(new.input.to_owned()),
        instructions: Set(new.instructions.to_owned()),
        params: Set(new.params.to_string()),
        output: Set(String::new()),
        words: Set(0),
        cost_mc: Set(0),
        max_cost_mc: Set(new.max_cost.get()),
        input_words: Set(words_i64(new.input_words)),
        input_cost_mc: Set(new.input_cost.get()),
        status: Set(RUNNING),
        finish_reason: Set(None),
        error_code: Set(None),
        error_message: Set(None),
        hold_id: Set(new.hold),
        cancel_requested: Set(false),
        prompt_tokens: Set(None),
        completion_tokens: Set(None),
        project_id: Set(new.project),
        billed_to: Set(AsText(new.billed_to)),
        idempotency_key: Set(new.idempotency_key.map(str::to_owned)),
        fingerprint: Set(new.fingerprint.map(str::to_owned)),
        created_at: Set(now),
        updated_at: Set(now),
        finished_at: Set(None),
    }
    .insert(txn)
    .await
}

/// Marks a running generation as alive (`updated_at`), saving its text and words delivered
/// so far when given. False when it is no longer running: something else closed it (a
/// sweeper, another replica).
pub async fn save_progress(
    db: &impl ConnectionTrait,
    id: Uuid,
    delivered: Option<(&str, u64)>,
) -> Result<bool, DbErr> {
    let mut update =
        Generations::update_many().col_expr(Column::UpdatedAt, Expr::value(crate::now()));
    if let Some((output, words)) = delivered {
        update = update
            .col_expr(Column::Output, Expr::value(output))
            .col_expr(Column::Words, Expr::value(words_i64(words)));
    }
    let saved = update
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(RUNNING))
        .exec(db)
        .await?;
    Ok(saved.rows_affected == 1)
}

/// How a generation ended.
#[derive(Debug, Clone)]
pub struct Finish<'a> {
    pub status: GenerationStatus,
    /// `None` keeps the output saved so far (the sweeper knows no more than that).
    pub output: Option<&'a str>,
    pub words: Option<u64>,
    /// The whole charge, the input's part included.
    pub cost: Millicredits,
    /// The input's part of `cost`: zero when the upstream never accepted the request.
    pub input_cost: Millicredits,
    pub finish_reason: Option<&'a str>,
    pub error_code: Option<&'a str>,
    pub error_message: Option<&'a str>,
    pub prompt_tokens: Option<u32>,
    pub completion_tokens: Option<u32>,
    /// When it ended (`updated_at` and `finished_at`).
    pub at: chrono::DateTime<Utc>,
}

/// Closes a running generation; false when something else closed it first.
pub async fn finish(
    txn: &impl ConnectionTrait,
    id: Uuid,
    finish: &Finish<'_>,
) -> Result<bool, DbErr> {
    let now = finish.at;
    let mut update = Generations::update_many()
        .col_expr(Column::Status, Expr::value(finish.status.as_str()))
        .col_expr(Column::CostMc, Expr::value(finish.cost.get()))
        .col_expr(Column::InputCostMc, Expr::value(finish.input_cost.get()))
        .col_expr(Column::FinishReason, Expr::value(finish.finish_reason))
        .col_expr(Column::ErrorCode, Expr::value(finish.error_code))
        .col_expr(Column::ErrorMessage, Expr::value(finish.error_message))
        .col_expr(
            Column::PromptTokens,
            Expr::value(finish.prompt_tokens.map(tokens_i32)),
        )
        .col_expr(
            Column::CompletionTokens,
            Expr::value(finish.completion_tokens.map(tokens_i32)),
        )
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .col_expr(Column::FinishedAt, Expr::value(now));
    if let Some(output) = finish.output {
        update = update.col_expr(Column::Output, Expr::value(output));
    }
    if let Some(words) = finish.words {
        update = update.col_expr(Column::Words, Expr::value(words_i64(words)));
    }
    let closed = update
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(RUNNING))
        .exec(txn)
        .await?;
    Ok(closed.rows_affected == 1)
}

/// Asks a running generation to stop. The streaming task (on whichever replica) sees the
/// flag; returns the row as it is now, or `None` when it is not the user's.
pub async fn request_cancel(
    db: &impl ConnectionTrait,
    user: UserId,
    id: Uuid,
) -> Result<Option<GenerationRow>, DbErr> {
    Generations::update_many()
        .col_expr(Column::CancelRequested, Expr::value(true))
        .filter(Column::Id.eq(id))
        .filter(Column::UserId.eq(user.as_uuid()))
        .filter(Column::Status.eq(RUNNING))
        .exec(db)
        .await?;
    find_owned(db, user, id).await
}

/// What a streaming task finds when it looks at its generation's row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    /// Still running; `cancel_requested` when a cancel was asked for (by any replica).
    Running { cancel_requested: bool },
    /// Closed (or gone): something other than the task ended it.
    Closed,
}

pub async fn liveness(db: &impl ConnectionTrait, id: Uuid) -> Result<Liveness, DbErr> {
    let row = Generations::find_by_id(id)
        .select_only()
        .column(Column::Status)
        .column(Column::CancelRequested)
        .into_tuple::<(AsText<GenerationStatus>, bool)>()
        .one(db)
        .await?;
    Ok(match row {
        Some((status, cancel_requested)) if status == RUNNING => {
            Liveness::Running { cancel_requested }
        }
        _ => Liveness::Closed,
    })
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<GenerationRow>, DbErr> {
    Generations::find_by_id(id).one(db).await
}

pub async fn find_owned(
    db: &impl ConnectionTrait,
    user: UserId,
    id: Uuid,
) -> Result<Option<GenerationRow>, DbErr> {
    Generations::find_by_id(id)
        .filter(Column::UserId.eq(user.as_uuid()))
        .one(db)
        .await
}

pub async fn find_by_key(
    db: &impl ConnectionTrait,
    user: UserId,
    key: &str,
) -> Result<Option<GenerationRow>, DbErr> {
    Generations::find()
        .filter(Column::UserId.eq(user.as_uuid()))
        .filter(Column::IdempotencyKey.eq(key))
        .one(db)
        .await
}

/// The running generation a hold belongs to (for the sweeper).
pub async fn running_for_hold(
    db: &impl ConnectionTrait,
    hold: Uuid,
) -> Result<Option<GenerationRow>, DbErr> {
    Generations::find()
        .filter(Column::HoldId.eq(hold))
        .filter(Column::Status.eq(RUNNING))
        .one(db)
        .await
}

/// Running generations without a hold (free ones) not heard from since `cutoff`.
pub async fn stale_without_hold(
    db: &impl ConnectionTrait,
    cutoff: chrono::DateTime<Utc>,
) -> Result<Vec<GenerationRow>, DbErr> {
    Generations::find()
        .filter(Column::Status.eq(RUNNING))
        .filter(Column::HoldId.is_null())
        .filter(Column::UpdatedAt.lt(cutoff))
        .limit(100)
        .all(db)
        .await
}

/// Filters for a user's history.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// Ids are UUIDv7, so "before this id" is "older than that generation".
    pub before: Option<Uuid>,
    pub tool: Option<String>,
    pub status: Option<GenerationStatus>,
    pub limit: u64,
}

/// One page of `query.limit`, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    user: UserId,
    query: &ListQuery,
) -> Result<Page<GenerationRow>, DbErr> {
    let mut select = Generations::find().filter(Column::UserId.eq(user.as_uuid()));
    if let Some(before) = query.before {
        select = select.filter(Column::Id.lt(before));
    }
    if let Some(tool) = &query.tool {
        select = select.filter(Column::Tool.eq(tool.as_str()));
    }
    if let Some(status) = query.status {
        select = select.filter(Column::Status.eq(AsText(status)));
    }
    let rows = select
        .order_by_desc(Column::Id)
        .limit(Page::<GenerationRow>::fetch_limit(query.limit))
        .all(db)
        .await?;
    Ok(Page::of(rows, query.limit))
}

/// Links a generation to the project its text was saved into.
pub async fn set_project(db: &impl ConnectionTrait, id: Uuid, project: Uuid) -> Result<(), DbErr> {
    Generations::update_many()
        .col_expr(Column::ProjectId, Expr::value(project))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

pub(crate) fn words_i64(words: u64) -> i64 {
    i64::try_from(words).unwrap_or(i64::MAX)
}

pub(crate) fn tokens_i32(tokens: u32) -> i32 {
    i32::try_from(tokens).unwrap_or(i32::MAX)
}
