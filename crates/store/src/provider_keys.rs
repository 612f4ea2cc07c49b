//! Users' own provider keys, stored sealed (the server encrypts; this module never sees a
//! key in the clear).

use chrono::Utc;
use penora_domain::UserId;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use crate::entities::provider_key::{self, Column, Entity as ProviderKeys};

pub use crate::entities::provider_key::Model as ProviderKeyRow;

/// Stores or replaces the user's key for `provider`.
pub async fn upsert(
    db: &impl ConnectionTrait,
    user: UserId,
    provider: &str,
    sealed: &str,
    hint: &str,
) -> Result<ProviderKeyRow, DbErr> {
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

/// True when there was a key to delete.
pub async fn delete(
    db: &impl ConnectionTrait,
    user: UserId,
    provider: &str,
) -> Result<bool, DbErr> {
    let deleted = ProviderKeys::delete_many()
        .filter(Column::UserId.eq(user.as_uuid()))
        .filter(Column::Provider.eq(provider))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected > 0)
}
