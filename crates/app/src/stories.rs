//! Multi-chapter stories: a story project with its settings and outline, and the jobs that
//! write the outline and the chapters. Each step is a generation of its own (billed on its
//! own); its text is saved into the story when it ends, also when it was stopped midway.

use penora_ai::{GenerationRequest, Task};
use penora_domain::story::{outline_entries, summarize, StorySettings, SUMMARY_WORDS};
use penora_domain::{
    billable_words_of, billable_words_of_all, Chapter, ProjectContent, ProjectId, Tool, UserId,
};
use penora_store::projects::{self as project_rows, ProjectRow};
use penora_store::stories::{self, StoryRow};
use penora_store::{begin_write, storage};

use crate::catalog::ModelSpec;
use crate::generations::{prompted, seed_of, Job, Target};
use crate::projects::{self, Expected, ProjectError};
use crate::AppState;

/// A story as stored: the project (chapters) and its settings.
#[derive(Debug, Clone)]
pub struct Story {
    pub project: ProjectRow,
    pub settings: StoryRow,
}

impl Story {
    pub fn content(&self) -> Result<ProjectContent, ProjectError> {
        Ok(project_rows::content_of(&self.project)?)
    }
}

/// Creates the story project (one empty chapter per planned chapter, so the writer sees
/// the shape at once) and its settings, in one transaction with the quota check.
#[tracing::instrument(name = "services::stories::create", skip_all, fields(user_id = %user))]
pub async fn create(
    state: &AppState,
    user: UserId,
    content: &ProjectContent,
    settings: &StorySettings,
) -> Result<Story, ProjectError> {
    let txn = begin_write(&state.db).await?;
    let limit = crate::projects::quota(state, &txn, user).await?;
    storage::change(&txn, user, content.size_bytes(), limit).await?;
    let project = project_rows::insert(&txn, user, content).await?;
    let settings = stories::insert(&txn, project.id, settings).await?;
    txn.commit().await?;
    Ok(Story { project, settings })
}

/// Empty chapters titled "Chapter 1" … for a new story.
pub fn planned_chapters(count: u32) -> Vec<Chapter> {
    (1..=count)
        .filter_map(|n| Chapter::parse(&format!("Chapter {n}"), "", "chapters").ok())
        .collect()
}

#[tracing::instrument(name = "services::stories::get", skip_all,
    fields(user_id = %user, project_id = %id))]
pub async fn get(state: &AppState, user: UserId, id: ProjectId) -> Result<Story, ProjectError> {
    let project = projects::get(state, user, id).await?;
    let settings = stories::find(&state.db, project.id)
        .await?
        .ok_or(ProjectError::NotFound)?;
    Ok(Story { project, settings })
}

/// Changes settings and/or the outline (last write wins: these are small, single fields).
/// `story` was read for `user`, which proves it is theirs.
#[tracing::instrument(name = "services::stories::update", skip_all,
    fields(user_id = %user, project_id = %story.project.id))]
pub async fn update(
    state: &AppState,
    user: UserId,
    story: &Story,
    settings: Option<&StorySettings>,
    outline: Option<&str>,
) -> Result<Story, ProjectError> {
    let id = ProjectId::from_uuid(story.project.id);
    stories::update(&state.db, story.project.id, settings, outline).await?;
    if let Some(outline) = outline {
        retitle(state, user, id, outline).await?;
    }
    get(state, user, id).await
}

/// Names the chapters after the outline's "Chapter N: Title" lines, keeping their text.
async fn retitle(
    state: &AppState,
    user: UserId,
    id: ProjectId,
    outline: &str,
) -> Result<(), ProjectError> {
    let entries = outline_entries(outline);
    if entries.is_empty() {
        return Ok(());
    }
    projects::edit(state, user, id, Expected::Any, |content| {
        for entry in &entries {
            let Some(index) = usize::try_from(entry.number)
                .ok()
                .and_then(|n| n.checked_sub(1))
            else {
                continue;
            };
            if index >= content.chapters().len() {
                continue;
            }
            let text = content.chapter(index)?.text().to_owned();
            let chapter =
                Chapter::parse(&entry.title, &text, "outline").map_err(ProjectError::Invalid)?;
            content.replace_chapter(index, chapter)?;
        }
        Ok(())
    })
    .await
    .map(|_| ())
}

/// Placeholder values every story template may use.
struct Vars {
    title: String,
    premise: String,
    genre: String,
    tone: String,
    chapters: String,
    words: String,
    outline: String,
}

impl Vars {
    fn of(story: &Story, content: &ProjectContent, words: u32) -> Self {
        let or = |value: Option<String>, default: &str| {
            value
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| default.to_owned())
        };
        Self {
            title: content.title.as_str().to_owned(),
            premise: or(story.project.premise.clone(), "(none given)"),
            genre: or(story.project.genre.clone(), "general fiction"),
            tone: or(Some(story.settings.tone.clone()), "natural"),
            chapters: story.settings.chapter_count.to_string(),
            words: words.to_string(),
            outline: or(story.settings.outline.clone(), "(no outline yet)"),
        }
    }

    fn get(&self, name: &str) -> Option<&str> {
        Some(match name {
            "title" => &self.title,
            "premise" => &self.premise,
            "genre" => &self.genre,
            "tone" => &self.tone,
            "chapters" => &self.chapters,
            "words" => &self.words,
            "outline" => &self.outline,
            _ => return None,
        })
    }
}

fn words_u32(n: i32) -> u32 {
    u32::try_from(n).unwrap_or(1)
}

/// The job that writes (or rewrites) the outline.
pub fn outline_job(
    state: &AppState,
    story: &Story,
    model: &ModelSpec,
) -> Result<Job, ProjectError> {
    let content = story.content()?;
    let chapters = words_u32(story.settings.chapter_count);
    // About 40 words a chapter line, and room for a title.
    let words = (chapters * 40 + 40).min(model.max_output_words);
    let vars = Vars::of(story, &content, words);
    let rendered = state.prompts.render_named("outline", |name| vars.get(name));
    let seed = seed_of(&["outline", &vars.title, &vars.premise, &vars.chapters]);
    let task = Task::Outline { chapters };
    let request = prompted(model, rendered, words, task, vars.premise.clone(), seed);
    let project = ProjectId::from_uuid(story.project.id);
    let mut job = story_job(
        Tool::Outline,
        model,
        request,
        words,
        &vars.premise,
        project,
        Target::Outline { project },
    );
    job.input_words = caller_input_words(story, false);
    Ok(job)
}

/// The job that writes chapter `number` (1-based) — afresh, or continuing its text.
pub fn chapter_job(
    state: &AppState,
    story: &Story,
    model: &ModelSpec,
    number: u32,
    append: bool,
) -> Result<Job, ProjectError> {
    let content = story.content()?;
    let index = usize::try_from(number.saturating_sub(1)).unwrap_or(usize::MAX);
    let words = words_u32(story.settings.words_per_chapter).min(model.max_output_words);
    let vars = Vars::of(story, &content, words);
    let title = content
        .chapters()
        .get(index)
        .map_or_else(|| format!("Chapter {number}"), |c| c.title().to_owned());
    let previous = content
        .chapters()
        .get(index)
        .map(|c| c.text().to_owned())
        .unwrap_or_default();
    let summaries = summaries_before(&content, index);
    let number_text = number.to_string();
    let template = if append {
        "chapter_continue"
    } else {
        "chapter"
    };
    let rendered = state.prompts.render_named(template, |name| match name {
        "number" => Some(number_text.as_str()),
        "chapter_title" => Some(title.as_str()),
        "summaries" => Some(summaries.as_str()),
        "previous_text" => Some(previous.as_str()),
        other => vars.get(other),
    });
    let task = if append {
        Task::Continue
    } else {
        Task::Chapter {
            number,
            title: title.clone(),
        }
    };
    let input = if append {
        previous.clone()
    } else {
        title.clone()
    };
    let seed = seed_of(&["chapter", &vars.title, &number_text, &title, &previous]);
    let request = prompted(model, rendered, words, task, input, seed);

    let project = ProjectId::from_uuid(story.project.id);
    let target = Target::Chapter {
        project,
        index,
        append,
    };
    let mut job = story_job(
        Tool::Chapter,
        model,
        request,
        words,
        &title,
        project,
        target,
    );
    // The chapter being continued is the writer's text, billed as the `continue` tool's
    // `input` is; the summaries of earlier chapters are bounded context, free.
    let continued = if append {
        billable_words_of(&previous)
    } else {
        0
    };
    job.input_words = caller_input_words(story, true) + continued;
    Ok(job)
}

/// The billable input of a story step that the story itself holds: the premise, and for a
/// chapter the outline. The templates and the summaries of earlier chapters (at most about
/// `2 × SUMMARY_WORDS` billable words each) are context Penora adds: free.
fn caller_input_words(story: &Story, with_outline: bool) -> u64 {
    let premise = story.project.premise.as_deref().unwrap_or_default();
    let outline = if with_outline {
        story.settings.outline.as_deref().unwrap_or_default()
    } else {
        ""
    };
    billable_words_of_all([premise, outline])
}

fn story_job(
    tool: Tool,
    model: &ModelSpec,
    request: GenerationRequest,
    words: u32,
    input: &str,
    project: ProjectId,
    target: Target,
) -> Job {
    Job {
        tool,
        model: model.clone(),
        request,
        max_words: u64::from(words),
        input: input.to_owned(),
        instructions: String::new(),
        input_words: 0,
        params: serde_json::json!({ "length_words": words }),
        project: Some(project.as_uuid()),
        idempotency: None,
        target: Some(target),
    }
}

/// "Chapter 1 (The Quiet Harbour): …" for each written chapter before `index`.
fn summaries_before(content: &ProjectContent, index: usize) -> String {
    let lines: Vec<String> = content
        .chapters()
        .iter()
        .take(index)
        .enumerate()
        .filter(|(_, c)| !c.text().trim().is_empty())
        .map(|(i, c)| {
            format!(
                "Chapter {} ({}): {}",
                i + 1,
                c.title(),
                summarize(c.text(), SUMMARY_WORDS)
            )
        })
        .collect();
    if lines.is_empty() {
        "(this is the first chapter)".to_owned()
    } else {
        lines.join("\n")
    }
}

/// Where a story step's text was kept when its generation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kept {
    /// Saved into the story.
    Saved(ProjectId),
    /// Not saved (e.g. `quota_exceeded`): the text is still in the generation.
    NotSaved { code: &'static str, message: String },
}

/// Saves a finished story step's text (called by the generation task after settling) and
/// says how that went; `None` when there was no text to save.
#[tracing::instrument(name = "services::stories::keep", skip_all,
    fields(user_id = %user, target = ?target))]
pub async fn keep(state: &AppState, user: UserId, target: Target, output: &str) -> Option<Kept> {
    if output.trim().is_empty() {
        return None;
    }
    let (project, saved) = match target {
        Target::Outline { project } => (project, save_outline(state, user, project, output).await),
        Target::Chapter {
            project,
            index,
            append,
        } => (
            project,
            save_chapter(state, user, project, index, append, output).await,
        ),
    };
    Some(match saved {
        Ok(()) => Kept::Saved(project),
        Err(err) => {
            tracing::warn!(project = %project.as_uuid(), error = %err, "saving a story step failed");
            Kept::NotSaved {
                code: save_error_code(&err),
                message: format!("The text could not be saved into the story ({err}); it is kept in the generation."),
            }
        }
    })
}

fn save_error_code(err: &ProjectError) -> &'static str {
    match err {
        ProjectError::Quota { .. } => "quota_exceeded",
        ProjectError::NotFound => "project_not_found",
        ProjectError::Invalid(_) | ProjectError::ChapterNotFound { .. } => "validation_failed",
        ProjectError::Stale { .. } | ProjectError::Db(_) => "internal_error",
    }
}

async fn save_outline(
    state: &AppState,
    user: UserId,
    project: ProjectId,
    output: &str,
) -> Result<(), ProjectError> {
    let outline: String = output
        .trim()
        .chars()
        .take(penora_domain::story::MAX_OUTLINE_CHARS)
        .collect();
    let story = get(state, user, project).await?;
    update(state, user, &story, None, Some(&outline))
        .await
        .map(|_| ())
}

async fn save_chapter(
    state: &AppState,
    user: UserId,
    project: ProjectId,
    index: usize,
    append: bool,
    output: &str,
) -> Result<(), ProjectError> {
    projects::edit(state, user, project, Expected::Any, |content| {
        // A chapter past the end (the story grew beyond its plan) is added, with any gap
        // filled by empty chapters.
        while content.chapters().len() <= index {
            let number = content.chapters().len() + 1;
            let chapter = Chapter::parse(&format!("Chapter {number}"), "", "chapter")
                .map_err(ProjectError::Invalid)?;
            content.add_chapter(None, chapter)?;
        }
        let current = content.chapter(index)?;
        let text = if append && !current.text().trim().is_empty() {
            let joiner = if current.text().ends_with(char::is_whitespace) {
                ""
            } else {
                " "
            };
            format!("{}{joiner}{}", current.text(), output.trim_start())
        } else {
            output.trim().to_owned()
        };
        let chapter = current
            .with_text(&text, "chapter")
            .map_err(ProjectError::Invalid)?;
        Ok(content.replace_chapter(index, chapter)?)
    })
    .await
    .map(|_| ())
}
