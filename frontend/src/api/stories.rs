//! Stories: made from a premise, read and edited.

use penora_api_types::{CreateStory, Story, UpdateStory};

use super::{fetch_json, json, ApiError, Method};
use crate::ids::ProjectId;
use crate::session::Session;

pub async fn create_story(session: Session, body: CreateStory) -> Result<Story, ApiError> {
    fetch_json(
        session,
        Method::Post,
        "/api/v1/stories".into(),
        None,
        json(&body),
    )
    .await
}

pub async fn story(session: Session, id: ProjectId) -> Result<Story, ApiError> {
    let path = format!("/api/v1/stories/{id}");
    fetch_json(session, Method::Get, path, None, None).await
}

/// Changes a story's settings or outline (a new outline renames its chapters).
pub async fn update_story(
    session: Session,
    id: ProjectId,
    body: UpdateStory,
) -> Result<Story, ApiError> {
    let path = format!("/api/v1/stories/{id}");
    fetch_json(session, Method::Patch, path, None, json(&body)).await
}
