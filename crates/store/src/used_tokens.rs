//! Single-use sign-in tokens: each is recorded the first time it is used, until it expires,
//! so a replay is refused on every replica.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set, TryInsertResult,
};

use crate::entities::used_token::{self, Column, Entity as UsedTokens};

/// Uses the token known by `key` (a digest the caller computes) until `expires_at`; false
/// when it was used before. Decided by the primary key, so of two uses at once one wins.
pub async fn use_once(
    db: &impl ConnectionTrait,
    key: &str,
    expires_at: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let row = used_token::ActiveModel {
        key: Set(key.to_owned()),
        expires_at: Set(expires_at),
    };
    let inserted = UsedTokens::insert(row)
        .on_conflict_do_nothing_on([Column::Key])
        .exec_without_returning(db)
        .await?;
    Ok(matches!(inserted, TryInsertResult::Inserted(1)))
}

/// Forgets tokens that expired before `before` (they are refused as expired anyway); the
/// number forgotten.
pub async fn purge(db: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64, DbErr> {
    let result = UsedTokens::delete_many()
        .filter(Column::ExpiresAt.lt(before))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
