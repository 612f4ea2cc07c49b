//! Identities at other sites linked to accounts: one account per provider and subject, one
//! identity per account and provider (both decided by unique indexes, so two first arrivals
//! at once make one link).

use chrono::{DateTime, Utc};
use penora_domain::{Email, ExternalSubject, Provider, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};
use uuid::Uuid;

use crate::entities::identity::{self, Column, Entity as Identities};
use crate::text::AsText;
use crate::WriteError;

pub use crate::entities::identity::Model as IdentityRow;

/// The identity `subject` at `provider`, with its account.
pub async fn find(
    db: &impl ConnectionTrait,
    provider: Provider,
    subject: &ExternalSubject,
) -> Result<Option<IdentityRow>, DbErr> {
    Identities::find()
        .filter(Column::Provider.eq(AsText(provider)))
        .filter(Column::Subject.eq(subject.as_str()))
        .one(db)
        .await
}

/// The account's identities, oldest link first.
pub async fn of_user(db: &impl ConnectionTrait, user: UserId) -> Result<Vec<IdentityRow>, DbErr> {
    Identities::find()
        .filter(Column::UserId.eq(user.as_uuid()))
        .order_by_asc(Column::CreatedAt)
        .all(db)
        .await
}

/// Links `subject` at `provider` to `user`. `Taken` when that subject is linked to an
/// account already, or this account has an identity at `provider` already.
pub async fn link(
    db: &impl ConnectionTrait,
    user: UserId,
    provider: Provider,
    subject: &ExternalSubject,
    email: Option<&Email>,
    at: DateTime<Utc>,
) -> Result<IdentityRow, WriteError> {
    identity::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user.as_uuid()),
        provider: Set(AsText(provider)),
        subject: Set(subject.as_str().to_owned()),
        email: Set(email.map(|e| e.as_str().to_owned())),
        created_at: Set(at),
        last_used_at: Set(at),
    }
    .insert(db)
    .await
    .map_err(WriteError::of)
}

/// Notes a sign-in through identity `id`.
pub async fn touch(db: &impl ConnectionTrait, id: Uuid, at: DateTime<Utc>) -> Result<(), DbErr> {
    Identities::update_many()
        .col_expr(Column::LastUsedAt, Expr::value(at))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Removes every identity of the account; the number removed.
pub async fn unlink_all(db: &impl ConnectionTrait, user: UserId) -> Result<u64, DbErr> {
    let result = Identities::delete_many()
        .filter(Column::UserId.eq(user.as_uuid()))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Removes the account's identity at `provider`; false when it had none.
pub async fn unlink(
    db: &impl ConnectionTrait,
    user: UserId,
    provider: Provider,
) -> Result<bool, DbErr> {
    let result = Identities::delete_many()
        .filter(Column::UserId.eq(user.as_uuid()))
        .filter(Column::Provider.eq(AsText(provider)))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}
