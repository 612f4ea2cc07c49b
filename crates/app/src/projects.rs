//! Projects in a user's workspace. Every write is one transaction that checks the version
//! the client read (optimistic concurrency) and moves the user's storage counter by the
//! size change, so a write over quota or over a newer version leaves nothing behind.

use penora_domain::project::chapter_error_code;
use penora_domain::{Chapter, ChapterError, FieldError, ProjectContent, ProjectId, UserId};
use penora_store::projects::{self, ListQuery, ProjectRow, SizeRow};
use penora_store::storage::{self, StorageError, Usage};
use penora_store::{begin_write, DbErr, Page};

use crate::AppState;

#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error("no such project")]
    NotFound,
    #[error("no chapter {index}; the project has {count}")]
    ChapterNotFound { index: usize, count: usize },
    #[error("the project is at version {current}")]
    Stale { current: i64 },
    #[error("storage quota exceeded")]
    Quota { used: i64, limit: i64, needed: i64 },
    #[error("invalid project")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<StorageError> for ProjectError {
    fn from(err: StorageError) -> Self {
        match err {
            StorageError::Exceeded {
                used,
                limit,
                needed,
            } => Self::Quota {
                used,
                limit,
                needed,
            },
            // The user was deleted mid-request: their projects went with them.
            StorageError::UnknownUser => Self::NotFound,
            StorageError::Db(e) => Self::Db(e),
        }
    }
}

impl From<ChapterError> for ProjectError {
    fn from(err: ChapterError) -> Self {
        match err {
            ChapterError::OutOfRange { index, count } => Self::ChapterNotFound { index, count },
            other => Self::Invalid(vec![FieldError::new(
                "chapters",
                chapter_error_code(&other),
                other.to_string(),
            )]),
        }
    }
}

/// Which version a write expects: a number from the `ETag`, or `Any` for `If-Match: *`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    Version(i64),
    Any,
}

/// The storage the user's plan allows, read over `db` (the write's transaction).
pub(crate) async fn quota(
    state: &AppState,
    db: &impl penora_store::ConnectionTrait,
    user: UserId,
) -> Result<i64, penora_store::DbErr> {
    Ok(crate::billing::plan::of_on(state, db, user)
        .await?
        .storage_bytes)
}

#[tracing::instrument(name = "services::projects::create", skip_all, fields(user_id = %user))]
pub async fn create(
    state: &AppState,
    user: UserId,
    content: &ProjectContent,
) -> Result<ProjectRow, ProjectError> {
    let txn = begin_write(&state.db).await?;
    let limit = quota(state, &txn, user).await?;
    storage::change(&txn, user, content.size_bytes(), limit).await?;
    let row = projects::insert(&txn, user, content).await?;
    txn.commit().await?;
    Ok(row)
}

#[tracing::instrument(name = "services::projects::get", skip_all,
    fields(user_id = %user, project_id = %id))]
pub async fn get(
    state: &AppState,
    user: UserId,
    id: ProjectId,
) -> Result<ProjectRow, ProjectError> {
    projects::find_owned(&state.db, user, id)
        .await?
        .ok_or(ProjectError::NotFound)
}

#[tracing::instrument(name = "services::projects::list", skip_all, fields(user_id = %user))]
pub async fn list(
    state: &AppState,
    user: UserId,
    query: &ListQuery,
) -> Result<Page<ProjectRow>, ProjectError> {
    Ok(projects::list(&state.db, user, query).await?)
}

/// Applies `edit` to the current content if the version still matches, in one transaction
/// with the quota check.
#[tracing::instrument(name = "services::projects::edit", skip_all,
    fields(user_id = %user, project_id = %id))]
pub async fn edit(
    state: &AppState,
    user: UserId,
    id: ProjectId,
    expected: Expected,
    edit: impl FnOnce(&mut ProjectContent) -> Result<(), ProjectError>,
) -> Result<ProjectRow, ProjectError> {
    let txn = begin_write(&state.db).await?;
    let row = projects::find_owned(&txn, user, id)
        .await?
        .ok_or(ProjectError::NotFound)?;
    let version = match expected {
        Expected::Version(v) if v != row.version => {
            return Err(ProjectError::Stale {
                current: row.version,
            })
        }
        _ => row.version,
    };
    let mut content = projects::content_of(&row)?;
    edit(&mut content)?;
    // On PostgreSQL another transaction may have written since our read: the update's
    // version condition catches that too.
    let updated = projects::update(&txn, user, id, version, &content)
        .await?
        .ok_or(ProjectError::Stale {
            current: version + 1,
        })?;
    let limit = quota(state, &txn, user).await?;
    storage::change(&txn, user, content.size_bytes() - row.size_bytes, limit).await?;
    txn.commit().await?;
    Ok(updated)
}

#[tracing::instrument(name = "services::projects::delete", skip_all,
    fields(user_id = %user, project_id = %id))]
pub async fn delete(
    state: &AppState,
    user: UserId,
    id: ProjectId,
    expected: Option<Expected>,
) -> Result<(), ProjectError> {
    let txn = begin_write(&state.db).await?;
    let version = match expected {
        Some(Expected::Version(v)) => Some(v),
        _ => None,
    };
    let Some(row) = projects::delete(&txn, user, id, version).await? else {
        return Err(match projects::find_owned(&txn, user, id).await? {
            Some(row) => ProjectError::Stale {
                current: row.version,
            },
            None => ProjectError::NotFound,
        });
    };
    // `row` is the row as the delete found it, so a concurrent edit that committed first
    // is accounted for: the counter stays the sum of the remaining projects' sizes.
    let limit = quota(state, &txn, user).await?;
    storage::change(&txn, user, -row.size_bytes, limit).await?;
    txn.commit().await?;
    Ok(())
}

/// A chapter edit: `None` keeps a field as it is.
pub fn update_chapter(
    content: &mut ProjectContent,
    index: usize,
    title: Option<&str>,
    text: Option<&str>,
) -> Result<(), ProjectError> {
    let current = content.chapter(index)?;
    let text = text.unwrap_or(current.text());
    // A title that is not sent is kept as it is, not checked again.
    let chapter = match title {
        Some(title) => Chapter::parse(title, text, "chapter"),
        None => current.with_text(text, "chapter"),
    }
    .map_err(ProjectError::Invalid)?;
    Ok(content.replace_chapter(index, chapter)?)
}

/// Storage used, the limit that applies to the user, and one page of their projects by
/// size (largest first) after `after` (a size and an id).
#[tracing::instrument(name = "services::projects::usage", skip_all, fields(user_id = %user))]
pub async fn usage(
    state: &AppState,
    user: UserId,
    after: Option<(i64, uuid::Uuid)>,
    limit: u64,
) -> Result<(Usage, Page<SizeRow>), ProjectError> {
    let row = penora_store::users::find_by_id(&state.db, user)
        .await?
        .ok_or(ProjectError::NotFound)?;
    let sizes = projects::sizes(&state.db, user, after, limit).await?;
    let limit = quota(state, &state.db, user).await?;
    Ok((Usage::of(&row, limit), sizes))
}
