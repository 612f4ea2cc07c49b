//! Projects, shares and storage.

use gloo_net::http::Request;
use penora_api_types::{
    CreateProjectRequest, Project, ProjectPage, ShareInfo, SharedProject, StorageUsage,
    UpdateProjectRequest,
};

use super::{fetch_json, json, read, send, ApiError, Method};
use crate::ids::ProjectId;
use crate::session::Session;

pub async fn projects(session: Session, query: String) -> Result<ProjectPage, ApiError> {
    fetch_json(
        session,
        Method::Get,
        format!("/api/v1/projects?{query}"),
        None,
        None,
    )
    .await
}

pub async fn create_project(
    session: Session,
    body: CreateProjectRequest,
) -> Result<Project, ApiError> {
    fetch_json(
        session,
        Method::Post,
        "/api/v1/projects".into(),
        None,
        json(&body),
    )
    .await
}

pub async fn project(session: Session, id: ProjectId) -> Result<Project, ApiError> {
    fetch_json(
        session,
        Method::Get,
        format!("/api/v1/projects/{id}"),
        None,
        None,
    )
    .await
}

/// Saves changes made to `version`; a newer version on the server is a `version_conflict`.
pub async fn update_project(
    session: Session,
    id: ProjectId,
    version: i64,
    body: UpdateProjectRequest,
) -> Result<Project, ApiError> {
    let path = format!("/api/v1/projects/{id}");
    fetch_json(session, Method::Patch, path, Some(version), json(&body)).await
}

pub async fn delete_project(session: Session, id: ProjectId) -> Result<(), ApiError> {
    fetch_json(
        session,
        Method::Delete,
        format!("/api/v1/projects/{id}"),
        None,
        None,
    )
    .await
}

pub async fn share(session: Session, id: ProjectId) -> Result<ShareInfo, ApiError> {
    let path = format!("/api/v1/projects/{id}/share");
    send(session, Method::Post, path, &serde_json::json!({})).await
}

pub async fn unshare(session: Session, id: ProjectId) -> Result<(), ApiError> {
    let path = format!("/api/v1/projects/{id}/share");
    fetch_json(session, Method::Delete, path, None, None).await
}

pub async fn storage(session: Session) -> Result<StorageUsage, ApiError> {
    fetch_json(session, Method::Get, "/api/v1/storage".into(), None, None).await
}

/// A shared project; no sign-in.
pub async fn shared(code: String) -> Result<SharedProject, ApiError> {
    let path = format!("/api/v1/shared/{}", code.trim());
    read(
        Request::get(&path)
            .send()
            .await
            .map_err(ApiError::network)?,
    )
    .await
}
