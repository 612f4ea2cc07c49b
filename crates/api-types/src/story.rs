//! Multi-chapter stories: a story project plus the settings it is written to and its
//! outline. Outline and chapter generations stream like any generation.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::generation::GenerationFailure;
use crate::workspace::Project;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateStory {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub title: String,
    #[serde(default)]
    pub premise: Option<String>,
    #[serde(default)]
    pub genre: Option<String>,
    #[serde(default)]
    pub tone: Option<String>,
    /// 1 to 50 (default 5).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 50))]
    pub chapter_count: Option<i64>,
    /// 100 to 5,000 (default 800); capped by the model.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 100, maximum = 5000))]
    pub words_per_chapter: Option<i64>,
    /// The model every step uses; the catalog's default when left out.
    #[serde(default)]
    pub model: Option<String>,
}

/// Change settings or the outline; fields left out stay as they are. A new outline renames
/// the chapters after its "Chapter N: Title" lines.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateStory {
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 20000))]
    pub outline: Option<String>,
    #[serde(default)]
    pub tone: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 50))]
    pub chapter_count: Option<i64>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 100, maximum = 5000))]
    pub words_per_chapter: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Story {
    /// The story's chapters are the project's chapters.
    pub project: Project,
    pub tone: String,
    pub chapter_count: i32,
    pub words_per_chapter: i32,
    pub outline: Option<String>,
}

/// Write chapter `number` afresh (default) or continue its text (`continue: true`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GenerateChapter {
    #[serde(default, rename = "continue")]
    pub continue_text: bool,
}

/// Write the chapters in sequence, from `from` (default 1) to the planned count.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GenerateStory {
    #[serde(default)]
    pub from: Option<u32>,
}

/// SSE `chapter`: the next chapter starts (its `meta`, `delta`s, `usage` and `done` follow).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChapterEvent {
    pub number: u32,
    pub of: u32,
    pub title: String,
}

/// SSE `story_done`: the sequence ended (all written, stopped, or failed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StoryEndEvent {
    pub project_id: Uuid,
    /// Chapters whose text was written and saved in this run.
    pub written: Vec<u32>,
    /// True when every planned chapter from `from` on was written.
    pub complete: bool,
    pub total_cost_mc: i64,
    /// Why it stopped early, if it did (`cancelled`, `insufficient_credits`, an upstream
    /// failure ...).
    pub error: Option<GenerationFailure>,
}
