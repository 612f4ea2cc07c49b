//! `/api/v1/auth/*`: sign-up, sign-in, sessions, email verification and password reset.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use penora_api_types::{
    Ack, AuthResponse, ForgotPasswordRequest, LoginRequest, LogoutAllRequest, ResetPasswordRequest,
    SignupRequest, VerifyEmailRequest,
};
use penora_domain::{DisplayName, Email, FieldErrors, Password};

use super::responses::{origin, refresh_token_of, session_response, signed_out};
use super::{sign_in, validated};
use crate::auth::SessionUser;
use crate::error::ApiError;
use penora_app::accounts::{self, Signup};
use penora_app::sessions::{self, SessionError};
use penora_app::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/auth")
            .service(web::resource("/signup").route(web::post().to(signup)))
            .service(web::resource("/login").route(web::post().to(login)))
            .service(web::resource("/refresh").route(web::post().to(refresh)))
            .service(web::resource("/logout").route(web::post().to(logout)))
            .service(web::resource("/logout-all").route(web::post().to(logout_all)))
            .service(web::resource("/verify-email").route(web::post().to(verify_email)))
            .service(
                web::resource("/resend-verification").route(web::post().to(resend_verification)),
            )
            .service(web::resource("/forgot-password").route(web::post().to(forgot_password)))
            .service(web::resource("/reset-password").route(web::post().to(reset_password)))
            .service(
                web::resource("/sso")
                    .app_data(sign_in::sso_form_config())
                    .route(web::post().to(sign_in::sso_form))
                    .route(web::get().to(sign_in::sso_link)),
            )
            .service(web::resource("/providers").route(web::get().to(sign_in::providers)))
            .service(web::resource("/google/start").route(web::get().to(sign_in::google_start)))
            .service(
                web::resource("/google/callback").route(web::get().to(sign_in::google_callback)),
            ),
    );
}

/// Create an account and sign in.
///
/// Sets the refresh token as an httpOnly cookie and mails an email-verification link. On a
/// server that sends no mail (`PENORA_MAIL_DISABLED`) sign-up works all the same and the
/// address stays unverified (`email_verified: false`).
#[utoipa::path(post, path = "/api/v1/auth/signup", tag = "auth", request_body = SignupRequest,
    responses(
        (status = 201, description = "Signed up and signed in", body = AuthResponse),
        (status = 409, description = "`email_taken`"),
        (status = 422, description = "`validation_failed` with per-field errors"),
        (status = 429, description = "`rate_limited`, with `Retry-After`"),
        (status = 503, description = "`service_unavailable`: every password-hashing slot is busy; see `Retry-After`"),
    ))]
#[tracing::instrument(name = "routes::auth::signup", skip_all)]
pub async fn signup(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<SignupRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut errors = FieldErrors::new();
    let email = errors.check(Email::parse(&body.email));
    let password = errors.check(Password::parse(&body.password, email.as_ref()));
    let display_name = match &body.display_name {
        Some(name) => errors.check(DisplayName::parse(name)),
        None => email.as_ref().map(DisplayName::from_email),
    };
    let input = validated(
        errors,
        email
            .zip(password)
            .zip(display_name)
            .map(|((email, password), display_name)| Signup {
                email,
                password,
                display_name,
            }),
    )?;
    let session = accounts::signup(&state, input, &origin(&req, &state)).await?;
    Ok(session_response(StatusCode::CREATED, &state, session))
}

/// Sign in with email and password.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = AuthResponse),
        (status = 401, description = "`invalid_credentials` (which of the two is wrong is not said)"),
        (status = 422, description = "`validation_failed`"),
        (status = 429, description = "`rate_limited`, with `Retry-After`"),
        (status = 503, description = "`service_unavailable`: every password-hashing slot is busy; see `Retry-After`"),
    ))]
#[tracing::instrument(name = "routes::auth::login", skip_all)]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let email = Email::parse(&body.email).map_err(|e| ApiError::validation(vec![e]))?;
    let session = accounts::login(&state, &email, &body.password, &origin(&req, &state)).await?;
    Ok(session_response(StatusCode::OK, &state, session))
}

/// Trade the refresh cookie for a new access token (and a new refresh cookie).
///
/// A refresh token works once, except that within a short grace after its use (10 s,
/// `PENORA_REFRESH_REUSE_GRACE_MS`) it gets the same new cookie again: concurrent refreshes
/// from two tabs both succeed. Presenting it later revokes every session of its sign-in.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth",
    responses(
        (status = 200, description = "New session", body = AuthResponse),
        (status = 401, description = "`invalid_refresh_token` or `refresh_token_reused`"),
    ))]
#[tracing::instrument(name = "routes::auth::refresh", skip_all)]
pub async fn refresh(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let token = refresh_token_of(&req).ok_or(SessionError::Invalid)?;
    let session = sessions::refresh(&state, &token, &origin(&req, &state)).await?;
    Ok(session_response(StatusCode::OK, &state, session))
}

/// Sign out of this session (the refresh cookie's).
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204, description = "Signed out; the cookie is cleared")))]
#[tracing::instrument(name = "routes::auth::logout", skip_all)]
pub async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    if let Some(token) = refresh_token_of(&req) {
        sessions::end(&state, &token, &origin(&req, &state)).await?;
    }
    Ok(signed_out(&state))
}

/// Sign out everywhere: every refresh token is revoked and every access token stops working.
///
/// The body is optional; with `revoke_api_keys: true` every personal API key is revoked too.
#[utoipa::path(post, path = "/api/v1/auth/logout-all", tag = "auth", security(("session" = [])),
    request_body(content = Option<LogoutAllRequest>, description = "Optional"),
    responses(
        (status = 204, description = "Every session ended"),
        (status = 401, description = "`unauthorized`"),
    ))]
#[tracing::instrument(name = "routes::auth::logout_all", skip_all, fields(user_id = %user.id))]
pub async fn logout_all(
    state: web::Data<AppState>,
    req: HttpRequest,
    SessionUser(user): SessionUser,
    body: Option<web::Json<LogoutAllRequest>>,
) -> Result<HttpResponse, ApiError> {
    let revoke_api_keys = body.is_some_and(|b| b.revoke_api_keys);
    sessions::end_all(&state, user.id, revoke_api_keys, &origin(&req, &state)).await?;
    Ok(signed_out(&state))
}

/// Confirm an email address with the token from the mailed link.
#[utoipa::path(post, path = "/api/v1/auth/verify-email", tag = "auth", request_body = VerifyEmailRequest,
    responses(
        (status = 200, description = "Email verified", body = Ack),
        (status = 400, description = "`invalid_email_token`"),
    ))]
#[tracing::instrument(name = "routes::auth::verify_email", skip_all)]
pub async fn verify_email(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<VerifyEmailRequest>,
) -> Result<web::Json<Ack>, ApiError> {
    accounts::verify_email(&state, &body.token, &origin(&req, &state)).await?;
    Ok(ack("Your email address is confirmed."))
}

/// Mail the verification link again.
#[utoipa::path(post, path = "/api/v1/auth/resend-verification", tag = "auth", security(("session" = [])),
    responses(
        (status = 202, description = "Mailed (or already verified)", body = Ack),
        (status = 429, description = "`rate_limited`"),
        (status = 503, description = "`mail_unavailable`: this server sends no mail (`PENORA_MAIL_DISABLED`)"),
    ))]
#[tracing::instrument(name = "routes::auth::resend_verification", skip_all,
    fields(user_id = %user.id))]
pub async fn resend_verification(
    state: web::Data<AppState>,
    SessionUser(user): SessionUser,
) -> Result<HttpResponse, ApiError> {
    accounts::resend_verification(&state, &user.row).await?;
    Ok(HttpResponse::Accepted()
        .json(ack("If your address is not verified yet, a new link is on its way.").0))
}

/// Ask for a password-reset link. The answer is the same whether or not the account exists.
#[utoipa::path(post, path = "/api/v1/auth/forgot-password", tag = "auth", request_body = ForgotPasswordRequest,
    responses(
        (status = 202, description = "A link is mailed if the account exists", body = Ack),
        (status = 422, description = "`validation_failed`"),
        (status = 503, description = "`mail_unavailable`: this server sends no mail (`PENORA_MAIL_DISABLED`); the same for every address"),
    ))]
#[tracing::instrument(name = "routes::auth::forgot_password", skip_all)]
pub async fn forgot_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<ForgotPasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let email = Email::parse(&body.email).map_err(|e| ApiError::validation(vec![e]))?;
    accounts::forgot_password(&state, &email, &origin(&req, &state)).await?;
    Ok(HttpResponse::Accepted()
        .json(ack("If an account has this address, a reset link is on its way.").0))
}

/// Set a new password with the token from the mailed link; every session ends and every
/// personal API key is revoked. Only the newest mailed link works.
#[utoipa::path(post, path = "/api/v1/auth/reset-password", tag = "auth", request_body = ResetPasswordRequest,
    responses(
        (status = 200, description = "Password changed; sign in again", body = Ack),
        (status = 400, description = "`invalid_email_token`"),
        (status = 422, description = "`validation_failed` (weak password)"),
        (status = 503, description = "`service_unavailable`: every password-hashing slot is busy; see `Retry-After`"),
    ))]
#[tracing::instrument(name = "routes::auth::reset_password", skip_all)]
pub async fn reset_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<ResetPasswordRequest>,
) -> Result<web::Json<Ack>, ApiError> {
    accounts::reset_password(
        &state,
        &body.token,
        &body.new_password,
        &origin(&req, &state),
    )
    .await?;
    Ok(ack("Your password is changed. Sign in with the new one."))
}

pub(super) fn ack(message: &str) -> web::Json<Ack> {
    web::Json(Ack {
        message: message.to_owned(),
    })
}
