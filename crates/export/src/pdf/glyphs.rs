//! Placing shaped glyphs: the text operations that draw a run exactly as it was shaped, and
//! the text each glyph stands for (so the PDF's text can be copied and searched).

use super::*;

/// The operations that draw `glyphs[range]` (shaped from `text`) with the baseline starting at
/// `(x, y)`. Glyphs are positioned exactly as shaped: after each glyph the pen is moved from
/// where the PDF viewer puts it (the glyph's `/W` width) to where the next glyph belongs.
pub(super) fn show_glyphs(
    fonts: &Fonts,
    font_ids: &[FontId; 2],
    text: &str,
    glyphs: &[Glyph],
    range: Range<usize>,
    size: f32,
    (x, y): (f32, f32),
) -> Vec<Op> {
    let line = &glyphs[range.clone()];
    let units = |g: &Glyph, v: i32| v as f32 * 1000.0 / fonts.all[usize::from(g.font)].units_per_em;
    // Where each glyph is drawn, in thousandths of an em from the line start.
    let mut pen = 0.0;
    let mut drawn_at = Vec::with_capacity(line.len());
    for g in line {
        drawn_at.push(pen + units(g, g.x_offset));
        pen += units(g, g.advance);
    }
    let texts = cluster_texts(fonts, text, glyphs, range);

    let mut ops = vec![Op::SetTextMatrix {
        matrix: TextMatrix::Translate(Pt(x), Pt(y)),
    }];
    let mut current: Option<(u8, i32)> = None;
    let mut items: Vec<TextItem> = Vec::new();
    let lead = drawn_at.first().copied().unwrap_or(0.0);
    if lead != 0.0 {
        items.push(TextItem::Offset(-lead));
    }
    for (i, g) in line.iter().enumerate() {
        let key = (g.font, g.y_offset);
        if current != Some(key) {
            flush(&mut ops, &mut items);
            if current.map(|c| c.0) != Some(g.font) {
                ops.push(Op::SetFont {
                    font: PdfFontHandle::External(font_ids[usize::from(g.font)].clone()),
                    size: Pt(size),
                });
            }
            if current.map_or(g.y_offset != 0, |c| c.1 != g.y_offset) {
                // Marks shaped above or below their base: raise the text (`Ts`, in points).
                ops.push(Op::SetLineOffset {
                    multiplier: units(g, g.y_offset) * size / 1000.0,
                });
            }
            current = Some(key);
        }
        let drawn_width = fonts.all[usize::from(g.font)]
            .pdf_widths
            .get(usize::from(g.gid))
            .copied()
            .unwrap_or(0.0);
        // TJ numbers move the pen left: from where the viewer leaves it to the next glyph.
        let offset = drawn_at
            .get(i + 1)
            .map_or(0.0, |next| drawn_at[i] + drawn_width - next);
        push_glyph(&mut items, g.gid, &texts[i], offset);
    }
    flush(&mut ops, &mut items);
    if current.is_some_and(|c| c.1 != 0) {
        ops.push(Op::SetLineOffset { multiplier: 0.0 });
    }
    ops
}

/// What a glyph stands for in the text.
enum GlyphText {
    /// The font's own glyph for this one character: written as text, which printpdf maps
    /// back to the same glyph. Runs of these share one string instead of one per glyph,
    /// which keeps a long manuscript's memory down.
    Plain(char),
    /// Anything shaping changed (conjuncts, reordered or positioned marks): written as a
    /// glyph id carrying the characters it stands for (possibly none).
    Shaped(String),
}

fn push_glyph(items: &mut Vec<TextItem>, gid: u16, text: &GlyphText, offset: f32) {
    match text {
        GlyphText::Plain(c) => match items.last_mut() {
            Some(TextItem::Text(run)) => run.push(*c),
            _ => items.push(TextItem::Text(c.to_string())),
        },
        GlyphText::Shaped(chars) => {
            let glyph = Codepoint {
                gid,
                offset: 0.0,
                cid: Some(chars.clone()),
            };
            match items.last_mut() {
                Some(TextItem::GlyphIds(run)) => run.push(glyph),
                _ => items.push(TextItem::GlyphIds(vec![glyph])),
            }
        }
    }
    if offset != 0.0 {
        items.push(TextItem::Offset(offset));
    }
}

fn flush(ops: &mut Vec<Op>, items: &mut Vec<TextItem>) {
    if !items.is_empty() {
        ops.push(Op::ShowText {
            items: std::mem::take(items),
        });
    }
}

/// The characters each glyph stands for, for the ToUnicode map (copy, search, extraction).
/// Within a cluster a glyph that is the font's own glyph for one of its characters maps to
/// that character; the rest of the cluster's characters go to the first other glyph (a
/// conjunct or ligature), so "क्ष" is one glyph mapping to all three characters.
fn cluster_texts(
    fonts: &Fonts,
    text: &str,
    glyphs: &[Glyph],
    range: Range<usize>,
) -> Vec<GlyphText> {
    let mut out = Vec::with_capacity(range.len());
    let mut start = range.start;
    while start < range.end {
        let cluster = glyphs[start].cluster;
        let end = glyphs[start..range.end]
            .iter()
            .position(|g| g.cluster != cluster)
            .map_or(range.end, |n| start + n);
        // Left-to-right shaping keeps clusters in text order, so the cluster's text runs to
        // the next glyph's cluster (on this line or the next).
        let text_end = glyphs.get(end).map_or(text.len(), |g| g.cluster as usize);
        let cluster_text = text.get(cluster as usize..text_end).unwrap_or_default();
        // The common case, worked out once per word by the shaper.
        if let (true, Some(c)) = (glyphs[start].plain, cluster_text.chars().next()) {
            out.push(GlyphText::Plain(c));
            start = end;
            continue;
        }
        let chars: Vec<char> = cluster_text.chars().collect();
        let mut claimed = vec![false; chars.len()];
        let mut texts = vec![String::new(); end - start];
        let mut unmapped = Vec::new();
        for (slot, g) in glyphs[start..end].iter().enumerate() {
            let face = &fonts.all[usize::from(g.font)].face;
            let own = chars.iter().enumerate().position(|(k, &c)| {
                !claimed[k] && face.glyph_index(c).is_some_and(|id| id.0 == g.gid)
            });
            match own {
                Some(k) => {
                    claimed[k] = true;
                    texts[slot].push(chars[k]);
                }
                None => unmapped.push(slot),
            }
        }
        let rest: String = chars
            .iter()
            .zip(&claimed)
            .filter(|(_, taken)| !**taken)
            .map(|(c, _)| *c)
            .collect();
        match unmapped.first() {
            Some(&slot) => texts[slot] = rest,
            None => texts[0].push_str(&rest),
        }
        out.extend(texts.into_iter().map(GlyphText::Shaped));
        start = end;
    }
    out
}
