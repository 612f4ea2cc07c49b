//! Turns actix's extractor failures (bad JSON, wrong content type, oversized body, bad path
//! or query) into problem+json with stable codes instead of plain-text 400s.

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError, UrlencodedError};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest};
use penora_api_types::ErrorCode;
use penora_domain::FieldError;

use crate::error::ApiError;

pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(move |err, _req: &HttpRequest| json_error(err, limit).into())
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err: PathError, _req| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidParameter,
            err.to_string(),
        )
        .into()
    })
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err: QueryPayloadError, _req| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidParameter,
            err.to_string(),
        )
        .into()
    })
}

/// Form bodies (the main site's sign-in form post): small, and read as problem+json too.
pub fn form_config() -> web::FormConfig {
    web::FormConfig::default()
        .limit(16 * 1024)
        .error_handler(|err: UrlencodedError, _req| {
            let (status, code) = match err {
                UrlencodedError::ContentType => (
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    ErrorCode::UnsupportedMediaType,
                ),
                UrlencodedError::Overflow { .. } => {
                    (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge)
                }
                _ => (StatusCode::BAD_REQUEST, ErrorCode::InvalidParameter),
            };
            ApiError::new(status, code, format!("The form could not be read: {err}")).into()
        })
}

fn json_error(err: JsonPayloadError, limit: usize) -> ApiError {
    match err {
        JsonPayloadError::ContentType => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            "Send the body as JSON with `Content-Type: application/json`.",
        ),
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::PayloadTooLarge,
                format!("The body is larger than this endpoint accepts ({limit} bytes)."),
            )
        }
        JsonPayloadError::Deserialize(e) if e.is_data() => {
            ApiError::validation(vec![data_error(&e)])
        }
        JsonPayloadError::Deserialize(e) => ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::MalformedJson,
            format!("The body is not valid JSON: {e}"),
        ),
        other => ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::MalformedJson,
            format!("The body could not be read: {other}"),
        ),
    }
}

/// serde names the offending field in back-ticks ("missing field `email`"); surface it.
fn data_error(err: &serde_json::Error) -> FieldError {
    let message = err.to_string();
    let field = message.split('`').nth(1).unwrap_or("body").to_owned();
    let code = if message.starts_with("missing field") {
        "required"
    } else if message.starts_with("unknown field") {
        "unknown_field"
    } else {
        "invalid_type"
    };
    FieldError::new(field, code, message)
}
