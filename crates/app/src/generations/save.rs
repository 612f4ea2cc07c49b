//! Saving a generation's text into the workspace: a new document, or appended to an
//! existing project (a document's text, or a new last chapter of a story). Quota applies
//! as to any other project write.

use penora_domain::{
    Chapter, FieldError, GenerationStatus, ProjectContent, ProjectId, ProjectKind, ProjectMeta,
    ProjectTitle, UserId,
};
use penora_store::generations;
use penora_store::projects::ProjectRow;
use uuid::Uuid;

use super::{get, GenerationError};
use crate::projects::{self, Expected, ProjectError};
use crate::AppState;

#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error(transparent)]
    Generation(#[from] GenerationError),
    #[error(transparent)]
    Project(#[from] ProjectError),
    #[error("the generation is still running")]
    Running,
}

pub async fn save(
    state: &AppState,
    user: UserId,
    id: Uuid,
    into: Option<ProjectId>,
    title: Option<&str>,
) -> Result<ProjectRow, SaveError> {
    let generation = get(state, user, id).await?;
    if generation.status == GenerationStatus::Running {
        return Err(SaveError::Running);
    }
    if generation.output.trim().is_empty() {
        return Err(GenerationError::Invalid(vec![FieldError::new(
            "generation",
            "empty",
            "This generation has no text to save.",
        )])
        .into());
    }
    let row = match into {
        None => {
            let title = title
                .map(str::to_owned)
                .unwrap_or_else(|| default_title(&generation.tool));
            let title = ProjectTitle::parse(&title).map_err(|e| invalid(vec![e]))?;
            let chapter = Chapter::parse("", &generation.output, "output").map_err(invalid)?;
            let meta = ProjectMeta {
                model: Some(generation.model.clone()),
                ..ProjectMeta::default()
            };
            let content = ProjectContent::new(title, ProjectKind::Document, vec![chapter], meta)
                .map_err(|e| invalid(vec![e]))?;
            projects::create(state, user, &content).await?
        }
        Some(project) => {
            let output = generation.output.clone();
            let chapter_title = title.unwrap_or_default().to_owned();
            projects::edit(state, user, project, Expected::Any, move |content| {
                append(content, &chapter_title, &output)
            })
            .await?
        }
    };
    generations::set_project(&state.db, id, row.id)
        .await
        .map_err(GenerationError::from)?;
    Ok(row)
}

/// A document grows by a paragraph; a story gets a new last chapter.
fn append(content: &mut ProjectContent, title: &str, text: &str) -> Result<(), ProjectError> {
    let chapter = match content.kind {
        ProjectKind::Document => {
            let current = content.chapter(0)?;
            let joined = if current.text().trim().is_empty() {
                text.to_owned()
            } else {
                format!("{}\n\n{}", current.text().trim_end(), text)
            };
            let chapter = current
                .with_text(&joined, "output")
                .map_err(ProjectError::Invalid)?;
            return Ok(content.replace_chapter(0, chapter)?);
        }
        ProjectKind::Story => {
            Chapter::parse(title, text, "output").map_err(ProjectError::Invalid)?
        }
    };
    Ok(content.add_chapter(None, chapter)?)
}

fn default_title(tool: &str) -> String {
    let mut name = tool.to_owned();
    if let Some(first) = name.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    format!("{name} — {}", chrono::Utc::now().format("%Y-%m-%d %H:%M"))
}

fn invalid(errors: Vec<FieldError>) -> ProjectError {
    ProjectError::Invalid(errors)
}
