//! Sign-in sessions: an access JWT plus a rotating refresh token.
//!
//! Each sign-in starts a token family. A refresh uses its token up and issues the next one in
//! the family; a used token that comes back means it was stolen or replayed, so the whole
//! family is revoked (RFC 6819 §5.2.2.3 "refresh token rotation") — unless it comes back
//! within a short grace (`refresh_reuse_grace_ms`): concurrent refreshes from two tabs, or two
//! calls after an idle access token, then get the same successor. The successor is an HMAC of
//! the used token under a server key ([`crate::crypto::KeyedHashes`]), so it can be handed out
//! again without being stored: tokens are stored only as hashes.

use chrono::{Duration, Utc};
use penora_domain::UserId;
use penora_store::users::{self, UserRow};
use penora_store::{api_keys, refresh_tokens};
use penora_store::{ConnectionTrait, DbErr};
use uuid::Uuid;

use crate::audit::{self, Origin};
use crate::auth::opaque;
use crate::AppState;

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
#[tracing::instrument(name = "services::sessions::start", skip_all, fields(user_id = %user.id))]
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
    issue_token(state, db, user, family, opaque::generate()).await
}

/// Stores `refresh_token` in `family` and signs an access token to go with it.
async fn issue_token(
    state: &AppState,
    db: &impl ConnectionTrait,
    user: UserRow,
    family: Uuid,
    refresh_token: String,
) -> Result<Session, SessionError> {
    let ttl = Duration::days(i64::from(state.config.settings.refresh_token_ttl_days));
    refresh_tokens::insert(
        db,
        UserId::from_uuid(user.id),
        family,
        &opaque::hash(&refresh_token),
        Utc::now() + ttl,
    )
    .await?;
    with_access_token(state, user, family, refresh_token)
}

/// When the sign-in that started `family` happened (Unix seconds): a family's id is a UUIDv7
/// made at that moment.
fn signed_in_at(family: Uuid) -> i64 {
    family
        .get_timestamp()
        .map_or(0, |t| i64::try_from(t.to_unix().0).unwrap_or(0))
}

/// A session around a refresh token of `family` already stored.
fn with_access_token(
    state: &AppState,
    user: UserRow,
    family: Uuid,
    refresh_token: String,
) -> Result<Session, SessionError> {
    let id = UserId::from_uuid(user.id);
    let role = *user.role;
    let access_token = state
        .jwt
        .issue(id, role, user.session_epoch, signed_in_at(family))?;
    Ok(Session {
        user,
        access_token,
        expires_in: state.jwt.ttl_secs(),
        refresh_token,
    })
}

/// Trades a refresh token for a new session in the same family.
#[tracing::instrument(name = "services::sessions::refresh", skip_all)]
pub async fn refresh(
    state: &AppState,
    token: &str,
    origin: &Origin,
) -> Result<Session, SessionError> {
    let txn = penora_store::begin_write(&state.db).await?;
    let hash = opaque::hash(token);
    let Some(row) = refresh_tokens::find_by_hash(&txn, &hash).await? else {
        return Err(SessionError::Invalid);
    };
    if row.revoked_at.is_some() || row.expires_at <= Utc::now() {
        return Err(SessionError::Invalid);
    }
    // The account first, as every session writer does: a sign-out everywhere or a password
    // change that commits meanwhile is then seen by the claim below (it revoked the token).
    if !users::lock(&txn, UserId::from_uuid(row.user_id), None).await? {
        return Err(SessionError::Invalid);
    }
    let successor = state.keyed.refresh_successor(token);
    if row.used_at.is_none() && refresh_tokens::claim(&txn, row.id).await? {
        let user = users::find_by_id(&txn, UserId::from_uuid(row.user_id))
            .await?
            .ok_or(SessionError::Invalid)?;
        let session = issue_token(state, &txn, user, row.family_id, successor).await?;
        txn.commit().await?;
        return Ok(session);
    }
    // Used before, or just now by a concurrent refresh (read again: that one has committed).
    let used_at = refresh_tokens::find_by_hash(&txn, &hash)
        .await?
        .and_then(|r| r.used_at);
    let grace = Duration::milliseconds(
        i64::try_from(state.config.settings.refresh_reuse_grace_ms).unwrap_or(i64::MAX),
    );
    if let Some(session) = within_grace(state, &txn, &row, used_at, grace, successor).await? {
        txn.commit().await?;
        return Ok(session);
    }
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
    Err(SessionError::Reused)
}

/// The session a concurrent refresh already made, when `used_at` is within the grace and its
/// successor still lives; `None` means a reuse.
async fn within_grace(
    state: &AppState,
    db: &impl ConnectionTrait,
    used: &refresh_tokens::RefreshTokenRow,
    used_at: Option<chrono::DateTime<Utc>>,
    grace: Duration,
    successor: String,
) -> Result<Option<Session>, SessionError> {
    let Some(used_at) = used_at else {
        return Ok(None);
    };
    if Utc::now() - used_at > grace {
        return Ok(None);
    }
    let Some(next) = refresh_tokens::find_by_hash(db, &opaque::hash(&successor)).await? else {
        return Ok(None);
    };
    if next.family_id != used.family_id || next.revoked_at.is_some() {
        return Ok(None);
    }
    let Some(user) = users::find_by_id(db, UserId::from_uuid(used.user_id)).await? else {
        return Err(SessionError::Invalid);
    };
    Ok(Some(with_access_token(
        state,
        user,
        used.family_id,
        successor,
    )?))
}

/// Ends the session the refresh token belongs to. Unknown tokens are fine: the caller is
/// signed out either way.
#[tracing::instrument(name = "services::sessions::end", skip_all)]
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

/// Ends every session of the user: refresh tokens revoked, access tokens outdated; with
/// `revoke_api_keys`, the personal API keys too.
#[tracing::instrument(name = "services::sessions::end_all", skip_all, fields(user_id = %user))]
pub async fn end_all(
    state: &AppState,
    user: UserId,
    revoke_api_keys: bool,
    origin: &Origin,
) -> Result<(), SessionError> {
    let txn = penora_store::begin_write(&state.db).await?;
    // The user's row before the tokens, in the order a refresh locks them.
    users::bump_session_epoch(&txn, user).await?;
    let revoked = refresh_tokens::revoke_all_for_user(&txn, user).await?;
    let keys_revoked = if revoke_api_keys {
        api_keys::revoke_all_personal(&txn, user).await?
    } else {
        0
    };
    txn.commit().await?;
    if keys_revoked > 0 {
        crate::notices::keys_revoked(state).await;
    }
    audit::record(
        &state.db,
        Some(user),
        "auth.logout_all",
        None,
        origin,
        serde_json::json!({ "revoked": revoked, "api_keys_revoked": keys_revoked }),
    )
    .await;
    Ok(())
}
