//! OAuth sign-ins under way, by a digest of their `state`: each is taken once, before it
//! expires.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::entities::oauth_flow::{Column, Entity as OauthFlows};

pub use crate::entities::oauth_flow::{ActiveModel as NewFlow, Model as FlowRow};

pub async fn insert(db: &impl ConnectionTrait, flow: NewFlow) -> Result<FlowRow, DbErr> {
    flow.insert(db).await
}

/// Takes the flow whose state digests to `state_hash`: it is deleted, so a second callback
/// with the same state finds nothing. `None` when unknown, taken before or expired at `now`.
pub async fn take(
    db: &impl ConnectionTrait,
    state_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<FlowRow>, DbErr> {
    let Some(row) = OauthFlows::find_by_id(state_hash.to_owned())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let deleted = OauthFlows::delete_many()
        .filter(Column::StateHash.eq(state_hash))
        .exec(db)
        .await?;
    Ok((deleted.rows_affected == 1 && row.expires_at > now).then_some(row))
}

/// Forgets flows that expired before `before`; the number forgotten.
pub async fn purge(db: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64, DbErr> {
    let result = OauthFlows::delete_many()
        .filter(Column::ExpiresAt.lt(before))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
