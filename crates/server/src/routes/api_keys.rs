//! `/api/v1/api-keys`: a user's personal API keys.

use actix_web::{web, HttpRequest, HttpResponse};
use penora_api_types::{ApiKey, ApiKeyList, CreateApiKeyRequest, CreatedApiKey};
use penora_domain::ApiKeyId;
use penora_store::api_keys::ApiKeyRow;

use super::responses::origin;
use crate::auth::SessionUser;
use crate::error::ApiError;
use penora_app::api_keys::{self, IssuedKey, KeyKind, KeySpec};
use penora_app::audit;
use penora_app::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/api-keys")
            .route(web::post().to(create))
            .route(web::get().to(list)),
    )
    .service(web::resource("/api-keys/{id}").route(web::delete().to(revoke)));
}

/// Create a personal API key (acts as you). The secret is shown once.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api keys", security(("session" = [])), request_body = CreateApiKeyRequest,
    responses(
        (status = 201, body = CreatedApiKey),
        (status = 401, description = "`unauthorized`: no valid session, or it ended while the key was being made"),
        (status = 403, description = "`session_required`: keys cannot make keys"),
        (status = 422, description = "`validation_failed`"),
    ))]
#[tracing::instrument(name = "routes::api_keys::create", skip_all, fields(user_id = %user.id))]
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    SessionUser(user): SessionUser,
    body: web::Json<CreateApiKeyRequest>,
) -> Result<HttpResponse, ApiError> {
    let spec = KeySpec::parse(KeyKind::Personal, &body.name, body.scopes.as_deref())
        .map_err(|e| ApiError::validation(vec![e]))?;
    let origin = origin(&req, &state);
    let created =
        api_keys::issue_personal(&state.db, &spec, user.id, user.row.session_epoch, &origin)
            .await?
            .ok_or_else(|| ApiError::unauthorized("This session has ended; sign in again."))?;
    Ok(HttpResponse::Created().json(created_view(created)))
}

/// Your personal API keys (never their secrets).
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api keys", security(("session" = [])), responses((status = 200, body = ApiKeyList)))]
#[tracing::instrument(name = "routes::api_keys::list", skip_all, fields(user_id = %user.id))]
pub async fn list(
    state: web::Data<AppState>,
    SessionUser(user): SessionUser,
) -> Result<web::Json<ApiKeyList>, ApiError> {
    let rows = api_keys::list(&state.db, user.id).await?;
    Ok(web::Json(ApiKeyList {
        items: rows.iter().map(view).collect(),
    }))
}

pub(crate) fn view(row: &ApiKeyRow) -> ApiKey {
    ApiKey {
        id: row.id,
        kind: row.kind.as_str().to_owned(),
        name: row.name.clone(),
        prefix: row.prefix.clone(),
        scopes: row.scopes.names(),
        created_at: row.created_at,
        last_used_at: row.last_used_at,
        revoked: row.revoked_at.is_some(),
    }
}

pub(crate) fn created_view(issued: IssuedKey) -> CreatedApiKey {
    CreatedApiKey {
        key: view(&issued.key),
        secret: issued.secret,
    }
}

/// Revoke one of your keys; it stops working at once (within `PENORA_API_KEY_CACHE_MS`, one
/// second by default, on other servers of a multi-server deployment).
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "api keys", security(("session" = [])),
    params(("id" = uuid::Uuid, Path, description = "The key's id")),
    responses((status = 204, description = "Revoked"), (status = 404, description = "`not_found`")))]
#[tracing::instrument(name = "routes::api_keys::revoke", skip_all,
    fields(user_id = %user.id, key_id = %id))]
pub async fn revoke(
    state: web::Data<AppState>,
    req: HttpRequest,
    SessionUser(user): SessionUser,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = ApiKeyId::from_uuid(id.into_inner());
    if !api_keys::revoke_personal(&state, user.id, id).await? {
        return Err(ApiError::not_found("You have no live key with this id."));
    }
    audit::record(
        &state.db,
        Some(user.id),
        "api_key.revoked",
        Some(&id.to_string()),
        &origin(&req, &state),
        serde_json::json!({}),
    )
    .await;
    Ok(HttpResponse::NoContent().finish())
}
