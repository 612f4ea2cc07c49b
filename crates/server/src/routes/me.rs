//! `/api/v1/me`: the signed-in user's own account.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use penora_api_types::{
    AuthResponse, ChangePasswordRequest, DeleteMeRequest, UpdateMeRequest, User,
};
use penora_domain::{DisplayName, Email, Password};

use super::responses::{origin, session_response, signed_out, user_view};
use crate::auth::{Read, Scoped, SessionUser, Write};
use crate::error::ApiError;
use penora_app::accounts;
use penora_app::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/me")
            .route(web::get().to(get_me))
            .route(web::patch().to(update_me))
            .route(web::delete().to(delete_me)),
    )
    .service(web::resource("/me/password").route(web::post().to(change_password)));
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "account", security(("session" = []), ("personal_key" = ["read"])),
    responses(
        (status = 200, body = User),
        (status = 401, description = "`unauthorized` or `token_expired`"),
    ))]
#[tracing::instrument(name = "routes::me::get_me", skip_all,
    fields(user_id = %user.id, key_id = crate::telemetry::opt(user.via.key_id())))]
pub async fn get_me(user: Scoped<Read>) -> web::Json<User> {
    web::Json(user_view(&user.row))
}

/// Change the profile (display name).
#[utoipa::path(patch, path = "/api/v1/me", tag = "account", security(("session" = []), ("personal_key" = ["write"])), request_body = UpdateMeRequest,
    responses(
        (status = 200, body = User),
        (status = 422, description = "`validation_failed`"),
    ))]
#[tracing::instrument(name = "routes::me::update_me", skip_all,
    fields(user_id = %user.id, key_id = crate::telemetry::opt(user.via.key_id())))]
pub async fn update_me(
    state: web::Data<AppState>,
    user: Scoped<Write>,
    body: web::Json<UpdateMeRequest>,
) -> Result<web::Json<User>, ApiError> {
    let Some(raw) = &body.display_name else {
        return Ok(web::Json(user_view(&user.row)));
    };
    let name = DisplayName::parse(raw).map_err(|e| ApiError::validation(vec![e]))?;
    let row = accounts::rename(&state, user.id, &name).await?;
    Ok(web::Json(user_view(&row)))
}

/// Change the password. Every other session ends; this one continues with the new tokens.
///
/// With `revoke_api_keys: true` every personal API key is revoked as well.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "account", security(("session" = [])), request_body = ChangePasswordRequest,
    responses(
        (status = 200, description = "Changed; a fresh session", body = AuthResponse),
        (status = 422, description = "`validation_failed` (wrong current password or weak new one)"),
        (status = 429, description = "`rate_limited`: too many password checks for this user, with `Retry-After`"),
        (status = 503, description = "`service_unavailable`: every password-hashing slot is busy; see `Retry-After`"),
    ))]
#[tracing::instrument(name = "routes::me::change_password", skip_all, fields(user_id = %user.id))]
pub async fn change_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    SessionUser(user): SessionUser,
    body: web::Json<ChangePasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let email = Email::parse(&user.row.email).ok();
    let new = Password::parse_field(&body.new_password, email.as_ref(), "new_password")
        .map_err(|e| ApiError::validation(vec![e]))?;
    let session = accounts::change_password(
        &state,
        &user.row,
        &body.current_password,
        new,
        body.revoke_api_keys,
        &origin(&req, &state),
    )
    .await?;
    Ok(session_response(StatusCode::OK, &state, session))
}

/// Delete the account. Needs the password.
///
/// Projects, API keys, own provider keys, sessions and the text of past generations are
/// deleted; the credit history stays, anonymised, as the ledger is append-only. The address
/// can sign up again, without a second welcome bonus.
#[utoipa::path(delete, path = "/api/v1/me", tag = "account", security(("session" = [])), request_body = DeleteMeRequest,
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "`generation_running`: a generation is still running"),
        (status = 422, description = "`validation_failed` (wrong password)"),
        (status = 429, description = "`rate_limited`: too many password checks for this user, with `Retry-After`"),
        (status = 503, description = "`service_unavailable`: every password-hashing slot is busy; see `Retry-After`"),
    ))]
#[tracing::instrument(name = "routes::me::delete_me", skip_all, fields(user_id = %user.id))]
pub async fn delete_me(
    state: web::Data<AppState>,
    req: HttpRequest,
    SessionUser(user): SessionUser,
    body: web::Json<DeleteMeRequest>,
) -> Result<HttpResponse, ApiError> {
    accounts::delete(&state, &user.row, &body.password, &origin(&req, &state)).await?;
    Ok(signed_out(&state))
}
