//! `/api/v1/me`: the signed-in user's own account.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use penora_api_types::{
    AuthResponse, ChangePasswordRequest, DeleteMeRequest, SetPasswordRequest, SignInMethodName,
    SignInMethodView, SignInMethods, UpdateMeRequest, User,
};
use penora_domain::{DisplayName, Email, Password, Provider, SignInMethod};

use super::responses::{origin, session_response, signed_out, user_view};
use crate::auth::{Read, Scoped, SessionUser, Via, Write};
use crate::error::ApiError;
use penora_app::accounts::{self, methods, methods::SignedInAt};
use penora_app::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/me")
            .route(web::get().to(get_me))
            .route(web::patch().to(update_me))
            .route(web::delete().to(delete_me)),
    )
    .service(
        web::resource("/me/password")
            .route(web::post().to(change_password))
            .route(web::put().to(set_password)),
    )
    .service(web::resource("/me/sign-in-methods").route(web::get().to(sign_in_methods)))
    // Before `{method}`, and only for POST: the first resource whose path matches answers
    // 405 for a method it lacks.
    .service(
        web::resource("/me/sign-in-methods/google")
            .guard(actix_web::guard::Post())
            .route(web::post().to(super::sign_in::link_google)),
    )
    .service(web::resource("/me/sign-in-methods/{method}").route(web::delete().to(unlink_method)));
}

/// When the session's sign-in happened; `SessionUser` is always a session.
fn signed_in_at(user: &SessionUser) -> SignedInAt {
    match user.0.via {
        Via::Session { signed_in_at } => SignedInAt::from_unix(signed_in_at),
        Via::PersonalKey { .. } => SignedInAt::from_unix(0),
    }
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

/// Delete the account. Needs the password; an account without one needs a sign-in within
/// the last 5 minutes instead.
///
/// Projects, API keys, own provider keys, sessions and the text of past generations are
/// deleted; the credit history stays, anonymised, as the ledger is append-only. The address
/// can sign up again, without a second welcome bonus.
#[utoipa::path(delete, path = "/api/v1/me", tag = "account", security(("session" = [])), request_body = DeleteMeRequest,
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "`recent_sign_in_required`: an account without a password, signed in more than 5 minutes ago"),
        (status = 409, description = "`generation_running`: a generation is still running"),
        (status = 422, description = "`validation_failed` (wrong password)"),
        (status = 429, description = "`rate_limited`: too many password checks for this user, with `Retry-After`"),
        (status = 503, description = "`service_unavailable`: every password-hashing slot is busy; see `Retry-After`"),
    ))]
#[tracing::instrument(name = "routes::me::delete_me", skip_all, fields(user_id = %user.0.id))]
pub async fn delete_me(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: SessionUser,
    body: web::Json<DeleteMeRequest>,
) -> Result<HttpResponse, ApiError> {
    let at = signed_in_at(&user);
    let password = body.password.as_deref();
    accounts::delete(&state, &user.0.row, password, at, &origin(&req, &state)).await?;
    Ok(signed_out(&state))
}

/// The account's sign-in methods: its password (when it has one) and linked identities.
#[utoipa::path(get, path = "/api/v1/me/sign-in-methods", tag = "account", security(("session" = [])),
    responses(
        (status = 200, body = SignInMethods),
        (status = 403, description = "`session_required`: API keys cannot see this"),
    ))]
#[tracing::instrument(name = "routes::me::sign_in_methods", skip_all, fields(user_id = %user.0.id))]
pub async fn sign_in_methods(
    state: web::Data<AppState>,
    user: SessionUser,
) -> Result<web::Json<SignInMethods>, ApiError> {
    let found = methods::list(&state, &user.0.row, signed_in_at(&user)).await?;
    let password = found
        .has_password
        .then(|| method_view(SignInMethodName::Password));
    let identities = found
        .identities
        .into_iter()
        .map(|identity| SignInMethodView {
            subject: Some(identity.subject),
            email: identity.email,
            linked_at: Some(identity.created_at),
            last_used_at: Some(identity.last_used_at),
            ..method_view(method_name(*identity.provider))
        });
    Ok(web::Json(SignInMethods {
        methods: password.into_iter().chain(identities).collect(),
        has_password: found.has_password,
        recent_sign_in_until: found.recent_until,
    }))
}

fn method_view(method: SignInMethodName) -> SignInMethodView {
    SignInMethodView {
        method,
        subject: None,
        email: None,
        linked_at: None,
        last_used_at: None,
    }
}

fn method_name(provider: Provider) -> SignInMethodName {
    match provider {
        Provider::Sukusuku => SignInMethodName::Sukusuku,
        Provider::Google => SignInMethodName::Google,
    }
}

/// Unlink a sign-in method (`sukusuku` or `google`), unless it is the only way in left.
#[utoipa::path(delete, path = "/api/v1/me/sign-in-methods/{method}", tag = "account", security(("session" = [])),
    params(("method" = String, Path, description = "`sukusuku` or `google`")),
    responses(
        (status = 204, description = "Unlinked"),
        (status = 404, description = "`not_found`: no such method, or it is not linked"),
        (status = 409, description = "`last_sign_in_method`: no password and no other linked method"),
        (status = 422, description = "`validation_failed`: the password is changed, not unlinked"),
    ))]
#[tracing::instrument(name = "routes::me::unlink_method", skip_all, fields(user_id = %user.0.id))]
pub async fn unlink_method(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: SessionUser,
    method: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let method: SignInMethod = method.parse().map_err(|_| {
        ApiError::not_found("There is no such sign-in method; they are `sukusuku` and `google`.")
    })?;
    let Some(provider) = method.provider() else {
        return Err(ApiError::validation(vec![penora_domain::FieldError::new(
            "method",
            "not_unlinkable",
            "A password cannot be unlinked; change it with POST /api/v1/me/password.",
        )]));
    };
    methods::unlink(&state, user.0.id, provider, &origin(&req, &state)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Set a first password on an account without one (made by single sign-on or Google).
///
/// Needs a sign-in within the last 5 minutes. Every other session ends; this one continues
/// with the new tokens.
#[utoipa::path(put, path = "/api/v1/me/password", tag = "account", security(("session" = [])), request_body = SetPasswordRequest,
    responses(
        (status = 200, description = "Set; a fresh session", body = AuthResponse),
        (status = 403, description = "`recent_sign_in_required`: sign in again first"),
        (status = 409, description = "`password_already_set`: change it with POST /api/v1/me/password"),
        (status = 422, description = "`validation_failed`: the password breaks a rule"),
        (status = 503, description = "`service_unavailable`: every password-hashing slot is busy; see `Retry-After`"),
    ))]
#[tracing::instrument(name = "routes::me::set_password", skip_all, fields(user_id = %user.0.id))]
pub async fn set_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: SessionUser,
    body: web::Json<SetPasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let email = Email::parse(&user.0.row.email).ok();
    let new = Password::parse_field(&body.new_password, email.as_ref(), "new_password")
        .map_err(|e| ApiError::validation(vec![e]))?;
    let at = signed_in_at(&user);
    let session =
        methods::set_first_password(&state, &user.0.row, at, new, &origin(&req, &state)).await?;
    Ok(session_response(StatusCode::OK, &state, session))
}
