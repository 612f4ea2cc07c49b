//! Projects, chapters, storage, share codes and exports. Writes to a project carry the
//! `ETag` of the last read in `If-Match`; a stale one gets `412 version_conflict`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A chapter as sent and returned. A plain document is one chapter, usually untitled.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChapterBody {
    /// Up to 200 characters; may be empty.
    #[serde(default)]
    pub title: String,
    /// Paragraphs separated by blank lines. Tabs and line breaks are the only control
    /// characters allowed.
    #[serde(default)]
    pub text: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateProjectRequest {
    /// 1 to 200 printable characters.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub title: String,
    /// `document` (default, exactly one chapter) or `story`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(pattern = "^(document|story)$"))]
    pub kind: Option<String>,
    /// Default: one empty untitled chapter.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 500))]
    pub chapters: Vec<ChapterBody>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 80))]
    pub genre: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 5000))]
    pub premise: Option<String>,
    /// The model the text was written with (informational).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub model: Option<String>,
}

/// Changes to a project; absent fields stay as they are, `""` clears a metadata field.
/// `chapters` replaces all chapters.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateProjectRequest {
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub title: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub chapters: Option<Vec<ChapterBody>>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 80))]
    pub genre: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 5000))]
    pub premise: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub model: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AddChapterRequest {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub text: String,
    /// Where the chapter goes (0-based); the end when absent.
    #[serde(default)]
    pub position: Option<u32>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateChapterRequest {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReorderChaptersRequest {
    /// The current (0-based) indexes in their new order: `[2, 0, 1]` moves the third
    /// chapter first. Every index exactly once.
    pub order: Vec<u32>,
}

/// A project's live share code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShareInfo {
    /// 6 characters (A-Z and 2-9 without I, L, O); case-insensitive.
    pub code: String,
    /// The read-only page for people.
    pub url: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub views: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Project {
    pub id: Uuid,
    pub title: String,
    /// `document` or `story`.
    pub kind: String,
    pub chapters: Vec<ChapterBody>,
    pub genre: Option<String>,
    pub premise: Option<String>,
    pub model: Option<String>,
    /// Bytes of text stored; counts toward the storage quota.
    pub size_bytes: i64,
    pub word_count: i64,
    /// Increases with every write; the `ETag` is `"<version>"`.
    pub version: i64,
    pub share: Option<ShareInfo>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProjectSummary {
    pub id: Uuid,
    pub title: String,
    pub kind: String,
    pub chapter_count: i32,
    pub word_count: i64,
    pub size_bytes: i64,
    pub version: i64,
    /// The live share code, if any.
    pub share_code: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProjectPage {
    pub items: Vec<ProjectSummary>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShareRequest {
    /// 1 to 365; the code never expires when absent.
    #[serde(default)]
    pub expires_in_days: Option<u32>,
}

/// A shared project as anyone with the code sees it (read-only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SharedProject {
    pub code: String,
    pub title: String,
    pub kind: String,
    /// The owner's display name.
    pub author: String,
    pub chapters: Vec<ChapterBody>,
    pub genre: Option<String>,
    pub word_count: i64,
    pub views: i64,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProjectSize {
    pub id: Uuid,
    pub title: String,
    pub size_bytes: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StorageQuota {
    /// Everything counted against the limit: Penora's projects and what ImageGene stores.
    pub used_bytes: i64,
    /// Penora's projects.
    pub penora_bytes: i64,
    /// What ImageGene reports it stores for the user.
    pub imagegene_bytes: i64,
    pub limit_bytes: i64,
    /// `limit - used`, never below 0.
    pub available_bytes: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StorageUsage {
    #[serde(flatten)]
    pub quota: StorageQuota,
    /// One page of the projects, largest first (`limit` per page, 20 by default).
    pub projects: Vec<ProjectSize>,
    /// Pass as `cursor` for the next page of `projects`; absent on the last page.
    #[serde(default)]
    pub next_cursor: Option<String>,
}
