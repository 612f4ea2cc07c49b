//! The admin area: users and their ledgers, adjustments, the audit log, app keys, payments.
//! Every call needs a session with the admin role; the server refuses anyone else.

use gloo_net::http::Request;
use penora_api_types::{
    AdjustmentRequest, AdminPaymentList, AdminRefundRequest, AdminUserDetail, AdminUserPage,
    ApiKeyList, AuditPage, CreateAppKeyRequest, CreatedApiKey, RefundResult, Transaction,
};

use super::{
    authed, fetch_json, get, read, send, send_json, with_token, AbortOnDrop, ApiError, Method,
};
use crate::ids::{AppKeyId, PaymentId, UserId};
use crate::session::Session;

/// `key=value` pairs as a query string (`?` included; empty when there are none), encoded.
pub fn query(pairs: &[(&str, Option<String>)]) -> String {
    let Ok(params) = web_sys::UrlSearchParams::new() else {
        return String::new();
    };
    for (name, value) in pairs {
        if let Some(value) = value.as_deref().filter(|v| !v.trim().is_empty()) {
            params.append(name, value.trim());
        }
    }
    let text: String = params.to_string().into();
    if text.is_empty() {
        text
    } else {
        format!("?{text}")
    }
}

/// Users newest first; `query` is from [`query`] (`q`, `cursor`).
pub async fn admin_users(session: Session, query: String) -> Result<AdminUserPage, ApiError> {
    let path = format!("/api/v1/admin/users{query}");
    get(session, path).await
}

/// One user with their newest ledger entries.
pub async fn admin_user(session: Session, id: UserId) -> Result<AdminUserDetail, ApiError> {
    let path = format!("/api/v1/admin/users/{id}");
    get(session, path).await
}

/// Adds or takes credits with a reason. `idempotency_key` stays the same for retries of one
/// adjustment, so a repeated click or a lost answer never moves credits twice.
pub async fn adjust_balance(
    session: Session,
    id: UserId,
    body: AdjustmentRequest,
    idempotency_key: String,
) -> Result<Transaction, ApiError> {
    let path = format!("/api/v1/admin/users/{id}/adjustments");
    post_once(session, path, body, idempotency_key).await
}

/// A POST sent with an `Idempotency-Key`: retried with the same key, it is applied once.
async fn post_once<B, T>(
    session: Session,
    path: String,
    body: B,
    key: String,
) -> Result<T, ApiError>
where
    B: serde::Serialize + Clone + 'static,
    T: serde::de::DeserializeOwned + 'static,
{
    authed(session, move |token| {
        let (path, body, key) = (path.clone(), body.clone(), key.clone());
        async move {
            let abort = AbortOnDrop::new();
            let request = with_token(Request::post(&path), token.as_deref())
                .header("Idempotency-Key", &key)
                .abort_signal(abort.signal().as_ref());
            read(send_json(request, &body).await?).await
        }
    })
    .await
}

/// The audit log newest first; `query` is from [`query`] (filters and `cursor`).
pub async fn audit_log(session: Session, query: String) -> Result<AuditPage, ApiError> {
    let path = format!("/api/v1/admin/audit-log{query}");
    get(session, path).await
}

pub async fn app_keys(session: Session) -> Result<ApiKeyList, ApiError> {
    let path = "/api/v1/admin/app-keys".to_owned();
    get(session, path).await
}

/// A new app key: the answer is the only time its secret is shown.
pub async fn create_app_key(
    session: Session,
    body: CreateAppKeyRequest,
) -> Result<CreatedApiKey, ApiError> {
    let path = "/api/v1/admin/app-keys".to_owned();
    send(session, Method::Post, path, &body).await
}

pub async fn revoke_app_key(session: Session, id: AppKeyId) -> Result<(), ApiError> {
    let path = format!("/api/v1/admin/app-keys/{id}");
    fetch_json(session, Method::Delete, path, None, None).await
}

/// Every payment newest first; `query` is from [`query`] (filters and `cursor`).
pub async fn admin_payments(session: Session, query: String) -> Result<AdminPaymentList, ApiError> {
    let path = format!("/api/v1/admin/payments{query}");
    get(session, path).await
}

/// Refunds (part of) a payment through the gateway. `idempotency_key` stays the same for
/// retries of one refund: a retry after a lost answer gets the refund made the first time.
pub async fn refund_payment(
    session: Session,
    id: PaymentId,
    body: AdminRefundRequest,
    idempotency_key: String,
) -> Result<RefundResult, ApiError> {
    let path = format!("/api/v1/admin/payments/{id}/refunds");
    post_once(session, path, body, idempotency_key).await
}
