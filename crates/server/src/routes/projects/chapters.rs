//! Chapter edits: add, change, delete, reorder. Each needs `If-Match` and answers with the
//! whole project and its new `ETag`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use penora_api_types::{AddChapterRequest, Project, ReorderChaptersRequest, UpdateChapterRequest};
use penora_domain::Chapter;

use super::{if_match, project_id, with_etag};
use crate::auth::{Scoped, Write};
use crate::error::ApiError;
use crate::routes::pagination::bad_parameter;
use penora_app::projects::{self, ProjectError};
use penora_app::AppState;

fn index(raw: &str) -> Result<usize, ApiError> {
    raw.parse()
        .map_err(|_| bad_parameter("the chapter index is a number from 0"))
}

/// Add a chapter (at `position`, else at the end). Documents have exactly one chapter.
#[utoipa::path(post, path = "/api/v1/projects/{id}/chapters", tag = "workspace", security(("session" = []), ("personal_key" = ["write"])), request_body = AddChapterRequest,
    params(("id" = uuid::Uuid, Path), ("If-Match" = String, Header)),
    responses((status = 200, body = Project, headers(("ETag" = String))),
        (status = 404, description = "`project_not_found` or `chapter_not_found` (position past the end)"),
        (status = 412, description = "`version_conflict`"),
        (status = 413, description = "`quota_exceeded`"),
        (status = 422, description = "`validation_failed` (e.g. `document_has_one_chapter`)")))]
#[tracing::instrument(name = "routes::projects::add_chapter", skip_all,
    fields(user_id = %user.id, key_id = crate::telemetry::opt(user.via.key_id()),
        project_id = %id))]
pub async fn add_chapter(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: Scoped<Write>,
    id: web::Path<String>,
    body: web::Json<AddChapterRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = project_id(&id)?;
    let expected = if_match(&req)?;
    let chapter =
        Chapter::parse(&body.title, &body.text, "chapter").map_err(ApiError::validation)?;
    let at = body.position.map(|p| p as usize);
    let row = projects::edit(&state, user.id, id, expected, |content| {
        content.add_chapter(at, chapter).map_err(ProjectError::from)
    })
    .await?;
    with_etag(StatusCode::OK, &state, &row)
}

/// Change one chapter's title and/or text (0-based index).
#[utoipa::path(patch, path = "/api/v1/projects/{id}/chapters/{index}", tag = "workspace", security(("session" = []), ("personal_key" = ["write"])), request_body = UpdateChapterRequest,
    params(("id" = uuid::Uuid, Path), ("index" = u32, Path, description = "0-based"), ("If-Match" = String, Header)),
    responses((status = 200, body = Project, headers(("ETag" = String))),
        (status = 404, description = "`project_not_found` or `chapter_not_found`"),
        (status = 412, description = "`version_conflict`"),
        (status = 413, description = "`quota_exceeded`")))]
#[tracing::instrument(name = "routes::projects::update_chapter", skip_all,
    fields(user_id = %user.id, key_id = crate::telemetry::opt(user.via.key_id()),
        project_id = %path.0, chapter_id = %path.1))]
pub async fn update_chapter(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: Scoped<Write>,
    path: web::Path<(String, String)>,
    body: web::Json<UpdateChapterRequest>,
) -> Result<HttpResponse, ApiError> {
    let (id, index) = (project_id(&path.0)?, index(&path.1)?);
    let expected = if_match(&req)?;
    let body = body.into_inner();
    let row = projects::edit(&state, user.id, id, expected, |content| {
        projects::update_chapter(content, index, body.title.as_deref(), body.text.as_deref())
    })
    .await?;
    with_etag(StatusCode::OK, &state, &row)
}

/// Delete one chapter (a project keeps at least one).
#[utoipa::path(delete, path = "/api/v1/projects/{id}/chapters/{index}", tag = "workspace", security(("session" = []), ("personal_key" = ["write"])),
    params(("id" = uuid::Uuid, Path), ("index" = u32, Path, description = "0-based"), ("If-Match" = String, Header)),
    responses((status = 200, body = Project, headers(("ETag" = String))),
        (status = 404, description = "`project_not_found` or `chapter_not_found`"),
        (status = 412, description = "`version_conflict`"),
        (status = 422, description = "`validation_failed` (`last_chapter`)")))]
#[tracing::instrument(name = "routes::projects::delete_chapter", skip_all,
    fields(user_id = %user.id, key_id = crate::telemetry::opt(user.via.key_id()),
        project_id = %path.0, chapter_id = %path.1))]
pub async fn delete_chapter(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: Scoped<Write>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, index) = (project_id(&path.0)?, index(&path.1)?);
    let expected = if_match(&req)?;
    let row = projects::edit(&state, user.id, id, expected, |content| {
        content
            .remove_chapter(index)
            .map(drop)
            .map_err(ProjectError::from)
    })
    .await?;
    with_etag(StatusCode::OK, &state, &row)
}

/// Put the chapters in a new order.
#[utoipa::path(put, path = "/api/v1/projects/{id}/chapters/order", tag = "workspace", security(("session" = []), ("personal_key" = ["write"])), request_body = ReorderChaptersRequest,
    params(("id" = uuid::Uuid, Path), ("If-Match" = String, Header)),
    responses((status = 200, body = Project, headers(("ETag" = String))),
        (status = 404, description = "`project_not_found`"),
        (status = 412, description = "`version_conflict`"),
        (status = 422, description = "`validation_failed` (`invalid_order`)")))]
#[tracing::instrument(name = "routes::projects::reorder_chapters", skip_all,
    fields(user_id = %user.id, key_id = crate::telemetry::opt(user.via.key_id()),
        project_id = %id))]
pub async fn reorder_chapters(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: Scoped<Write>,
    id: web::Path<String>,
    body: web::Json<ReorderChaptersRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = project_id(&id)?;
    let expected = if_match(&req)?;
    let order: Vec<usize> = body.order.iter().map(|&i| i as usize).collect();
    let row = projects::edit(&state, user.id, id, expected, |content| {
        content.reorder(&order).map_err(ProjectError::from)
    })
    .await?;
    with_etag(StatusCode::OK, &state, &row)
}
