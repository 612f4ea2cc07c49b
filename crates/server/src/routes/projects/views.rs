//! Projects as the API shows them.

use penora_api_types::{ChapterBody, Project, ProjectSummary, ShareInfo, SharedProject};
use penora_domain::ProjectContent;
use penora_store::projects::{content_of, ProjectRow};

use crate::error::ApiError;
use penora_app::shares::Shared;
use penora_app::AppState;

fn chapters(content: &ProjectContent) -> Vec<ChapterBody> {
    content
        .chapters()
        .iter()
        .map(|c| ChapterBody {
            title: c.title().to_owned(),
            text: c.text().to_owned(),
        })
        .collect()
}

fn share_info(state: &AppState, row: &ProjectRow) -> Option<ShareInfo> {
    let code = row.share_code.clone()?;
    Some(ShareInfo {
        url: format!(
            "{}/s/{code}",
            state.config.settings.public_url.trim_end_matches('/')
        ),
        code,
        expires_at: row.share_expires_at,
        views: row.share_views,
    })
}

pub(crate) fn project_view(state: &AppState, row: &ProjectRow) -> Result<Project, ApiError> {
    let content = content_of(row)?;
    Ok(Project {
        id: row.id,
        title: row.title.clone(),
        kind: row.kind.as_str().to_owned(),
        chapters: chapters(&content),
        genre: row.genre.clone(),
        premise: row.premise.clone(),
        model: row.model.clone(),
        size_bytes: row.size_bytes,
        word_count: row.word_count,
        version: row.version,
        share: share_info(state, row),
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

pub(crate) fn summary_view(row: &ProjectRow) -> ProjectSummary {
    ProjectSummary {
        id: row.id,
        title: row.title.clone(),
        kind: row.kind.as_str().to_owned(),
        chapter_count: row.chapter_count,
        word_count: row.word_count,
        size_bytes: row.size_bytes,
        version: row.version,
        share_code: row.share_code.clone(),
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

pub(crate) fn shared_view(shared: &Shared) -> Result<SharedProject, ApiError> {
    let row = &shared.row;
    let content = content_of(row)?;
    Ok(SharedProject {
        code: row.share_code.clone().unwrap_or_default(),
        title: row.title.clone(),
        kind: row.kind.as_str().to_owned(),
        author: shared.author.clone(),
        chapters: chapters(&content),
        genre: row.genre.clone(),
        word_count: row.word_count,
        views: row.share_views,
        updated_at: row.updated_at,
    })
}
