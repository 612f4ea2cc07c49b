//! Who is calling. `AuthUser` (a session or a personal API key), `SessionUser` (a signed-in
//! session only), `AdminUser` (admin role) and `AppClient` (an app key): a handler states
//! which caller it serves in its signature, and the wrong caller never reaches it. `Caller`
//! is an `AuthUser` whose account is not read: for starting generations, whose opening
//! statement checks the account itself.
//!
//! `AuthUser`, `Caller` and `AppClient` are not extractors themselves: a handler takes them
//! through `auth::scoped` (`Scoped<Read>`, `ScopedCaller<Generate>`, `App<CreditsRead>`),
//! so every route a key may call names the scope it needs in its signature.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest};
use penora_api_types::ErrorCode;
use penora_domain::{AppScope, KeyKind, Role, Scope, UserId};
use penora_store::api_keys::ApiKeyRow;
use penora_store::users::{self, UserRow};

use crate::error::{ApiError, SESSION_ENDED};
use penora_app::api_keys;
use penora_app::apps::AppCaller;
use penora_app::auth::jwt::TokenError;
use penora_app::generations::Account;
use penora_app::AppState;

/// How a user proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// A session's access token; `signed_in_at` is when its sign-in happened (Unix seconds),
    /// which refreshes carry over.
    Session { signed_in_at: i64 },
    PersonalKey {
        key_id: uuid::Uuid,
        scopes: Vec<Scope>,
    },
}

/// A user, loaded fresh from the database (a deleted account or an outdated session epoch
/// stops working at once).
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: UserId,
    pub role: Role,
    pub row: UserRow,
    pub via: Via,
}

impl Via {
    /// Sessions may do anything their user may; a personal key only what its scopes say.
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        match self {
            Via::PersonalKey { scopes, .. } if !scopes.contains(&scope) => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                ErrorCode::InsufficientScope,
                format!("This API key lacks the `{scope}` scope."),
            )),
            _ => Ok(()),
        }
    }
}

impl Via {
    /// The personal key's id; `None` for a session.
    pub fn key_id(&self) -> Option<uuid::Uuid> {
        match self {
            Via::PersonalKey { key_id, .. } => Some(*key_id),
            Via::Session { .. } => None,
        }
    }
}

impl AuthUser {
    /// The account a generation started by this user bills; a session's generations
    /// check that it is still current when each opens (a story's chapters, one by one).
    pub fn account(&self) -> Account {
        Account {
            user: self.id,
            session_epoch: matches!(self.via, Via::Session { .. })
                .then_some(self.row.session_epoch),
            key: self.via.key_id(),
        }
    }
}

/// A user proved by a personal key (from the key cache) or a session's token, whose account
/// has not been read: whoever acts on it checks that the account exists and, for a session,
/// that `session_epoch` is still the account's, before answering with anything of the
/// account's. Only routes that start a generation at once take it; a story's routes read
/// the story first, so they take an `AuthUser`. Reading the account for every request was a
/// third of a billed completion's statements, and the wait for a pooled connection to do it
/// cost PostgreSQL a quarter of its completions per second.
///
/// Its fields are private: the token's signature (or the key cache) is all that vouches for
/// it, so besides its user's id it serves only to start a generation, whose opening
/// statement checks that the account exists and the session is current ([`Self::account`]
/// consumes it).
#[derive(Debug)]
pub struct Caller {
    id: UserId,
    via: Via,
    /// The session's epoch; `None` for a personal key.
    session_epoch: Option<i64>,
}

impl Caller {
    /// The user the token names (not yet checked against the account).
    pub fn id(&self) -> UserId {
        self.id
    }

    pub(super) fn via(&self) -> &Via {
        &self.via
    }

    /// The personal key the request came with, if any (for logs).
    pub fn key_id(&self) -> Option<uuid::Uuid> {
        self.via.key_id()
    }

    /// Records the user (and personal key) on the request's span, so that every line logged
    /// for the request names them; extractors run inside that span.
    fn name_on_request_span(&self) {
        crate::telemetry::record("user_id", self.id);
        if let Some(key) = self.via.key_id() {
            crate::telemetry::record("key_id", key);
        }
    }

    /// The account a generation started by this caller bills (and checks, when it opens).
    pub fn account(self) -> Account {
        Account {
            user: self.id,
            session_epoch: self.session_epoch,
            key: self.via.key_id(),
        }
    }
}

/// A user signed in through the app (not an API key): for managing keys, the password,
/// deleting the account.
#[derive(Debug, Clone)]
pub struct SessionUser(pub AuthUser);

/// A signed-in user with the admin role.
#[derive(Debug, Clone)]
pub struct AdminUser(pub AuthUser);

/// A server-to-server caller holding an app key.
#[derive(Debug, Clone)]
pub struct AppClient {
    pub caller: AppCaller,
    pub scopes: Vec<AppScope>,
}

impl AppClient {
    pub fn require(&self, scope: AppScope) -> Result<(), ApiError> {
        if self.scopes.contains(&scope) {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                ErrorCode::InsufficientScope,
                format!("This app key lacks the `{scope}` scope."),
            ))
        }
    }
}

fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

fn missing() -> ApiError {
    ApiError::unauthorized("Sign in: send `Authorization: Bearer <access token or API key>`.")
}

async fn key_row(state: &AppState, token: &str) -> Result<ApiKeyRow, ApiError> {
    api_keys::authenticate(&state.keys, &state.reads, &state.db, token)
        .await?
        .ok_or_else(|| ApiError::unauthorized("This API key is not valid or was revoked."))
}

async fn load_user(state: &AppState, caller: Caller) -> Result<AuthUser, ApiError> {
    let Caller {
        id,
        via,
        session_epoch,
    } = caller;
    let row = users::find_current(&state.reads, id, session_epoch)
        .await?
        .ok_or_else(|| ApiError::unauthorized(SESSION_ENDED))?;
    let role = *row.role;
    Ok(AuthUser { id, role, row, via })
}

/// Who the token says is calling, from the key cache or the token's signature alone.
async fn identify(state: &AppState, token: Option<String>) -> Result<Caller, ApiError> {
    let token = token.ok_or_else(missing)?;
    if api_keys::looks_like_key(&token) {
        let key = key_row(state, &token).await?;
        let Some(owner) = key.user_id.filter(|_| key.kind == KeyKind::Personal) else {
            return Err(ApiError::forbidden(
                "App keys act for no user: use a personal API key or sign in.",
            ));
        };
        let via = Via::PersonalKey {
            key_id: key.id,
            scopes: key.scopes.personal(),
        };
        return Ok(Caller {
            id: UserId::from_uuid(owner),
            via,
            session_epoch: None,
        });
    }
    let claims = state.jwt.verify(&token).map_err(|e| match e {
        TokenError::Expired => ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::TokenExpired,
            "The access token has expired; refresh it.",
        ),
        TokenError::Invalid => ApiError::unauthorized("The access token is not valid."),
    })?;
    let id = UserId::parse(&claims.sub)
        .ok_or_else(|| ApiError::unauthorized("The access token is not valid."))?;
    Ok(Caller {
        id,
        via: Via::Session {
            signed_in_at: claims.auth_time,
        },
        session_epoch: Some(claims.epoch),
    })
}

async fn authenticate_app(state: &AppState, token: Option<String>) -> Result<AppClient, ApiError> {
    let token = token.ok_or_else(missing)?;
    let app_key_required = || {
        ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::AppKeyRequired,
            "This endpoint is for apps: send an app key (ak_live_...).",
        )
    };
    if !token.starts_with(api_keys::APP_PREFIX) {
        return Err(app_key_required());
    }
    let key = key_row(state, &token).await?;
    if key.kind != KeyKind::App {
        return Err(app_key_required());
    }
    crate::telemetry::record("app_key_id", key.id);
    Ok(AppClient {
        scopes: key.scopes.app(),
        caller: AppCaller {
            key_id: key.id,
            name: key.name,
        },
    })
}

pub(super) type Fut<T> = Pin<Box<dyn Future<Output = Result<T, ApiError>>>>;

fn state_of(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("AppState is not registered")))
}

/// The user behind the request's token (a session or a personal key), any scope.
pub(super) fn auth_user(req: &HttpRequest) -> Fut<AuthUser> {
    let state = state_of(req);
    let token = bearer(req);
    Box::pin(async move {
        let state = state?;
        let caller = identify(&state, token).await?;
        caller.name_on_request_span();
        load_user(&state, caller).await
    })
}

/// The caller behind the request's token, its account not read, any scope.
pub(super) fn caller(req: &HttpRequest) -> Fut<Caller> {
    let state = state_of(req);
    let token = bearer(req);
    Box::pin(async move {
        let caller = identify(&*state?, token).await?;
        caller.name_on_request_span();
        Ok(caller)
    })
}

/// The app behind the request's app key, any scope.
pub(super) fn app_client(req: &HttpRequest) -> Fut<AppClient> {
    let state = state_of(req);
    let token = bearer(req);
    Box::pin(async move { authenticate_app(&*state?, token).await })
}

impl FromRequest for SessionUser {
    type Error = ApiError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let user = auth_user(req);
        Box::pin(async move {
            let user = user.await?;
            if matches!(user.via, Via::Session { .. }) {
                Ok(SessionUser(user))
            } else {
                Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    ErrorCode::SessionRequired,
                    "API keys cannot do this; sign in to the app.",
                ))
            }
        })
    }
}

impl FromRequest for AdminUser {
    type Error = ApiError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let user = SessionUser::from_request(req, payload);
        Box::pin(async move {
            let SessionUser(user) = user.await?;
            if user.role.is_admin() {
                Ok(AdminUser(user))
            } else {
                Err(ApiError::forbidden("This needs the admin role."))
            }
        })
    }
}
