//! Exports of a project (owner) or of a shared project (anyone with the code).

use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use penora_api_types::ErrorCode;
use penora_export::Format;
use penora_store::projects::{content_of, ProjectRow};
use serde::Deserialize;
use utoipa::IntoParams;

use super::project_id;
use crate::auth::{Read, Scoped};
use crate::error::ApiError;
use crate::http::client_ip::client_ip;
use penora_app::export_cache::CacheKey;
use penora_app::AppState;
use penora_app::{exports, projects, shares};

#[derive(Debug, Deserialize, IntoParams)]
pub struct ExportParams {
    /// `pdf`, `docx`, `epub`, `txt` or `md`.
    pub format: Option<String>,
}

fn format(params: &ExportParams) -> Result<Format, ApiError> {
    let raw = params.format.as_deref().unwrap_or_default();
    raw.parse().map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::UnknownExportFormat,
            format!("Unknown format {raw:?}: use pdf, docx, epub, txt or md."),
        )
    })
}

/// Says whether the file came from the export cache (`hit`) or was rendered (`miss`).
pub const EXPORT_CACHE_HEADER: &str = "x-export-cache";

/// Renders (or reads from the cache) the project at this version as `format`.
async fn download(
    state: &AppState,
    row: &ProjectRow,
    author: Option<String>,
    format: Format,
) -> Result<HttpResponse, ApiError> {
    let key = CacheKey {
        project: row.id,
        version: row.version,
        author: author.as_deref(),
        format,
    };
    let document = exports::document(&content_of(row)?, author.clone());
    let rendered = state.exports.export(key, document, format).await?;
    Ok(HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(rendered.name)],
        })
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header((
            EXPORT_CACHE_HEADER,
            if rendered.cached { "hit" } else { "miss" },
        ))
        .body(rendered.bytes))
}

/// Download the project as a file.
#[utoipa::path(get, path = "/api/v1/projects/{id}/export", tag = "workspace", security(("session" = []), ("personal_key" = ["read"])),
    params(("id" = uuid::Uuid, Path), ExportParams),
    responses((status = 200, description = "The file (`application/pdf`, `application/vnd.openxmlformats-officedocument.wordprocessingml.document`, `application/epub+zip`, `text/plain` or `text/markdown`), with `Content-Disposition: attachment`", headers(("X-Export-Cache" = String, description = "`hit`: served from the export cache; `miss`: rendered now"))),
        (status = 400, description = "`unknown_export_format`"),
        (status = 404, description = "`project_not_found`"),
        (status = 503, description = "`service_unavailable`: every export slot stayed busy; see `Retry-After`")))]
#[tracing::instrument(name = "routes::projects::export", skip_all,
    fields(user_id = %user.id, key_id = crate::telemetry::opt(user.via.key_id()),
        project_id = %id))]
pub async fn export(
    state: web::Data<AppState>,
    user: Scoped<Read>,
    id: web::Path<String>,
    params: web::Query<ExportParams>,
) -> Result<HttpResponse, ApiError> {
    let format = format(&params)?;
    let row = projects::get(&state, user.id, project_id(&id)?).await?;
    download(&state, &row, Some(user.row.display_name.clone()), format).await
}

/// Download a shared project as a file; no sign-in (rate limited like the read).
#[utoipa::path(get, path = "/api/v1/shared/{code}/export", tag = "workspace",
    params(("code" = String, Path, description = "6 characters of `23456789ABCDEFGHJKMNPQRSTUVWXYZ`, case-insensitive", pattern = "^[2-9A-HJKMNP-Za-hjkmnp-z]{6}$"), ExportParams),
    responses((status = 200, description = "The file, with `Content-Disposition: attachment`", headers(("X-Export-Cache" = String, description = "`hit`: served from the export cache; `miss`: rendered now"))),
        (status = 400, description = "`unknown_export_format` or `invalid_share_code`"),
        (status = 404, description = "`share_not_found`"),
        (status = 429, description = "`rate_limited`"),
        (status = 503, description = "`service_unavailable`: every export slot stayed busy; see `Retry-After`")))]
#[tracing::instrument(name = "routes::projects::export_shared", skip_all)]
pub async fn export_shared(
    state: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
    params: web::Query<ExportParams>,
) -> Result<HttpResponse, ApiError> {
    let format = format(&params)?;
    let client = client_ip(&req, &state.config.settings.trusted_proxies);
    let shared = shares::open(&state, &client, &code).await?;
    download(&state, &shared.row, Some(shared.author), format).await
}
