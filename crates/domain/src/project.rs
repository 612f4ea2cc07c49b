//! A project in a user's workspace: a title, a kind and ordered chapters (a plain document
//! is one chapter), plus optional metadata. Parsed once at the edge; the operations on
//! chapters keep the rules (at least one chapter, a document has exactly one, bounded sizes).

use crate::{check_name_text, count_words, FieldError};

pub const TITLE_MAX_CHARS: usize = 200;
pub const MAX_CHAPTERS: usize = 500;
pub const GENRE_MAX_CHARS: usize = 80;
pub const PREMISE_MAX_CHARS: usize = 5_000;
pub const MODEL_MAX_CHARS: usize = 100;

/// A project's title: 1 to 200 printable characters, trimmed, nothing invisible (see
/// [`crate::name_text`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectTitle(String);

impl ProjectTitle {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let title = single_line(raw, "title", TITLE_MAX_CHARS)?;
        if title.is_empty() {
            return Err(FieldError::new(
                "title",
                "required",
                "Give the project a title.",
            ));
        }
        Ok(Self(title))
    }

    /// A title read back from storage, as it was stored: it was checked when it was
    /// written, under the rules of that time, and reading must not fail on a rule added
    /// since.
    pub fn from_stored(title: String) -> Self {
        Self(title)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectKind {
    /// One piece of writing: exactly one chapter.
    Document,
    /// Several chapters (a premise, an outline, chapters written one by one).
    Story,
}

impl ProjectKind {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        match raw {
            "document" => Ok(Self::Document),
            "story" => Ok(Self::Story),
            _ => Err(FieldError::new(
                "kind",
                "invalid",
                "The kind is `document` or `story`.",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Document => "document",
            Self::Story => "story",
        }
    }
}

/// One chapter: a title (may be empty for a plain document) and its text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Chapter {
    title: String,
    text: String,
}

impl Chapter {
    /// `field` names the chapter in errors, e.g. `chapters[2]`.
    pub fn parse(title: &str, text: &str, field: &str) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let title = single_line(title, &format!("{field}.title"), TITLE_MAX_CHARS)
            .map_err(|e| errors.push(e))
            .ok();
        let text = body_text(text, &format!("{field}.text"))
            .map_err(|e| errors.push(e))
            .ok();
        match (title, text) {
            (Some(title), Some(text)) if errors.is_empty() => Ok(Self { title, text }),
            _ => Err(errors),
        }
    }

    /// The same chapter with new text; its title is kept as it is (it was checked when
    /// it was set, and the caller is not changing it).
    pub fn with_text(&self, text: &str, field: &str) -> Result<Self, Vec<FieldError>> {
        let text = body_text(text, &format!("{field}.text")).map_err(|e| vec![e])?;
        Ok(Self {
            title: self.title.clone(),
            text,
        })
    }

    pub fn title(&self) -> &str {
        &self.title
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    fn size_bytes(&self) -> usize {
        self.title.len() + self.text.len()
    }
}

/// Why a change to the chapters was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChapterError {
    #[error("there is no chapter {index}; the project has {count}")]
    OutOfRange { index: usize, count: usize },
    #[error("a project keeps at least one chapter")]
    LastChapter,
    #[error("a document has exactly one chapter; make it a story to add chapters")]
    DocumentHasOneChapter,
    #[error("a project has at most {MAX_CHAPTERS} chapters")]
    TooManyChapters,
    #[error("the new order must name every chapter index exactly once")]
    InvalidOrder,
}

/// Everything a project stores, validated. `size_bytes` is what counts toward the quota.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectContent {
    pub title: ProjectTitle,
    pub kind: ProjectKind,
    chapters: Vec<Chapter>,
    pub genre: Option<String>,
    pub premise: Option<String>,
    pub model: Option<String>,
}

/// Optional metadata as sent by a client, parsed by [`ProjectMeta::parse`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectMeta {
    pub genre: Option<String>,
    pub premise: Option<String>,
    pub model: Option<String>,
}

impl ProjectMeta {
    /// Empty strings mean "none".
    pub fn parse(
        genre: Option<&str>,
        premise: Option<&str>,
        model: Option<&str>,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut field = |raw: Option<&str>, name: &'static str, max: usize, multi_line: bool| {
            let parsed = match raw {
                None => Ok(None),
                Some(raw) if multi_line => body_text(raw, name).and_then(|t| {
                    if t.chars().count() > max {
                        Err(too_long(name, max))
                    } else {
                        Ok(Some(t.trim().to_owned()))
                    }
                }),
                Some(raw) => single_line(raw, name, max).map(Some),
            };
            parsed
                .map(|v| v.filter(|s| !s.is_empty()))
                .map_err(|e| errors.push(e))
                .ok()
                .flatten()
        };
        let meta = Self {
            genre: field(genre, "genre", GENRE_MAX_CHARS, false),
            premise: field(premise, "premise", PREMISE_MAX_CHARS, true),
            model: field(model, "model", MODEL_MAX_CHARS, false),
        };
        if errors.is_empty() {
            Ok(meta)
        } else {
            Err(errors)
        }
    }
}

/// A partial change. `Some(None)` clears a metadata field; `chapters` replaces them all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectPatch {
    pub title: Option<ProjectTitle>,
    pub kind: Option<ProjectKind>,
    pub chapters: Option<Vec<Chapter>>,
    pub genre: Option<Option<String>>,
    pub premise: Option<Option<String>>,
    pub model: Option<Option<String>>,
}

impl ProjectContent {
    /// Applies `patch` whole or not at all.
    pub fn apply(&mut self, patch: ProjectPatch) -> Result<(), ChapterError> {
        let before = self.clone();
        if let Some(title) = patch.title {
            self.title = title;
        }
        if let Some(kind) = patch.kind {
            self.kind = kind;
        }
        if let Some(chapters) = patch.chapters {
            self.chapters = chapters;
        }
        for (slot, value) in [
            (&mut self.genre, patch.genre),
            (&mut self.premise, patch.premise),
            (&mut self.model, patch.model),
        ] {
            if let Some(value) = value {
                *slot = value;
            }
        }
        self.check_chapters().inspect_err(|_| *self = before)
    }

    pub fn new(
        title: ProjectTitle,
        kind: ProjectKind,
        chapters: Vec<Chapter>,
        meta: ProjectMeta,
    ) -> Result<Self, FieldError> {
        let content = Self {
            title,
            kind,
            chapters,
            genre: meta.genre,
            premise: meta.premise,
            model: meta.model,
        };
        content
            .check_chapters()
            .map_err(|e| FieldError::new("chapters", chapter_error_code(&e), e.to_string()))?;
        Ok(content)
    }

    pub fn chapters(&self) -> &[Chapter] {
        &self.chapters
    }

    pub fn meta(&self) -> ProjectMeta {
        ProjectMeta {
            genre: self.genre.clone(),
            premise: self.premise.clone(),
            model: self.model.clone(),
        }
    }

    /// Bytes of UTF-8 text the user stores: titles, chapter texts and metadata.
    pub fn size_bytes(&self) -> i64 {
        let meta: usize = [&self.genre, &self.premise, &self.model]
            .into_iter()
            .flatten()
            .map(String::len)
            .sum();
        let chapters: usize = self.chapters.iter().map(Chapter::size_bytes).sum();
        i64::try_from(self.title.0.len() + chapters + meta).unwrap_or(i64::MAX)
    }

    pub fn word_count(&self) -> i64 {
        let words: u64 = self.chapters.iter().map(|c| count_words(&c.text)).sum();
        i64::try_from(words).unwrap_or(i64::MAX)
    }

    /// Inserts a chapter at `at` (the end when `None`).
    pub fn add_chapter(&mut self, at: Option<usize>, chapter: Chapter) -> Result<(), ChapterError> {
        let at = at.unwrap_or(self.chapters.len());
        if at > self.chapters.len() {
            return Err(self.out_of_range(at));
        }
        self.chapters.insert(at, chapter);
        self.check_chapters().inspect_err(|_| {
            self.chapters.remove(at);
        })
    }

    pub fn replace_chapter(&mut self, index: usize, chapter: Chapter) -> Result<(), ChapterError> {
        let count = self.chapters.len();
        let slot = self
            .chapters
            .get_mut(index)
            .ok_or(ChapterError::OutOfRange { index, count })?;
        *slot = chapter;
        Ok(())
    }

    pub fn chapter(&self, index: usize) -> Result<&Chapter, ChapterError> {
        self.chapters.get(index).ok_or(self.out_of_range(index))
    }

    pub fn remove_chapter(&mut self, index: usize) -> Result<Chapter, ChapterError> {
        if index >= self.chapters.len() {
            return Err(self.out_of_range(index));
        }
        if self.chapters.len() == 1 {
            return Err(ChapterError::LastChapter);
        }
        Ok(self.chapters.remove(index))
    }

    /// `order[i]` is the current index of the chapter that becomes chapter `i`.
    pub fn reorder(&mut self, order: &[usize]) -> Result<(), ChapterError> {
        let mut seen = vec![false; self.chapters.len()];
        if order.len() != seen.len() {
            return Err(ChapterError::InvalidOrder);
        }
        for &i in order {
            match seen.get_mut(i) {
                Some(slot) if !*slot => *slot = true,
                _ => return Err(ChapterError::InvalidOrder),
            }
        }
        self.chapters = order.iter().map(|&i| self.chapters[i].clone()).collect();
        Ok(())
    }

    fn check_chapters(&self) -> Result<(), ChapterError> {
        match (self.kind, self.chapters.len()) {
            (_, 0) => Err(ChapterError::LastChapter),
            (ProjectKind::Document, n) if n > 1 => Err(ChapterError::DocumentHasOneChapter),
            (_, n) if n > MAX_CHAPTERS => Err(ChapterError::TooManyChapters),
            _ => Ok(()),
        }
    }

    fn out_of_range(&self, index: usize) -> ChapterError {
        ChapterError::OutOfRange {
            index,
            count: self.chapters.len(),
        }
    }
}

/// The stable code for a chapter rule, used in field errors and problem bodies.
pub fn chapter_error_code(err: &ChapterError) -> &'static str {
    match err {
        ChapterError::OutOfRange { .. } => "chapter_not_found",
        ChapterError::LastChapter => "last_chapter",
        ChapterError::DocumentHasOneChapter => "document_has_one_chapter",
        ChapterError::TooManyChapters => "too_many_chapters",
        ChapterError::InvalidOrder => "invalid_order",
    }
}

fn too_long(field: &str, max: usize) -> FieldError {
    FieldError::new(
        field.to_owned(),
        "too_long",
        format!("At most {max} characters."),
    )
}

/// A trimmed line of printable text, at most `max` characters (may be empty): a name or a
/// title, so nothing invisible either ([`check_name_text`]).
fn single_line(raw: &str, field: &str, max: usize) -> Result<String, FieldError> {
    let trimmed = raw.trim();
    check_name_text(field.to_owned(), trimmed)?;
    if trimmed.chars().count() > max {
        return Err(too_long(field, max));
    }
    Ok(trimmed.to_owned())
}

/// Free text: line breaks normalised to `\n`; tabs and line breaks are the only control
/// characters allowed (a NUL or an escape sequence would corrupt exports and terminals).
fn body_text(raw: &str, field: &str) -> Result<String, FieldError> {
    let text = raw.replace("\r\n", "\n").replace('\r', "\n");
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(FieldError::new(
            field.to_owned(),
            "invalid_characters",
            "Text cannot contain control characters other than tabs and line breaks.",
        ));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chapter(title: &str, text: &str) -> Chapter {
        Chapter::parse(title, text, "chapters[0]").unwrap()
    }

    fn story(n: usize) -> ProjectContent {
        let chapters = (0..n).map(|i| chapter(&format!("C{i}"), "text")).collect();
        ProjectContent::new(
            ProjectTitle::parse("A story").unwrap(),
            ProjectKind::Story,
            chapters,
            ProjectMeta::default(),
        )
        .unwrap()
    }

    #[test]
    fn titles_are_trimmed_bounded_and_printable() {
        assert_eq!(ProjectTitle::parse("  Dune ").unwrap().as_str(), "Dune");
        assert_eq!(ProjectTitle::parse("   ").unwrap_err().code, "required");
        assert_eq!(
            ProjectTitle::parse(&"x".repeat(201)).unwrap_err().code,
            "too_long"
        );
        assert!(ProjectTitle::parse(&"é".repeat(200)).is_ok());
        assert_eq!(
            ProjectTitle::parse("a\u{0}b").unwrap_err().code,
            "invalid_characters"
        );
        assert_eq!(
            ProjectTitle::parse("two\nlines").unwrap_err().code,
            "invalid_characters"
        );
    }

    #[test]
    fn chapter_text_keeps_line_breaks_and_refuses_other_controls() {
        let c = Chapter::parse("", "one\r\ntwo\rthree\tend", "chapters[0]").unwrap();
        assert_eq!(c.text(), "one\ntwo\nthree\tend");
        let errs = Chapter::parse("bad\u{7}", "x\u{1b}[31m", "chapters[4]").unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field.to_string()).collect();
        assert_eq!(fields, ["chapters[4].title", "chapters[4].text"]);
    }

    #[test]
    fn size_counts_utf8_bytes_of_everything_stored() {
        let content = ProjectContent::new(
            ProjectTitle::parse("Tí").unwrap(),
            ProjectKind::Document,
            vec![chapter("", "नमस्ते")],
            ProjectMeta::parse(Some("sf"), None, Some("")).unwrap(),
        )
        .unwrap();
        assert_eq!(content.size_bytes(), 3 + 18 + 2);
        assert_eq!(content.model, None);
        assert_eq!(content.word_count(), 1);
    }

    #[test]
    fn documents_have_exactly_one_chapter() {
        let two = vec![chapter("a", ""), chapter("b", "")];
        let err = ProjectContent::new(
            ProjectTitle::parse("x").unwrap(),
            ProjectKind::Document,
            two,
            ProjectMeta::default(),
        )
        .unwrap_err();
        assert_eq!(err.code, "document_has_one_chapter");
        let err = ProjectContent::new(
            ProjectTitle::parse("x").unwrap(),
            ProjectKind::Story,
            vec![],
            ProjectMeta::default(),
        )
        .unwrap_err();
        assert_eq!(err.code, "last_chapter");
    }

    #[test]
    fn chapter_operations_check_indexes() {
        let mut s = story(3);
        assert_eq!(
            s.remove_chapter(3),
            Err(ChapterError::OutOfRange { index: 3, count: 3 })
        );
        assert_eq!(
            s.add_chapter(Some(4), chapter("x", "")),
            Err(ChapterError::OutOfRange { index: 4, count: 3 })
        );
        s.add_chapter(Some(0), chapter("first", "")).unwrap();
        assert_eq!(s.chapters()[0].title(), "first");
        s.reorder(&[3, 2, 1, 0]).unwrap();
        assert_eq!(s.chapters()[3].title(), "first");
        assert_eq!(s.reorder(&[0, 0, 1, 2]), Err(ChapterError::InvalidOrder));
        assert_eq!(s.reorder(&[0, 1, 2]), Err(ChapterError::InvalidOrder));
        assert_eq!(s.reorder(&[0, 1, 2, 9]), Err(ChapterError::InvalidOrder));
        let mut one = story(1);
        assert_eq!(one.remove_chapter(0), Err(ChapterError::LastChapter));
    }

    #[test]
    fn a_document_cannot_grow_a_second_chapter() {
        let mut doc = ProjectContent::new(
            ProjectTitle::parse("x").unwrap(),
            ProjectKind::Document,
            vec![chapter("", "")],
            ProjectMeta::default(),
        )
        .unwrap();
        assert_eq!(
            doc.add_chapter(None, chapter("", "")),
            Err(ChapterError::DocumentHasOneChapter)
        );
        assert_eq!(doc.chapters().len(), 1);
    }

    #[test]
    fn a_patch_applies_whole_or_not_at_all() {
        let mut s = story(2);
        let patch = ProjectPatch {
            title: Some(ProjectTitle::parse("New").unwrap()),
            kind: Some(ProjectKind::Document),
            ..Default::default()
        };
        assert_eq!(s.apply(patch), Err(ChapterError::DocumentHasOneChapter));
        assert_eq!(s, story(2));
        let patch = ProjectPatch {
            title: Some(ProjectTitle::parse("New").unwrap()),
            genre: Some(Some("noir".into())),
            ..Default::default()
        };
        s.apply(patch).unwrap();
        assert_eq!(
            (s.title.as_str(), s.genre.as_deref()),
            ("New", Some("noir"))
        );
        s.apply(ProjectPatch {
            genre: Some(None),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(s.genre, None);
    }

    #[test]
    fn meta_fields_are_bounded() {
        let errs = ProjectMeta::parse(Some(&"g".repeat(81)), Some("ok\nfine"), Some("m\u{0}"))
            .unwrap_err();
        let codes: Vec<_> = errs.iter().map(|e| (e.field.to_string(), e.code)).collect();
        assert_eq!(
            codes,
            [
                ("genre".to_owned(), "too_long"),
                ("model".to_owned(), "invalid_characters")
            ]
        );
    }
}
