//! Create, list, read, change and delete projects; storage use.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use penora_api_types::{
    ChapterBody, CreateProjectRequest, Project, ProjectPage, ProjectSize, StorageQuota,
    StorageUsage, UpdateProjectRequest,
};
use penora_domain::{
    Chapter, FieldErrors, ProjectContent, ProjectKind, ProjectMeta, ProjectPatch, ProjectTitle,
};
use penora_store::projects::{After, ListQuery, Sort};
use penora_store::storage::Usage;
use penora_store::Page;
use serde::Deserialize;
use utoipa::IntoParams;

use super::{if_match, optional_if_match, project_id, summary_view, with_etag};
use crate::auth::{Read, Scoped, Write};
use crate::error::ApiError;
use crate::routes::pagination::{bad_parameter, decode_cursor, encode_cursor, limit};
use crate::routes::validated;
use penora_app::projects::{self, ProjectError};
use penora_app::AppState;

fn parse_chapters(bodies: &[ChapterBody], errors: &mut FieldErrors) -> Vec<Chapter> {
    bodies
        .iter()
        .enumerate()
        .filter_map(
            |(i, c)| match Chapter::parse(&c.title, &c.text, &format!("chapters[{i}]")) {
                Ok(chapter) => Some(chapter),
                Err(errs) => {
                    errs.into_iter().for_each(|e| errors.push(e));
                    None
                }
            },
        )
        .collect()
}

fn parse_new(body: &CreateProjectRequest) -> Result<ProjectContent, ApiError> {
    let mut errors = FieldErrors::new();
    let title = errors.check(ProjectTitle::parse(&body.title));
    let kind = errors.check(
        body.kind
            .as_deref()
            .map_or(Ok(ProjectKind::Document), ProjectKind::parse),
    );
    let mut chapters = parse_chapters(&body.chapters, &mut errors);
    if body.chapters.is_empty() {
        chapters.push(Chapter::parse("", "", "chapters[0]").map_err(ApiError::validation)?);
    }
    let meta = ProjectMeta::parse(
        body.genre.as_deref(),
        body.premise.as_deref(),
        body.model.as_deref(),
    )
    .map_err(|errs| errs.into_iter().for_each(|e| errors.push(e)))
    .ok();
    let parts = title.zip(kind).zip(meta);
    let (title, kind, meta) = validated(errors, parts).map(|((t, k), m)| (t, k, m))?;
    ProjectContent::new(title, kind, chapters, meta).map_err(|e| ApiError::validation(vec![e]))
}

fn parse_patch(body: &UpdateProjectRequest) -> Result<ProjectPatch, ApiError> {
    let mut errors = FieldErrors::new();
    let title = body
        .title
        .as_deref()
        .and_then(|t| errors.check(ProjectTitle::parse(t)));
    let kind = body
        .kind
        .as_deref()
        .and_then(|k| errors.check(ProjectKind::parse(k)));
    let chapters = body
        .chapters
        .as_deref()
        .map(|c| parse_chapters(c, &mut errors));
    let meta = ProjectMeta::parse(
        body.genre.as_deref(),
        body.premise.as_deref(),
        body.model.as_deref(),
    )
    .map_err(|errs| errs.into_iter().for_each(|e| errors.push(e)))
    .unwrap_or_default();
    let patch = ProjectPatch {
        title,
        kind,
        chapters,
        genre: body.genre.as_ref().map(|_| meta.genre),
        premise: body.premise.as_ref().map(|_| meta.premise),
        model: body.model.as_ref().map(|_| meta.model),
    };
    validated(errors, Some(patch))
}

/// Create a project (counts toward the storage quota).
#[utoipa::path(post, path = "/api/v1/projects", tag = "workspace", security(("session" = []), ("personal_key" = ["write"])), request_body = CreateProjectRequest,
    responses(
        (status = 201, body = Project, headers(("ETag" = String), ("Location" = String))),
        (status = 413, description = "`quota_exceeded` (with used, limit and needed bytes) or `payload_too_large`"),
        (status = 422, description = "`validation_failed`"),
    ))]
#[tracing::instrument(name = "routes::projects::create", skip_all,
    fields(user_id = %user.id, key_id = crate::telemetry::opt(user.via.key_id()),
        project_id = tracing::field::Empty))]
pub async fn create(
    state: web::Data<AppState>,
    user: Scoped<Write>,
    body: web::Json<CreateProjectRequest>,
) -> Result<HttpResponse, ApiError> {
    let content = parse_new(&body)?;
    let row = projects::create(&state, user.id, &content).await?;
    crate::telemetry::record("project_id", row.id);
    with_etag(StatusCode::CREATED, &state, &row)
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListParams {
    /// 1 to 100 (default 20).
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page (with the same `sort`).
    pub cursor: Option<String>,
    /// Only projects whose title or text contains this (case-insensitive for ASCII).
    pub q: Option<String>,
    /// `updated` (default, newest change first), `created` (newest first) or `title` (A-Z).
    pub sort: Option<String>,
}

/// The user's projects, one page at a time (without their text).
#[utoipa::path(get, path = "/api/v1/projects", tag = "workspace", security(("session" = []), ("personal_key" = ["read"])), params(ListParams),
    responses((status = 200, body = ProjectPage), (status = 400, description = "`invalid_parameter`")))]
#[tracing::instrument(name = "routes::projects::list", skip_all,
    fields(user_id = %user.id, key_id = crate::telemetry::opt(user.via.key_id())))]
pub async fn list(
    state: web::Data<AppState>,
    user: Scoped<Read>,
    params: web::Query<ListParams>,
) -> Result<web::Json<ProjectPage>, ApiError> {
    let query = list_query(&params)?;
    let rows = projects::list(&state, user.id, &query).await?;
    Ok(web::Json(page(&rows, query.sort)))
}

pub(crate) fn list_query(params: &ListParams) -> Result<ListQuery, ApiError> {
    let sort = match params.sort.as_deref() {
        None | Some("updated") => Sort::Updated,
        Some("created") => Sort::Created,
        Some("title") => Sort::Title,
        Some(_) => return Err(bad_parameter("`sort` is `updated`, `created` or `title`")),
    };
    let after = params
        .cursor
        .as_deref()
        .map(decode_cursor::<After>)
        .transpose()?;
    if after.as_ref().is_some_and(|a| a.sort() != sort) {
        return Err(bad_parameter("this `cursor` belongs to another `sort`"));
    }
    let search = params.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    Ok(ListQuery {
        sort,
        after,
        search: search.map(str::to_owned),
        limit: limit(params.limit)?,
    })
}

pub(crate) fn page(rows: &Page<penora_store::projects::ProjectRow>, sort: Sort) -> ProjectPage {
    ProjectPage {
        items: rows.items.iter().map(summary_view).collect(),
        next_cursor: rows.cursor(|row| encode_cursor(&After::of(row, sort))),
    }
}

/// One project with all its chapters; the `ETag` is what writes send back in `If-Match`.
#[utoipa::path(get, path = "/api/v1/projects/{id}", tag = "workspace", security(("session" = []), ("personal_key" = ["read"])),
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = Project, headers(("ETag" = String))), (status = 404, description = "`project_not_found`")))]
#[tracing::instrument(name = "routes::projects::get", skip_all,
    fields(user_id = %user.id, key_id = crate::telemetry::opt(user.via.key_id()),
        project_id = %id))]
pub async fn get(
    state: web::Data<AppState>,
    user: Scoped<Read>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let row = projects::get(&state, user.id, project_id(&id)?).await?;
    with_etag(StatusCode::OK, &state, &row)
}

/// Change the title, kind, metadata or all chapters at once. Needs `If-Match`.
#[utoipa::path(patch, path = "/api/v1/projects/{id}", tag = "workspace", security(("session" = []), ("personal_key" = ["write"])), request_body = UpdateProjectRequest,
    params(("id" = uuid::Uuid, Path), ("If-Match" = String, Header, description = "The ETag you read, or `*`")),
    responses(
        (status = 200, body = Project, headers(("ETag" = String))),
        (status = 404, description = "`project_not_found`"),
        (status = 412, description = "`version_conflict` (with `current_version`)"),
        (status = 413, description = "`quota_exceeded`"),
        (status = 422, description = "`validation_failed`"),
        (status = 428, description = "`if_match_required`"),
    ))]
#[tracing::instrument(name = "routes::projects::update", skip_all,
    fields(user_id = %user.id, key_id = crate::telemetry::opt(user.via.key_id()),
        project_id = %id))]
pub async fn update(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: Scoped<Write>,
    id: web::Path<String>,
    body: web::Json<UpdateProjectRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = project_id(&id)?;
    let expected = if_match(&req)?;
    let patch = parse_patch(&body)?;
    let row = projects::edit(&state, user.id, id, expected, |content| {
        content.apply(patch).map_err(ProjectError::from)
    })
    .await?;
    with_etag(StatusCode::OK, &state, &row)
}

/// Delete a project and free its storage. `If-Match` is optional here.
#[utoipa::path(delete, path = "/api/v1/projects/{id}", tag = "workspace", security(("session" = []), ("personal_key" = ["write"])),
    params(("id" = uuid::Uuid, Path), ("If-Match" = Option<String>, Header, description = "Delete only this version")),
    responses((status = 204), (status = 404, description = "`project_not_found`"),
        (status = 412, description = "`version_conflict`")))]
#[tracing::instrument(name = "routes::projects::delete", skip_all,
    fields(user_id = %user.id, key_id = crate::telemetry::opt(user.via.key_id()),
        project_id = %id))]
pub async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: Scoped<Write>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = project_id(&id)?;
    projects::delete(&state, user.id, id, optional_if_match(&req)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub(crate) fn quota_view(usage: Usage) -> StorageQuota {
    StorageQuota {
        used_bytes: usage.used(),
        penora_bytes: usage.penora,
        imagegene_bytes: usage.app,
        limit_bytes: usage.limit,
        available_bytes: (usage.limit - usage.used()).max(0),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct StorageParams {
    /// Projects per page: 1 to 100 (default 20).
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Storage used, the limit, and the projects' sizes, largest first, one page at a time.
#[utoipa::path(get, path = "/api/v1/storage", tag = "workspace", security(("session" = []), ("personal_key" = ["read"])), params(StorageParams),
    responses((status = 200, body = StorageUsage)))]
#[tracing::instrument(name = "routes::projects::storage", skip_all,
    fields(user_id = %user.id, key_id = crate::telemetry::opt(user.via.key_id())))]
pub async fn storage(
    state: web::Data<AppState>,
    user: Scoped<Read>,
    params: web::Query<StorageParams>,
) -> Result<web::Json<StorageUsage>, ApiError> {
    let limit = limit(params.limit)?;
    let after = params
        .cursor
        .as_deref()
        .map(decode_cursor::<(i64, uuid::Uuid)>)
        .transpose()?;
    let (usage, rows) = projects::usage(&state, user.id, after, limit).await?;
    let next_cursor = rows.cursor(|r| encode_cursor(&(r.size_bytes, r.id)));
    Ok(web::Json(StorageUsage {
        quota: quota_view(usage),
        projects: rows
            .items
            .into_iter()
            .map(|r| ProjectSize {
                id: r.id,
                title: r.title,
                size_bytes: r.size_bytes,
            })
            .collect(),
        next_cursor,
    }))
}
