//! The ways into an account (its password and its linked identities), as the account page
//! manages them: listing, unlinking an identity while another way in remains, and setting a
//! first password on an account made by single sign-on or Google.
//!
//! What an account without a password cannot confirm with a password (setting the first
//! one, deleting the account) needs a recent sign-in instead: the session's sign-in happened
//! within [`RECENT_SIGN_IN_SECS`].

use chrono::{DateTime, Utc};
use penora_domain::{Password, Provider, UserId};
use penora_store::identities::{self, IdentityRow};
use penora_store::refresh_tokens;
use penora_store::users::{self, UserRow};

use super::AccountError;
use crate::audit::{self, Origin};
use crate::sessions::{self, Session};
use crate::AppState;

/// How long after a sign-in a session counts as recent (seconds).
pub const RECENT_SIGN_IN_SECS: i64 = 5 * 60;

/// When the sign-in that started a session happened (its access token's `auth_time`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedInAt(i64);

impl SignedInAt {
    /// From Unix seconds.
    pub fn from_unix(secs: i64) -> Self {
        Self(secs)
    }

    /// Until when the sign-in counts as recent; `None` once it no longer does.
    pub fn recent_until(self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let until = DateTime::from_timestamp(self.0.saturating_add(RECENT_SIGN_IN_SECS), 0)?;
        (until > now).then_some(until)
    }

    /// `RecentSignInRequired` unless the sign-in is recent.
    pub fn require_recent(self) -> Result<(), AccountError> {
        match self.recent_until(Utc::now()) {
            Some(_) => Ok(()),
            None => Err(AccountError::RecentSignInRequired),
        }
    }
}

/// An account's ways in.
#[derive(Debug, Clone)]
pub struct Methods {
    pub has_password: bool,
    /// Oldest link first.
    pub identities: Vec<IdentityRow>,
    /// Until when the session may do what needs a recent sign-in; `None` when it may not.
    pub recent_until: Option<DateTime<Utc>>,
}

#[tracing::instrument(name = "services::accounts::sign_in_methods", skip_all,
    fields(user_id = %user.id))]
pub async fn list(
    state: &AppState,
    user: &UserRow,
    signed_in_at: SignedInAt,
) -> Result<Methods, AccountError> {
    let identities = identities::of_user(&state.db, UserId::from_uuid(user.id)).await?;
    Ok(Methods {
        has_password: user.password_hash.is_some(),
        identities,
        recent_until: signed_in_at.recent_until(Utc::now()),
    })
}

/// Unlinks the account's identity at `provider`, unless it is the only way in left. Decided
/// under the account's row lock, so two unlinks at once cannot remove the last two ways in.
#[tracing::instrument(name = "services::accounts::unlink", skip_all,
    fields(user_id = %user, provider = %provider))]
pub async fn unlink(
    state: &AppState,
    user: UserId,
    provider: Provider,
    origin: &Origin,
) -> Result<(), AccountError> {
    let txn = penora_store::begin_write(&state.db).await?;
    if !users::lock(&txn, user, None).await? {
        return Err(AccountError::Gone);
    }
    let row = users::find_by_id(&txn, user)
        .await?
        .ok_or(AccountError::Gone)?;
    let linked = identities::of_user(&txn, user).await?;
    let Some(identity) = linked.iter().find(|i| *i.provider == provider) else {
        return Err(AccountError::NotLinked);
    };
    let others = linked.iter().filter(|i| *i.provider != provider).count();
    if row.password_hash.is_none() && others == 0 {
        return Err(AccountError::LastSignInMethod);
    }
    let meta = serde_json::json!({
        "provider": provider.as_str(),
        "subject": identity.subject,
    });
    identities::unlink(&txn, user, provider).await?;
    txn.commit().await?;
    audit::record(
        &state.db,
        Some(user),
        "auth.identity_unlinked",
        None,
        origin,
        meta,
    )
    .await;
    Ok(())
}

/// Sets the first password of an account that has none, within a recent sign-in. Like a
/// password change, every other session ends and the caller gets a fresh one.
#[tracing::instrument(name = "services::accounts::set_first_password", skip_all,
    fields(user_id = %user.id))]
pub async fn set_first_password(
    state: &AppState,
    user: &UserRow,
    signed_in_at: SignedInAt,
    new: Password,
    origin: &Origin,
) -> Result<Session, AccountError> {
    if user.password_hash.is_some() {
        return Err(AccountError::PasswordAlreadySet);
    }
    signed_in_at.require_recent()?;
    let id = UserId::from_uuid(user.id);
    let hash = state.passwords.hash(new.expose().to_owned()).await?;
    let txn = penora_store::begin_write(&state.db).await?;
    if !users::lock(&txn, id, None).await? {
        return Err(AccountError::Gone);
    }
    // Another request may have set one since the account was read.
    let current = users::find_by_id(&txn, id)
        .await?
        .ok_or(AccountError::Gone)?;
    if current.password_hash.is_some() {
        return Err(AccountError::PasswordAlreadySet);
    }
    users::set_password_hash(&txn, id, &hash).await?;
    refresh_tokens::revoke_all_for_user(&txn, id).await?;
    let fresh = users::find_by_id(&txn, id)
        .await?
        .ok_or(AccountError::Gone)?;
    let session = sessions::start(state, &txn, fresh).await?;
    txn.commit().await?;
    audit::record(
        &state.db,
        Some(id),
        "auth.password_set",
        None,
        origin,
        serde_json::json!({}),
    )
    .await;
    Ok(session)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sign_in_is_recent_for_five_minutes() {
        let now = Utc::now();
        let just = SignedInAt::from_unix(now.timestamp());
        let until = just.recent_until(now).unwrap();
        assert_eq!(until.timestamp(), now.timestamp() + RECENT_SIGN_IN_SECS);
        let old = SignedInAt::from_unix(now.timestamp() - RECENT_SIGN_IN_SECS);
        assert_eq!(old.recent_until(now), None);
        assert_eq!(SignedInAt::from_unix(i64::MAX).recent_until(now), None);
    }
}
