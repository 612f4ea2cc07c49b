//! `/api/v1/billing/sandbox/...`: the sandbox gateway's TEST MODE checkout page (pay, fail
//! or cancel an order or a subscription's first period; like a gateway's hosted page it
//! needs no sign-in), and test-mode controls for your own subscriptions (charge the next
//! period now, make renewal fail). `404` unless the sandbox is the gateway.

use actix_web::{web, HttpResponse};
use penora_api_types::{SandboxCheckoutRequest, SandboxCheckoutResult};
use penora_app::billing::checkout::{self, Paying};
use penora_app::billing::BillingError;
use penora_app::AppState;
use penora_domain::{Currency, Money};
use penora_payments::{CheckoutAction, CheckoutResult, Tamper};
use serde::Deserialize;

use crate::auth::SessionUser;
use crate::error::ApiError;

const SCRIPT: &str = include_str!("sandbox_page/checkout.js");
const STYLE: &str = include_str!("sandbox_page/checkout.css");

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/billing/sandbox/checkout")
            .route(web::get().to(page))
            .route(web::post().to(choose)),
    )
    .service(web::resource("/billing/sandbox/checkout.js").route(web::get().to(script)))
    .service(web::resource("/billing/sandbox/checkout.css").route(web::get().to(style)))
    .service(
        web::resource("/billing/sandbox/subscriptions/{id}/renew").route(web::post().to(renew)),
    )
    .service(web::resource("/billing/sandbox/subscriptions/{id}/halt").route(web::post().to(halt)));
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PageQuery {
    /// The gateway order id (`order_...`), or
    pub order_id: Option<String>,
    /// the gateway subscription id (`sub_...`).
    pub subscription_id: Option<String>,
    /// A path on this site to go to afterwards, with the result in its query (like
    /// Razorpay Checkout's handler).
    pub return_url: Option<String>,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Only a path on this site: never another origin (no open redirect).
fn local_path(url: Option<&str>) -> &str {
    url.filter(|u| u.starts_with('/') && !u.starts_with("//") && !u.contains('\\'))
        .unwrap_or("")
}

/// The TEST MODE checkout page of an order or a subscription.
#[utoipa::path(get, path = "/api/v1/billing/sandbox/checkout", tag = "billing", params(PageQuery),
    responses((status = 200, description = "An HTML page (TEST MODE)"),
        (status = 404, description = "`order_not_found`, `subscription_not_found`, or `not_found`: the sandbox is not the gateway")))]
#[tracing::instrument(name = "routes::billing_sandbox::page", skip_all)]
pub async fn page(
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let paying = match (&query.order_id, &query.subscription_id) {
        (Some(id), _) => checkout::order(&state, id).await?,
        (None, Some(id)) => checkout::subscription(&state, id).await?,
        (None, None) => return Err(BillingError::OrderNotFound.into()),
    };
    let currency = state.billing.currency();
    let (target, what, amount, credits) = match &paying {
        Paying::Order { order, item } => (
            format!("data-order-id=\"{}\"", escape(&order.gateway_order_id)),
            item.map_or(order.item_id.clone(), |i| i.name.clone()),
            Money::new(order.amount_minor, *order.currency),
            order.credits_mc / 1000,
        ),
        Paying::Subscription { row, item } => (
            format!(
                "data-subscription-id=\"{}\"",
                escape(&row.gateway_subscription_id)
            ),
            item.map_or(row.item_id.clone(), |i| i.name.clone()),
            Money::new(item.map_or(0, |i| i.price_minor), currency),
            item.map_or(0, |i| i.credits),
        ),
    };
    let return_url = escape(local_path(query.return_url.as_deref()));
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>TEST MODE checkout · Penora</title>\
         <link rel=\"stylesheet\" href=\"/api/v1/billing/sandbox/checkout.css\"></head><body>\
         <div class=\"banner\">TEST MODE: sandbox gateway, no money is taken</div>\
         <main {target} data-return-url=\"{return_url}\"><h1>Pay for {what}</h1>\
         <dl><dt>Item</dt><dd>{what}</dd><dt>Credits</dt><dd>{credits}</dd>\
         <dt>Amount</dt><dd>{amount}</dd></dl>\
         <p class=\"note\">Choose what the payment does. Paying signs the result and sends \
         the gateway's webhooks, like Razorpay.</p>\
         <div class=\"actions\"><button id=\"pay\">Pay {amount}</button>\
         <button id=\"fail\">Fail the payment</button><button id=\"cancel\">Cancel</button></div>\
         <pre id=\"result\"></pre></main>\
         <script src=\"/api/v1/billing/sandbox/checkout.js\"></script></body></html>",
        what = escape(&what),
        amount = escape(&amount.to_string()),
    );
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(html))
}

pub async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .body(SCRIPT)
}

pub async fn style() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .body(STYLE)
}

fn result_view(r: CheckoutResult) -> SandboxCheckoutResult {
    SandboxCheckoutResult {
        status: r.status,
        razorpay_order_id: r.razorpay_order_id,
        razorpay_subscription_id: r.razorpay_subscription_id,
        razorpay_payment_id: r.razorpay_payment_id,
        razorpay_signature: r.razorpay_signature,
        error_description: r.error_description,
    }
}

fn bad_field(field: &'static str, message: &str) -> ApiError {
    ApiError::validation(vec![penora_domain::FieldError::new(
        field, "invalid", message,
    )])
}

/// TEST MODE: pay, fail or cancel an order or a subscription's first period. Paying answers
/// the signed result Razorpay Checkout would hand the browser and queues the gateway's
/// webhooks.
#[utoipa::path(post, path = "/api/v1/billing/sandbox/checkout", tag = "billing",
    request_body = SandboxCheckoutRequest,
    responses((status = 200, body = SandboxCheckoutResult),
        (status = 404, description = "`order_not_found`, `subscription_not_found`, or the sandbox is not the gateway"),
        (status = 422, description = "`validation_failed`"),
        (status = 502, description = "`gateway_error`: e.g. the order is paid already")))]
#[tracing::instrument(name = "routes::billing_sandbox::choose", skip_all)]
pub async fn choose(
    state: web::Data<AppState>,
    body: web::Json<SandboxCheckoutRequest>,
) -> Result<web::Json<SandboxCheckoutResult>, ApiError> {
    let action = match body.action.as_str() {
        "pay" => CheckoutAction::Pay,
        "fail" => CheckoutAction::Fail,
        "cancel" => CheckoutAction::Cancel,
        _ => return Err(bad_field("action", "`action` is pay, fail or cancel.")),
    };
    if let Some(currency) = &body.currency {
        currency
            .parse::<Currency>()
            .map_err(|e| bad_field("currency", &e.to_string()))?;
    }
    if body.amount_minor.is_some_and(|a| a <= 0) {
        return Err(bad_field(
            "amount_minor",
            "`amount_minor` must be positive.",
        ));
    }
    let result = match (&body.order_id, &body.subscription_id) {
        (Some(id), None) => {
            checkout::order(&state, id).await?;
            let tamper = Tamper {
                amount: body.amount_minor,
                currency: body.currency.clone(),
            };
            checkout::pay_order(&state, id, action, tamper).await?
        }
        (None, Some(id)) => {
            checkout::subscription(&state, id).await?;
            checkout::pay_subscription(&state, id, action).await?
        }
        _ => {
            return Err(bad_field(
                "order_id",
                "Give `order_id` or `subscription_id`, one of them.",
            ))
        }
    };
    Ok(web::Json(result_view(result)))
}

/// The caller's subscription `id` (another's is not found).
async fn owned(state: &AppState, user: &SessionUser, id: &str) -> Result<(), ApiError> {
    match checkout::subscription(state, id).await? {
        Paying::Subscription { row, .. } if row.user_id == user.0.id.as_uuid() => Ok(()),
        _ => Err(BillingError::NoSubscription.into()),
    }
}

/// TEST MODE: charge your subscription's next period now (or end it, when it was cancelled
/// at the period's end); the gateway's webhooks follow.
#[utoipa::path(post, path = "/api/v1/billing/sandbox/subscriptions/{id}/renew", tag = "billing", security(("session" = [])),
    params(("id" = String, Path, description = "The gateway subscription id (`sub_...`)")),
    responses((status = 200, description = "The gateway's subscription (Razorpay's shape)", body = Object),
        (status = 404, description = "`subscription_not_found`, or the sandbox is not the gateway")))]
#[tracing::instrument(name = "routes::billing_sandbox::renew", skip_all)]
pub async fn renew(
    state: web::Data<AppState>,
    user: SessionUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    owned(&state, &user, &id).await?;
    let sub = checkout::renew(&state, &id).await?;
    Ok(HttpResponse::Ok().json(sub))
}

/// TEST MODE: your subscription's renewal fails for good (pending, then halted); the plan
/// is lost when the webhook arrives.
#[utoipa::path(post, path = "/api/v1/billing/sandbox/subscriptions/{id}/halt", tag = "billing", security(("session" = [])),
    params(("id" = String, Path, description = "The gateway subscription id (`sub_...`)")),
    responses((status = 200, description = "The gateway's subscription (Razorpay's shape)", body = Object),
        (status = 404, description = "`subscription_not_found`, or the sandbox is not the gateway")))]
#[tracing::instrument(name = "routes::billing_sandbox::halt", skip_all)]
pub async fn halt(
    state: web::Data<AppState>,
    user: SessionUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    owned(&state, &user, &id).await?;
    let sub = checkout::halt(&state, &id).await?;
    Ok(HttpResponse::Ok().json(sub))
}
