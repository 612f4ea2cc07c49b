//! `ApiError`: the one error type HTTP handlers return. It renders RFC 9457 problem+json with
//! a stable code; an internal cause is logged with the request id and never sent to clients.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use penora_api_types::{ErrorCode, FieldProblem, Problem};
use penora_domain::FieldError;
use std::fmt;

use penora_app::request_id;

mod from_billing;
pub(crate) mod from_services;
mod from_sign_in;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// The `401` detail when the account is gone or the session's epoch moved on (signed out
/// everywhere, password changed).
pub const SESSION_ENDED: &str = "This session has ended; sign in again.";

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: ErrorCode,
    detail: String,
    errors: Vec<FieldProblem>,
    extra: Option<serde_json::Value>,
    retry_after: Option<u64>,
    cause: Option<anyhow::Error>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            errors: Vec::new(),
            extra: None,
            retry_after: None,
            cause: None,
        }
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        let mut err = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ValidationFailed,
            "Some fields need another look.",
        );
        err.errors = errors
            .into_iter()
            .map(|e| FieldProblem {
                field: e.field.into_owned(),
                code: e.code.to_owned(),
                message: e.message,
            })
            .collect();
        err
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized, detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, detail)
    }

    pub fn rate_limited(retry_after_secs: u64) -> Self {
        let mut err = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimited,
            format!("Too many attempts. Try again in {retry_after_secs} seconds."),
        );
        err.retry_after = Some(retry_after_secs);
        err.extra = Some(serde_json::json!({ "retry_after": retry_after_secs }));
        err
    }

    /// Briefly overloaded: the client may retry after `retry_after_secs`.
    pub fn service_unavailable(retry_after_secs: u64, detail: impl Into<String>) -> Self {
        let mut err = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::ServiceUnavailable,
            detail,
        );
        err.retry_after = Some(retry_after_secs);
        err
    }

    /// This replica is stopping: another one (or this one, restarted) answers a retry.
    pub fn server_restarting() -> Self {
        let mut err = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::ServerRestarting,
            "The server is restarting. Try again in a moment.",
        );
        err.retry_after = Some(1);
        err
    }

    /// A failure on our side. The cause is logged, the client sees only the request id.
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        let mut err = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::InternalError,
            "Something went wrong on our side. Quote the request id if you contact us.",
        );
        err.cause = Some(cause.into());
        err
    }

    /// Adds facts a client can act on (e.g. `available_mc`).
    pub fn with_extra(mut self, extra: serde_json::Value) -> Self {
        self.extra = Some(extra);
        self
    }

    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The problem body, stamped with the current request's id.
    pub fn problem(&self) -> Problem {
        Problem {
            type_uri: format!("urn:penora:problem:{}", self.code.as_str()),
            title: title_of(self.status),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code,
            errors: self.errors.clone(),
            request_id: request_id::current(),
            extra: self.extra.clone(),
        }
    }
}

/// Database failures: unreachable is a 503 the client may retry, anything else is ours.
impl From<penora_store::DbErr> for ApiError {
    fn from(err: penora_store::DbErr) -> Self {
        if penora_store::is_unavailable(&err) {
            let mut api = Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::ServiceUnavailable,
                "The service is briefly unavailable. Try again in a moment.",
            );
            api.retry_after = Some(2);
            api.cause = Some(err.into());
            api
        } else {
            Self::internal(err)
        }
    }
}

fn title_of(status: StatusCode) -> String {
    status.canonical_reason().unwrap_or("Error").to_owned()
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            self.status,
            self.code.as_str(),
            self.detail
        )
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        if let Some(cause) = &self.cause {
            tracing::error!(code = self.code.as_str(), error = ?cause, "request failed");
        }
        problem_response(self.status, &self.problem(), self.retry_after)
    }
}

pub fn problem_response(
    status: StatusCode,
    problem: &Problem,
    retry_after: Option<u64>,
) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
    if let Some(secs) = retry_after {
        response.insert_header((header::RETRY_AFTER, secs.to_string()));
    }
    response.json(problem)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::to_bytes;

    async fn render(err: ApiError) -> (StatusCode, serde_json::Value, Option<String>) {
        let response = err.error_response();
        let status = response.status();
        let retry = response
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let content_type = response.headers().get(header::CONTENT_TYPE).cloned();
        assert_eq!(content_type, Some(HeaderValue::from_static(PROBLEM_JSON)));
        let body = to_bytes(response.into_body()).await.unwrap_or_default();
        (
            status,
            serde_json::from_slice(&body).unwrap_or_default(),
            retry,
        )
    }

    #[actix_web::test]
    async fn validation_lists_fields() {
        let (status, body, _) = render(ApiError::validation(vec![FieldError::new(
            "email", "invalid", "bad",
        )]))
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["code"], "validation_failed");
        assert_eq!(body["type"], "urn:penora:problem:validation_failed");
        assert_eq!(body["errors"][0]["field"], "email");
        assert_eq!(body["errors"][0]["code"], "invalid");
    }

    #[actix_web::test]
    async fn rate_limit_sets_retry_after() {
        let (status, body, retry) = render(ApiError::rate_limited(7)).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(body["code"], "rate_limited");
        assert_eq!(retry.as_deref(), Some("7"));
    }

    #[actix_web::test]
    async fn internal_hides_the_cause() {
        let (status, body, _) = render(ApiError::internal(anyhow::anyhow!(
            "db password is hunter2"
        )))
        .await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["code"], "internal_error");
        assert!(!body.to_string().contains("hunter2"));
    }

    #[actix_web::test]
    async fn statuses_map_to_codes() {
        for (err, status, code) in [
            (ApiError::not_found("x"), StatusCode::NOT_FOUND, "not_found"),
            (
                ApiError::unauthorized("x"),
                StatusCode::UNAUTHORIZED,
                "unauthorized",
            ),
            (ApiError::forbidden("x"), StatusCode::FORBIDDEN, "forbidden"),
        ] {
            let (got, body, _) = render(err).await;
            assert_eq!(got, status);
            assert_eq!(body["code"], code);
        }
    }

    #[actix_web::test]
    async fn unreachable_database_is_503() {
        let err = ApiError::from(penora_store::DbErr::ConnectionAcquire(
            penora_store::ConnAcquireErr::Timeout,
        ));
        let (status, body, retry) = render(err).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["code"], "service_unavailable");
        assert_eq!(retry.as_deref(), Some("2"));
    }
}
