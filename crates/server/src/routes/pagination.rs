//! Query parameters shared by list endpoints: `limit` and an opaque `cursor`.

use actix_web::http::StatusCode;
use penora_api_types::ErrorCode;
use uuid::Uuid;

use crate::error::ApiError;

pub const DEFAULT_LIMIT: u64 = 20;
pub const MAX_LIMIT: u64 = 100;

pub fn bad_parameter(detail: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        ErrorCode::InvalidParameter,
        detail.to_string(),
    )
}

pub fn limit(raw: Option<u64>) -> Result<u64, ApiError> {
    match raw {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(bad_parameter(format!("`limit` is 1 to {MAX_LIMIT}"))),
    }
}

/// Cursors are the id of the last item seen (ids are time-ordered).
pub fn cursor(raw: Option<&str>) -> Result<Option<Uuid>, ApiError> {
    raw.map(|c| {
        Uuid::try_parse(c).map_err(|_| bad_parameter("`cursor` is not one this API gave out"))
    })
    .transpose()
}

/// An opaque cursor for keyset pages that need more than an id (e.g. sorted by title).
pub fn encode_cursor<T: serde::Serialize>(position: &T) -> String {
    use base64::Engine;
    let json = serde_json::to_vec(position).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

pub fn decode_cursor<T: serde::de::DeserializeOwned>(raw: &str) -> Result<T, ApiError> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|json| serde_json::from_slice(&json).ok())
        .ok_or_else(|| bad_parameter("`cursor` is not one this API gave out"))
}
