//! The text being edited: a project's title and chapters (or the scratch page's one text),
//! the cursor and selection, and saving with the version it was loaded at, so an edit made
//! elsewhere is reported (412) and never silently overwritten.

use std::time::Duration;

use leptos::html::Textarea;
use leptos::prelude::*;
use penora_api_types::{ChapterBody, ErrorCode, Project, UpdateProjectRequest};

use super::text::{append_paragraph, byte_offset, splice, utf16_offset, words};
use crate::api::{self, ApiError};
use crate::ids::ProjectId;
use crate::pages::workspace::bytes;
use crate::session::Session;

/// How long typing must pause before an autosave.
const AUTOSAVE_AFTER: Duration = Duration::from_millis(1200);

/// Where saving stands, for the line under the editor.
#[derive(Clone, PartialEq)]
pub enum SaveState {
    Idle,
    Saving,
    Saved(i64),
    Failed(String),
    /// Saved elsewhere in the meantime: [`Doc::theirs`] holds that version.
    Conflict,
}

#[derive(Clone, Copy)]
pub struct Doc {
    /// The project as last loaded or saved; `None` on the scratch page.
    pub project: RwSignal<Option<Project>>,
    pub title: RwSignal<String>,
    pub chapters: RwSignal<Vec<ChapterBody>>,
    /// The chapter in the editor (0-based).
    pub active: RwSignal<usize>,
    pub dirty: RwSignal<bool>,
    /// Bumped by every edit; the autosave waits for it to stay still.
    pub revision: RwSignal<u64>,
    pub state: RwSignal<SaveState>,
    /// After a conflict: the version saved elsewhere.
    pub theirs: RwSignal<Option<Project>>,
    /// The selection in the editor as byte offsets of the active chapter's text (equal when
    /// it is only a cursor).
    pub selection: RwSignal<(usize, usize)>,
    pub textarea: NodeRef<Textarea>,
    timer: StoredValue<Option<TimeoutHandle>>,
}

impl Doc {
    pub fn new(project: Option<Project>) -> Self {
        let (title, chapters) = match &project {
            Some(p) => (p.title.clone(), p.chapters.clone()),
            None => (String::new(), vec![ChapterBody::default()]),
        };
        Self {
            project: RwSignal::new(project),
            title: RwSignal::new(title),
            chapters: RwSignal::new(chapters),
            active: RwSignal::new(0),
            dirty: RwSignal::new(false),
            revision: RwSignal::new(0),
            state: RwSignal::new(SaveState::Idle),
            theirs: RwSignal::new(None),
            selection: RwSignal::new((0, 0)),
            textarea: NodeRef::new(),
            timer: StoredValue::new(None),
        }
    }

    pub fn is_scratch(&self) -> bool {
        self.project.with(Option::is_none)
    }

    pub fn is_scratch_untracked(&self) -> bool {
        self.project.with_untracked(Option::is_none)
    }

    pub fn is_story(&self) -> bool {
        self.project
            .with(|p| p.as_ref().is_some_and(|p| p.kind == "story"))
    }

    /// Takes a saved version as it is (after "use theirs", or a fresh load).
    pub fn load(&self, project: Project) {
        self.title.set(project.title.clone());
        self.chapters.set(project.chapters.clone());
        self.active
            .update(|a| *a = (*a).min(project.chapters.len().saturating_sub(1)));
        self.project.set(Some(project));
        self.theirs.set(None);
        self.dirty.set(false);
        self.state.set(SaveState::Idle);
        self.selection.set((0, 0));
    }

    /// The active chapter's text.
    pub fn text(&self) -> String {
        let at = self.active.get();
        self.chapters
            .with(|c| c.get(at).map(|c| c.text.clone()).unwrap_or_default())
    }

    /// Every change of the text goes through here: it marks the text unsaved.
    pub fn edit(&self, change: impl FnOnce(&mut Vec<ChapterBody>)) {
        self.chapters.update(change);
        self.touch();
    }

    pub fn touch(&self) {
        self.dirty.set(true);
        self.revision.update(|r| *r += 1);
    }

    /// The words of each chapter and their sum, counted the way the server counts.
    pub fn counts(&self) -> (Vec<i64>, i64) {
        let each: Vec<i64> = self
            .chapters
            .with(|c| c.iter().map(|c| words(&c.text)).collect());
        let total = each.iter().sum();
        (each, total)
    }

    /// Reads the editor's selection (the browser reports UTF-16 offsets).
    pub fn read_selection(&self) {
        let Some(el) = self.textarea.get_untracked() else {
            return;
        };
        let value = el.value();
        let start = el.selection_start().ok().flatten().unwrap_or(0);
        let end = el.selection_end().ok().flatten().unwrap_or(start);
        self.selection
            .set((byte_offset(&value, start), byte_offset(&value, end)));
    }

    /// Puts `insert` in place of `range` of the active chapter, then the cursor after it.
    pub fn splice_active(&self, range: (usize, usize), insert: &str) {
        let at = self.active.get_untracked();
        let mut cursor = 0;
        self.edit(|chapters| {
            if let Some(chapter) = chapters.get_mut(at) {
                let (text, end) = splice(&chapter.text, range, insert);
                chapter.text = text;
                cursor = end;
            }
        });
        self.place_cursor(cursor);
    }

    /// Inserts at the cursor (after the selection, if any), with a space before when the
    /// text there does not end in one.
    pub fn insert_at_cursor(&self, insert: &str) {
        let at = self.selection.get_untracked().1;
        let before = self.text().get(..at).and_then(|t| t.chars().last());
        let spaced = match before {
            Some(c) if !c.is_whitespace() => format!(" {}", insert.trim_start()),
            _ => insert.trim_start().to_owned(),
        };
        self.splice_active((at, at), &spaced);
    }

    pub fn append_to(&self, chapter: usize, addition: &str) {
        self.edit(|chapters| {
            if let Some(c) = chapters.get_mut(chapter) {
                c.text = append_paragraph(&c.text, addition);
            }
        });
    }

    /// After the editor shows the new text: the cursor at byte `at`, and focus on the editor.
    fn place_cursor(&self, at: usize) {
        let doc = *self;
        doc.selection.set((at, at));
        request_animation_frame(move || {
            if let Some(el) = doc.textarea.get_untracked() {
                let units = utf16_offset(&el.value(), at);
                let _ = el.set_selection_range(units, units);
                let _ = el.focus();
            }
        });
    }

    /// Saves after a pause in typing; each edit restarts the wait.
    pub fn schedule_autosave(&self, save: Action<Option<i64>, ()>) {
        if let Some(handle) = self.timer.get_value() {
            handle.clear();
        }
        let doc = *self;
        let handle = set_timeout_with_handle(
            move || {
                // The page may be gone when the timer fires.
                let ready = doc.dirty.try_get_untracked() == Some(true)
                    && doc.project.try_with_untracked(Option::is_some) == Some(true)
                    && doc.state.try_with_untracked(|s| *s != SaveState::Conflict) == Some(true)
                    && !save.pending().get_untracked();
                if ready {
                    save.dispatch(None);
                }
            },
            AUTOSAVE_AFTER,
        )
        .ok();
        self.timer.set_value(handle);
    }

    pub fn cancel_autosave(&self) {
        if let Some(handle) = self.timer.try_get_value().flatten() {
            handle.clear();
        }
    }

    /// Saves the title and chapters over `version` (the loaded one unless given: "keep
    /// mine" after a conflict saves over theirs).
    pub async fn save(self, session: Session, version: Option<i64>) {
        let Some(current) = self.project.get_untracked() else {
            return;
        };
        let title = self.title.get_untracked();
        let chapters = self.chapters.get_untracked();
        let body = UpdateProjectRequest {
            title: Some(title.clone()),
            chapters: Some(chapters.clone()),
            ..Default::default()
        };
        self.state.set(SaveState::Saving);
        let id = ProjectId::of(current.id);
        let version = version.unwrap_or(current.version);
        match api::update_project(session, id.clone(), version, body).await {
            Ok(saved) => {
                let same = self.chapters.with_untracked(|c| *c == chapters)
                    && self.title.with_untracked(|t| *t == title);
                self.state.set(SaveState::Saved(saved.version));
                self.project.set(Some(saved));
                self.theirs.set(None);
                if same {
                    self.dirty.set(false);
                } else {
                    // Typed while saving: save that too.
                    self.revision.update(|r| *r += 1);
                }
            }
            Err(err) if err.code() == Some(ErrorCode::VersionConflict) || err.status == 412 => {
                self.state.set(SaveState::Conflict);
                match api::project(session, id).await {
                    Ok(theirs) => self.theirs.set(Some(theirs)),
                    Err(err) => self.state.set(SaveState::Failed(err.message())),
                }
            }
            Err(err) => self.state.set(SaveState::Failed(describe(&err))),
        }
    }
}

/// What went wrong with a save, in words that say what to do.
fn describe(err: &ApiError) -> String {
    let extra = err
        .problem
        .as_ref()
        .and_then(|p| p.extra.clone())
        .unwrap_or_default();
    let field = |name: &str| extra[name].as_i64().unwrap_or(0);
    match err.code() {
        Some(ErrorCode::QuotaExceeded) => format!(
            "Not saved: not enough storage. This needs {} more, and {} of {} is used.",
            bytes(field("needed_bytes")),
            bytes(field("used_bytes")),
            bytes(field("limit_bytes")),
        ),
        _ => match err.field("title") {
            Some(problem) => format!("Not saved: {}", problem.message),
            None => format!("Not saved: {}", err.message()),
        },
    }
}
