//! Generations: writing tools and stories streamed as they are written, stopping one, the
//! history, and saving one into a project.

use gloo_net::http::Request;
use penora_api_types::{
    CreateGeneration, GenerateChapter, GenerateStory, Generation, Problem, Project, SaveGeneration,
};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{ReadableStreamDefaultReader, ReadableStreamReadResult};

use super::{authed, json, send, send_json, with_token, ApiError, Method};
use crate::ids::{GenerationId, ProjectId};
use crate::session::Session;
use crate::sse::{Frames, GenerationEvent, StoryEvent, StreamEvent};

/// Runs a writing tool and hands each event of its stream to `on_event` as it arrives;
/// returns after the last one (`done` or `error`). Problems found before the stream starts
/// (credits, validation, too many at once) are the `Err`.
pub async fn generate(
    session: Session,
    body: CreateGeneration,
    on_event: impl FnMut(GenerationEvent),
) -> Result<(), ApiError> {
    stream(session, "/api/v1/generations".into(), json(&body), on_event).await
}

/// Writes a story's outline, streamed like [`generate`]; the server saves it into the story
/// when it ends.
pub async fn generate_outline(
    session: Session,
    id: ProjectId,
    on_event: impl FnMut(GenerationEvent),
) -> Result<(), ApiError> {
    let path = format!("/api/v1/stories/{id}/outline");
    stream(session, path, Some(serde_json::json!({})), on_event).await
}

/// Writes (or continues) chapter `number` (1-based), streamed; saved when it ends.
pub async fn generate_chapter(
    session: Session,
    id: ProjectId,
    number: u32,
    body: GenerateChapter,
    on_event: impl FnMut(GenerationEvent),
) -> Result<(), ApiError> {
    let path = format!("/api/v1/stories/{id}/chapters/{number}/generate");
    stream(session, path, json(&body), on_event).await
}

/// Writes the chapters one after another; each chapter's events come between its `chapter`
/// event and the next, and `story_done` ends the stream.
pub async fn write_story(
    session: Session,
    id: ProjectId,
    body: GenerateStory,
    on_event: impl FnMut(StoryEvent),
) -> Result<(), ApiError> {
    let path = format!("/api/v1/stories/{id}/generate");
    stream(session, path, json(&body), on_event).await
}

/// POSTs `body` asking for an event stream and hands each event to `on_event` as it arrives;
/// returns after the last one. Problems found before the stream starts (credits, validation,
/// too many at once) are the `Err`.
async fn stream<E: StreamEvent>(
    session: Session,
    path: String,
    body: Option<serde_json::Value>,
    mut on_event: impl FnMut(E),
) -> Result<(), ApiError> {
    // Only the opening request is retried after a refresh: the stream itself has no token
    // to expire.
    let response = authed(session, move |token| {
        let (path, body) = (path.clone(), body.clone());
        async move {
            let request = with_token(Request::post(&path), token.as_deref())
                .header("Accept", "text/event-stream");
            let response = send_json(request, &body).await?;
            if response.ok() {
                Ok(response)
            } else {
                let status = response.status();
                Err(ApiError {
                    status,
                    problem: response.json::<Problem>().await.ok(),
                })
            }
        }
    })
    .await?;
    let broken = |detail: &str| ApiError::local("Generation interrupted", detail.to_owned());
    let reader = response
        .body()
        .and_then(|body| ReadableStreamDefaultReader::new(&body).ok())
        .ok_or_else(|| broken("Penora's answer had no stream to read."))?;
    let mut frames = Frames::default();
    loop {
        let result: ReadableStreamReadResult = JsFuture::from(reader.read())
            .await
            .map_err(|_| broken("The connection to Penora broke while the text was coming in. What was written so far is kept (see Recent generations)."))?
            .unchecked_into();
        // A missing last event would otherwise read empty chunks forever.
        if result.get_done().unwrap_or(true) {
            break;
        }
        let chunk = js_sys::Uint8Array::new(&result.get_value()).to_vec();
        for frame in frames.push(&chunk) {
            match E::decode(&frame) {
                Some(Ok(event)) => {
                    let last = event.is_last();
                    on_event(event);
                    if last {
                        return Ok(());
                    }
                }
                Some(Err(_)) => {
                    return Err(broken(
                        "Penora sent an event this page cannot read; reload the page to update it.",
                    ))
                }
                None => {}
            }
        }
    }
    Err(broken(
        "The stream ended before the generation did. What was written so far is kept (see Recent generations).",
    ))
}

/// Stops a running generation; answers with it settled (words and cost so far).
pub async fn cancel_generation(session: Session, id: GenerationId) -> Result<Generation, ApiError> {
    let path = format!("/api/v1/generations/{id}/cancel");
    send(session, Method::Post, path, &serde_json::json!({})).await
}

/// Saves a generation's text as a new project (`project_id: None`) or into one.
pub async fn save_generation(
    session: Session,
    id: GenerationId,
    body: SaveGeneration,
) -> Result<Project, ApiError> {
    let path = format!("/api/v1/generations/{id}/save");
    send(session, Method::Post, path, &body).await
}
