//! Accounts: sign-up, sign-in, profile, password, deletion, email verification and reset.

use penora_domain::{DisplayName, Email, Password, Role, UserId};
use penora_store::email_tokens::Purpose;
use penora_store::users::{self, EraseError, InsertUserError, NewUser, UserRow};
use penora_store::{api_keys, refresh_tokens, welcome_grants, DbErr};

use crate::audit::{self, Origin};
use crate::auth::password;
use crate::limits::{self, Bucket, Limit, Verdict};
use crate::sessions::{self, Session, SessionError};
use crate::AppState;

mod email_links;
pub mod methods;

pub use email_links::{forgot_password, resend_verification, reset_password, verify_email};
use email_links::{new_email_token, send_verification};

const VERIFY_TTL_HOURS: i64 = 48;
const RESET_TTL_MINUTES: i64 = 30;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("an account with this email exists")]
    EmailTaken,
    #[error("wrong email or password")]
    InvalidCredentials,
    #[error("the current password is wrong")]
    WrongPassword,
    #[error("the link is unknown, used or expired")]
    InvalidEmailToken,
    #[error("too many attempts; retry in {0} s")]
    RateLimited(u64),
    #[error("the account no longer exists")]
    Gone,
    #[error("generations are running")]
    GenerationsRunning,
    #[error("mail is disabled on this server")]
    MailUnavailable,
    #[error("this needs a sign-in within the last few minutes")]
    RecentSignInRequired,
    #[error("the account has a password already")]
    PasswordAlreadySet,
    #[error("this sign-in method is not linked to the account")]
    NotLinked,
    #[error("this is the account's only way to sign in")]
    LastSignInMethod,
    #[error("the new password breaks a rule")]
    WeakPassword(penora_domain::FieldError),
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error(transparent)]
    Hash(#[from] password::HashError),
    #[error(transparent)]
    Ledger(#[from] penora_store::ledger::LedgerError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<EraseError> for AccountError {
    fn from(err: EraseError) -> Self {
        match err {
            EraseError::Gone => AccountError::Gone,
            EraseError::GenerationsRunning => AccountError::GenerationsRunning,
            EraseError::Db(e) => AccountError::Db(e),
        }
    }
}

impl From<InsertUserError> for AccountError {
    fn from(err: InsertUserError) -> Self {
        match err {
            InsertUserError::EmailTaken => AccountError::EmailTaken,
            InsertUserError::Db(e) => AccountError::Db(e),
        }
    }
}

pub struct Signup {
    pub email: Email,
    pub password: Password,
    pub display_name: DisplayName,
}

#[tracing::instrument(name = "services::accounts::signup", skip_all)]
pub async fn signup(
    state: &AppState,
    input: Signup,
    origin: &Origin,
) -> Result<Session, AccountError> {
    let client = origin.client_or_unknown();
    let per_ip = Limit::per_hour(state.config.settings.rate_signup_per_ip_per_hour);
    spend(state, Bucket::Signup(&client), per_ip).await?;
    let hash = state
        .passwords
        .hash(input.password.expose().to_owned())
        .await?;
    let txn = penora_store::begin_write(&state.db).await?;
    let user = users::insert(
        &txn,
        NewUser {
            email: &input.email,
            password_hash: Some(&hash),
            display_name: &input.display_name,
            role: Role::User,
        },
    )
    .await?;
    welcome(state, &txn, UserId::from_uuid(user.id), &input.email).await?;
    let user = users::find_by_id(&txn, UserId::from_uuid(user.id))
        .await?
        .ok_or(AccountError::Gone)?;
    let session = sessions::start(state, &txn, user).await?;
    // Without mail the address stays unverified and no link is made that nobody receives.
    let verify_token = if state.mailer.is_enabled() {
        let id = UserId::from_uuid(session.user.id);
        Some(new_email_token(&txn, id, Purpose::VerifyEmail).await?)
    } else {
        None
    };
    txn.commit().await?;
    let id = UserId::from_uuid(session.user.id);
    audit::record(
        &state.db,
        Some(id),
        "auth.signup",
        Some(input.email.as_str()),
        origin,
        serde_json::json!({}),
    )
    .await;
    if let Some(token) = verify_token {
        send_verification(state, &input.email, &token).await;
    }
    Ok(session)
}

/// Grants the welcome bonus to the new account `id` unless its address had it before: once
/// per address, ever, whichever way the account was made (an address whose earlier account
/// was deleted gets none).
pub(crate) async fn welcome(
    state: &AppState,
    txn: &impl penora_store::ConnectionTrait,
    id: UserId,
    email: &Email,
) -> Result<(), AccountError> {
    let bonus = penora_domain::Millicredits::new(state.config.settings.welcome_bonus_mc);
    if bonus.is_positive()
        && welcome_grants::claim(txn, &state.keyed.welcome_email(email), id).await?
    {
        crate::credits::grant_welcome(txn, id, bonus).await?;
    }
    Ok(())
}

#[tracing::instrument(name = "services::accounts::login", skip_all)]
pub async fn login(
    state: &AppState,
    email: &Email,
    password_raw: &str,
    origin: &Origin,
) -> Result<Session, AccountError> {
    let client = origin.client_or_unknown();
    let settings = &state.config.settings;
    // Per client first, so a client over its limits spends nothing of the email's ceiling.
    let checks = [
        (
            Bucket::LoginIp(&client),
            Limit::per_minute(settings.rate_login_per_ip_per_minute),
        ),
        (
            Bucket::LoginEmailIp(email, &client),
            Limit::per_minute(settings.rate_login_per_email_ip_per_minute),
        ),
        (
            Bucket::LoginEmailIpHourly(email, &client),
            Limit::per_hour(settings.rate_login_per_email_ip_per_hour),
        ),
        (
            Bucket::LoginEmail(email),
            Limit::per_hour(settings.rate_login_per_email_per_hour),
        ),
    ];
    for (bucket, limit) in checks {
        spend(state, bucket, limit).await?;
    }
    let user = users::find_by_email(&state.db, email).await?;
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    let ok = state
        .passwords
        .verify(password_raw.to_owned(), stored)
        .await?;
    let user = match user {
        Some(user) if ok => user,
        _ => {
            let actor = user.map(|u| UserId::from_uuid(u.id));
            audit::record(
                &state.db,
                actor,
                "auth.login_failed",
                Some(email.as_str()),
                origin,
                serde_json::json!({}),
            )
            .await;
            return Err(AccountError::InvalidCredentials);
        }
    };
    let id = UserId::from_uuid(user.id);
    let session = sessions::start(state, &state.db, user).await?;
    audit::record(
        &state.db,
        Some(id),
        "auth.login",
        Some(email.as_str()),
        origin,
        serde_json::json!({}),
    )
    .await;
    Ok(session)
}

#[tracing::instrument(name = "services::accounts::rename", skip_all, fields(user_id = %user))]
pub async fn rename(
    state: &AppState,
    user: UserId,
    name: &DisplayName,
) -> Result<UserRow, AccountError> {
    users::set_display_name(&state.db, user, name)
        .await?
        .ok_or(AccountError::Gone)
}

/// Changes the password after checking the current one; every other session ends, and the
/// caller gets a fresh one. With `revoke_api_keys` the personal API keys end too.
#[tracing::instrument(name = "services::accounts::change_password", skip_all,
    fields(user_id = %user.id))]
pub async fn change_password(
    state: &AppState,
    user: &UserRow,
    current: &str,
    new: Password,
    revoke_api_keys: bool,
    origin: &Origin,
) -> Result<Session, AccountError> {
    check_password(state, user, current).await?;
    let id = UserId::from_uuid(user.id);
    let hash = state.passwords.hash(new.expose().to_owned()).await?;
    let txn = penora_store::begin_write(&state.db).await?;
    users::set_password_hash(&txn, id, &hash).await?;
    refresh_tokens::revoke_all_for_user(&txn, id).await?;
    let keys_revoked = if revoke_api_keys {
        api_keys::revoke_all_personal(&txn, id).await?
    } else {
        0
    };
    let fresh = users::find_by_id(&txn, id)
        .await?
        .ok_or(AccountError::Gone)?;
    let session = sessions::start(state, &txn, fresh).await?;
    txn.commit().await?;
    if keys_revoked > 0 {
        crate::notices::keys_revoked(state).await;
    }
    audit::record(
        &state.db,
        Some(id),
        "auth.password_changed",
        None,
        origin,
        serde_json::json!({ "api_keys_revoked": keys_revoked }),
    )
    .await;
    Ok(session)
}

/// Checks a signed-in user's password, within the per-user limit: a stolen session must not
/// become an unlimited password oracle.
async fn check_password(
    state: &AppState,
    user: &UserRow,
    password_raw: &str,
) -> Result<(), AccountError> {
    let id = UserId::from_uuid(user.id);
    let limit = Limit::per_hour(state.config.settings.rate_password_checks_per_user_per_hour);
    spend(state, Bucket::PasswordChecks(id), limit).await?;
    let stored = user.password_hash.clone();
    if state
        .passwords
        .verify(password_raw.to_owned(), stored)
        .await?
    {
        Ok(())
    } else {
        Err(AccountError::WrongPassword)
    }
}

/// Counts a hit in `bucket` (in the database, shared by every replica); over the limit is
/// `RateLimited`.
async fn spend(state: &AppState, bucket: Bucket<'_>, limit: Limit) -> Result<(), AccountError> {
    match limits::hit(&state.db, bucket, limit).await? {
        Verdict::Allowed => Ok(()),
        Verdict::Wait(secs) => Err(AccountError::RateLimited(secs)),
    }
}

/// Deletes the account: its personal data goes, its ledger stays against the anonymous
/// tombstone the row becomes ([`users::erase`]). Refused while its generations run.
///
/// An account with a password confirms with it; one without (made by single sign-on or
/// Google) has nothing to confirm with, so its session's sign-in must be recent.
#[tracing::instrument(name = "services::accounts::delete", skip_all, fields(user_id = %user.id))]
pub async fn delete(
    state: &AppState,
    user: &UserRow,
    password_raw: Option<&str>,
    signed_in_at: methods::SignedInAt,
    origin: &Origin,
) -> Result<(), AccountError> {
    match &user.password_hash {
        Some(_) => check_password(state, user, password_raw.unwrap_or_default()).await?,
        None => signed_in_at.require_recent()?,
    }
    let id = UserId::from_uuid(user.id);
    let txn = penora_store::begin_write(&state.db).await?;
    users::erase(&txn, id).await?;
    txn.commit().await?;
    // Its personal API keys are gone; none may stay trusted from the cache.
    crate::notices::keys_revoked(state).await;
    audit::record(
        &state.db,
        None,
        "account.deleted",
        Some(&id.to_string()),
        origin,
        serde_json::json!({}),
    )
    .await;
    Ok(())
}

/// The CLI's `admin create-admin`: an account with the admin role, verified.
#[tracing::instrument(name = "services::accounts::create_admin", skip_all)]
pub async fn create_admin(
    state: &AppState,
    email: &Email,
    password: &Password,
) -> Result<UserRow, AccountError> {
    let hash = state.passwords.hash(password.expose().to_owned()).await?;
    let txn = penora_store::begin_write(&state.db).await?;
    let user = users::insert(
        &txn,
        NewUser {
            email,
            password_hash: Some(&hash),
            display_name: &DisplayName::from_email(email),
            role: Role::Admin,
        },
    )
    .await?;
    users::mark_email_verified(&txn, UserId::from_uuid(user.id)).await?;
    txn.commit().await?;
    audit::record(
        &state.db,
        None,
        "admin.created",
        Some(email.as_str()),
        &Origin::ip("cli"),
        serde_json::json!({}),
    )
    .await;
    Ok(user)
}

/// Records a welcome grant for every account that received the bonus before grants were
/// kept (the migration cannot compute the key). Idempotent and cheap once done: it runs at
/// every start-up and finds nothing to do after the first.
#[tracing::instrument(name = "services::accounts::record_welcome_grants", skip_all)]
pub async fn record_welcome_grants(state: &AppState) -> Result<u64, DbErr> {
    const BATCH: u64 = 500;
    let mut recorded = 0;
    loop {
        let batch = welcome_grants::ungranted(&state.db, BATCH).await?;
        let mut progress = false;
        for account in &batch {
            let Ok(email) = Email::parse(&account.email) else {
                continue;
            };
            let key = state.keyed.welcome_email(&email);
            if welcome_grants::claim(&state.db, &key, UserId::from_uuid(account.id)).await? {
                recorded += 1;
                progress = true;
            }
        }
        // A row that cannot be recorded (an unparsable address) must not loop for ever.
        if !progress || (batch.len() as u64) < BATCH {
            break;
        }
    }
    if recorded > 0 {
        tracing::info!(recorded, "recorded the welcome grants of existing accounts");
    }
    Ok(recorded)
}
