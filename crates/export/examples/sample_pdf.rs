//! Writes a sample PDF with Latin, Cyrillic and Devanagari text to the path given, for
//! looking at the rendering (e.g. `pdftoppm -png -r 80 sample.pdf page`).

use penora_export::{render, Chapter, Document, Format};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "sample.pdf".into());
    let doc = Document {
        title: "Café déjà vu".into(),
        author: Some("Ада Лавлейс".into()),
        chapters: vec![Chapter {
            title: "Глава первая — नमस्ते दुनिया".into(),
            text: "Привет, как дела? Naïve façade, jalapeño, Ærø.\n\nयह एक परीक्षण वाक्य है। क्षत्रिय विद्या कि की कुछ ग्रंथ हिन्दी में लिखा गया। श्री राम, प्रार्थना, स्त्री।\n\nThe river ran silver under the old bridge, and nobody spoke. The river ran silver under the old bridge, and nobody spoke. The river ran silver under the old bridge.".into(),
        }],
    };
    std::fs::write(path, render(&doc, Format::Pdf)?)?;
    Ok(())
}
