//! Users' own provider keys, stored sealed (the server encrypts; this module never sees a
//! key in the clear).

use chrono::Utc;
use penora_domain::UserId;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use crate::entities::provider_key::{self, Column, Entity as ProviderKeys};
use crate::entities::user::{self, Entity as Users};

pub use crate::entities::provider_key::Model as ProviderKeyRow;

/// Stores or replaces the user's key for `provider` (in a transaction: the user's count of
/// keys is kept with it).
pub async fn upsert(
    db: &impl ConnectionTrait,
    user: UserId,
    provider: &str,
    sealed: &str,
    hint: &str,
) -> Result<ProviderKeyRow, DbErr> {
    lock_owner(db, user).await?;
    let now = Utc::now();
    let row = provider_key::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user.as_uuid()),
        provider: Set(provider.to_owned()),
        sealed: Set(sealed.to_owned()),
        hint: Set(hint.to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
    };
    ProviderKeys::insert(row)
        .on_conflict(
            OnConflict::columns([Column::UserId, Column::Provider])
                .update_columns([Column::Sealed, Column::Hint, Column::UpdatedAt])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    recount(db, user).await?;
    find(db, user, provider)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("provider key {provider}")))
}

pub async fn find(
    db: &impl ConnectionTrait,
    user: UserId,
    provider: &str,
) -> Result<Option<ProviderKeyRow>, DbErr> {
    ProviderKeys::find()
        .filter(Column::UserId.eq(user.as_uuid()))
        .filter(Column::Provider.eq(provider))
        .one(db)
        .await
}

pub async fn list(db: &impl ConnectionTrait, user: UserId) -> Result<Vec<ProviderKeyRow>, DbErr> {
    ProviderKeys::find()
        .filter(Column::UserId.eq(user.as_uuid()))
        .order_by_asc(Column::Provider)
        .all(db)
        .await
}

/// True when there was a key to delete (in a transaction, as [`upsert`]).
pub async fn delete(
    db: &impl ConnectionTrait,
    user: UserId,
    provider: &str,
) -> Result<bool, DbErr> {
    lock_owner(db, user).await?;
    let deleted = ProviderKeys::delete_many()
        .filter(Column::UserId.eq(user.as_uuid()))
        .filter(Column::Provider.eq(provider))
        .exec(db)
        .await?;
    recount(db, user).await?;
    Ok(deleted.rows_affected > 0)
}

/// Takes the user's row first, so two changes of one user's keys run one after the other
/// and each recount sees the other's keys (PostgreSQL; SQLite has one writer anyway).
async fn lock_owner(db: &impl ConnectionTrait, user: UserId) -> Result<(), DbErr> {
    Users::update_many()
        .col_expr(
            user::Column::ProviderKeys,
            Expr::col(user::Column::ProviderKeys),
        )
        .filter(user::Column::Id.eq(user.as_uuid()))
        .exec(db)
        .await?;
    Ok(())
}

/// `users.provider_keys`: lets a generation skip looking for an own key when there is none.
async fn recount(db: &impl ConnectionTrait, user: UserId) -> Result<(), DbErr> {
    let count = ProviderKeys::find()
        .filter(Column::UserId.eq(user.as_uuid()))
        .count(db)
        .await?;
    Users::update_many()
        .col_expr(
            user::Column::ProviderKeys,
            Expr::value(i32::try_from(count).unwrap_or(i32::MAX)),
        )
        .filter(user::Column::Id.eq(user.as_uuid()))
        .exec(db)
        .await?;
    Ok(())
}
