//! Share codes: create or show the project's code, revoke it, and the public read by code.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use penora_api_types::{ErrorCode, ShareInfo, ShareRequest, SharedProject};
use penora_domain::FieldError;

use super::{project_id, project_view, shared_view};
use crate::auth::{Scoped, Write};
use crate::error::ApiError;
use crate::http::client_ip::client_ip;
use penora_app::shares::{self, MAX_EXPIRY_DAYS};
use penora_app::AppState;

/// The body is optional: no body means a code that never expires.
fn share_request(body: &[u8]) -> Result<ShareRequest, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(ShareRequest::default());
    }
    let request: ShareRequest = serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::MalformedJson,
            e.to_string(),
        )
    })?;
    if request
        .expires_in_days
        .is_some_and(|d| d == 0 || d > MAX_EXPIRY_DAYS)
    {
        return Err(ApiError::validation(vec![FieldError::new(
            "expires_in_days",
            "out_of_range",
            format!("A code lasts 1 to {MAX_EXPIRY_DAYS} days (or forever when absent)."),
        )]));
    }
    Ok(request)
}

/// Share the project: its live code if it has one (200), else a new one (201).
#[utoipa::path(post, path = "/api/v1/projects/{id}/share", tag = "workspace", security(("session" = []), ("personal_key" = ["write"])), request_body(content = Option<ShareRequest>),
    params(("id" = uuid::Uuid, Path)),
    responses((status = 201, body = ShareInfo), (status = 200, description = "The code already live", body = ShareInfo),
        (status = 404, description = "`project_not_found`"),
        (status = 422, description = "`validation_failed`")))]
#[tracing::instrument(name = "routes::projects::share", skip_all,
    fields(user_id = %user.id, key_id = crate::telemetry::opt(user.via.key_id()),
        project_id = %id))]
pub async fn share(
    state: web::Data<AppState>,
    user: Scoped<Write>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let id = project_id(&id)?;
    let request = share_request(&body)?;
    let (row, created) = shares::share(&state, user.id, id, request.expires_in_days).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let info = project_view(&state, &row)?.share;
    Ok(HttpResponse::build(status).json(info))
}

/// Revoke the project's code: it stops working at once.
#[utoipa::path(delete, path = "/api/v1/projects/{id}/share", tag = "workspace", security(("session" = []), ("personal_key" = ["write"])),
    params(("id" = uuid::Uuid, Path)),
    responses((status = 204), (status = 404, description = "`project_not_found`")))]
#[tracing::instrument(name = "routes::projects::revoke_share", skip_all,
    fields(user_id = %user.id, key_id = crate::telemetry::opt(user.via.key_id()),
        project_id = %id))]
pub async fn revoke_share(
    state: web::Data<AppState>,
    user: Scoped<Write>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    shares::revoke(&state, user.id, project_id(&id)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Read a shared project by its code; no sign-in. Case-insensitive. Look-ups are rate
/// limited per IP; unknown, revoked and expired codes all answer 404.
#[utoipa::path(get, path = "/api/v1/shared/{code}", tag = "workspace",
    params(("code" = String, Path, description = "6 characters of `23456789ABCDEFGHJKMNPQRSTUVWXYZ`, case-insensitive", pattern = "^[2-9A-HJKMNP-Za-hjkmnp-z]{6}$")),
    responses((status = 200, body = SharedProject),
        (status = 400, description = "`invalid_share_code`"),
        (status = 404, description = "`share_not_found`"),
        (status = 429, description = "`rate_limited` (see `Retry-After`)")))]
#[tracing::instrument(name = "routes::projects::open_shared", skip_all)]
pub async fn open_shared(
    state: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
) -> Result<web::Json<SharedProject>, ApiError> {
    let client = client_ip(&req, &state.config.settings.trusted_proxies);
    let shared = shares::open(&state, &client, &code).await?;
    Ok(web::Json(shared_view(&shared)?))
}
