//! DOCX (Office Open XML), with docx-rs.
//!
//! The structure is the Markdown export's: the document title is a level-1 heading (style
//! `Heading1`) and each chapter a level-2 heading (`Heading2`) starting a new page. Both are the
//! built-in heading styles Word and LibreOffice know, defined in `styles.xml` under their
//! canonical names ("heading 1", "heading 2") with their outline levels, so the navigation
//! pane lists the chapters under the title and a table of contents can be inserted. The
//! author line is a `Subtitle`. A4 with 25 mm margins, page numbers in the footer from the
//! first chapter on.

use std::io::Cursor;

use docx_rs::{
    AlignmentType, BreakType, Docx, Footer, LineSpacing, PageMargin, PageNum, Paragraph, Run,
    RunFonts, Style, StyleType,
};

use crate::{
    chapter_heading, document_author, document_title, paragraphs, xml_safe, Document, ExportError,
    Format,
};

/// A4 in twentieths of a point.
const A4_TWIPS: (u32, u32) = (11_906, 16_838);
/// 25 mm in twentieths of a point.
const MARGIN_TWIPS: i32 = 1_417;

pub(crate) fn render(doc: &Document) -> Result<Vec<u8>, ExportError> {
    let mut docx = Docx::new()
        .page_size(A4_TWIPS.0, A4_TWIPS.1)
        .page_margin(PageMargin {
            top: MARGIN_TWIPS,
            left: MARGIN_TWIPS,
            bottom: MARGIN_TWIPS,
            right: MARGIN_TWIPS,
            header: 709,
            footer: 709,
            gutter: 0,
        })
        .default_size(22) // half-points: 11 pt
        .default_fonts(
            // Noto Sans where installed; word processors fall back per script otherwise.
            RunFonts::new()
                .ascii("Noto Sans")
                .hi_ansi("Noto Sans")
                .cs("Noto Sans Devanagari"),
        )
        .add_style(
            // "heading 1" (lower case) is the name Word matches its built-in heading by. This
            // one looks like a title page: large and centred a third of the way down.
            Style::new("Heading1", StyleType::Paragraph)
                .name("heading 1")
                .based_on("Normal")
                .next("Normal")
                .q_format(true)
                .outline_lvl(0)
                .size(56)
                .align(AlignmentType::Center)
                .line_spacing(LineSpacing::new().before(2_880).after(240)),
        )
        .add_style(
            Style::new("Subtitle", StyleType::Paragraph)
                .name("Subtitle")
                .based_on("Normal")
                .next("Normal")
                .q_format(true)
                .size(28)
                .italic()
                .align(AlignmentType::Center),
        )
        .add_style(
            Style::new("Heading2", StyleType::Paragraph)
                .name("heading 2")
                .based_on("Normal")
                .next("Normal")
                .q_format(true)
                .outline_lvl(1)
                .bold()
                .size(36)
                .line_spacing(LineSpacing::new().before(480).after(240)),
        )
        // The title page has no page number; every other page has one, centred.
        .first_footer(Footer::new())
        .footer(
            Footer::new().add_paragraph(
                Paragraph::new()
                    .align(AlignmentType::Center)
                    .add_page_num(PageNum::new()),
            ),
        )
        .title_pg();

    docx = docx.add_paragraph(
        Paragraph::new()
            .style("Heading1")
            .add_run(Run::new().add_text(xml_safe(document_title(doc)))),
    );
    if let Some(author) = document_author(doc) {
        docx = docx.add_paragraph(
            Paragraph::new()
                .style("Subtitle")
                .add_run(Run::new().add_text(format!("by {}", xml_safe(author)))),
        );
    }

    for (index, chapter) in doc.chapters.iter().enumerate() {
        // Every chapter starts on a new page: on its heading, or on its first paragraph.
        let mut page_break = true;
        if let Some(heading) = chapter_heading(doc, index) {
            docx = docx.add_paragraph(
                Paragraph::new()
                    .style("Heading2")
                    .page_break_before(true)
                    .add_run(Run::new().add_text(xml_safe(&heading))),
            );
            page_break = false;
        }
        for paragraph in paragraphs(&chapter.text) {
            let mut run = Run::new();
            for (i, line) in paragraph.iter().enumerate() {
                if i > 0 {
                    run = run.add_break(BreakType::TextWrapping);
                }
                run = run.add_text(xml_safe(line));
            }
            docx = docx.add_paragraph(
                Paragraph::new()
                    .page_break_before(std::mem::take(&mut page_break))
                    .line_spacing(LineSpacing::new().after(160))
                    .add_run(run),
            );
        }
    }

    let mut out = Cursor::new(Vec::new());
    docx.pack(&mut out)
        .map_err(|e| ExportError::encode(Format::Docx, e))?;
    Ok(out.into_inner())
}
