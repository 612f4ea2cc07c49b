//! `/api/v1/me/provider-keys`: the user's own keys for AI providers (signed-in sessions only).

use actix_web::{web, HttpRequest, HttpResponse};
use penora_api_types::{ProviderKey, ProviderKeyList, SetProviderKey};
use penora_store::provider_keys::ProviderKeyRow;

use super::responses::origin;
use crate::auth::SessionUser;
use crate::error::ApiError;
use penora_app::provider_keys;
use penora_app::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/me/provider-keys")
            .route(web::post().to(set))
            .route(web::get().to(list)),
    )
    .service(web::resource("/me/provider-keys/{provider}").route(web::delete().to(delete)));
}

/// Stores (or replaces) your key for a provider, encrypted; only a hint is ever shown again.
/// Generations with that provider's models then use your key and cost no credits (unless
/// the server charges a fee for it). Only for providers that require a key: a keyless local
/// server (ollama) is refused with `provider_key_not_accepted`. The provider is asked first
/// whether it takes the key (a free read such as its model list): a key it refuses is not
/// stored (`key_refused`), nor is one it could not be asked about (`provider_key_unchecked`).
#[utoipa::path(post, path = "/api/v1/me/provider-keys", tag = "api keys", security(("session" = [])), request_body = SetProviderKey,
    responses(
        (status = 200, body = ProviderKey),
        (status = 403, description = "`session_required`"),
        (status = 422, description = "`validation_failed` (`unknown_provider`, `invalid_key`, `key_refused` by the provider), or `provider_key_not_accepted` for a provider that takes no key (ollama)"),
        (status = 503, description = "`provider_key_unchecked`: the provider could not be asked; nothing was stored"),
    ))]
#[tracing::instrument(name = "routes::provider_keys::set", skip_all, fields(user_id = %user.id))]
pub async fn set(
    state: web::Data<AppState>,
    req: HttpRequest,
    SessionUser(user): SessionUser,
    body: web::Json<SetProviderKey>,
) -> Result<web::Json<ProviderKey>, ApiError> {
    let row = provider_keys::set(
        &state,
        user.id,
        &body.provider,
        &body.key,
        &origin(&req, &state),
    )
    .await?;
    Ok(web::Json(view(&row)))
}

/// Your provider keys, as hints.
#[utoipa::path(get, path = "/api/v1/me/provider-keys", tag = "api keys", security(("session" = [])),
    responses((status = 200, body = ProviderKeyList)))]
#[tracing::instrument(name = "routes::provider_keys::list", skip_all, fields(user_id = %user.id))]
pub async fn list(
    state: web::Data<AppState>,
    SessionUser(user): SessionUser,
) -> Result<web::Json<ProviderKeyList>, ApiError> {
    let rows = penora_app::provider_keys::list(&state.db, user.id).await?;
    Ok(web::Json(ProviderKeyList {
        items: rows.iter().map(view).collect(),
    }))
}

fn view(row: &ProviderKeyRow) -> ProviderKey {
    ProviderKey {
        provider: row.provider.clone(),
        hint: row.hint.clone(),
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

/// Deletes your key for a provider; its models go back to being paid in credits.
#[utoipa::path(delete, path = "/api/v1/me/provider-keys/{provider}", tag = "api keys", security(("session" = [])),
    params(("provider" = String, Path)),
    responses((status = 204), (status = 404, description = "`provider_key_not_found`")))]
#[tracing::instrument(name = "routes::provider_keys::delete", skip_all,
    fields(user_id = %user.id, provider = %provider))]
pub async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    SessionUser(user): SessionUser,
    provider: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    provider_keys::delete(&state, user.id, &provider, &origin(&req, &state)).await?;
    Ok(HttpResponse::NoContent().finish())
}
