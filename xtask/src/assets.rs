//! The built app made ready to serve: files renamed by their content (so the server may let
//! browsers keep them for good), the entry page pointed at the new names, and a brotli and
//! a gzip copy of every file beside it (the server picks one by `Accept-Encoding`).

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

/// The entry page: never renamed, always revalidated.
pub const INDEX: &str = "index.html";

/// Files the server reads but does not serve.
const BOOKKEEPING: &[&str] = &["csp-script-hashes.txt"];

/// Renames every `.js`, `.wasm` and `.css` file directly in `dist` to `stem-<hash>.ext`
/// and rewrites `/old-name` to `/new-name` in `index.html`. Returns old name → new name.
pub fn fingerprint(dist: &Path) -> anyhow::Result<BTreeMap<String, String>> {
    let mut renamed = BTreeMap::new();
    for entry in fs::read_dir(dist)? {
        let path = entry?.path();
        let (Some(stem), Some(ext)) = (
            path.file_stem().and_then(|s| s.to_str()),
            path.extension().and_then(|s| s.to_str()),
        ) else {
            continue;
        };
        if !matches!(ext, "js" | "wasm" | "css") {
            continue;
        }
        let name = format!("{stem}.{ext}");
        let hashed = format!("{stem}-{}.{ext}", content_hash(&fs::read(&path)?));
        fs::rename(&path, dist.join(&hashed))?;
        renamed.insert(name, hashed);
    }
    let index = dist.join(INDEX);
    let mut html = fs::read_to_string(&index).context("reading index.html")?;
    for (old, new) in &renamed {
        let (old, new) = (format!("/{old}\""), format!("/{new}\""));
        anyhow::ensure!(
            html.contains(&old),
            "index.html does not load {old}; a renamed file would be unreachable"
        );
        html = html.replace(&old, &new);
    }
    fs::write(index, html)?;
    Ok(renamed)
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
}
