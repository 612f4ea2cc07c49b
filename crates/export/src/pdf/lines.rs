//! Greedy line breaking on shaped glyph advances.

use std::ops::Range;

use super::shaping::{Fonts, Glyph};

/// Splits the shaped `glyphs` of `text` into lines no wider than `max_width` points at font
/// size `size`, appending each line's glyph range to `out` (the spaces a line breaks at are
/// left out). Lines break at spaces; a word wider than a whole line is broken between
/// clusters (never inside one, so a conjunct or an accented letter stays whole).
pub(super) fn break_lines(
    fonts: &Fonts,
    text: &str,
    glyphs: &[Glyph],
    size: f32,
    max_width: f32,
    out: &mut Vec<Range<usize>>,
) {
    let scale = [
        size / fonts.all[0].units_per_em,
        size / fonts.all[1].units_per_em,
    ];
    let width = |g: &Glyph| g.advance as f32 * scale[usize::from(g.font)];
    let is_space = |g: &Glyph| text.as_bytes().get(g.cluster as usize) == Some(&b' ');

    // The line being filled: its glyphs and width (from its first to its last word).
    let mut line: Option<Range<usize>> = None;
    let mut line_width = 0.0;
    let mut pos = 0;
    while pos < glyphs.len() {
        let spaces_start = pos;
        while pos < glyphs.len() && is_space(&glyphs[pos]) {
            pos += 1;
        }
        let spaces_width: f32 = glyphs[spaces_start..pos].iter().map(width).sum();
        let word_start = pos;
        while pos < glyphs.len() && !is_space(&glyphs[pos]) {
            pos += 1;
        }
        if word_start == pos {
            break; // trailing spaces
        }
        let word_width: f32 = glyphs[word_start..pos].iter().map(width).sum();

        if let Some(current) = &mut line {
            if line_width + spaces_width + word_width <= max_width {
                current.end = pos;
                line_width += spaces_width + word_width;
                continue;
            }
            out.push(current.clone());
        }
        if word_width <= max_width {
            line = Some(word_start..pos);
            line_width = word_width;
            continue;
        }
        // A word longer than the line: fill lines cluster by cluster.
        let mut start = word_start;
        let mut acc = 0.0;
        let mut i = word_start;
        while i < pos {
            let cluster_end = glyphs[i..pos]
                .iter()
                .position(|g| g.cluster != glyphs[i].cluster)
                .map_or(pos, |n| i + n);
            let w: f32 = glyphs[i..cluster_end].iter().map(width).sum();
            if acc + w > max_width && i > start {
                out.push(start..i);
                start = i;
                acc = 0.0;
            }
            acc += w;
            i = cluster_end;
        }
        line = Some(start..pos);
        line_width = acc;
    }
    if let Some(current) = line {
        out.push(current);
    }
}

/// The width in points of `glyphs` at font size `size`.
pub(super) fn width(fonts: &Fonts, glyphs: &[Glyph], size: f32) -> f32 {
    glyphs
        .iter()
        .map(|g| g.advance as f32 * size / fonts.all[usize::from(g.font)].units_per_em)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::super::shaping::{fonts, Shaper};
    use super::*;

    fn lines(text: &str, max_width: f32) -> Vec<String> {
        let fonts = fonts().unwrap();
        let mut glyphs = Vec::new();
        Shaper::new(fonts).shape(text, &mut glyphs);
        let mut out = Vec::new();
        break_lines(fonts, text, &glyphs, 10.0, max_width, &mut out);
        out.iter()
            .map(|r| {
                let start = glyphs[r.start].cluster as usize;
                let end = glyphs.get(r.end).map_or(text.len(), |g| g.cluster as usize);
                text[start..end].trim_end().to_owned()
            })
            .collect()
    }

    #[test]
    fn breaks_at_spaces_within_the_width() {
        let text = "the quick brown fox jumps over the lazy dog";
        let all = lines(text, 1000.0);
        assert_eq!(all, vec![text]);
        let narrow = lines(text, 60.0);
        assert!(narrow.len() > 2, "{narrow:?}");
        assert_eq!(narrow.join(" "), text);
        let fonts = fonts().unwrap();
        let mut glyphs = Vec::new();
        let mut shaper = Shaper::new(fonts);
        for line in &narrow {
            shaper.shape(line, &mut glyphs);
            assert!(width(fonts, &glyphs, 10.0) <= 60.0 || !line.contains(' '));
        }
    }

    #[test]
    fn long_words_break_between_clusters() {
        let word = "Donaudampfschifffahrtsgesellschaftskapitän";
        let parts = lines(word, 50.0);
        assert!(parts.len() > 2, "{parts:?}");
        assert_eq!(parts.concat(), word);
        // Devanagari: never splits a conjunct or separates a matra from its consonant.
        let deva = "क्षत्रियोंकीविद्याक्षत्रियोंकीविद्या";
        let parts = lines(deva, 30.0);
        assert!(parts.len() > 1);
        assert_eq!(parts.concat(), deva);
        for part in &parts {
            let first = part.chars().next().unwrap();
            assert!(!matches!(first, '\u{093E}'..='\u{094D}'), "{parts:?}");
        }
    }
}
