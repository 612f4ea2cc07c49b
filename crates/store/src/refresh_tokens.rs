//! Refresh tokens (stored as hashes), grouped in families for reuse detection.

use chrono::{DateTime, Utc};
use penora_domain::UserId;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};
use uuid::Uuid;

use crate::entities::refresh_token::{self, Entity as RefreshTokens};

pub use crate::entities::refresh_token::Model as RefreshTokenRow;

pub async fn insert(
    db: &impl ConnectionTrait,
    user_id: UserId,
    family_id: Uuid,
    token_hash: &str,
    expires_at: DateTime<Utc>,
) -> Result<RefreshTokenRow, DbErr> {
    refresh_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id.as_uuid()),
        family_id: Set(family_id),
        token_hash: Set(token_hash.to_owned()),
        created_at: Set(Utc::now()),
        expires_at: Set(expires_at),
        used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(db)
    .await
}

pub async fn find_by_hash(
    db: &impl ConnectionTrait,
    token_hash: &str,
) -> Result<Option<RefreshTokenRow>, DbErr> {
    RefreshTokens::find()
        .filter(refresh_token::Column::TokenHash.eq(token_hash))
        .one(db)
        .await
}

/// Marks a live token used. Exactly one of two racing refreshes wins; the loser sees `false`
/// and is treated as a reuse.
pub async fn claim(db: &impl ConnectionTrait, id: Uuid) -> Result<bool, DbErr> {
    let result = RefreshTokens::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(Utc::now()))
        .filter(refresh_token::Column::Id.eq(id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn revoke_family(db: &impl ConnectionTrait, family_id: Uuid) -> Result<u64, DbErr> {
    revoke_where(db, refresh_token::Column::FamilyId.eq(family_id)).await
}

pub async fn revoke_all_for_user(db: &impl ConnectionTrait, user_id: UserId) -> Result<u64, DbErr> {
    revoke_where(db, refresh_token::Column::UserId.eq(user_id.as_uuid())).await
}

async fn revoke_where(
    db: &impl ConnectionTrait,
    condition: sea_orm::sea_query::SimpleExpr,
) -> Result<u64, DbErr> {
    let result = RefreshTokens::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(condition)
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
