//! Each user's storage counter. Like balances, it changes by a conditional update inside
//! the transaction that writes the project, so concurrent writes on any number of replicas
//! can never pass the limit together.

use penora_domain::UserId;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, ExprTrait, QueryFilter};

use crate::entities::user::{self, Entity as Users};

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("storage quota exceeded: {used} of {limit} bytes used, {needed} more needed")]
    Exceeded { used: i64, limit: i64, needed: i64 },
    #[error("no such user")]
    UnknownUser,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// A user's storage: bytes used and the limit that applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    pub used: i64,
    pub limit: i64,
}

impl Usage {
    pub fn of(row: &user::Model, default_limit: i64) -> Self {
        Self {
            used: row.storage_used_bytes,
            limit: row.storage_limit_bytes.unwrap_or(default_limit),
        }
    }
}

/// Adds `delta` bytes (negative frees space) to the user's counter inside `txn`. Growth past
/// the user's limit (their own, else `default_limit`) is refused; shrinking always works,
/// even for a user above a lowered limit.
pub async fn change(
    txn: &impl ConnectionTrait,
    user: UserId,
    delta: i64,
    default_limit: i64,
) -> Result<Usage, StorageError> {
    let mut update = Users::update_many()
        .col_expr(
            user::Column::StorageUsedBytes,
            Expr::col(user::Column::StorageUsedBytes).add(delta),
        )
        .filter(user::Column::Id.eq(user.as_uuid()));
    if delta > 0 {
        let limit = Func::coalesce([
            Expr::col(user::Column::StorageLimitBytes),
            Expr::val(default_limit),
        ]);
        update = update.filter(
            Expr::col(user::Column::StorageUsedBytes)
                .add(delta)
                .lte(limit),
        );
    }
    if let Some(row) = update.exec_with_returning(txn).await?.into_iter().next() {
        return Ok(Usage::of(&row, default_limit));
    }
    match Users::find_by_id(user.as_uuid()).one(txn).await? {
        Some(row) => {
            let usage = Usage::of(&row, default_limit);
            Err(StorageError::Exceeded {
                used: usage.used,
                limit: usage.limit,
                needed: delta,
            })
        }
        None => Err(StorageError::UnknownUser),
    }
}
