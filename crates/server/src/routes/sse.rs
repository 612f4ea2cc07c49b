//! Server-sent events over a channel: the response body is the channel's events, encoded as
//! they arrive. Dropping the response (the client went away) drops the receiver, which the
//! sending task notices. Each stream holds a [`StreamPermit`] for as long as its body lives.

use std::convert::Infallible;

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::HttpResponse;
use futures_util::stream;
use penora_domain::UserId;
use tokio::sync::mpsc;

use crate::error::ApiError;
use penora_app::streams::StreamPermit;
use penora_app::AppState;

/// One `event:`/`data:` frame. `data` is JSON, so it never holds a bare line break.
pub fn frame(event: Option<&str>, data: &str) -> Bytes {
    let mut out = String::with_capacity(data.len() + 32);
    if let Some(event) = event {
        out.push_str("event: ");
        out.push_str(event);
        out.push('\n');
    }
    out.push_str("data: ");
    out.push_str(data);
    out.push_str("\n\n");
    Bytes::from(out)
}

pub fn json_frame<T: serde::Serialize>(event: Option<&str>, value: &T) -> Bytes {
    frame(
        event,
        &serde_json::to_string(value).unwrap_or_else(|_| "{}".to_owned()),
    )
}

/// A place for one more stream of `user` ([`penora_app::streams`]): `429
/// too_many_streams` at the user's cap, `503` at the process's. Taken before the work
/// starts, so a refused stream reserves nothing.
pub fn permit(state: &AppState, user: UserId) -> Result<StreamPermit, ApiError> {
    Ok(state.streams.open(user)?)
}

/// A `text/event-stream` response whose frames are `encode`d from `rx`. `permit` is
/// released when the body ends or is dropped (the client went away).
pub fn response<E: 'static>(
    rx: mpsc::Receiver<E>,
    permit: StreamPermit,
    mut encode: impl FnMut(E) -> Vec<Bytes> + 'static,
) -> HttpResponse {
    let body = stream::unfold((rx, permit), |(mut rx, permit)| async move {
        rx.recv().await.map(|event| (event, (rx, permit)))
    });
    let body = futures_util::StreamExt::flat_map(body, move |event| {
        stream::iter(encode(event).into_iter().map(Ok::<_, Infallible>))
    });
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/event-stream"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        // nginx and similar proxies would otherwise buffer the stream.
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body)
}

/// True when the client asked for `text/event-stream`.
pub fn wants_stream(req: &actix_web::HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/event-stream"))
}
