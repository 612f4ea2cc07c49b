//! `/api/v1/projects/*` and `/api/v1/storage`: the signed-in user's workspace.
//! Reads return an `ETag`; writes need it back in `If-Match`.

pub mod chapters;
pub mod crud;
pub mod export;
pub mod share;
pub(crate) mod views;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use penora_api_types::ErrorCode;
use penora_domain::ProjectId;
use penora_store::projects::ProjectRow;

use crate::error::from_services::project_not_found;
use crate::error::ApiError;
use penora_app::projects::Expected;
use penora_app::AppState;

use chapters::{add_chapter, delete_chapter, reorder_chapters, update_chapter};
pub use crud::ListParams;
use crud::{create, delete, get, list, storage, update};
pub(crate) use crud::{list_query, page, quota_view};
use export::{export, export_shared};
use share::{open_shared, revoke_share, share};
pub(crate) use views::{project_view, shared_view, summary_view};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/projects")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .service(
        web::resource("/projects/{id}")
            .route(web::get().to(get))
            .route(web::patch().to(update))
            .route(web::delete().to(delete)),
    )
    .service(web::resource("/projects/{id}/chapters").route(web::post().to(add_chapter)))
    .service(web::resource("/projects/{id}/chapters/order").route(web::put().to(reorder_chapters)))
    .service(
        web::resource("/projects/{id}/chapters/{index}")
            .route(web::patch().to(update_chapter))
            .route(web::delete().to(delete_chapter)),
    )
    .service(
        web::resource("/projects/{id}/share")
            .route(web::post().to(share))
            .route(web::delete().to(revoke_share)),
    )
    .service(web::resource("/projects/{id}/export").route(web::get().to(export)))
    .service(web::resource("/storage").route(web::get().to(storage)))
    .service(web::resource("/shared/{code}").route(web::get().to(open_shared)))
    .service(web::resource("/shared/{code}/export").route(web::get().to(export_shared)));
}

/// A path id that is not a UUID names no project.
pub(crate) fn project_id(raw: &str) -> Result<ProjectId, ApiError> {
    ProjectId::parse(raw).ok_or_else(project_not_found)
}

fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// The version a write expects, from `If-Match` (`"7"`, `W/"7"` or `*`). Absent: 428.
fn if_match(req: &HttpRequest) -> Result<Expected, ApiError> {
    optional_if_match(req)?.ok_or_else(|| {
        ApiError::new(
            StatusCode::PRECONDITION_REQUIRED,
            ErrorCode::IfMatchRequired,
            "Send `If-Match` with the ETag of the project you read, so no edit is lost.",
        )
    })
}

fn optional_if_match(req: &HttpRequest) -> Result<Option<Expected>, ApiError> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let raw = value.to_str().unwrap_or_default().trim();
    if raw == "*" {
        return Ok(Some(Expected::Any));
    }
    // A tag this API never issued can never match: version -1 makes the write a 412.
    let version = raw
        .trim_start_matches("W/")
        .trim_matches('"')
        .parse::<i64>()
        .unwrap_or(-1);
    Ok(Some(Expected::Version(version)))
}

/// The project as JSON with its `ETag`.
fn with_etag(
    status: StatusCode,
    state: &AppState,
    row: &ProjectRow,
) -> Result<HttpResponse, ApiError> {
    let view = project_view(state, row)?;
    let mut response = HttpResponse::build(status);
    if let Ok(tag) = HeaderValue::from_str(&etag(row.version)) {
        response.insert_header((header::ETAG, tag));
    }
    if status == StatusCode::CREATED {
        response.insert_header((header::LOCATION, format!("/api/v1/projects/{}", row.id)));
    }
    Ok(response.json(view))
}
