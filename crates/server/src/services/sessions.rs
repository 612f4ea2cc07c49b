//! Sign-in sessions: an access JWT plus a rotating refresh token.
//!
//! Each sign-in starts a token family. A refresh uses its token up and issues the next one in
//! the family; a used token that comes back means it was stolen or replayed, so the whole
//! family is revoked (RFC 6819 §5.2.2.3 "refresh token rotation").

use chrono::{Duration, Utc};
use penora_domain::{Role, UserId};
use penora_store::refresh_tokens;
use penora_store::users::{self, UserRow};
use penora_store::{ConnectionTrait, DbErr};
use uuid::Uuid;

use crate::auth::opaque;
use crate::services::audit::{self, Origin};
use crate::state::AppState;

/// What a successful sign-in, sign-up or refresh hands back.
#[derive(Debug)]
pub struct Session {
    pub user: UserRow,
    pub access_token: String,
    pub expires_in: u64,
    /// Goes only into the httpOnly cookie.
    pub refresh_token: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("the refresh token is unknown, expired or revoked")]
    Invalid,
    #[error("a used refresh token was presented again; its family is revoked")]
    Reused,
    #[error("could not sign the access token: {0}")]
    Signing(#[from] jsonwebtoken::errors::Error),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Starts a new family for `user` (inside the caller's transaction when given one).
pub async fn start(
    state: &AppState,
    db: &impl ConnectionTrait,
    user: UserRow,
) -> Result<Session, SessionError> {
    issue(state, db, user, Uuid::now_v7()).await
}

async fn issue(
    state: &AppState,
    db: &impl ConnectionTrait,
    user: UserRow,
    family: Uuid,
) -> Result<Session, SessionError> {
    let id = UserId::from_uuid(user.id);
    let role: Role = user.role.parse().unwrap_or(Role::User);
    let refresh_token = opaque::generate();
    let ttl = Duration::days(i64::from(state.config.settings.refresh_token_ttl_days));
    refresh_tokens::insert(
        db,
        id,
        family,
        &opaque::hash(&refresh_token),
        Utc::now() + ttl,
    )
    .await?;
    let access_token = state.jwt.issue(id, role, user.session_epoch)?;
    Ok(Session {
        user,
        access_token,
        expires_in: state.jwt.ttl_secs(),
        refresh_token,
    })
}

/// Trades a refresh token for a new session in the same family.
pub async fn refresh(
    state: &AppState,
    token: &str,
    origin: &Origin,
) -> Result<Session, SessionError> {
    let txn = penora_store::begin_write(&state.db).await?;
    let Some(row) = refresh_tokens::find_by_hash(&txn, &opaque::hash(token)).await? else {
        return Err(SessionError::Invalid);
    };
    if row.revoked_at.is_some() || row.expires_at <= Utc::now() {
        return Err(SessionError::Invalid);
    }
    // A used token, or losing the race to use it, is a reuse.
    if row.used_at.is_some() || !refresh_tokens::claim(&txn, row.id).await? {
        drop(txn);
        refresh_tokens::revoke_family(&state.db, row.family_id).await?;
        audit::record(
            &state.db,
            Some(UserId::from_uuid(row.user_id)),
            "auth.refresh_token_reused",
            None,
            origin,
            serde_json::json!({ "family_id": row.family_id }),
        )
        .await;
        return Err(SessionError::Reused);
    }
    let user = users::find_by_id(&txn, UserId::from_uuid(row.user_id))
        .await?
        .ok_or(SessionError::Invalid)?;
    let session = issue(state, &txn, user, row.family_id).await?;
    txn.commit().await?;
    Ok(session)
}

/// Ends the session the refresh token belongs to. Unknown tokens are fine: the caller is
/// signed out either way.
pub async fn end(state: &AppState, token: &str, origin: &Origin) -> Result<(), SessionError> {
    if let Some(row) = refresh_tokens::find_by_hash(&state.db, &opaque::hash(token)).await? {
        refresh_tokens::revoke_family(&state.db, row.family_id).await?;
        audit::record(
            &state.db,
            Some(UserId::from_uuid(row.user_id)),
            "auth.logout",
            None,
            origin,
            serde_json::json!({}),
        )
        .await;
    }
    Ok(())
}

/// Ends every session of the user: refresh tokens revoked, access tokens outdated.
pub async fn end_all(state: &AppState, user: UserId, origin: &Origin) -> Result<(), SessionError> {
    let txn = penora_store::begin_write(&state.db).await?;
    let revoked = refresh_tokens::revoke_all_for_user(&txn, user).await?;
    users::bump_session_epoch(&txn, user).await?;
    txn.commit().await?;
    audit::record(
        &state.db,
        Some(user),
        "auth.logout_all",
        None,
        origin,
        serde_json::json!({ "revoked": revoked }),
    )
    .await;
    Ok(())
}
