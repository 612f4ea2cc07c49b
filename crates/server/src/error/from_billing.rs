//! How billing errors read over HTTP.

use actix_web::http::StatusCode;
use penora_api_types::ErrorCode;

use super::ApiError;

impl From<penora_app::billing::BillingError> for ApiError {
    fn from(err: penora_app::billing::BillingError) -> Self {
        use penora_app::billing::BillingError as E;
        let detail = err.to_string();
        let (status, code) = match err {
            E::UnknownItem(_) => (StatusCode::NOT_FOUND, ErrorCode::UnknownItem),
            E::WrongKind { .. } => (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::WrongItemKind),
            E::OrderNotFound => (StatusCode::NOT_FOUND, ErrorCode::OrderNotFound),
            E::PaymentNotFound => (StatusCode::NOT_FOUND, ErrorCode::PaymentNotFound),
            E::InvalidSignature => (StatusCode::BAD_REQUEST, ErrorCode::InvalidSignature),
            E::NotCaptured { .. } => (StatusCode::CONFLICT, ErrorCode::PaymentNotCaptured),
            E::Mismatch => (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::PaymentMismatch),
            E::SubscriptionExists { .. } => (StatusCode::CONFLICT, ErrorCode::SubscriptionExists),
            E::NoSubscription => (StatusCode::NOT_FOUND, ErrorCode::SubscriptionNotFound),
            E::NotSandbox => return ApiError::not_found("The sandbox gateway is not in use here."),
            E::InvalidEvent(_) => (StatusCode::BAD_REQUEST, ErrorCode::InvalidWebhook),
            E::RefundTooLarge { left, .. } => {
                return ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    ErrorCode::RefundTooLarge,
                    detail,
                )
                .with_extra(serde_json::json!({ "left_minor": left }))
            }
            E::RateLimited(secs) => return ApiError::rate_limited(secs),
            E::GatewayUnavailable(why) => {
                tracing::warn!(reason = %why, "payment gateway unavailable");
                let mut err = ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    ErrorCode::GatewayUnavailable,
                    "The payment gateway is down or slow; nothing was charged or stored. Try again shortly.",
                );
                err.retry_after = Some(5);
                return err;
            }
            E::GatewayRejected(why) => {
                tracing::warn!(reason = %why, "payment gateway refused");
                return ApiError::new(
                    StatusCode::BAD_GATEWAY,
                    ErrorCode::GatewayError,
                    "The payment gateway refused the request; nothing was stored.",
                );
            }
            E::Idem(e) => return e.into(),
            E::Db(e) => return e.into(),
        };
        ApiError::new(status, code, detail)
    }
}
