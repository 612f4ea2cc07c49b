//! Finding the Penora user a sister app means: by address, by Penora id, by the main site's
//! id, or by a single sign-on token the main site made for the app (`aud` = `imagegene`),
//! which makes or links the account the way Penora's own hand-off does. Both apps then see
//! one user, one balance and one workspace.

use penora_domain::{Email, ExternalSubject, Provider, UserId};
use penora_store::identities;
use penora_store::users::{self, UserRow};

use super::{audit, AppCaller};
use crate::audit::Origin;
use crate::credits::CreditError;
use crate::sign_in::{self, sso::Audience, SignInError};
use crate::AppState;

/// How the app names the user.
#[derive(Debug, Clone)]
pub enum UserKey {
    Email(Email),
    /// A token the main site signed for the app.
    SsoToken(String),
    UserId(UserId),
    /// The main site's id for the user.
    ExternalId(ExternalSubject),
}

impl UserKey {
    fn kind(&self) -> &'static str {
        match self {
            UserKey::Email(_) => "email",
            UserKey::SsoToken(_) => "sso_token",
            UserKey::UserId(_) => "user_id",
            UserKey::ExternalId(_) => "external_id",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error(transparent)]
    Credit(#[from] CreditError),
    #[error(transparent)]
    SignIn(#[from] SignInError),
}

impl From<penora_store::DbErr> for ResolveError {
    fn from(err: penora_store::DbErr) -> Self {
        ResolveError::Credit(err.into())
    }
}

/// The user `key` names, with the main site's id for them when one is linked.
#[tracing::instrument(name = "services::apps::resolve", skip_all,
    fields(app_key_id = %caller.key_id, by = key.kind()))]
pub async fn resolve(
    state: &AppState,
    caller: &AppCaller,
    key: &UserKey,
    origin: &Origin,
) -> Result<(UserRow, Option<ExternalSubject>), ResolveError> {
    let user = match key {
        UserKey::Email(email) => users::find_by_email(&state.db, email).await?,
        UserKey::UserId(id) => users::find_by_id(&state.db, *id).await?,
        UserKey::ExternalId(subject) => {
            match identities::find(&state.db, Provider::Sukusuku, subject).await? {
                Some(identity) => {
                    users::find_by_id(&state.db, UserId::from_uuid(identity.user_id)).await?
                }
                None => None,
            }
        }
        UserKey::SsoToken(token) => {
            let arrival = sign_in::verify_sso(state, token, Audience::ImageGene, origin).await?;
            Some(sign_in::account_for(state, &arrival, origin).await?.0)
        }
    };
    let user = user.ok_or(CreditError::UserNotFound)?;
    let id = UserId::from_uuid(user.id);
    let external = identities::of_user(&state.db, id)
        .await?
        .into_iter()
        .find(|identity| *identity.provider == Provider::Sukusuku)
        .and_then(|identity| ExternalSubject::parse(&identity.subject).ok());
    audit(
        state,
        caller,
        "app.user_resolved",
        Some(id),
        origin,
        serde_json::json!({ "by": key.kind() }),
    )
    .await;
    Ok((user, external))
}
