//! Font subsetting of the written PDF: each embedded TrueType program is cut down to the
//! glyphs the document shows, with typst's `subsetter`.
//!
//! printpdf (without its heavy `text_layout` feature) embeds whole fonts and writes text as
//! Identity-H codes equal to the full font's glyph ids. The subset numbers its glyphs afresh,
//! so a `/CIDToGIDMap` stream maps every code to its glyph in the subset: content streams,
//! `/W` and `/ToUnicode` stay exactly as written, and one subsetting pass per font and
//! document costs a fraction of a millisecond (no content stream is parsed or rewritten).
//!
//! The glyphs a font shows are read from its `/W` array, which printpdf writes for every
//! glyph a page uses (zero-width marks included); glyph 0 (.notdef) is always kept, so a code
//! missing from `/W` would show as a missing-glyph box rather than another glyph.

use lopdf::{Dictionary, Document, Object, ObjectId, Stream};
use subsetter::GlyphRemapper;

/// Why one font could not be subset. The font is then left whole: the file is still right,
/// only bigger.
#[derive(Debug, thiserror::Error)]
enum SubsetError {
    #[error("unexpected font dictionary: {0}")]
    Structure(#[from] lopdf::Error),
    #[error("no TrueType program (/FontFile2) to subset")]
    NotTrueType,
    #[error("subsetting failed: {0}")]
    Subsetter(#[from] subsetter::Error),
}

/// Subsets every embedded TrueType font of `doc` (see the module docs). Returns how many
/// fonts were subset; any left whole are still valid.
pub(super) fn subset_fonts(doc: &mut Document) -> usize {
    let type0: Vec<ObjectId> = doc
        .objects
        .iter()
        .filter(|(_, object)| {
            object
                .as_dict()
                .and_then(|d| d.get(b"Subtype"))
                .and_then(Object::as_name)
                .is_ok_and(|name| name == b"Type0")
        })
        .map(|(id, _)| *id)
        .collect();
    type0
        .into_iter()
        .filter(|id| subset_font(doc, *id).is_ok())
        .count()
}

/// The font program and what subsetting it needs, read before anything is changed.
struct Plan {
    descriptor: ObjectId,
    program: ObjectId,
    name: Vec<u8>,
    codes: Vec<u16>,
}

fn subset_font(doc: &mut Document, font: ObjectId) -> Result<(), SubsetError> {
    let plan = plan(doc, font)?;
    let remapper = GlyphRemapper::new_from_glyphs_sorted(&plan.codes);
    let program = &doc.get_object(plan.program)?.as_stream()?.content;
    let subset = subsetter::subset(program, 0, &remapper)?;
    let postscript_name = postscript_name(program);

    // Two bytes per code, big-endian: the subset glyph for code `i` at `2 * i`.
    let last = plan.codes.last().copied().unwrap_or(0);
    let mut map = vec![0u8; (usize::from(last) + 1) * 2];
    for &code in &plan.codes {
        let glyph = remapper.get(code).unwrap_or(0);
        let at = usize::from(code) * 2;
        map[at..at + 2].copy_from_slice(&glyph.to_be_bytes());
    }
    let map = doc.add_object(Stream::new(Dictionary::new(), map));

    // printpdf names a font it cannot name by its internal id; the font's own name reads
    // better in a viewer's font list.
    let mut name = subset_tag(&plan.codes).to_vec();
    name.push(b'+');
    name.extend_from_slice(postscript_name.as_deref().unwrap_or(&plan.name));

    let stream = doc.get_object_mut(plan.program)?.as_stream_mut()?;
    stream.dict.set("Length1", subset.len() as i64);
    stream.set_content(subset);
    doc.get_dictionary_mut(plan.descriptor)?
        .set("FontName", Object::Name(name.clone()));
    let type0 = doc.get_dictionary_mut(font)?;
    type0.set("BaseFont", Object::Name(name.clone()));
    let descendant = descendant_mut(type0)?;
    descendant.set("BaseFont", Object::Name(name));
    descendant.set("CIDToGIDMap", Object::Reference(map));
    Ok(())
}

fn plan(doc: &Document, font: ObjectId) -> Result<Plan, SubsetError> {
    let type0 = doc.get_dictionary(font)?;
    let descendant = type0
        .get(b"DescendantFonts")?
        .as_array()?
        .first()
        .ok_or(lopdf::Error::DictKey("DescendantFonts".into()))?
        .as_dict()?;
    if descendant.get(b"Subtype")?.as_name()? != b"CIDFontType2" {
        return Err(SubsetError::NotTrueType);
    }
    let descriptor = descendant.get(b"FontDescriptor")?.as_reference()?;
    let program = doc
        .get_dictionary(descriptor)?
        .get(b"FontFile2")
        .and_then(Object::as_reference)
        .map_err(|_| SubsetError::NotTrueType)?;
    Ok(Plan {
        descriptor,
        program,
        name: type0.get(b"BaseFont")?.as_name()?.to_vec(),
        codes: used_codes(descendant.get(b"W")?.as_array()?)?,
    })
}

/// The font's PostScript name (`name` table, id 6), if it has a usable one.
fn postscript_name(program: &[u8]) -> Option<Vec<u8>> {
    let face = rustybuzz::ttf_parser::Face::parse(program, 0).ok()?;
    let name = face
        .names()
        .into_iter()
        .filter(|n| n.name_id == rustybuzz::ttf_parser::name_id::POST_SCRIPT_NAME)
        .find_map(|n| n.to_string())?;
    // PostScript names are printable ASCII without PDF delimiters; anything else is not used.
    let usable = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"[](){}<>/%#".contains(&b));
    usable.then(|| name.into_bytes())
}

fn descendant_mut(type0: &mut Dictionary) -> Result<&mut Dictionary, lopdf::Error> {
    type0
        .get_mut(b"DescendantFonts")?
        .as_array_mut()?
        .first_mut()
        .ok_or(lopdf::Error::DictKey("DescendantFonts".into()))?
        .as_dict_mut()
}

/// The codes a `/W` array gives widths for, ascending and without duplicates. Both of its
/// forms are read: `c [w1 w2 ...]` and `c_first c_last w`.
fn used_codes(widths: &[Object]) -> Result<Vec<u16>, lopdf::Error> {
    let code = |object: &Object| -> Result<u16, lopdf::Error> {
        u16::try_from(object.as_i64()?).map_err(|_| lopdf::Error::NumericCast("code".into()))
    };
    let mut codes = Vec::new();
    let mut i = 0;
    while i < widths.len() {
        let first = code(&widths[i])?;
        match widths.get(i + 1) {
            Some(Object::Array(run)) => {
                codes.extend((0..run.len()).filter_map(|k| first.checked_add(k as u16)));
                i += 2;
            }
            Some(last) => {
                codes.extend(first..=code(last)?);
                i += 3;
            }
            None => break,
        }
    }
    codes.sort_unstable();
    codes.dedup();
    Ok(codes)
}

/// The six upper-case letters that name a subset (ISO 32000-1, 9.6.4), derived from the
/// glyphs kept so that the same subset always gets the same name.
fn subset_tag(codes: &[u16]) -> [u8; 6] {
    // FNV-1a: stable across builds and platforms, unlike std's hasher.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in codes.iter().flat_map(|c| c.to_be_bytes()) {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut tag = [0u8; 6];
    for letter in &mut tag {
        *letter = b'A' + (hash % 26) as u8;
        hash /= 26;
    }
    tag
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn used_codes_read_both_width_forms() {
        let widths = vec![
            Object::Integer(3),
            Object::Array(vec![Object::Integer(500), Object::Integer(600)]),
            Object::Integer(10),
            Object::Integer(12),
            Object::Integer(250),
            Object::Integer(4),
            Object::Array(vec![Object::Integer(600)]),
        ];
        assert_eq!(used_codes(&widths).unwrap(), vec![3, 4, 10, 11, 12]);
    }

    #[test]
    fn subset_tags_are_six_capitals_and_stable() {
        let tag = subset_tag(&[0, 36, 68]);
        assert!(tag.iter().all(u8::is_ascii_uppercase), "{tag:?}");
        assert_eq!(tag, subset_tag(&[0, 36, 68]));
        assert_ne!(tag, subset_tag(&[0, 36, 69]));
    }
}
