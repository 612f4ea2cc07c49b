//! What answers when no route does, and the safety net that gives every error response a
//! problem+json body (actix's own 404/405s have none).

use actix_web::body::BoxBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{HttpRequest, HttpResponse};
use penora_api_types::ErrorCode;

use crate::error::{ApiError, PROBLEM_JSON};

/// Paths that belong to the API: an unknown one is a JSON 404, never the browser app.
pub fn is_api_path(path: &str) -> bool {
    [
        "/api/",
        "/v1/",
        "/health",
        "/metrics",
        "/openapi.json",
        "/docs",
    ]
    .iter()
    .any(|prefix| path == prefix.trim_end_matches('/') || path.starts_with(prefix))
}

/// The answer where nothing is routed (the ops listener's catch-all; the public one has
/// [`crate::http::assets::serve`]).
pub async fn not_found(req: HttpRequest) -> actix_web::Result<HttpResponse> {
    Err(ApiError::not_found(format!("Nothing is at {}.", req.path())).into())
}

/// Replaces the body of any 4xx/5xx response that is not JSON already (our handlers write
/// problem+json, and `/health/detailed` its own report).
pub fn problem_bodies() -> ErrorHandlers<BoxBody> {
    ErrorHandlers::new().default_handler(|res: ServiceResponse<BoxBody>| {
        let is_json = res.headers().get(header::CONTENT_TYPE).is_some_and(|v| {
            let v = v.as_bytes();
            v.starts_with(PROBLEM_JSON.as_bytes()) || v.starts_with(b"application/json")
        });
        if is_json {
            return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
        }
        let status = res.status();
        let code = code_for(status);
        let detail = status.canonical_reason().unwrap_or("Error").to_owned();
        let replacement =
            actix_web::ResponseError::error_response(&ApiError::new(status, code, detail));
        let (req, _) = res.into_parts();
        Ok(ErrorHandlerResponse::Response(
            ServiceResponse::new(req, replacement).map_into_right_body(),
        ))
    })
}

fn code_for(status: StatusCode) -> ErrorCode {
    match status {
        StatusCode::NOT_FOUND => ErrorCode::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
        StatusCode::UNAUTHORIZED => ErrorCode::Unauthorized,
        StatusCode::FORBIDDEN => ErrorCode::Forbidden,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
        StatusCode::TOO_MANY_REQUESTS => ErrorCode::RateLimited,
        StatusCode::SERVICE_UNAVAILABLE => ErrorCode::ServiceUnavailable,
        s if s.is_client_error() => ErrorCode::InvalidParameter,
        _ => ErrorCode::InternalError,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_paths_never_fall_back_to_the_app() {
        for path in [
            "/api/v1/nope",
            "/v1/models/x",
            "/health/x",
            "/docs",
            "/metrics",
        ] {
            assert!(is_api_path(path), "{path}");
        }
        for path in ["/", "/account", "/sign-in", "/apiary"] {
            assert!(!is_api_path(path), "{path}");
        }
    }
}
