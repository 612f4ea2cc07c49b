//! The embedded fonts, splitting text into runs by font and script, and OpenType shaping with
//! rustybuzz.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::LazyLock;

use printpdf::ParsedFont;
use rustybuzz::{script, Direction, Face, Script, ShapePlan, UnicodeBuffer};

use crate::ExportError;

/// Index of Noto Sans (Latin, Greek, Cyrillic and everything not Devanagari) in [`Fonts::all`].
pub(super) const SANS: usize = 0;
/// Index of Noto Sans Devanagari in [`Fonts::all`].
pub(super) const DEVANAGARI: usize = 1;

static NOTO_SANS: &[u8] = include_bytes!("../../fonts/NotoSans-Regular.ttf");
static NOTO_SANS_DEVANAGARI: &[u8] = include_bytes!("../../fonts/NotoSansDevanagari-Regular.ttf");

/// One embedded font, parsed once per process: by rustybuzz for shaping and by printpdf for
/// embedding (both parse lazily or cheaply, but doing it per export would still cost ~1 ms
/// and a copy of the font each time).
pub(super) struct Font {
    pub face: Face<'static>,
    pub pdf: ParsedFont,
    pub units_per_em: f32,
    /// Each glyph's advance as the PDF's `/W` array states it (1/1000 em, truncated exactly
    /// as printpdf does), which is what a viewer advances the pen by after drawing it.
    pub pdf_widths: Vec<f32>,
}

pub(super) struct Fonts {
    pub all: [Font; 2],
}

static FONTS: LazyLock<Result<Fonts, &'static str>> = LazyLock::new(|| {
    Ok(Fonts {
        all: [
            Font::load("Noto Sans", NOTO_SANS)?,
            Font::load("Noto Sans Devanagari", NOTO_SANS_DEVANAGARI)?,
        ],
    })
});

/// The embedded fonts, parsed on first use.
pub(super) fn fonts() -> Result<&'static Fonts, ExportError> {
    FONTS.as_ref().map_err(|name| ExportError::Font(name))
}

impl Font {
    fn load(name: &'static str, bytes: &'static [u8]) -> Result<Font, &'static str> {
        let face = Face::from_slice(bytes, 0).ok_or(name)?;
        let pdf = ParsedFont::from_bytes(bytes, 0, &mut Vec::new()).ok_or(name)?;
        let upem = pdf.pdf_font_metrics.units_per_em;
        let pdf_widths = (0..face.number_of_glyphs())
            .map(|gid| {
                let width = pdf.get_glyph_width(gid).unwrap_or(0);
                (width as f32 * 1000.0 / upem as f32) as i64 as f32
            })
            .collect();
        Ok(Font {
            face,
            units_per_em: f32::from(upem),
            pdf,
            pdf_widths,
        })
    }
}

/// One shaped glyph. Positions are in the font's units; `cluster` is the byte offset in the
/// shaped text where the characters this glyph belongs to start.
#[derive(Clone, Copy, Debug)]
pub(super) struct Glyph {
    pub gid: u16,
    pub font: u8,
    pub cluster: u32,
    pub advance: i32,
    pub x_offset: i32,
    pub y_offset: i32,
    /// The glyph is its cluster's only glyph, for a single character, and is the font's own
    /// glyph for it at its natural place: it can be written as plain text.
    pub plain: bool,
}

/// Words remembered by a [`Shaper`]; past this many it starts afresh.
const CACHE_WORDS: usize = 20_000;

/// Shapes text; keeps one shaping plan per font and script (building a plan is much slower
/// than shaping a paragraph) and reuses its buffer.
///
/// Text is shaped word by word (spaces separate words) and each word's glyphs are remembered:
/// a book repeats its vocabulary, so most words are shaped once per export. Shaping across a
/// space only matters for kerning against the space, which Noto does not do.
pub(super) struct Shaper {
    fonts: &'static Fonts,
    plans: Vec<(usize, Script, ShapePlan)>,
    buffer: Option<UnicodeBuffer>,
    words: HashMap<String, Vec<Glyph>>,
    scratch: Vec<Glyph>,
}

impl Shaper {
    pub fn new(fonts: &'static Fonts) -> Self {
        Shaper {
            fonts,
            plans: Vec::new(),
            buffer: Some(UnicodeBuffer::new()),
            words: HashMap::new(),
            scratch: Vec::new(),
        }
    }

    /// Shapes one line of text (no `'\n'`) into `out`, replacing its contents.
    pub fn shape(&mut self, text: &str, out: &mut Vec<Glyph>) {
        out.clear();
        let mut start = 0;
        while start < text.len() {
            let space = text.as_bytes()[start] == b' ';
            let end = text[start..]
                .find(|c: char| (c == ' ') != space)
                .map_or(text.len(), |n| start + n);
            let word = &text[start..end];
            if !self.words.contains_key(word) {
                let mut glyphs = std::mem::take(&mut self.scratch);
                glyphs.clear();
                for run in Runs::new(self.fonts, word) {
                    self.shape_run(word, run, &mut glyphs);
                }
                mark_plain(self.fonts, word, &mut glyphs);
                if self.words.len() >= CACHE_WORDS {
                    self.words.clear();
                }
                self.words.insert(word.to_owned(), glyphs.clone());
                self.scratch = glyphs;
            }
            if let Some(glyphs) = self.words.get(word) {
                let offset = start as u32;
                out.extend(glyphs.iter().map(|g| Glyph {
                    cluster: g.cluster + offset,
                    ..*g
                }));
            }
            start = end;
        }
    }

    fn shape_run(&mut self, text: &str, run: Run, out: &mut Vec<Glyph>) {
        let face = &self.fonts.all[run.font].face;
        let plan = match self
            .plans
            .iter()
            .position(|(f, s, _)| *f == run.font && *s == run.script)
        {
            Some(i) => &self.plans[i].2,
            None => {
                let plan =
                    ShapePlan::new(face, Direction::LeftToRight, Some(run.script), None, &[]);
                self.plans.push((run.font, run.script, plan));
                &self.plans[self.plans.len() - 1].2
            }
        };
        let mut buffer = self.buffer.take().unwrap_or_default();
        buffer.push_str(&text[run.range.clone()]);
        buffer.set_direction(Direction::LeftToRight);
        buffer.set_script(run.script);
        let shaped = rustybuzz::shape_with_plan(face, plan, buffer);
        let start = run.range.start as u32;
        out.extend(
            shaped
                .glyph_infos()
                .iter()
                .zip(shaped.glyph_positions())
                .map(|(info, pos)| Glyph {
                    gid: info.glyph_id as u16,
                    font: run.font as u8,
                    cluster: start + info.cluster,
                    advance: pos.x_advance,
                    x_offset: pos.x_offset,
                    y_offset: pos.y_offset,
                    plain: false,
                }),
        );
        self.buffer = Some(shaped.clear());
    }
}

/// Sets [`Glyph::plain`] on the glyphs of `text` (shaped left to right, so clusters ascend).
fn mark_plain(fonts: &Fonts, text: &str, glyphs: &mut [Glyph]) {
    for i in 0..glyphs.len() {
        let cluster = glyphs[i].cluster;
        let shares_cluster = (i > 0 && glyphs[i - 1].cluster == cluster)
            || glyphs.get(i + 1).is_some_and(|g| g.cluster == cluster);
        let end = glyphs.get(i + 1).map_or(text.len(), |g| g.cluster as usize);
        let mut chars = text.get(cluster as usize..end).unwrap_or_default().chars();
        let g = &glyphs[i];
        glyphs[i].plain = match (shares_cluster, chars.next(), chars.next()) {
            (false, Some(c), None) => {
                g.x_offset == 0
                    && fonts.all[usize::from(g.font)]
                        .face
                        .glyph_index(c)
                        .is_some_and(|id| id.0 == g.gid)
            }
            _ => false,
        };
    }
}

/// A stretch of text shaped with one font and one script.
#[derive(Debug, PartialEq, Eq)]
struct Run {
    range: Range<usize>,
    font: usize,
    script: Script,
}

/// How a character decides its run.
enum Class {
    /// Needs this font and script.
    Own(usize, Script),
    /// Combining marks, ZWJ/ZWNJ, variation selectors: always with the character before.
    Attach,
    /// Spaces, digits, punctuation: stay in the current run if its font has them, so a
    /// Devanagari sentence is one run (shaped together) instead of one run per word.
    Common,
}

fn classify(c: char) -> Class {
    match c {
        // Devanagari, Devanagari Extended, Vedic Extensions (the dandas U+0964/5 are in the
        // main block).
        '\u{0900}'..='\u{097F}' | '\u{A8E0}'..='\u{A8FF}' | '\u{1CD0}'..='\u{1CFF}' => {
            Class::Own(DEVANAGARI, script::DEVANAGARI)
        }
        '\u{0300}'..='\u{036F}'
        | '\u{1AB0}'..='\u{1AFF}'
        | '\u{1DC0}'..='\u{1DFF}'
        | '\u{20D0}'..='\u{20FF}'
        | '\u{FE20}'..='\u{FE2F}'
        | '\u{200C}'
        | '\u{200D}'
        | '\u{FE00}'..='\u{FE0F}' => Class::Attach,
        '\u{0370}'..='\u{03FF}' | '\u{1F00}'..='\u{1FFF}' => Class::Own(SANS, script::GREEK),
        '\u{0400}'..='\u{052F}'
        | '\u{1C80}'..='\u{1C8F}'
        | '\u{2DE0}'..='\u{2DFF}'
        | '\u{A640}'..='\u{A69F}' => Class::Own(SANS, script::CYRILLIC),
        c if c.is_whitespace()
            || c.is_ascii_punctuation()
            || c.is_ascii_digit()
            || matches!(c, '\u{A0}'..='\u{BF}' | '\u{D7}' | '\u{F7}' | '\u{2000}'..='\u{206F}' | '\u{20A0}'..='\u{20CF}') =>
        {
            Class::Common
        }
        // Latin and anything else: Noto Sans. Scripts it lacks (CJK, Arabic, ...) show as
        // missing-glyph boxes; the text is still extractable.
        _ => Class::Own(SANS, script::LATIN),
    }
}

/// Splits text into [`Run`]s.
struct Runs<'a> {
    fonts: &'static Fonts,
    text: &'a str,
    pos: usize,
}

impl<'a> Runs<'a> {
    fn new(fonts: &'static Fonts, text: &'a str) -> Self {
        Runs {
            fonts,
            text,
            pos: 0,
        }
    }
}

impl Iterator for Runs<'_> {
    type Item = Run;

    fn next(&mut self) -> Option<Run> {
        let start = self.pos;
        let mut chars = self.text[start..].char_indices();
        let (_, first) = chars.next()?;
        let (font, script) = match classify(first) {
            Class::Own(font, script) => (font, script),
            Class::Attach | Class::Common => (SANS, script::LATIN),
        };
        let mut end = self.text.len();
        for (i, c) in chars {
            let same = match classify(c) {
                Class::Own(f, s) => f == font && s == script,
                Class::Attach => true,
                Class::Common => self.fonts.all[font].face.glyph_index(c).is_some(),
            };
            if !same {
                end = start + i;
                break;
            }
        }
        self.pos = end;
        Some(Run {
            range: start..end,
            font,
            script,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(text: &str) -> Vec<(&str, usize)> {
        let fonts = fonts().unwrap();
        Runs::new(fonts, text)
            .map(|r| (&text[r.range], r.font))
            .collect()
    }

    #[test]
    fn runs_split_by_font_and_keep_spaces_and_marks_in_place() {
        assert_eq!(
            runs("Hi यह एक वाक्य है। Ok"),
            vec![("Hi ", SANS), ("यह एक वाक्य है। ", DEVANAGARI), ("Ok", SANS)]
        );
        // A combining accent stays with its letter; Cyrillic is its own run (script).
        assert_eq!(
            runs("Cafe\u{301} Жук"),
            vec![("Cafe\u{301} ", SANS), ("Жук", SANS)]
        );
    }

    #[test]
    fn shaping_forms_devanagari_conjuncts() {
        let fonts = fonts().unwrap();
        let mut shaper = Shaper::new(fonts);
        let mut glyphs = Vec::new();
        // क्ष is one conjunct glyph; without shaping it would be three.
        shaper.shape("क्ष", &mut glyphs);
        assert_eq!(glyphs.len(), 1, "{glyphs:?}");
        // The i-matra is drawn before the consonant it follows in the text.
        shaper.shape("कि", &mut glyphs);
        assert_eq!(glyphs.len(), 2);
        let ka = fonts.all[DEVANAGARI].face.glyph_index('क').unwrap().0;
        assert_eq!(glyphs[1].gid, ka);
    }
}
