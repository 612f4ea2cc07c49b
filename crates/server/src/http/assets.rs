//! The built browser app, held in memory and served as browsers want it: the precompressed
//! copy (`.br`, `.gz`, written by `cargo xtask build-frontend`) that the request's
//! `Accept-Encoding` prefers, fingerprinted names cached for good, everything else
//! revalidated by its `ETag`. Client-side routes get the entry page.
//!
//! The files are read once at start-up: a rebuilt app is served after a restart, and a
//! missing or unreadable build stops the server instead of serving half an app.

use std::collections::HashMap;
use std::path::Path;

use actix_web::http::header::{
    self, AcceptEncoding, ContentEncoding, Encoding, Header, HeaderValue, Preference, Quality,
};
use actix_web::http::{Method, StatusCode};
use actix_web::web::{Bytes, Data};
use actix_web::{HttpRequest, HttpResponse};
use anyhow::Context;
use penora_api_types::ErrorCode;

use crate::error::ApiError;
use crate::http::fallback::is_api_path;
use crate::http::security::SCRIPT_HASHES_FILE;

/// The app's entry page, also served for every client-side route.
const INDEX: &str = "index.html";

/// Fingerprinted files never change under their name.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// One file of the app with its precompressed copies.
struct Asset {
    content_type: HeaderValue,
    etag: HeaderValue,
    immutable: bool,
    identity: Bytes,
    brotli: Option<Bytes>,
    gzip: Option<Bytes>,
}

/// The files of the built app by their URL path (without the leading `/`).
#[derive(Default)]
pub struct Assets {
    files: HashMap<String, Asset>,
}

impl Assets {
    /// Reads every file under `dir`; `name.br` and `name.gz` become `name`'s compressed copies.
    pub fn load(dir: &Path) -> anyhow::Result<Self> {
        let mut raw = HashMap::new();
        read_tree(dir, "", &mut raw)
            .with_context(|| format!("reading the browser app in {}", dir.display()))?;
        let mut files = HashMap::new();
        for (name, body) in &raw {
            if is_compressed_copy(name) || name == SCRIPT_HASHES_FILE {
                continue;
            }
            let copy = |suffix: &str| raw.get(&format!("{name}.{suffix}")).cloned();
            files.insert(
                name.clone(),
                Asset {
                    content_type: content_type(name),
                    etag: etag(body),
                    immutable: is_fingerprinted(name),
                    identity: body.clone(),
                    brotli: copy("br"),
                    gzip: copy("gz"),
                },
            );
        }
        anyhow::ensure!(
            files.contains_key(INDEX),
            "{} has no {INDEX}: build the app with `cargo xtask build-frontend`",
            dir.display()
        );
        Ok(Self { files })
    }

    /// What `path` names: the file itself, or the entry page for a client-side route (a
    /// path whose last segment has no extension). A missing file is not the page: a stale
    /// page asking for an older build's script must not get HTML instead.
    fn find(&self, path: &str) -> Option<&Asset> {
        let name = path.trim_start_matches('/');
        let name = if name.is_empty() { INDEX } else { name };
        if let Some(asset) = self.files.get(name) {
            return Some(asset);
        }
        let last = name.rsplit('/').next().unwrap_or(name);
        (!last.contains('.'))
            .then(|| self.files.get(INDEX))
            .flatten()
    }
}

/// Whatever no route answers: an app file or page, else a problem+json 404 (405 for a
/// method other than GET and HEAD on an app path).
pub async fn serve(req: HttpRequest, assets: Data<Assets>) -> actix_web::Result<HttpResponse> {
    let not_found = || ApiError::not_found(format!("Nothing is at {}.", req.path()));
    if is_api_path(req.path()) {
        return Err(not_found().into());
    }
    let Some(asset) = assets.find(req.path()) else {
        return Err(not_found().into());
    };
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::MethodNotAllowed,
            "The app's files can only be read.",
        )
        .into());
    }
    let mut response = HttpResponse::Ok();
    response
        .insert_header((header::VARY, "accept-encoding"))
        .insert_header((header::ETAG, asset.etag.clone()))
        .insert_header((
            header::CACHE_CONTROL,
            if asset.immutable {
                IMMUTABLE
            } else {
                "no-cache"
            },
        ))
        // Also on a 304: browsers update the stored response's headers from it, and the
        // content type decides the page's security policy.
        .insert_header((header::CONTENT_TYPE, asset.content_type.clone()));
    if is_fresh(&req, &asset.etag) {
        return Ok(response.status(StatusCode::NOT_MODIFIED).finish());
    }
    let (encoding, body) = pick_encoding(&req, asset);
    if encoding != ContentEncoding::Identity {
        response.insert_header((header::CONTENT_ENCODING, encoding.to_header_value()));
    }
    Ok(response.body(body))
}

/// The copy the client ranks highest; on a tie brotli, then gzip, then the file itself
/// (smallest first). No `Accept-Encoding` at all means the plain file.
fn pick_encoding(req: &HttpRequest, asset: &Asset) -> (ContentEncoding, Bytes) {
    let accepted = AcceptEncoding::parse(req).unwrap_or_else(|_| AcceptEncoding(Vec::new()));
    let offered = [
        (ContentEncoding::Brotli, asset.brotli.as_ref()),
        (ContentEncoding::Gzip, asset.gzip.as_ref()),
        (ContentEncoding::Identity, Some(&asset.identity)),
    ];
    let mut best = (Quality::ZERO, ContentEncoding::Identity, &asset.identity);
    for (encoding, body) in offered {
        let Some(body) = body else { continue };
        let quality = quality_of(&accepted, encoding);
        if quality > best.0 {
            best = (quality, encoding, body);
        }
    }
    (best.1, best.2.clone())
}

/// How much the client wants `encoding`: its own entry, else `*`'s, else (for the plain
/// file only, or with no header at all) acceptable.
fn quality_of(accepted: &AcceptEncoding, encoding: ContentEncoding) -> Quality {
    let wanted = Encoding::Known(encoding);
    let mut any = None;
    for item in &accepted.0 {
        match &item.item {
            Preference::Specific(e) if *e == wanted => return item.quality,
            Preference::Any => any = Some(item.quality),
            Preference::Specific(_) => {}
        }
    }
    match any {
        Some(quality) => quality,
        // Unmentioned, the plain file is still acceptable, at the lowest rank so that any
        // listed encoding wins; compressed copies must be asked for.
        None if encoding == ContentEncoding::Identity => Quality::MIN,
        None => Quality::ZERO,
    }
}

fn is_fresh(req: &HttpRequest, etag: &HeaderValue) -> bool {
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| tag.trim() == "*" || tag.trim().as_bytes() == etag.as_bytes())
}

fn read_tree(dir: &Path, prefix: &str, out: &mut HashMap<String, Bytes>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        if entry.file_type()?.is_dir() {
            read_tree(&entry.path(), &format!("{name}/"), out)?;
        } else {
            out.insert(name, Bytes::from(std::fs::read(entry.path())?));
        }
    }
    Ok(())
}

fn is_compressed_copy(name: &str) -> bool {
    name.ends_with(".br") || name.ends_with(".gz")
}

/// `stem-<16 hex digits>.ext`, the names the build gives files it fingerprints.
fn is_fingerprinted(name: &str) -> bool {
    let file = name.rsplit('/').next().unwrap_or(name);
    let stem = file.split('.').next().unwrap_or(file);
    stem.rsplit_once('-')
        .is_some_and(|(_, hash)| hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn content_type(name: &str) -> HeaderValue {
    let mime = mime_guess::from_path(name).first_or_octet_stream();
    let text =
        mime.type_() == mime_guess::mime::TEXT || mime.subtype() == mime_guess::mime::JAVASCRIPT;
    let value = if text && mime.get_param("charset").is_none() {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_string()
    };
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("application/octet-stream"))
}

/// A weak validator (the copies differ in bytes, not in meaning) from the file's digest.
fn etag(body: &[u8]) -> HeaderValue {
    let digest = ring::digest::digest(&ring::digest::SHA256, body);
    let hex: String = digest.as_ref()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    HeaderValue::from_str(&format!("W/\"{hex}\"")).unwrap_or(HeaderValue::from_static("W/\"0\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_build_fingerprints_are_taken_for_immutable() {
        assert!(is_fingerprinted("penora-0123456789abcdef.js"));
        assert!(is_fingerprinted("chunks/writer-0123456789abcdef.wasm"));
        assert!(!is_fingerprinted("index.html"));
        assert!(!is_fingerprinted("my-file.js"));
        assert!(!is_fingerprinted("penora-0123456789abcdeg.js"));
    }

    #[test]
    fn text_files_say_their_charset() {
        assert_eq!(content_type("a.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("a.wasm"), "application/wasm");
    }
}
