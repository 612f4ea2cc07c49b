//! Downloading files that need the Bearer header: a project's export, a payment's receipt.

use gloo_net::http::Request;
use penora_api_types::Problem;
use wasm_bindgen::JsCast;

use super::{authed, with_token, ApiError};
use crate::ids::ProjectId;
use crate::session::Session;

/// Downloads an export (it needs the Bearer header, so a plain link cannot fetch it) and
/// hands it to the browser as a file.
pub async fn download_export(
    session: Session,
    id: ProjectId,
    format: &'static str,
) -> Result<(), ApiError> {
    let path = format!("/api/v1/projects/{id}/export?format={format}");
    download(session, path, format!("penora-export.{format}")).await
}

/// Fetches `path` with the Bearer header and hands it to the browser as a file, named as
/// the server's `Content-Disposition` says (else `fallback`).
pub(super) async fn download(
    session: Session,
    path: String,
    fallback: String,
) -> Result<(), ApiError> {
    let (bytes, name) = authed(session, move |token| {
        let (path, fallback) = (path.clone(), fallback.clone());
        async move {
            let response = with_token(Request::get(&path), token.as_deref())
                .send()
                .await
                .map_err(ApiError::network)?;
            if !response.ok() {
                let status = response.status();
                return Err(ApiError {
                    status,
                    problem: response.json::<Problem>().await.ok(),
                });
            }
            let name = response
                .headers()
                .get("content-disposition")
                .and_then(|d| {
                    d.split("filename=")
                        .nth(1)
                        .map(|n| n.trim_matches('"').to_owned())
                })
                .unwrap_or(fallback);
            let bytes = response.binary().await.map_err(ApiError::network)?;
            Ok((bytes, name))
        }
    })
    .await?;
    save_file(&bytes, &name);
    Ok(())
}

fn save_file(bytes: &[u8], name: &str) -> Option<()> {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let blob = web_sys::Blob::new_with_u8_array_sequence(&parts).ok()?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).ok()?;
    let link: web_sys::HtmlAnchorElement = web_sys::window()?
        .document()?
        .create_element("a")
        .ok()?
        .dyn_into()
        .ok()?;
    link.set_href(&url);
    link.set_download(name);
    link.click();
    web_sys::Url::revoke_object_url(&url).ok()
}
