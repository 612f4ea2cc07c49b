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

/// A user's storage: the bytes of Penora's projects, the bytes ImageGene reports it holds,
/// and the limit both count against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    pub penora: i64,
    pub app: i64,
    pub limit: i64,
}

impl Usage {
    pub fn of(row: &user::Model, default_limit: i64) -> Self {
        Self {
            penora: row.storage_used_bytes,
            app: row.app_storage_bytes,
            limit: row.storage_limit_bytes.unwrap_or(default_limit),
        }
    }

    /// Everything counted against the limit.
    pub fn used(&self) -> i64 {
        self.penora.saturating_add(self.app)
    }
}

/// The user's limit: their own, else `default_limit`.
fn limit_of(default_limit: i64) -> sea_orm::sea_query::SimpleExpr {
    Func::coalesce([
        Expr::col(user::Column::StorageLimitBytes),
        Expr::val(default_limit),
    ])
    .into()
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
        update = update.filter(
            Expr::col(user::Column::StorageUsedBytes)
                .add(Expr::col(user::Column::AppStorageBytes))
                .add(delta)
                .lte(limit_of(default_limit)),
        );
    }
    if let Some(row) = update.exec_with_returning(txn).await?.into_iter().next() {
        return Ok(Usage::of(&row, default_limit));
    }
    match Users::find_by_id(user.as_uuid()).one(txn).await? {
        Some(row) => {
            let usage = Usage::of(&row, default_limit);
            Err(StorageError::Exceeded {
                used: usage.used(),
                limit: usage.limit,
                needed: delta,
            })
        }
        None => Err(StorageError::UnknownUser),
    }
}

/// Sets what the sister app stores for the user to `bytes`, inside `txn`; the usage after
/// and the app's bytes before. Growth that would take Penora's and the app's bytes together
/// past the limit is refused; the same figure again or a smaller one always works.
pub async fn report_app(
    txn: &impl ConnectionTrait,
    user: UserId,
    bytes: i64,
    default_limit: i64,
) -> Result<(Usage, i64), StorageError> {
    let Some(before) = Users::find_by_id(user.as_uuid())
        .filter(user::Column::DeletedAt.is_null())
        .one(txn)
        .await?
    else {
        return Err(StorageError::UnknownUser);
    };
    let fits = Expr::col(user::Column::StorageUsedBytes)
        .add(bytes)
        .lte(limit_of(default_limit));
    let updated = Users::update_many()
        .col_expr(user::Column::AppStorageBytes, Expr::value(bytes))
        .filter(user::Column::Id.eq(user.as_uuid()))
        .filter(
            sea_orm::Condition::any()
                .add(Expr::col(user::Column::AppStorageBytes).gte(bytes))
                .add(fits),
        )
        .exec_with_returning(txn)
        .await?;
    match updated.into_iter().next() {
        Some(row) => Ok((Usage::of(&row, default_limit), before.app_storage_bytes)),
        None => {
            let usage = Usage::of(&before, default_limit);
            Err(StorageError::Exceeded {
                used: usage.used(),
                limit: usage.limit,
                needed: bytes - usage.app,
            })
        }
    }
}
