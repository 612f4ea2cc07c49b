//! Signing in through another site: single sign-on from the main site (SukuSuku, [`sso`])
//! and Google ([`google`]). Both end in an [`Arrival`] (the provider vouches for a subject
//! and an address) that [`arrive`] turns into a session: the account linked to that
//! subject, or the account with that address when the provider says it verified it, or a
//! new account.

use chrono::Utc;
use penora_domain::{DisplayName, Email, ExternalSubject, Provider, Role, UserId};
use penora_store::identities::{self, IdentityRow};
use penora_store::users::{self, InsertUserError, NewUser, UserRow};
use penora_store::{DatabaseTransaction, DbErr, WriteError};

use crate::accounts::{self, AccountError};
use crate::audit::{self, Origin};
use crate::sessions::{self, Session, SessionError};
use crate::AppState;

pub mod google;
pub mod jwks;
mod refusal;
pub mod return_to;
pub mod sso;

pub use refusal::Refusal;
pub use return_to::{Destinations, ReturnTo};

/// The sign-in methods beyond the password this server offers, and where sign-ins may
/// return to.
pub struct SignIn {
    /// Single sign-on from the main site, when configured.
    pub sso: Option<sso::SsoVerifier>,
    /// Sign-in with Google, when configured.
    pub google: Option<google::Google>,
    pub destinations: Destinations,
}

/// Why the sign-in methods cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("cannot build the HTTP client for identity providers: {0}")]
    Http(#[from] reqwest::Error),
    #[error("PENORA_PUBLIC_URL is not a URL: {0}")]
    PublicUrl(#[from] url::ParseError),
}

impl SignIn {
    pub fn new(config: &crate::config::Config) -> Result<Self, SetupError> {
        let s = &config.settings.sign_in;
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_millis(s.sign_in_timeout_ms))
            .build()?;
        let sso = config.sso.as_ref().map(|sso| {
            sso::SsoVerifier::new(
                sso,
                http.clone(),
                std::time::Duration::from_secs(s.sso_token_max_age_secs),
                std::time::Duration::from_millis(s.jwks_refresh_min_interval_ms),
            )
        });
        let google = config.google.as_ref().map(|google| {
            google::Google::new(google, s, &config.settings.public_url, http.clone())
        });
        Ok(Self {
            sso,
            google,
            destinations: Destinations::new(&config.settings.public_url, &s.sso_return_to_origins)?,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Account(#[from] AccountError),
}

impl From<DbErr> for SignInError {
    fn from(err: DbErr) -> Self {
        SignInError::Account(err.into())
    }
}

impl From<SessionError> for SignInError {
    fn from(err: SessionError) -> Self {
        SignInError::Account(err.into())
    }
}

/// What a provider vouched for, checked.
#[derive(Debug, Clone)]
pub struct Arrival {
    pub provider: Provider,
    pub subject: ExternalSubject,
    pub email: Email,
    /// The provider says the address is the user's.
    pub email_verified: bool,
    pub name: Option<String>,
}

/// How the arrival found its account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The identity was linked to it before.
    SignedIn,
    /// The account with the verified address; the identity is linked now.
    Linked,
    /// The account with the address, which nobody had verified: the verified owner takes it
    /// over. Its password, sessions, personal API keys and other identities end (whoever
    /// made it never proved the address was theirs).
    Claimed,
    /// A new account, with the welcome bonus when its address never had one.
    Created,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::SignedIn => "signed_in",
            Outcome::Linked => "linked",
            Outcome::Claimed => "claimed",
            Outcome::Created => "created",
        }
    }
}

/// Signs in the account `arrival` belongs to (see the module docs), recording each step in
/// the audit log. Two first arrivals of one person at once make one account.
#[tracing::instrument(name = "services::sign_in::arrive", skip_all,
    fields(provider = %arrival.provider))]
pub async fn arrive(
    state: &AppState,
    arrival: &Arrival,
    origin: &Origin,
) -> Result<(Session, Outcome), SignInError> {
    let (user, outcome) = account_for(state, arrival, origin).await?;
    let session = sessions::start(state, &state.db, user).await?;
    Ok((session, outcome))
}

/// The account `arrival` belongs to: the one linked to its subject, else the one with its
/// address when the provider verified it (linked now), else a new one. Starts no session
/// (ImageGene's resolve uses it too). Recorded in the audit log.
pub async fn account_for(
    state: &AppState,
    arrival: &Arrival,
    origin: &Origin,
) -> Result<(UserRow, Outcome), SignInError> {
    let result = match attempt(state, arrival).await {
        // The other arrival made the account or the link first: this one finds it now.
        Err(SignInError::Account(AccountError::EmailTaken)) => attempt(state, arrival).await,
        other => other,
    };
    let (user, outcome) = match result {
        Ok(done) => done,
        Err(SignInError::Refused(refusal)) => {
            refused(
                state,
                arrival.provider,
                refusal,
                Some(&arrival.subject),
                origin,
            )
            .await;
            return Err(refusal.into());
        }
        Err(err) => return Err(err),
    };
    if outcome == Outcome::Claimed {
        // Its personal API keys are revoked; none may stay trusted from the cache.
        crate::notices::keys_revoked(state).await;
    }
    let meta = serde_json::json!({
        "provider": arrival.provider.as_str(),
        "subject": arrival.subject.as_str(),
        "outcome": outcome.as_str(),
    });
    audit::record(
        &state.db,
        Some(UserId::from_uuid(user.id)),
        "auth.sign_in_arrival",
        Some(arrival.email.as_str()),
        origin,
        meta,
    )
    .await;
    Ok((user, outcome))
}

async fn attempt(state: &AppState, arrival: &Arrival) -> Result<(UserRow, Outcome), SignInError> {
    let txn = penora_store::begin_write(&state.db).await?;
    let now = Utc::now();
    let (user, outcome) = match identities::find(&txn, arrival.provider, &arrival.subject).await? {
        Some(identity) => (linked_account(&txn, &identity).await?, Outcome::SignedIn),
        // An address the provider has not verified neither links, claims nor makes an
        // account: the person is asked to verify it there first.
        None if !arrival.email_verified => return Err(Refusal::UnverifiedEmail.into()),
        None => match users::find_by_email(&txn, &arrival.email).await? {
            Some(user) if user.email_verified_at.is_none() => {
                (claim(&txn, &user).await?, Outcome::Claimed)
            }
            Some(user) => (user, Outcome::Linked),
            None => (create(state, &txn, arrival).await?, Outcome::Created),
        },
    };
    let id = UserId::from_uuid(user.id);
    match outcome {
        Outcome::SignedIn => {
            let identity = identities::find(&txn, arrival.provider, &arrival.subject).await?;
            if let Some(identity) = identity {
                identities::touch(&txn, identity.id, now).await?;
            }
        }
        Outcome::Linked | Outcome::Claimed | Outcome::Created => {
            let email = Some(&arrival.email);
            match identities::link(&txn, id, arrival.provider, &arrival.subject, email, now).await {
                Ok(_) => {}
                // The subject was linked meanwhile (retried), or the account is linked to
                // another subject at this provider.
                Err(WriteError::Taken) => match outcome {
                    Outcome::Created => return Err(AccountError::EmailTaken.into()),
                    _ => return Err(Refusal::LinkedElsewhere.into()),
                },
                Err(WriteError::Db(err)) => return Err(err.into()),
            }
        }
    }
    if arrival.email_verified
        && user.email_verified_at.is_none()
        && user.email == arrival.email.as_str()
    {
        users::mark_email_verified(&txn, id).await?;
    }
    let user = users::find_by_id(&txn, id)
        .await?
        .ok_or(AccountError::Gone)?;
    txn.commit().await?;
    Ok((user, outcome))
}

/// Ends every way into `user` that did not prove its address (see [`Outcome::Claimed`]).
async fn claim(txn: &DatabaseTransaction, user: &UserRow) -> Result<UserRow, SignInError> {
    let id = UserId::from_uuid(user.id);
    users::clear_password(txn, id).await?;
    penora_store::refresh_tokens::revoke_all_for_user(txn, id).await?;
    penora_store::api_keys::revoke_all_personal(txn, id).await?;
    identities::unlink_all(txn, id).await?;
    Ok(users::find_by_id(txn, id)
        .await?
        .ok_or(AccountError::Gone)?)
}

async fn linked_account(
    txn: &DatabaseTransaction,
    identity: &IdentityRow,
) -> Result<UserRow, SignInError> {
    Ok(users::find_by_id(txn, UserId::from_uuid(identity.user_id))
        .await?
        .ok_or(AccountError::Gone)?)
}

/// A new account without a password for `arrival`, with its welcome bonus.
async fn create(
    state: &AppState,
    txn: &DatabaseTransaction,
    arrival: &Arrival,
) -> Result<UserRow, SignInError> {
    let name = arrival
        .name
        .as_deref()
        .and_then(|n| DisplayName::parse(n).ok())
        .unwrap_or_else(|| DisplayName::from_email(&arrival.email));
    let user = users::insert(
        txn,
        NewUser {
            email: &arrival.email,
            password_hash: None,
            display_name: &name,
            role: Role::User,
        },
    )
    .await
    .map_err(|err| match err {
        InsertUserError::EmailTaken => AccountError::EmailTaken,
        InsertUserError::Db(e) => AccountError::Db(e),
    })?;
    accounts::welcome(state, txn, UserId::from_uuid(user.id), &arrival.email).await?;
    Ok(user)
}

/// Signs in by a single sign-on token from the main site (see [`sso`]); a refusal is
/// recorded with its reason.
#[tracing::instrument(name = "services::sign_in::by_sso", skip_all)]
pub async fn by_sso(
    state: &AppState,
    token: &str,
    origin: &Origin,
) -> Result<(Session, Outcome), SignInError> {
    let arrival = verify_sso(state, token, sso::Audience::Penora, origin).await?;
    arrive(state, &arrival, origin).await
}

/// What a single sign-on token meant for `audience` vouches for (its `jti` used up); a
/// refusal is recorded with its reason.
pub async fn verify_sso(
    state: &AppState,
    token: &str,
    audience: sso::Audience,
    origin: &Origin,
) -> Result<Arrival, SignInError> {
    let verified = match &state.sign_in.sso {
        Some(verifier) => verifier.verify(&state.db, token, audience).await,
        None => Err(Refusal::NotConfigured.into()),
    };
    if let Err(SignInError::Refused(refusal)) = &verified {
        refused(state, Provider::Sukusuku, *refusal, None, origin).await;
    }
    verified
}

/// Links the identity `arrival` vouches for to signed-in `user` (from the account page).
/// Linking it again is no change; an identity of another account, or a second identity at
/// the same provider, is refused `LinkedElsewhere`.
pub async fn link(
    state: &AppState,
    user: UserId,
    arrival: &Arrival,
    origin: &Origin,
) -> Result<(), SignInError> {
    let txn = penora_store::begin_write(&state.db).await?;
    if !users::lock(&txn, user, None).await? {
        return Err(AccountError::Gone.into());
    }
    let result = match identities::find(&txn, arrival.provider, &arrival.subject).await? {
        Some(identity) if identity.user_id == user.as_uuid() => return Ok(()),
        Some(_) => Err(Refusal::LinkedElsewhere),
        None => {
            let email = Some(&arrival.email);
            match identities::link(
                &txn,
                user,
                arrival.provider,
                &arrival.subject,
                email,
                Utc::now(),
            )
            .await
            {
                Ok(_) => Ok(()),
                Err(WriteError::Taken) => Err(Refusal::LinkedElsewhere),
                Err(WriteError::Db(err)) => return Err(err.into()),
            }
        }
    };
    if let Err(refusal) = result {
        drop(txn);
        refused(
            state,
            arrival.provider,
            refusal,
            Some(&arrival.subject),
            origin,
        )
        .await;
        return Err(refusal.into());
    }
    txn.commit().await?;
    let meta = serde_json::json!({
        "provider": arrival.provider.as_str(),
        "subject": arrival.subject.as_str(),
    });
    audit::record(
        &state.db,
        Some(user),
        "auth.identity_linked",
        Some(arrival.email.as_str()),
        origin,
        meta,
    )
    .await;
    Ok(())
}

/// Forgets used sign-in tokens and OAuth flows that have expired (they are refused as
/// expired anyway); the number forgotten.
pub async fn purge_expired(state: &AppState) -> Result<u64, DbErr> {
    let now = Utc::now();
    let tokens = penora_store::used_tokens::purge(&state.db, now).await?;
    let flows = penora_store::oauth_flows::purge(&state.db, now).await?;
    Ok(tokens + flows)
}

/// Records a refused sign-in with its reason.
pub async fn refused(
    state: &AppState,
    provider: Provider,
    refusal: Refusal,
    subject: Option<&ExternalSubject>,
    origin: &Origin,
) {
    let meta = serde_json::json!({
        "provider": provider.as_str(),
        "reason": refusal.code(),
        "subject": subject.map(ExternalSubject::as_str),
    });
    audit::record(&state.db, None, "auth.sign_in_refused", None, origin, meta).await;
}
