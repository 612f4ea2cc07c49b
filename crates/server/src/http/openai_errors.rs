//! Errors in OpenAI's shape for the OpenAI-compatible scope: every problem+json response
//! (from a handler, an extractor or authentication) is rewritten as
//! `{"error": {"message", "type", "param", "code"}}`, which is what OpenAI's SDKs parse,
//! with OpenAI's status where it differs from Penora's (the SDKs pick their exception class
//! by status): an unknown or unusable model is `404 model_not_found`, an invalid request
//! `400 invalid_request_error`, too few credits `429 insufficient_quota`.

use actix_web::body::{to_bytes, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::Error;
use penora_api_types::openai::{OpenAiError, OpenAiErrorBody};
use penora_api_types::{ErrorCode, Problem};

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
    let (status, error) = translate(status, problem);
    // OpenAI's SDKs retry every 429 unless told not to; credits do not come back by waiting.
    let final_answer = error.error.kind == "insufficient_quota";
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
    if final_answer {
        rewritten.headers_mut().insert(
            header::HeaderName::from_static("x-should-retry"),
            HeaderValue::from_static("false"),
        );
    }
    Ok(ServiceResponse::new(request, rewritten))
}

/// OpenAI's status and error body for a problem.
fn translate(status: StatusCode, problem: Problem) -> (StatusCode, OpenAiError) {
    let field = problem.errors.first();
    let param = field.map(|e| e.field.clone()).filter(|f| f != "body");
    let message = field.map_or_else(
        || problem.detail.clone(),
        |e| format!("{}: {}", e.field, e.message),
    );
    let body = |status: StatusCode, kind: &str, param: Option<String>, message, code: &str| {
        let error = OpenAiErrorBody {
            message,
            kind: kind.to_owned(),
            param,
            code: Some(code.to_owned()),
        };
        (status, OpenAiError { error })
    };
    match problem.code {
        ErrorCode::UnknownModel => body(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            Some("model".to_owned()),
            "The model does not exist or you do not have access to it; `GET /v1/models` lists the ones this key can use.".to_owned(),
            "model_not_found",
        ),
        ErrorCode::ModelUnavailable | ErrorCode::ModelNotInPlan => body(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            Some("model".to_owned()),
            problem.detail,
            "model_not_found",
        ),
        ErrorCode::InsufficientCredits => body(
            StatusCode::TOO_MANY_REQUESTS,
            "insufficient_quota",
            None,
            format!("{} Add credits to go on.", problem.detail),
            "insufficient_quota",
        ),
        code => {
            // Penora refuses invalid input with 422; OpenAI with 400.
            let status = if status == StatusCode::UNPROCESSABLE_ENTITY {
                StatusCode::BAD_REQUEST
            } else {
                status
            };
            body(status, kind_of(status), param, message, code.as_str())
        }
    }
}

/// OpenAI's error `type` for a status.
fn kind_of(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        429 => "rate_limit_error",
        400..=499 => "invalid_request_error",
        _ => "api_error",
    }
}
