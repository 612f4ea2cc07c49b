//! OAuth sign-ins under way, by a digest of their `state`: each is taken once, before it
//! expires.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};
use uuid::Uuid;

use crate::entities::oauth_flow::{self, Column, Entity as OauthFlows};

pub use crate::entities::oauth_flow::Model as FlowRow;

/// A flow to remember.
pub struct NewFlow<'a> {
    pub state_hash: &'a str,
    pub provider: &'a str,
    pub nonce: &'a str,
    pub code_verifier: &'a str,
    pub return_to: Option<&'a str>,
    pub link_user_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert(db: &impl ConnectionTrait, flow: &NewFlow<'_>) -> Result<FlowRow, DbErr> {
    oauth_flow::ActiveModel {
        state_hash: Set(flow.state_hash.to_owned()),
        provider: Set(flow.provider.to_owned()),
        nonce: Set(flow.nonce.to_owned()),
        code_verifier: Set(flow.code_verifier.to_owned()),
        return_to: Set(flow.return_to.map(str::to_owned)),
        link_user_id: Set(flow.link_user_id),
        created_at: Set(flow.created_at),
        expires_at: Set(flow.expires_at),
    }
    .insert(db)
    .await
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
