//! Multi-chapter stories: the settings a story is written to, reading an outline back into
//! chapter titles, and the short summaries of earlier chapters each chapter prompt carries.

use unicode_segmentation::UnicodeSegmentation;

use crate::{billable_words_of, strip_name_text, WordMeter};

use crate::generation::{text_field, MAX_TONE_CHARS};
use crate::validation::{FieldError, FieldErrors};

pub const MAX_STORY_CHAPTERS: u32 = 50;
pub const MIN_WORDS_PER_CHAPTER: u32 = 100;
pub const MAX_WORDS_PER_CHAPTER: u32 = 5_000;
pub const MAX_OUTLINE_CHARS: usize = 20_000;
/// Words of summary per earlier chapter in a chapter prompt.
pub const SUMMARY_WORDS: usize = 60;

/// How a story is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorySettings {
    pub tone: String,
    pub chapter_count: u32,
    pub words_per_chapter: u32,
}

impl StorySettings {
    pub fn parse(
        tone: Option<&str>,
        chapter_count: Option<i64>,
        words_per_chapter: Option<i64>,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = FieldErrors::new();
        let tone = errors.check(text_field("tone", tone.unwrap_or_default(), MAX_TONE_CHARS));
        let chapter_count = errors.check(in_range(
            "chapter_count",
            chapter_count.unwrap_or(5),
            1,
            MAX_STORY_CHAPTERS,
        ));
        let words_per_chapter = errors.check(in_range(
            "words_per_chapter",
            words_per_chapter.unwrap_or(800),
            MIN_WORDS_PER_CHAPTER,
            MAX_WORDS_PER_CHAPTER,
        ));
        errors.finish()?;
        match (tone, chapter_count, words_per_chapter) {
            (Some(tone), Some(chapter_count), Some(words_per_chapter)) => Ok(Self {
                tone: tone.trim().to_owned(),
                chapter_count,
                words_per_chapter,
            }),
            _ => Err(Vec::new()),
        }
    }
}

fn in_range(field: &'static str, value: i64, min: u32, max: u32) -> Result<u32, FieldError> {
    u32::try_from(value)
        .ok()
        .filter(|v| (min..=max).contains(v))
        .ok_or_else(|| {
            FieldError::new(
                field,
                "out_of_range",
                format!("`{field}` is {min} to {max}."),
            )
        })
}

/// An outline as the user may edit it: text, at most `MAX_OUTLINE_CHARS`.
pub fn parse_outline(text: &str) -> Result<String, FieldError> {
    text_field("outline", text, MAX_OUTLINE_CHARS).map(|t| t.trim().to_owned())
}

/// One line of an outline: "Chapter 3: The Quiet Harbour — Mira finds the letter."
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutlineEntry {
    pub number: u32,
    pub title: String,
    pub summary: String,
}

/// Reads the "Chapter N: Title — summary" lines of an outline (other lines are ignored, so
/// an edited or chatty outline still yields what it can). The dash may be an em dash, an en
/// dash or a spaced hyphen. Titles become chapter titles, so they lose what a name may not
/// hold ([`strip_name_text`]); the outline's text keeps it.
pub fn outline_entries(outline: &str) -> Vec<OutlineEntry> {
    outline
        .lines()
        .filter_map(|line| {
            let line = line.trim().trim_start_matches(['#', '*', '-', ' ']);
            let rest = line.strip_prefix("Chapter ")?;
            let (number, rest) = rest.split_once([':', '.'])?;
            let number: u32 = number.trim().parse().ok()?;
            let (title, summary) = ["—", "–", " - "]
                .iter()
                .find_map(|dash| rest.split_once(dash))
                .unwrap_or((rest, ""));
            let title = strip_name_text(title.trim().trim_matches('*').trim());
            let title = title.trim().to_owned();
            (!title.is_empty()).then(|| OutlineEntry {
                number,
                title,
                summary: summary.trim().to_owned(),
            })
        })
        .collect()
}

/// A short extractive summary: the opening sentences up to about `max_words` billable
/// words, then the closing sentence, each sentence cut to `max_words` billable words. No
/// model call, so it costs nothing and is the same every time; it goes upstream as free
/// context, so it stays within about `2 × max_words` billable words whatever the text.
pub fn summarize(text: &str, max_words: usize) -> String {
    let budget = u64::try_from(max_words).unwrap_or(u64::MAX);
    let sentences: Vec<&str> = text
        .unicode_sentences()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let mut summary: Vec<&str> = Vec::new();
    let mut words = 0;
    for sentence in &sentences {
        let count = billable_words_of(sentence);
        if words + count > budget && !summary.is_empty() {
            break;
        }
        summary.push(clip(sentence, budget));
        words += count;
    }
    if let Some(last) = sentences.last() {
        if summary.len() < sentences.len() && !summary.contains(last) {
            summary.push("…");
            summary.push(clip(last, budget));
        }
    }
    summary.join(" ")
}

/// The longest start of `sentence` within `max_words` billable words.
fn clip(sentence: &str, max_words: u64) -> &str {
    let mut meter = WordMeter::new(max_words);
    meter.push(sentence).accepted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_have_defaults_and_limits() {
        let defaults = StorySettings::parse(None, None, None).unwrap();
        assert_eq!(
            (defaults.chapter_count, defaults.words_per_chapter),
            (5, 800)
        );
        let errors = StorySettings::parse(Some("a\u{0}"), Some(0), Some(50)).unwrap_err();
        let codes: Vec<_> = errors.iter().map(|e| (e.field.as_ref(), e.code)).collect();
        assert_eq!(
            codes,
            [
                ("tone", "control_characters"),
                ("chapter_count", "out_of_range"),
                ("words_per_chapter", "out_of_range")
            ]
        );
        assert!(StorySettings::parse(None, Some(51), None).is_err());
    }

    #[test]
    fn outline_lines_become_entries() {
        let outline = "Here is your outline:\n\nChapter 1: The Quiet Harbour — Mira finds a letter.\n**Chapter 2: Salt - the storm comes.**\nChapter 3. The End\nnot a chapter";
        let entries = outline_entries(outline);
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[0].title, "The Quiet Harbour");
        assert_eq!(entries[0].summary, "Mira finds a letter.");
        assert_eq!(entries[1].title, "Salt");
        assert_eq!(entries[2].title, "The End");
        assert_eq!(entries[2].number, 3);
        let hidden = outline_entries("Chapter 1: The\u{200B} Har\u{202E}bour — x\u{200B}");
        assert_eq!(hidden[0].title, "The Harbour");
        assert_eq!(hidden[0].summary, "x\u{200B}");
        assert!(outline_entries("Chapter 1: \u{200B}").is_empty());
    }

    #[test]
    fn summaries_keep_the_start_and_the_end() {
        let text = "One two three. Four five six. Seven eight nine. The end came.";
        assert_eq!(
            summarize(text, 6),
            "One two three. Four five six. … The end came."
        );
        assert_eq!(summarize("Short.", 60), "Short.");
        assert_eq!(summarize("", 60), "");
    }

    /// Summaries go upstream free of charge, so a chapter without sentence breaks must not
    /// ride along whole.
    #[test]
    fn a_summary_stays_short_whatever_the_text() {
        let unbroken = "word ".repeat(50_000);
        let glued = "x".repeat(100_000);
        for text in [unbroken.as_str(), glued.as_str()] {
            let summary = summarize(text, 60);
            assert!(
                crate::billable_words_of(&summary) <= 2 * 60 + 2,
                "{} billable words",
                crate::billable_words_of(&summary)
            );
        }
    }
}
