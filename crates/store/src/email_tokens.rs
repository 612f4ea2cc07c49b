//! Single-use, expiring tokens mailed to users (email verification, password reset).

use chrono::{DateTime, Utc};
use penora_domain::UserId;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};
use uuid::Uuid;

use crate::entities::email_token::{self, Entity as EmailTokens};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    ResetPassword,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify_email",
            Purpose::ResetPassword => "reset_password",
        }
    }
}

/// Stores a new token; the user's live tokens of the same purpose are used up by it, so
/// only the newest mailed link works.
pub async fn insert(
    db: &impl ConnectionTrait,
    user_id: UserId,
    purpose: Purpose,
    token_hash: &str,
    expires_at: DateTime<Utc>,
) -> Result<(), DbErr> {
    EmailTokens::update_many()
        .col_expr(email_token::Column::UsedAt, Expr::value(Utc::now()))
        .filter(email_token::Column::UserId.eq(user_id.as_uuid()))
        .filter(email_token::Column::Purpose.eq(purpose.as_str()))
        .filter(email_token::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    email_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id.as_uuid()),
        purpose: Set(purpose.as_str().to_owned()),
        token_hash: Set(token_hash.to_owned()),
        created_at: Set(Utc::now()),
        expires_at: Set(expires_at),
        used_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Uses a token up: returns its user when it was live (right purpose, unused, unexpired).
/// The conditional update makes a token work once even when two requests race.
pub async fn consume(
    db: &impl ConnectionTrait,
    purpose: Purpose,
    token_hash: &str,
) -> Result<Option<UserId>, DbErr> {
    let now = Utc::now();
    let Some(row) = EmailTokens::find()
        .filter(email_token::Column::TokenHash.eq(token_hash))
        .filter(email_token::Column::Purpose.eq(purpose.as_str()))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let result = EmailTokens::update_many()
        .col_expr(email_token::Column::UsedAt, Expr::value(now))
        .filter(email_token::Column::Id.eq(row.id))
        .filter(email_token::Column::UsedAt.is_null())
        .filter(email_token::Column::ExpiresAt.gt(now))
        .exec(db)
        .await?;
    Ok((result.rows_affected == 1).then(|| UserId::from_uuid(row.user_id)))
}

/// The user of a live token (right purpose, unused, unexpired) without using it up, so slow
/// work (hashing a new password) can happen before the write that [`consume`]s it.
pub async fn find_live(
    db: &impl ConnectionTrait,
    purpose: Purpose,
    token_hash: &str,
) -> Result<Option<UserId>, DbErr> {
    Ok(EmailTokens::find()
        .filter(email_token::Column::TokenHash.eq(token_hash))
        .filter(email_token::Column::Purpose.eq(purpose.as_str()))
        .filter(email_token::Column::UsedAt.is_null())
        .filter(email_token::Column::ExpiresAt.gt(Utc::now()))
        .one(db)
        .await?
        .map(|row| UserId::from_uuid(row.user_id)))
}
