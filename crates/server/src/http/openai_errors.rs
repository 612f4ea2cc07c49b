//! Errors in OpenAI's shape for the OpenAI-compatible scope: every problem+json response
//! (from a handler, an extractor or authentication) is rewritten as
//! `{"error": {"message", "type", "param", "code"}}` with the same status, which is what
//! OpenAI's SDKs parse.

use actix_web::body::{to_bytes, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::Error;
use penora_api_types::openai::{OpenAiError, OpenAiErrorBody};
use penora_api_types::Problem;

use crate::error::PROBLEM_JSON;

pub async fn openai_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let response = next.call(req).await?.map_into_boxed_body();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if !is_problem {
        return Ok(response);
    }
    let (request, response) = response.into_parts();
    let status = response.status();
    let headers = response.headers().clone();
    let (head, body) = response.into_parts();
    let body = to_bytes(body).await.unwrap_or_default();
    let Ok(problem) = serde_json::from_slice::<Problem>(&body) else {
        return Ok(ServiceResponse::new(
            request,
            head.set_body(BoxBody::new(body)),
        ));
    };
    let error = OpenAiError {
        error: OpenAiErrorBody {
            message: problem.errors.first().map_or_else(
                || problem.detail.clone(),
                |e| format!("{}: {}", e.field, e.message),
            ),
            kind: kind_of(status).to_owned(),
            param: problem.errors.first().map(|e| e.field.clone()),
            code: Some(problem.code.as_str().to_owned()),
        },
    };
    let json = serde_json::to_vec(&error).unwrap_or_default();
    let mut rewritten = actix_web::HttpResponse::with_body(status, BoxBody::new(json));
    for (name, value) in &headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            rewritten.headers_mut().append(name.clone(), value.clone());
        }
    }
    rewritten.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(ServiceResponse::new(request, rewritten))
}

/// OpenAI's error `type` for a status.
fn kind_of(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "authentication_error",
        402 => "insufficient_quota",
        403 => "permission_error",
        404 => "not_found_error",
        429 => "rate_limit_error",
        400..=499 => "invalid_request_error",
        _ => "api_error",
    }
}
