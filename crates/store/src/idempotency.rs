//! Stored responses of requests sent with an `Idempotency-Key`.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::entities::idempotency_key::{self, Entity as Keys};
use crate::WriteError;

pub use crate::entities::idempotency_key::Model as StoredResponse;

pub async fn find(
    db: &impl ConnectionTrait,
    scope: &str,
    key: &str,
) -> Result<Option<StoredResponse>, DbErr> {
    Keys::find()
        .filter(idempotency_key::Column::Scope.eq(scope))
        .filter(idempotency_key::Column::Key.eq(key))
        .filter(idempotency_key::Column::ExpiresAt.gt(Utc::now()))
        .one(db)
        .await
}

#[derive(Debug, Clone)]
pub struct NewResponse<'a> {
    pub scope: &'a str,
    pub key: &'a str,
    pub fingerprint: &'a str,
    pub status: u16,
    pub response: serde_json::Value,
    pub expires_at: DateTime<Utc>,
}

/// Stores a response in the caller's transaction (with the change it describes). `Taken`
/// means a concurrent request with the same key won; roll back and replay it.
pub async fn insert(db: &impl ConnectionTrait, new: NewResponse<'_>) -> Result<(), WriteError> {
    let row = idempotency_key::ActiveModel {
        id: Set(Uuid::now_v7()),
        scope: Set(new.scope.to_owned()),
        key: Set(new.key.to_owned()),
        fingerprint: Set(new.fingerprint.to_owned()),
        status: Set(i32::from(new.status)),
        response: Set(new.response),
        created_at: Set(Utc::now()),
        expires_at: Set(new.expires_at),
    };
    Keys::insert(row)
        .exec_without_returning(db)
        .await
        .map_err(WriteError::of)?;
    Ok(())
}

/// Forgets expired keys (the ledger's references still stop double application forever).
pub async fn purge_expired(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    let result = Keys::delete_many()
        .filter(idempotency_key::Column::ExpiresAt.lt(Utc::now()))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
