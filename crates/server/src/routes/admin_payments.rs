//! `/api/v1/admin/payments`: every payment, filtered, with the amount-mismatch flag; and
//! refunds through the gateway.

use actix_web::{web, HttpRequest, HttpResponse};
use penora_api_types::{AdminPayment, AdminPaymentList, AdminRefundRequest, RefundResult};
use penora_app::billing::{history, refunds, BillingError};
use penora_app::AppState;
use penora_domain::{PaymentStatus, UserId};
use penora_store::billing::payments::{PaymentFilter, PaymentRow};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::billing::payment_view;
use super::pagination::{bad_parameter, cursor, limit};
use super::responses::{idem, origin, replayable};
use crate::auth::AdminUser;
use crate::error::ApiError;

/// Mounted inside the `/admin` scope.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/payments").route(web::get().to(list)))
        .service(web::resource("/payments/{id}/refunds").route(web::post().to(refund)));
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PaymentQuery {
    pub user_id: Option<Uuid>,
    /// `captured`, `mismatch`, `partially_refunded` or `refunded`.
    pub status: Option<String>,
    /// Only payments whose amount or currency differ from what was asked.
    pub mismatched: Option<bool>,
    /// From this time (RFC 3339), inclusive.
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    /// Before this time (RFC 3339).
    pub to: Option<chrono::DateTime<chrono::Utc>>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

fn admin_view(state: &AppState, row: &PaymentRow) -> AdminPayment {
    AdminPayment {
        payment: payment_view(state, row),
        user_id: row.user_id,
        expected_amount_minor: row.expected_amount_minor,
        expected_currency: row.expected_currency.as_str().to_owned(),
        amount_mismatch: row.amount_minor != row.expected_amount_minor
            || *row.currency != *row.expected_currency,
    }
}

/// Every payment, newest first.
#[utoipa::path(get, path = "/api/v1/admin/payments", tag = "admin", security(("session" = ["admin"])),
    params(PaymentQuery),
    responses((status = 200, body = AdminPaymentList), (status = 400, description = "`invalid_parameter`"),
        (status = 403, description = "`forbidden`")))]
#[tracing::instrument(name = "routes::admin_payments::list", skip_all, fields(admin_id = %admin.0.id))]
pub async fn list(
    state: web::Data<AppState>,
    admin: AdminUser,
    query: web::Query<PaymentQuery>,
) -> Result<web::Json<AdminPaymentList>, ApiError> {
    let status = query
        .status
        .as_deref()
        .map(|s| s.parse::<PaymentStatus>())
        .transpose()
        .map_err(|_| {
            bad_parameter("`status` is captured, mismatch, partially_refunded or refunded")
        })?;
    let filter = PaymentFilter {
        user: query.user_id.map(UserId::from_uuid),
        status,
        mismatched: query.mismatched.unwrap_or(false),
        from: query.from,
        to: query.to,
        before: cursor(query.cursor.as_deref())?,
    };
    let page = history::all(&state, &filter, limit(query.limit)?).await?;
    Ok(web::Json(AdminPaymentList {
        items: page.items.iter().map(|r| admin_view(&state, r)).collect(),
        next_cursor: page.cursor(|r| r.id.to_string()),
    }))
}

/// Refund (part of) a payment through the gateway. The credits it granted go back in
/// proportion (rounded down), from what is available; the rest becomes a debt settled from
/// the user's next purchase or grant. Requires `Idempotency-Key`: a retry gets the refund
/// made the first time (`Idempotent-Replayed: true`), never a second one.
#[utoipa::path(post, path = "/api/v1/admin/payments/{id}/refunds", tag = "admin", security(("session" = ["admin"])),
    params(("id" = Uuid, Path), ("Idempotency-Key" = String, Header, description = "Unique per refund")),
    request_body = AdminRefundRequest,
    responses((status = 200, body = RefundResult),
        (status = 400, description = "`idempotency_key_required`"),
        (status = 403, description = "`forbidden`"),
        (status = 404, description = "`payment_not_found`"),
        (status = 422, description = "`refund_too_large`, or `idempotency_key_reused`: the key was sent with another request"),
        (status = 503, description = "`gateway_unavailable`: retry with the same key")))]
#[tracing::instrument(name = "routes::admin_payments::refund", skip_all, fields(admin_id = %admin.0.id))]
pub async fn refund(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: AdminUser,
    id: web::Path<String>,
    body: web::Json<AdminRefundRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = Uuid::try_parse(&id).map_err(|_| ApiError::from(BillingError::PaymentNotFound))?;
    let key = idem(&req, format!("admin:{}", admin.0.id), &body.0)?;
    let payment = history::find_any(&state, id).await?;
    let origin = origin(&req, &state);
    let outcome = refunds::issue(
        &state,
        admin.0.id,
        &payment,
        body.amount_minor,
        &key,
        &origin,
    )
    .await?;
    Ok(replayable(outcome.map(|applied| RefundResult {
        gateway_refund_id: applied.gateway_refund_id,
        amount_minor: applied.amount_minor,
        taken_mc: applied.taken_mc,
        debt_mc: applied.debt_mc,
    })))
}
