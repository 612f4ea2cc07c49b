//! Email links: verifying an address and resetting a forgotten password, each by a
//! single-use token mailed to the address.

use chrono::{Duration, Utc};
use penora_domain::{Email, Password, UserId};
use penora_store::email_tokens::{self, Purpose};
use penora_store::users::{self, UserRow};
use penora_store::{api_keys, refresh_tokens, DbErr};

use super::{AccountError, RESET_TTL_MINUTES, VERIFY_TTL_HOURS};
use crate::audit::{self, Origin};
use crate::auth::opaque;
use crate::limits::{Bucket, Limit};
use crate::mailer::Mail;
use crate::AppState;

/// Mails to one address an hour, counted in the database so every replica meets the same
/// count (N replicas must not mail N times as often).
fn mail_limit(state: &AppState) -> Limit {
    Limit::per_hour(state.config.settings.rate_email_per_address_per_hour)
}

#[tracing::instrument(name = "services::accounts::verify_email", skip_all)]
pub async fn verify_email(
    state: &AppState,
    token: &str,
    origin: &Origin,
) -> Result<(), AccountError> {
    let txn = penora_store::begin_write(&state.db).await?;
    let user = email_tokens::consume(&txn, Purpose::VerifyEmail, &opaque::hash(token))
        .await?
        .ok_or(AccountError::InvalidEmailToken)?;
    users::mark_email_verified(&txn, user).await?;
    txn.commit().await?;
    audit::record(
        &state.db,
        Some(user),
        "auth.email_verified",
        None,
        origin,
        serde_json::json!({}),
    )
    .await;
    Ok(())
}

#[tracing::instrument(name = "services::accounts::resend_verification", skip_all,
    fields(user_id = %user.id))]
pub async fn resend_verification(state: &AppState, user: &UserRow) -> Result<(), AccountError> {
    require_mail(state)?;
    if user.email_verified_at.is_some() {
        return Ok(());
    }
    let Ok(email) = Email::parse(&user.email) else {
        return Ok(());
    };
    super::spend(state, Bucket::MailToAddress(&email), mail_limit(state)).await?;
    let id = UserId::from_uuid(user.id);
    let token = new_email_token(&state.db, id, Purpose::VerifyEmail).await?;
    send_verification(state, &email, &token).await;
    Ok(())
}

/// Mails a reset link when the account exists. Answers the same either way, so it cannot be
/// used to find out which emails have accounts (without mail: `MailUnavailable` for all).
#[tracing::instrument(name = "services::accounts::forgot_password", skip_all)]
pub async fn forgot_password(
    state: &AppState,
    email: &Email,
    origin: &Origin,
) -> Result<(), AccountError> {
    require_mail(state)?;
    match super::spend(state, Bucket::MailToAddress(email), mail_limit(state)).await {
        Err(AccountError::RateLimited(_)) => return Ok(()),
        other => other?,
    }
    let Some(user) = users::find_by_email(&state.db, email).await? else {
        return Ok(());
    };
    let id = UserId::from_uuid(user.id);
    let token = new_email_token(&state.db, id, Purpose::ResetPassword).await?;
    let link = format!("{}/reset-password?token={token}", public_url(state));
    let body = format!(
        "Someone asked to reset the password of your Penora account.\n\nChoose a new one here (valid {RESET_TTL_MINUTES} minutes):\n{link}\n\nA reset signs you out everywhere and revokes all your personal API keys; create new keys afterwards. This link replaces any earlier one.\n\nIf it was not you, ignore this mail."
    );
    deliver(
        state,
        Mail::new(email, "Reset your Penora password", body, Some(link)),
    )
    .await;
    audit::record(
        &state.db,
        Some(id),
        "auth.password_reset_requested",
        None,
        origin,
        serde_json::json!({}),
    )
    .await;
    Ok(())
}

/// Sets a new password from a mailed token; every session of the account ends and its
/// personal API keys are revoked (whoever took the account over may have made some).
#[tracing::instrument(name = "services::accounts::reset_password", skip_all)]
pub async fn reset_password(
    state: &AppState,
    token: &str,
    new_raw: &str,
    origin: &Origin,
) -> Result<(), AccountError> {
    let token_hash = opaque::hash(token);
    // Read and hashed before the write transaction: argon2 takes a while, and on SQLite a
    // write transaction holds the one writer. A weak password leaves the token unused.
    let id = email_tokens::find_live(&state.db, Purpose::ResetPassword, &token_hash)
        .await?
        .ok_or(AccountError::InvalidEmailToken)?;
    let user = users::find_by_id(&state.db, id)
        .await?
        .ok_or(AccountError::Gone)?;
    let email = Email::parse(&user.email).ok();
    let new = Password::parse_field(new_raw, email.as_ref(), "new_password")
        .map_err(AccountError::WeakPassword)?;
    let hash = state.passwords.hash(new.expose().to_owned()).await?;
    let txn = penora_store::begin_write(&state.db).await?;
    // Consumed for real only now; a race that used it meanwhile finds it spent.
    let consumed = email_tokens::consume(&txn, Purpose::ResetPassword, &token_hash).await?;
    if consumed != Some(id) {
        return Err(AccountError::InvalidEmailToken);
    }
    users::set_password_hash(&txn, id, &hash).await?;
    refresh_tokens::revoke_all_for_user(&txn, id).await?;
    let keys_revoked = api_keys::revoke_all_personal(&txn, id).await?;
    txn.commit().await?;
    if keys_revoked > 0 {
        crate::notices::keys_revoked(state).await;
    }
    audit::record(
        &state.db,
        Some(id),
        "auth.password_reset",
        None,
        origin,
        serde_json::json!({ "api_keys_revoked": keys_revoked }),
    )
    .await;
    Ok(())
}

/// A new mailed link; it replaces the user's earlier links of the same kind.
pub(super) async fn new_email_token(
    db: &impl penora_store::ConnectionTrait,
    user: UserId,
    purpose: Purpose,
) -> Result<String, DbErr> {
    let token = opaque::generate();
    let ttl = match purpose {
        Purpose::VerifyEmail => Duration::hours(VERIFY_TTL_HOURS),
        Purpose::ResetPassword => Duration::minutes(RESET_TTL_MINUTES),
    };
    email_tokens::insert(db, user, purpose, &opaque::hash(&token), Utc::now() + ttl).await?;
    Ok(token)
}

pub(super) async fn send_verification(state: &AppState, email: &Email, token: &str) {
    let link = format!("{}/verify-email?token={token}", public_url(state));
    let body = format!(
        "Welcome to Penora!\n\nConfirm your email address here (valid {VERIFY_TTL_HOURS} hours):\n{link}\n"
    );
    deliver(
        state,
        Mail::new(email, "Confirm your email for Penora", body, Some(link)),
    )
    .await;
}

/// Flows whose only output is a mail are refused up front when mail is disabled.
fn require_mail(state: &AppState) -> Result<(), AccountError> {
    if state.mailer.is_enabled() {
        Ok(())
    } else {
        Err(AccountError::MailUnavailable)
    }
}

/// Mail trouble must not undo a sign-up or reveal anything; it is logged for operators
/// (the error names no link or token).
async fn deliver(state: &AppState, mail: Mail) {
    if let Err(err) = state.mailer.send(mail).await {
        tracing::error!(error = %err, "mail could not be sent");
    }
}

fn public_url(state: &AppState) -> &str {
    state.config.settings.public_url.trim_end_matches('/')
}
