//! PDF: A4 pages with a title page, each chapter on a new page under its heading, wrapped
//! left-aligned paragraphs and page numbers, in embedded Noto fonts.
//!
//! The document information carries the title, author, creator, producer and the time of the
//! export; the outline (bookmarks) has one entry per chapter, pointing at its first page.
//! The fonts are subset to the glyphs used ([`subset`]): printpdf subsets only with its
//! `text_layout` feature, which brings in a whole HTML layout engine.
//!
//! Text is shaped with rustybuzz (conjuncts, matra reordering, kerning) and placed as glyph
//! ids; each glyph carries the characters it stands for, so the PDF's ToUnicode map makes the
//! text searchable and extractable.
//!
//! The same fonts, layout and writer set a payment receipt ([`receipt`]): text in columns
//! side by side ([`Layout::row`]), in a few colors, with rules and filled bands drawn between
//! the page's text.

mod finish;
mod glyphs;
mod lines;
pub(crate) mod receipt;
mod shaping;
mod subset;

use std::ops::Range;

use printpdf::{
    Codepoint, Color, FontId, Greyscale, Line, LinePoint, Mm, OffsetDateTime, Op, PaintMode,
    PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, Point, Pt, Rect, Rgb, TextItem,
    TextMatrix,
};

use self::lines::{break_lines, width};
use self::shaping::{fonts, Fonts, Glyph, Shaper};
use crate::{chapter_heading, document_author, document_title, paragraphs, Document, ExportError};

const PAGE_WIDTH_MM: f32 = 210.0;
const PAGE_HEIGHT_MM: f32 = 297.0;
const PT_PER_MM: f32 = 72.0 / 25.4;
const PAGE_WIDTH: f32 = PAGE_WIDTH_MM * PT_PER_MM;
const PAGE_HEIGHT: f32 = PAGE_HEIGHT_MM * PT_PER_MM;
const MARGIN: f32 = 25.0 * PT_PER_MM;
const TEXT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;

/// (font size, line height) in points.
const BODY: (f32, f32) = (11.0, 16.0);
const HEADING: (f32, f32) = (20.0, 26.0);
const TITLE: (f32, f32) = (28.0, 36.0);
const AUTHOR: (f32, f32) = (14.0, 20.0);
const FOOTER_SIZE: f32 = 9.0;
/// Space after a paragraph and after a chapter heading.
const PARAGRAPH_GAP: f32 = 7.0;
const HEADING_GAP: f32 = 18.0;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Center,
    Right,
}

/// A horizontal stretch of the page that text is set in: its left edge and width, in points.
#[derive(Clone, Copy)]
struct Column {
    x: f32,
    width: f32,
}

/// The whole text width between the margins.
const FULL: Column = Column {
    x: MARGIN,
    width: TEXT_WIDTH,
};

/// One piece of text set in a [`Column`]; see [`Layout::row`].
struct Cell<'a> {
    text: &'a str,
    column: Column,
    align: Align,
    ink: Ink,
}

/// The colors text is drawn in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ink {
    /// The PDF default, which every page starts with.
    Black,
    /// Labels and secondary details.
    Grey,
    /// A warning, on a light amber band.
    Amber,
}

impl Ink {
    fn color(self) -> Color {
        match self {
            Ink::Black => Color::Greyscale(Greyscale::new(0.0, None)),
            Ink::Grey => Color::Greyscale(Greyscale::new(0.4, None)),
            Ink::Amber => Color::Rgb(Rgb::new(0.45, 0.25, 0.0, None)),
        }
    }
}

pub(crate) fn render(doc: &Document) -> Result<Vec<u8>, ExportError> {
    let (mut pdf, fonts, font_ids) = new_document(
        document_title(doc),
        document_author(doc).unwrap_or_default(),
    )?;
    let mut layout = Layout::new(fonts, font_ids);
    layout.title_page(doc);
    for index in 0..doc.chapters.len() {
        layout.new_page();
        let heading = chapter_heading(doc, index);
        // The lone untitled chapter of a plain document is bookmarked by the document title.
        let bookmark = heading.as_deref().unwrap_or(document_title(doc));
        // Pages count from 1 here; the page just started is the last one.
        pdf.add_bookmark(bookmark, layout.pages.len());
        if let Some(heading) = &heading {
            layout.paragraph(heading, HEADING, Align::Left);
            layout.y -= HEADING_GAP;
        }
        for paragraph in paragraphs(&doc.chapters[index].text) {
            for line in paragraph {
                layout.paragraph(line, BODY, Align::Left);
            }
            layout.y -= PARAGRAPH_GAP;
        }
    }
    save(pdf, layout.finish())
}

/// An empty document with its information (title, author, Penora as creator and producer, now
/// as its dates) and the embedded fonts added.
fn new_document(
    title: &str,
    author: &str,
) -> Result<(PdfDocument, &'static Fonts, [FontId; 2]), ExportError> {
    let fonts = fonts()?;
    let mut pdf = PdfDocument::new(title);
    pdf.metadata.info.author = author.to_owned();
    pdf.metadata.info.creator = "Penora".to_owned();
    pdf.metadata.info.producer = "Penora".to_owned();
    let now = OffsetDateTime::now_utc();
    pdf.metadata.info.creation_date = now;
    pdf.metadata.info.modification_date = now;
    pdf.metadata.info.metadata_date = now;
    let font_ids = [
        pdf.add_font(&fonts.all[0].pdf),
        pdf.add_font(&fonts.all[1].pdf),
    ];
    Ok((pdf, fonts, font_ids))
}

/// Writes `pdf` with `pages`: fonts subset, finishing touches, streams compressed.
fn save(mut pdf: PdfDocument, pages: Vec<PdfPage>) -> Result<Vec<u8>, ExportError> {
    let options = PdfSaveOptions {
        // Subsetting needs printpdf's `text_layout` feature; [`subset`] does it below.
        subset_fonts: false,
        // Compressed below, faster.
        optimize: false,
        ..PdfSaveOptions::default()
    };
    let mut lopdf = pdf
        .with_pages(pages)
        .to_lopdf_document(&options, &mut Vec::new());
    subset::subset_fonts(&mut lopdf);
    finish::outline_opens(&mut lopdf);
    finish::drop_pdfx_claim(&mut lopdf);
    finish::compress_fast(&mut lopdf).map_err(|e| ExportError::encode(crate::Format::Pdf, e))?;
    let mut bytes = Vec::new();
    lopdf
        .save_to(&mut bytes)
        .map_err(|e| ExportError::encode(crate::Format::Pdf, e))?;
    Ok(bytes)
}

/// Pages being filled, top to bottom.
struct Layout {
    fonts: &'static Fonts,
    font_ids: [FontId; 2],
    shaper: Shaper,
    /// Per cell of the row being set: its shaped glyphs and its lines (ranges of them).
    glyphs: Vec<Vec<Glyph>>,
    lines: Vec<Vec<Range<usize>>>,
    pages: Vec<Vec<Op>>,
    /// The baseline of the last line placed on the current page.
    y: f32,
    /// The fill color set on the current page, which text is drawn in.
    ink: Ink,
}

impl Layout {
    fn new(fonts: &'static Fonts, font_ids: [FontId; 2]) -> Self {
        Layout {
            fonts,
            font_ids,
            shaper: Shaper::new(fonts),
            glyphs: Vec::new(),
            lines: Vec::new(),
            pages: Vec::new(),
            y: 0.0,
            ink: Ink::Black,
        }
    }

    fn new_page(&mut self) {
        self.pages.push(vec![Op::StartTextSection]);
        self.y = PAGE_HEIGHT - MARGIN;
        self.ink = Ink::Black;
    }

    /// The title, and the author under it, a third of the way down the first page.
    fn title_page(&mut self, doc: &Document) {
        self.new_page();
        self.y = PAGE_HEIGHT * 2.0 / 3.0;
        self.paragraph(document_title(doc), TITLE, Align::Center);
        if let Some(author) = document_author(doc) {
            self.y -= AUTHOR.1;
            self.paragraph(&format!("by {author}"), AUTHOR, Align::Center);
        }
    }

    /// Wraps one line of text (no `'\n'`) to the text width, starting new pages as needed.
    fn paragraph(&mut self, text: &str, style: (f32, f32), align: Align) {
        self.row(
            &[Cell {
                text,
                column: FULL,
                align,
                ink: Ink::Black,
            }],
            style,
        );
    }

    /// Sets cells side by side, each wrapped to its column (no `'\n'` in their text), their
    /// first lines on one baseline; a cell's line `n` shares the baseline of every other
    /// cell's line `n`. New pages are started as needed.
    fn row(&mut self, cells: &[Cell<'_>], (size, leading): (f32, f32)) {
        if self.glyphs.len() < cells.len() {
            self.glyphs.resize_with(cells.len(), Vec::new);
            self.lines.resize_with(cells.len(), Vec::new);
        }
        for (k, cell) in cells.iter().enumerate() {
            self.shaper.shape(cell.text, &mut self.glyphs[k]);
            self.lines[k].clear();
            break_lines(
                self.fonts,
                cell.text,
                &self.glyphs[k],
                size,
                cell.column.width,
                &mut self.lines[k],
            );
        }
        let count = self.lines[..cells.len()].iter().map(Vec::len).max();
        for i in 0..count.unwrap_or(0) {
            if self.y - leading < MARGIN {
                self.new_page();
            }
            self.y -= leading;
            for (k, cell) in cells.iter().enumerate() {
                let Some(range) = self.lines[k].get(i).cloned() else {
                    continue;
                };
                self.set_ink(cell.ink);
                let glyphs = &self.glyphs[k];
                let line_width = || width(self.fonts, &glyphs[range.clone()], size);
                let x = match cell.align {
                    Align::Left => cell.column.x,
                    Align::Center => cell.column.x + (cell.column.width - line_width()) / 2.0,
                    Align::Right => cell.column.x + cell.column.width - line_width(),
                };
                let ops = glyphs::show_glyphs(
                    self.fonts,
                    &self.font_ids,
                    cell.text,
                    glyphs,
                    range,
                    size,
                    (x, self.y),
                );
                if let Some(page) = self.pages.last_mut() {
                    page.extend(ops);
                }
            }
        }
    }

    /// Draws on the current page outside its text: each page's operations are one text
    /// object, which path operators may not appear in, so it is closed around them.
    fn graphics(&mut self, ops: impl IntoIterator<Item = Op>) {
        if let Some(page) = self.pages.last_mut() {
            page.push(Op::EndTextSection);
            page.extend(ops);
            page.push(Op::StartTextSection);
        }
    }

    /// A horizontal line `thickness` points thick across `column`, at height `y`.
    fn rule(&mut self, column: Column, y: f32, thickness: f32, color: Color) {
        let point = |x: f32| LinePoint {
            p: Point { x: Pt(x), y: Pt(y) },
            bezier: false,
        };
        self.graphics([
            Op::SetOutlineColor { col: color },
            Op::SetOutlineThickness { pt: Pt(thickness) },
            Op::DrawLine {
                line: Line {
                    points: vec![point(column.x), point(column.x + column.width)],
                    is_closed: false,
                },
            },
        ]);
    }

    /// A rectangle across `column` from `bottom` to `top`, filled with `fill`. Text keeps its
    /// ink (shapes and text share the fill color, so it is set back).
    fn band(&mut self, column: Column, (bottom, top): (f32, f32), fill: Color) {
        let height = top - bottom;
        self.graphics([
            Op::SetFillColor { col: fill },
            Op::DrawRectangle {
                rectangle: Rect {
                    mode: Some(PaintMode::Fill),
                    ..Rect::from_xywh(Pt(column.x), Pt(bottom), Pt(column.width), Pt(height))
                },
            },
            Op::SetFillColor {
                col: self.ink.color(),
            },
        ]);
    }

    /// Text placed after this is drawn in `ink`.
    fn set_ink(&mut self, ink: Ink) {
        if self.ink != ink {
            self.ink = ink;
            if let Some(page) = self.pages.last_mut() {
                page.push(Op::SetFillColor { col: ink.color() });
            }
        }
    }

    /// Adds page numbers (not on the title page) and closes every page.
    fn finish(mut self) -> Vec<PdfPage> {
        let mut glyphs = Vec::new();
        let count = self.pages.len();
        for (index, ops) in self.pages.iter_mut().enumerate() {
            if index > 0 {
                let number = (index + 1).to_string();
                self.shaper.shape(&number, &mut glyphs);
                let x = (PAGE_WIDTH - width(self.fonts, &glyphs, FOOTER_SIZE)) / 2.0;
                let all = 0..glyphs.len();
                ops.extend(glyphs::show_glyphs(
                    self.fonts,
                    &self.font_ids,
                    &number,
                    &glyphs,
                    all,
                    FOOTER_SIZE,
                    (x, MARGIN / 2.0),
                ));
            }
            ops.push(Op::EndTextSection);
        }
        debug_assert_eq!(count, self.pages.len());
        self.pages
            .into_iter()
            .map(|ops| PdfPage::new(Mm(PAGE_WIDTH_MM), Mm(PAGE_HEIGHT_MM), ops))
            .collect()
    }
}
