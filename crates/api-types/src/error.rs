//! RFC 9457 problem details with Penora's stable error codes.

use serde::{Deserialize, Serialize};

/// A machine-readable reason. Codes are part of the public contract: add, never rename.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// One or more fields broke a rule; see `errors`.
    ValidationFailed,
    /// The body is not valid JSON, or not the JSON shape expected.
    MalformedJson,
    /// A path or query parameter could not be read.
    InvalidParameter,
    /// The request's `Content-Type` is not `application/json`.
    UnsupportedMediaType,
    /// The body is larger than this endpoint accepts.
    PayloadTooLarge,
    /// No such route or resource (or not yours to see).
    NotFound,
    /// The route exists but not with this method.
    MethodNotAllowed,
    /// No credentials, or credentials this server does not accept.
    Unauthorized,
    /// The access token has expired: refresh it.
    TokenExpired,
    /// Wrong email or password (which one is not said).
    InvalidCredentials,
    /// The refresh token is unknown, expired or revoked.
    InvalidRefreshToken,
    /// An already used refresh token came back: the whole session family is revoked.
    RefreshTokenReused,
    /// An email verification or password reset token is unknown, used or expired.
    InvalidEmailToken,
    /// Signed in, but not allowed to do this.
    Forbidden,
    /// An account with this email exists.
    EmailTaken,
    /// Too many requests; wait for `Retry-After` seconds.
    RateLimited,
    /// The database cannot be reached right now; try again.
    ServiceUnavailable,
    /// This server is restarting: it starts no new generation, and one running past its
    /// grace period ends with this code (billed for what was delivered). Try again: another
    /// replica, or this one once restarted, answers.
    ServerRestarting,
    /// Something failed on our side; the request id helps us find it.
    InternalError,
    /// Not enough available credits; `extra.available_mc` says how many there are.
    InsufficientCredits,
    /// No such model in the catalog (or it is switched off).
    UnknownModel,
    /// No such user (or not visible to this caller).
    UserNotFound,
    /// This endpoint moves credits: send an `Idempotency-Key` header.
    IdempotencyKeyRequired,
    /// The `Idempotency-Key` was used before with a different request.
    IdempotencyKeyReused,
    /// The debit named by a refund does not exist (or belongs to someone else).
    DebitNotFound,
    /// Refunds of a debit may not add up to more than the debit.
    RefundExceedsDebit,
    /// This endpoint is for app keys (server to server).
    AppKeyRequired,
    /// The key lacks a scope this endpoint needs.
    InsufficientScope,
    /// This needs a signed-in session, not an API key.
    SessionRequired,
    /// No such project (or not yours).
    ProjectNotFound,
    /// No chapter at this index; `extra.chapter_count` says how many there are.
    ChapterNotFound,
    /// The write would take the storage past its limit; see `extra.used_bytes`,
    /// `extra.limit_bytes` and `extra.needed_bytes`.
    QuotaExceeded,
    /// Someone changed the project since you read it (`If-Match` is stale); read it again.
    VersionConflict,
    /// Writes to a project need an `If-Match` header with the `ETag` you read.
    IfMatchRequired,
    /// Not a share code: 6 characters, A-Z and 2-9 without I, L and O.
    InvalidShareCode,
    /// No live project behind this share code.
    ShareNotFound,
    /// The export format is not one of pdf, docx, epub, txt, md.
    UnknownExportFormat,
    /// No such generation (or not yours).
    GenerationNotFound,
    /// You have as many generations running as allowed; wait for one to end.
    TooManyGenerations,
    /// The model exists but cannot be used now (its provider has no key configured).
    ModelUnavailable,
    /// The model is not in your plan; `extra.plans` lists the plans that include it.
    ModelNotInPlan,
    /// The AI provider failed before the generation could finish; `extra.upstream_code`
    /// says how, `extra.generation_id` names the stored (partial, billed) generation. The
    /// message is generic and names the request id: the provider's own words are only in
    /// the server's log.
    UpstreamError,
    /// The generation has not finished yet; try again when it has.
    GenerationRunning,
    /// No key stored for this provider.
    ProviderKeyNotFound,
    /// Your stored key for this provider can no longer be read (the server's encryption key
    /// changed); store it again.
    ProviderKeyUnreadable,
    /// The provider takes no key (a local server such as ollama): its models are paid in
    /// credits, so no own key is stored for it.
    ProviderKeyNotAccepted,
    /// The provider could not be asked whether it takes the key (down, slow, rate limiting);
    /// nothing was stored. Try again later.
    ProviderKeyUnchecked,
    /// This server sends no mail (its operator disabled it), so nothing can be mailed:
    /// no verification link, no password-reset link.
    MailUnavailable,
    /// You have as many event streams open as allowed; close one (or wait for it to end).
    TooManyStreams,
    /// No such item in the billing catalog (`GET /billing/catalog` lists them).
    UnknownItem,
    /// The item is of the other kind: plans are bought with `POST /billing/subscription`,
    /// top-ups and packs with `POST /billing/orders`.
    WrongItemKind,
    /// No such order (or not yours).
    OrderNotFound,
    /// No such payment (or not yours), or the gateway does not know it.
    PaymentNotFound,
    /// The payment or webhook signature does not match: nothing was applied.
    InvalidSignature,
    /// The gateway has not captured this payment (it failed, or is still pending).
    PaymentNotCaptured,
    /// The payment's amount or currency is not the order's: nothing was credited, and the
    /// payment is flagged for an admin.
    PaymentMismatch,
    /// You already have a live subscription; cancel it before choosing another plan.
    SubscriptionExists,
    /// You have no live subscription.
    SubscriptionNotFound,
    /// A refund may not exceed what is left of the payment; `extra.left_minor` says how much.
    RefundTooLarge,
    /// The webhook body is not an event this server can read.
    InvalidWebhook,
    /// The payment gateway is down or slow; nothing was charged or stored. Try again.
    GatewayUnavailable,
    /// The payment gateway refused the request.
    GatewayError,
    /// A sign-in through another site was refused; `extra.reason` says why (the codes the
    /// app's `/sso` page explains: `token_expired`, `token_replayed`, `wrong_audience` ...).
    SignInRefused,
    /// The identity provider (its key set or token endpoint) cannot be reached; nothing was
    /// signed in or created. Try again.
    IdentityProviderUnavailable,
    /// This sign-in method is not set up on this server.
    SignInMethodUnavailable,
    /// The account's only way in cannot be removed; add another first.
    LastSignInMethod,
    /// Sign in again (within the last 5 minutes) before doing this.
    RecentSignInRequired,
    /// The account has a password already; change it with the current one.
    PasswordAlreadySet,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::SignInRefused => "sign_in_refused",
            ErrorCode::IdentityProviderUnavailable => "identity_provider_unavailable",
            ErrorCode::SignInMethodUnavailable => "sign_in_method_unavailable",
            ErrorCode::LastSignInMethod => "last_sign_in_method",
            ErrorCode::RecentSignInRequired => "recent_sign_in_required",
            ErrorCode::PasswordAlreadySet => "password_already_set",
            ErrorCode::ValidationFailed => "validation_failed",
            ErrorCode::MalformedJson => "malformed_json",
            ErrorCode::InvalidParameter => "invalid_parameter",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::TokenExpired => "token_expired",
            ErrorCode::InvalidCredentials => "invalid_credentials",
            ErrorCode::InvalidRefreshToken => "invalid_refresh_token",
            ErrorCode::RefreshTokenReused => "refresh_token_reused",
            ErrorCode::InvalidEmailToken => "invalid_email_token",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::EmailTaken => "email_taken",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::ServiceUnavailable => "service_unavailable",
            ErrorCode::ServerRestarting => "server_restarting",
            ErrorCode::InternalError => "internal_error",
            ErrorCode::InsufficientCredits => "insufficient_credits",
            ErrorCode::UnknownModel => "unknown_model",
            ErrorCode::UserNotFound => "user_not_found",
            ErrorCode::IdempotencyKeyRequired => "idempotency_key_required",
            ErrorCode::IdempotencyKeyReused => "idempotency_key_reused",
            ErrorCode::DebitNotFound => "debit_not_found",
            ErrorCode::RefundExceedsDebit => "refund_exceeds_debit",
            ErrorCode::AppKeyRequired => "app_key_required",
            ErrorCode::InsufficientScope => "insufficient_scope",
            ErrorCode::SessionRequired => "session_required",
            ErrorCode::ProjectNotFound => "project_not_found",
            ErrorCode::ChapterNotFound => "chapter_not_found",
            ErrorCode::QuotaExceeded => "quota_exceeded",
            ErrorCode::VersionConflict => "version_conflict",
            ErrorCode::IfMatchRequired => "if_match_required",
            ErrorCode::InvalidShareCode => "invalid_share_code",
            ErrorCode::ShareNotFound => "share_not_found",
            ErrorCode::UnknownExportFormat => "unknown_export_format",
            ErrorCode::GenerationNotFound => "generation_not_found",
            ErrorCode::TooManyGenerations => "too_many_generations",
            ErrorCode::ModelUnavailable => "model_unavailable",
            ErrorCode::ModelNotInPlan => "model_not_in_plan",
            ErrorCode::UpstreamError => "upstream_error",
            ErrorCode::GenerationRunning => "generation_running",
            ErrorCode::ProviderKeyNotFound => "provider_key_not_found",
            ErrorCode::ProviderKeyUnreadable => "provider_key_unreadable",
            ErrorCode::ProviderKeyNotAccepted => "provider_key_not_accepted",
            ErrorCode::ProviderKeyUnchecked => "provider_key_unchecked",
            ErrorCode::MailUnavailable => "mail_unavailable",
            ErrorCode::TooManyStreams => "too_many_streams",
            ErrorCode::UnknownItem => "unknown_item",
            ErrorCode::WrongItemKind => "wrong_item_kind",
            ErrorCode::OrderNotFound => "order_not_found",
            ErrorCode::PaymentNotFound => "payment_not_found",
            ErrorCode::InvalidSignature => "invalid_signature",
            ErrorCode::PaymentNotCaptured => "payment_not_captured",
            ErrorCode::PaymentMismatch => "payment_mismatch",
            ErrorCode::SubscriptionExists => "subscription_exists",
            ErrorCode::SubscriptionNotFound => "subscription_not_found",
            ErrorCode::RefundTooLarge => "refund_too_large",
            ErrorCode::InvalidWebhook => "invalid_webhook",
            ErrorCode::GatewayUnavailable => "gateway_unavailable",
            ErrorCode::GatewayError => "gateway_error",
        }
    }
}

/// One field's failure inside a `validation_failed` problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldProblem {
    /// The request field, e.g. `password`.
    pub field: String,
    /// A stable code for the rule broken, e.g. `too_short`.
    pub code: String,
    /// A sentence for people.
    pub message: String,
}

/// An error response (`application/problem+json`, RFC 9457).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    /// A URI naming the problem type: `urn:penora:problem:<code>`.
    #[serde(rename = "type")]
    pub type_uri: String,
    /// A short summary of the problem type.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What happened this time, for people.
    pub detail: String,
    /// The stable machine-readable code.
    pub code: ErrorCode,
    /// Per-field failures (validation only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    /// The id of the request, also in the `X-Request-Id` header; quote it in bug reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Extra facts for some codes (e.g. `retry_after` seconds for `rate_limited`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub extra: Option<serde_json::Value>,
}
