//! The finishing touches on the document printpdf writes, before it is saved.

/// Asks viewers to show the outline when the file opens. printpdf writes `/PageMode` as a
/// string, which the PDF format does not allow (it is a name), so viewers ignore it.
pub(super) fn outline_opens(doc: &mut lopdf::Document) {
    let root = doc
        .trailer
        .get(b"Root")
        .and_then(lopdf::Object::as_reference);
    if let Ok(catalog) = root.and_then(|id| doc.get_dictionary_mut(id)) {
        if catalog.has(b"Outlines") {
            catalog.set("PageMode", lopdf::Object::Name(b"UseOutlines".to_vec()));
        }
    }
}

/// Removes the `/GTS_PDFXVersion` printpdf puts in the document information: it claims PDF/X
/// (print-ready exchange) conformance, which the file makes no attempt at.
pub(super) fn drop_pdfx_claim(doc: &mut lopdf::Document) {
    let info = doc
        .trailer
        .get(b"Info")
        .and_then(lopdf::Object::as_reference);
    if let Ok(info) = info.and_then(|id| doc.get_dictionary_mut(id)) {
        info.remove(b"GTS_PDFXVersion");
    }
}

/// Deflates every stream at the fastest level. printpdf's own `optimize` uses the best
/// level, which costs a long manuscript's export much time for files only slightly smaller
/// (`docs/decisions.md`, "Export speed: shape each word once, deflate fast").
pub(super) fn compress_fast(doc: &mut lopdf::Document) -> std::io::Result<()> {
    use std::io::Write as _;
    for object in doc.objects.values_mut() {
        if let lopdf::Object::Stream(stream) = object {
            if !stream.allows_compression || stream.dict.get(b"Filter").is_ok() {
                continue;
            }
            let mut encoder =
                flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
            encoder.write_all(&stream.content)?;
            let compressed = encoder.finish()?;
            if compressed.len() < stream.content.len() {
                stream.dict.set("Filter", "FlateDecode");
                stream.set_content(compressed);
            }
        }
    }
    Ok(())
}
