//! What the writer reads besides projects: the model catalog as the signed-in user sees it,
//! cost estimates, and one past generation in full.

use penora_api_types::{Estimate, EstimateRequest, Generation, ModelList};

use gloo_net::http::Request;

use super::{fetch_json, read, send, ApiError, Method};
use crate::ids::GenerationId;
use crate::session::Session;

/// The model catalog as anyone sees it (no sign-in): names and prices.
pub async fn models() -> Result<ModelList, ApiError> {
    let response = Request::get("/api/v1/models").send().await;
    read(response.map_err(ApiError::network)?).await
}

/// The catalog read with the session: `available` and `own_key` then count the user's own
/// provider keys (read without it, every model needing a key looks unavailable).
pub async fn my_models(session: Session) -> Result<ModelList, ApiError> {
    fetch_json(session, Method::Get, "/api/v1/models".into(), None, None).await
}

/// What a generation of `words` words with `model` and this input would cost at most.
pub async fn estimate(session: Session, body: EstimateRequest) -> Result<Estimate, ApiError> {
    let path = "/api/v1/credits/estimate".to_owned();
    send(session, Method::Post, path, &body).await
}

/// One generation with its whole text.
pub async fn generation(session: Session, id: GenerationId) -> Result<Generation, ApiError> {
    let path = format!("/api/v1/generations/{id}");
    fetch_json(session, Method::Get, path, None, None).await
}
