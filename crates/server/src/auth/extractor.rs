//! `AuthUser` and `AdminUser`: a handler that takes one of these only runs for a caller with
//! a valid access token (and, for `AdminUser`, the admin role).

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use penora_api_types::ErrorCode;
use penora_domain::{Role, UserId};
use penora_store::users::{self, UserRow};

use super::jwt::TokenError;
use crate::error::ApiError;
use crate::state::AppState;

/// A signed-in user, loaded fresh from the database (a deleted account or a revoked
/// session epoch stops working at once).
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: UserId,
    pub role: Role,
    pub row: UserRow,
}

/// A signed-in user with the admin role.
#[derive(Debug, Clone)]
pub struct AdminUser(pub AuthUser);

fn bearer(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

async fn authenticate(
    state: web::Data<AppState>,
    token: Option<String>,
) -> Result<AuthUser, ApiError> {
    let token = token.ok_or_else(|| {
        ApiError::unauthorized("Sign in: send `Authorization: Bearer <access token>`.")
    })?;
    let claims = state.jwt.verify(&token).map_err(|e| match e {
        TokenError::Expired => ApiError::new(
            actix_web::http::StatusCode::UNAUTHORIZED,
            ErrorCode::TokenExpired,
            "The access token has expired; refresh it.",
        ),
        TokenError::Invalid => ApiError::unauthorized("The access token is not valid."),
    })?;
    let id = UserId::parse(&claims.sub)
        .ok_or_else(|| ApiError::unauthorized("The access token is not valid."))?;
    let row = users::find_by_id(&state.db, id)
        .await?
        .filter(|row| row.session_epoch == claims.epoch)
        .ok_or_else(|| ApiError::unauthorized("This session has ended; sign in again."))?;
    let role = row.role.parse().map_err(ApiError::internal)?;
    Ok(AuthUser { id, role, row })
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer(req).map(str::to_owned);
        Box::pin(async move {
            let state = state
                .ok_or_else(|| ApiError::internal(anyhow::anyhow!("AppState is not registered")))?;
            authenticate(state, token).await
        })
    }
}

impl FromRequest for AdminUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let user = AuthUser::from_request(req, payload);
        Box::pin(async move {
            let user = user.await?;
            if user.role.is_admin() {
                Ok(AdminUser(user))
            } else {
                Err(ApiError::forbidden("This needs the admin role."))
            }
        })
    }
}
