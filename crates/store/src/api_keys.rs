//! API keys, stored as hashes.

use chrono::{Duration, Utc};
use penora_domain::{ApiKeyId, KeyKind, KeyScopes, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::ExprTrait;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};

use crate::entities::api_key::{self, Entity as ApiKeys};
use crate::text::AsText;

pub use crate::entities::api_key::Model as ApiKeyRow;

pub struct NewKey<'a> {
    pub kind: KeyKind,
    pub user: Option<UserId>,
    pub name: &'a str,
    pub prefix: &'a str,
    pub key_hash: &'a str,
    pub scopes: &'a KeyScopes,
    pub created_by: Option<UserId>,
}

pub async fn insert(db: &impl ConnectionTrait, new: NewKey<'_>) -> Result<ApiKeyRow, DbErr> {
    api_key::ActiveModel {
        id: Set(ApiKeyId::new().as_uuid()),
        kind: Set(AsText(new.kind)),
        user_id: Set(new.user.map(|u| u.as_uuid())),
        name: Set(new.name.to_owned()),
        prefix: Set(new.prefix.to_owned()),
        key_hash: Set(new.key_hash.to_owned()),
        scopes: Set(AsText(new.scopes.clone())),
        created_by: Set(new.created_by.map(|u| u.as_uuid())),
        created_at: Set(Utc::now()),
        last_used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(db)
    .await
}

/// A live (not revoked) key by its hash.
pub async fn find_live_by_hash(
    db: &impl ConnectionTrait,
    key_hash: &str,
) -> Result<Option<ApiKeyRow>, DbErr> {
    ApiKeys::find()
        .filter(api_key::Column::KeyHash.eq(key_hash))
        .filter(api_key::Column::RevokedAt.is_null())
        .one(db)
        .await
}

pub async fn list_for_user(
    db: &impl ConnectionTrait,
    user: UserId,
) -> Result<Vec<ApiKeyRow>, DbErr> {
    ApiKeys::find()
        .filter(api_key::Column::UserId.eq(user.as_uuid()))
        .filter(api_key::Column::Kind.eq(AsText(KeyKind::Personal)))
        .order_by_desc(api_key::Column::Id)
        .all(db)
        .await
}

/// Revokes one of the user's own keys; false when it is not theirs or already revoked.
pub async fn revoke_personal(
    db: &impl ConnectionTrait,
    user: UserId,
    id: ApiKeyId,
) -> Result<bool, DbErr> {
    let result = ApiKeys::update_many()
        .col_expr(api_key::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(api_key::Column::Id.eq(id.as_uuid()))
        .filter(api_key::Column::UserId.eq(user.as_uuid()))
        .filter(api_key::Column::Kind.eq(AsText(KeyKind::Personal)))
        .filter(api_key::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Revokes every live personal key of the user (account recovery); how many.
pub async fn revoke_all_personal(db: &impl ConnectionTrait, user: UserId) -> Result<u64, DbErr> {
    let result = ApiKeys::update_many()
        .col_expr(api_key::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(api_key::Column::UserId.eq(user.as_uuid()))
        .filter(api_key::Column::Kind.eq(AsText(KeyKind::Personal)))
        .filter(api_key::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Notes that the key was used, at most once a minute (a write per request would cost more
/// than the request).
pub async fn touch(db: &impl ConnectionTrait, id: ApiKeyId) -> Result<(), DbErr> {
    let now = Utc::now();
    ApiKeys::update_many()
        .col_expr(api_key::Column::LastUsedAt, Expr::value(now))
        .filter(api_key::Column::Id.eq(id.as_uuid()))
        .filter(
            api_key::Column::LastUsedAt
                .is_null()
                .or(api_key::Column::LastUsedAt.lt(now - Duration::seconds(60))),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// Every app key, newest first (there are few).
pub async fn list_apps(db: &impl ConnectionTrait) -> Result<Vec<ApiKeyRow>, DbErr> {
    ApiKeys::find()
        .filter(api_key::Column::Kind.eq(AsText(KeyKind::App)))
        .order_by_desc(api_key::Column::Id)
        .all(db)
        .await
}

/// Revokes an app key; false when there is no live app key with this id.
pub async fn revoke_app(db: &impl ConnectionTrait, id: ApiKeyId) -> Result<bool, DbErr> {
    let result = ApiKeys::update_many()
        .col_expr(api_key::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(api_key::Column::Id.eq(id.as_uuid()))
        .filter(api_key::Column::Kind.eq(AsText(KeyKind::App)))
        .filter(api_key::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}
