//! The built app made ready to serve: files renamed by their content (so the server may let
//! browsers keep them for good), the entry page pointed at the new names, and a brotli and
//! a gzip copy of every file beside it (the server picks one by `Accept-Encoding`).

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::split;

/// The entry page: never renamed, always revalidated.
pub const INDEX: &str = "index.html";

/// Files the server reads but does not serve.
const BOOKKEEPING: &[&str] = &["csp-script-hashes.txt"];

/// Renames every `.js`, `.wasm` and `.css` file directly in `dist` to `stem-<hash>.ext`
/// and rewrites `/old-name` to `/new-name` in `index.html`. Returns old name → new name.
///
/// A split build (see `split.rs`) has files the page does not name: the chunks, named by
/// the link module, and the link module, named by the glue, which it names back. Those are
/// renamed first and the references rewritten (see [`fingerprint_split`]).
pub fn fingerprint(dist: &Path) -> anyhow::Result<BTreeMap<String, String>> {
    let mut renamed = BTreeMap::new();
    if dist.join(split::LINK).exists() {
        fingerprint_split(dist, &mut renamed)?;
    }
    let mut in_page = BTreeMap::new();
    // Listed before renaming: a renamed file must not come round again.
    for path in listing(dist)? {
        let (Some(stem), Some(ext)) = (
            path.file_stem().and_then(|s| s.to_str()),
            path.extension().and_then(|s| s.to_str()),
        ) else {
            continue;
        };
        let name = format!("{stem}.{ext}");
        if !matches!(ext, "js" | "wasm" | "css") || renamed.values().any(|new| *new == name) {
            continue;
        }
        let hashed = hashed_name(&path, &fs::read(&path)?)?;
        fs::rename(&path, dist.join(&hashed))?;
        in_page.insert(name, hashed);
    }
    // The glue was renamed with the link module, but the page loads it.
    in_page.extend(
        renamed
            .iter()
            .filter(|(old, _)| *old == split::GLUE)
            .map(|(old, new)| (old.clone(), new.clone())),
    );
    let index = dist.join(INDEX);
    let mut html = fs::read_to_string(&index).context("reading index.html")?;
    for (old, new) in &in_page {
        let (old, new) = (format!("/{old}\""), format!("/{new}\""));
        anyhow::ensure!(
            html.contains(&old),
            "index.html does not load {old}; a renamed file would be unreachable"
        );
        html = html.replace(&old, &new);
    }
    fs::write(index, html)?;
    renamed.extend(in_page);
    Ok(renamed)
}

/// Fingerprints a split build's chunks, link module and glue. The chunks first (they name
/// nothing), rewriting the link module's `"./chunk.wasm"`. The link module and the glue
/// import each other, so neither name can be the hash of the other's final text: the link
/// module is named by the hash of both texts as they stand (its own with the chunks' new
/// names, the glue's as wasm-bindgen wrote it), the glue's import of it is rewritten, the
/// glue is named by its new text, and last the link module's import of the glue is
/// rewritten. Each name still stands for one content: the link module's name fixes both
/// texts it came from, and so the glue's name, the one thing changed after it was chosen.
fn fingerprint_split(dist: &Path, renamed: &mut BTreeMap<String, String>) -> anyhow::Result<()> {
    let link_path = dist.join(split::LINK);
    let glue_path = dist.join(split::GLUE);
    let mut link = fs::read_to_string(&link_path).context("reading the link module")?;
    let mut glue = fs::read_to_string(&glue_path).context("reading the glue")?;
    for path in listing(dist)? {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let reference = format!("\"./{name}\"");
        if !name.ends_with(".wasm") || !link.contains(&reference) {
            continue;
        }
        let hashed = hashed_name(&path, &fs::read(&path)?)?;
        link = link.replace(&reference, &format!("\"./{hashed}\""));
        fs::rename(&path, dist.join(&hashed))?;
        renamed.insert(name.to_owned(), hashed);
    }
    let link_name = hashed_name(
        &link_path,
        [link.as_bytes(), glue.as_bytes()].concat().as_slice(),
    )?;
    // Only the import statement: the same string is also the key of the main module's
    // imports, which is its import module's name inside penora_bg.wasm.
    let mut rewrote_import = false;
    for quote in ['\'', '"'] {
        let import = format!("from {quote}./{}{quote}", split::LINK);
        if glue.contains(&import) {
            glue = glue.replace(&import, &format!("from {quote}./{link_name}{quote}"));
            rewrote_import = true;
        }
    }
    anyhow::ensure!(rewrote_import, "the glue does not import ./{}", split::LINK);
    let glue_name = hashed_name(&glue_path, glue.as_bytes())?;
    let glue_import = format!("from \"./{}\"", split::GLUE);
    anyhow::ensure!(
        link.contains(&glue_import),
        "the link module does not import the glue"
    );
    link = link.replace(&glue_import, &format!("from \"./{glue_name}\""));
    fs::write(dist.join(&link_name), link)?;
    fs::write(dist.join(&glue_name), glue)?;
    fs::remove_file(link_path)?;
    fs::remove_file(glue_path)?;
    renamed.insert(split::LINK.to_owned(), link_name);
    renamed.insert(split::GLUE.to_owned(), glue_name);
    Ok(())
}

/// The paths directly in `dir`.
fn listing(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    fs::read_dir(dir)?.map(|entry| Ok(entry?.path())).collect()
}

/// `stem-<hash of content>.ext` for the file at `path`.
fn hashed_name(path: &Path, content: &[u8]) -> anyhow::Result<String> {
    let (Some(stem), Some(ext)) = (
        path.file_stem().and_then(|s| s.to_str()),
        path.extension().and_then(|s| s.to_str()),
    ) else {
        anyhow::bail!("{} has no extension", path.display());
    };
    Ok(format!("{stem}-{}.{ext}", content_hash(content)))
}

/// The first 16 hex digits of the content's SHA-256: the server takes a name ending in
/// `-<16 hex>` for one that never changes.
fn content_hash(bytes: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    digest.as_ref()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Writes `name.br` and `name.gz` beside every file in `dist` (at their best settings: this
/// runs once per build, and every visitor downloads the result).
pub fn precompress(dist: &Path) -> anyhow::Result<()> {
    for path in served_files(dist)? {
        let bytes = fs::read(&path)?;
        fs::write(with_suffix(&path, "br"), brotli(&bytes)?)?;
        fs::write(with_suffix(&path, "gz"), gzip(&bytes)?)?;
    }
    Ok(())
}

/// The files the server serves (no compressed copies, no bookkeeping), sorted.
pub fn served_files(dist: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dist)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let copy = name.ends_with(".br") || name.ends_with(".gz");
        if path.is_file() && !copy && !BOOKKEEPING.contains(&name) {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

pub fn brotli(bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 24,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params).context("brotli")?;
    Ok(out)
}

fn gzip(bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{suffix}"));
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_renamed_by_content_and_the_page_follows() {
        let dist = std::env::temp_dir().join(format!("penora-assets-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dist);
        fs::create_dir_all(&dist).unwrap();
        fs::write(
            dist.join(INDEX),
            r#"<link href="/style.css"><script>import("/penora.js")</script>"#,
        )
        .unwrap();
        fs::write(dist.join("style.css"), "body{}").unwrap();
        fs::write(dist.join("penora.js"), "1").unwrap();
        let renamed = fingerprint(&dist).unwrap();
        let css = &renamed["style.css"];
        assert!(css.starts_with("style-") && css.len() == "style-.css".len() + 16);
        let html = fs::read_to_string(dist.join(INDEX)).unwrap();
        assert!(html.contains(&format!("/{css}\"")), "{html}");
        assert!(!dist.join("style.css").exists());

        precompress(&dist).unwrap();
        let br = fs::read(dist.join(format!("{css}.br"))).unwrap();
        let mut plain = Vec::new();
        brotli::BrotliDecompress(&mut &br[..], &mut plain).unwrap();
        assert_eq!(plain, b"body{}");
        assert!(dist.join("index.html.gz").exists());
        let _ = fs::remove_dir_all(&dist);
    }

    #[test]
    fn a_split_build_is_renamed_with_its_references() {
        let dist = std::env::temp_dir().join(format!("penora-split-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dist);
        fs::create_dir_all(&dist).unwrap();
        fs::write(
            dist.join(INDEX),
            r#"<script>import("/penora.js")</script><link href="/penora_bg.wasm">"#,
        )
        .unwrap();
        let glue = "import * as w from './__wasm_split.js';\nimports['./__wasm_split.js'] = w;";
        fs::write(dist.join("penora.js"), glue).unwrap();
        fs::write(dist.join("penora_bg.wasm"), "main").unwrap();
        fs::write(
            dist.join(split::LINK),
            "import { initSync } from \"./penora.js\";\nfetch(\"./split_a.wasm\");",
        )
        .unwrap();
        fs::write(dist.join("split_a.wasm"), "chunk").unwrap();
        let renamed = fingerprint(&dist).unwrap();
        let (link, glue, chunk) = (
            &renamed[split::LINK],
            &renamed[split::GLUE],
            &renamed["split_a.wasm"],
        );
        let link_text = fs::read_to_string(dist.join(link)).unwrap();
        assert!(
            link_text.contains(&format!("from \"./{glue}\"")),
            "{link_text}"
        );
        assert!(link_text.contains(&format!("\"./{chunk}\"")), "{link_text}");
        let glue_text = fs::read_to_string(dist.join(glue)).unwrap();
        assert!(
            glue_text.contains(&format!("from './{link}'")),
            "{glue_text}"
        );
        // The main module's import name stays as the module has it.
        assert!(
            glue_text.contains("imports['./__wasm_split.js']"),
            "{glue_text}"
        );
        // The glue's name is the hash of what it holds.
        assert_eq!(
            *glue,
            hashed_name(Path::new("penora.js"), glue_text.as_bytes()).unwrap()
        );
        let html = fs::read_to_string(dist.join(INDEX)).unwrap();
        assert!(html.contains(&format!("/{glue}\"")), "{html}");
        assert!(
            html.contains(&format!("/{}\"", renamed["penora_bg.wasm"])),
            "{html}"
        );
        let _ = fs::remove_dir_all(&dist);
    }
}
