//! `/api/v1/billing/...`: the catalog, orders and their verification, the gateway's
//! webhooks, subscriptions, and payments with their receipts. The sandbox's test-mode
//! checkout is in `billing_sandbox`, the admin's payment views in `admin_payments`.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use penora_api_types::{
    BillingCatalog, CatalogItem, CreateOrderRequest, CurrentPlan, OrderCheckout, Payment,
    PaymentList, PlanTier, SubscribeRequest, Subscription, SubscriptionCheckout, VerifiedOrder,
    VerifyOrderRequest, VerifySubscriptionRequest, WebhookAck,
};
use penora_app::billing::catalog::Tier;
use penora_app::billing::orders::{self, Checkout, Signed};
use penora_app::billing::plan::{self, Plan};
use penora_app::billing::webhooks::{self, Received};
use penora_app::billing::{history, receipts, subscriptions, BillingError};
use penora_app::AppState;
use penora_domain::UserId;
use penora_store::billing::payments::PaymentRow;
use penora_store::billing::subscriptions::SubscriptionRow;
use uuid::Uuid;

use super::pagination::{cursor, limit};
use super::responses::{idem, origin, replayable};
use crate::auth::SessionUser;
use crate::error::ApiError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/billing/catalog").route(web::get().to(catalog)))
        .service(web::resource("/billing/orders").route(web::post().to(create_order)))
        .service(web::resource("/billing/orders/{id}/verify").route(web::post().to(verify_order)))
        .service(web::resource("/billing/webhooks/razorpay").route(web::post().to(webhook)))
        .service(
            web::resource("/billing/subscription")
                .route(web::post().to(subscribe))
                .route(web::get().to(current_plan)),
        )
        .service(web::resource("/billing/subscription/cancel").route(web::post().to(cancel)))
        .service(
            web::resource("/billing/subscription/verify")
                .route(web::post().to(verify_subscription)),
        )
        .service(web::resource("/billing/payments").route(web::get().to(payments)))
        .service(web::resource("/billing/payments/{id}/receipt").route(web::get().to(receipt)));
}

fn tier_view(state: &AppState, plan: &Plan, name: &str) -> PlanTier {
    PlanTier {
        id: plan.tier.clone(),
        name: name.to_owned(),
        storage_bytes: plan.storage_bytes,
        concurrent_generations: plan.concurrent_generations,
        generations_per_minute: plan.generations_per_minute,
        models: state
            .catalog
            .models()
            .iter()
            .filter(|m| m.enabled && plan.allows(m))
            .map(|m| m.id.clone())
            .collect(),
    }
}

fn plan_of(tier: &Tier) -> Plan {
    Plan {
        tier: tier.id.clone(),
        storage_bytes: tier.storage_bytes,
        concurrent_generations: tier.concurrent_generations,
        generations_per_minute: tier.generations_per_minute,
    }
}

fn plan_name(state: &AppState, plan: &Plan) -> String {
    state
        .billing
        .tier(&plan.tier)
        .map_or_else(|| "Free".to_owned(), |t| t.name.clone())
}

/// What is for sale: top-ups, packs and plans with their prices, and what each plan tier
/// (and the free tier) gives. No sign-in needed.
#[utoipa::path(get, path = "/api/v1/billing/catalog", tag = "billing",
    responses((status = 200, body = BillingCatalog)))]
#[tracing::instrument(name = "routes::billing::catalog", skip_all)]
pub async fn catalog(state: web::Data<AppState>) -> web::Json<BillingCatalog> {
    let billing = &state.billing;
    let currency = billing.currency().as_str().to_owned();
    let items = billing
        .items()
        .iter()
        .map(|item| CatalogItem {
            id: item.id.clone(),
            kind: item.kind.as_str().to_owned(),
            name: item.name.clone(),
            credits_mc: item.grant().get(),
            price_minor: item.price_minor,
            currency: currency.clone(),
            tier: item.tier.clone(),
            period: item.period.map(|p| p.as_str().to_owned()),
        })
        .collect();
    let free = Plan::free(&state);
    web::Json(BillingCatalog {
        currency,
        items,
        free: tier_view(&state, &free, "Free"),
        tiers: billing
            .tiers()
            .iter()
            .map(|t| tier_view(&state, &plan_of(t), &t.name))
            .collect(),
        gateway: state.gateway.kind().as_str().to_owned(),
        key_id: state.gateway.key_id().to_owned(),
    })
}

pub(crate) fn checkout_view(c: Checkout) -> OrderCheckout {
    OrderCheckout {
        order_id: c.order_id,
        item_id: c.item_id,
        credits_mc: c.credits_mc,
        amount_minor: c.amount_minor,
        currency: c.currency,
        gateway: c.gateway,
        gateway_order_id: c.gateway_order_id,
        key_id: c.key_id,
        checkout_url: c.checkout_url,
        status: c.status,
        created_at: c.created_at,
    }
}

/// Order a top-up or a pack. The amount is the catalog's (an amount in the body is
/// ignored). Pay it with Razorpay Checkout (or the sandbox's page at `checkout_url`), then
/// verify it. With an `Idempotency-Key`, a retry answers the first order.
#[utoipa::path(post, path = "/api/v1/billing/orders", tag = "billing", security(("session" = [])),
    request_body = CreateOrderRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry answer the first order")),
    responses(
        (status = 201, body = OrderCheckout),
        (status = 404, description = "`unknown_item`: nothing was ordered"),
        (status = 422, description = "`wrong_item_kind`: plans are bought with `POST /billing/subscription`; `idempotency_key_reused`"),
        (status = 429, description = "`rate_limited`: too many orders and subscriptions started this hour; see `Retry-After`"),
        (status = 502, description = "`gateway_error`: the gateway refused; nothing was stored"),
        (status = 503, description = "`gateway_unavailable`: the gateway is down or slow; nothing was stored"),
    ))]
#[tracing::instrument(name = "routes::billing::create_order", skip_all, fields(user_id = %user.id))]
pub async fn create_order(
    state: web::Data<AppState>,
    req: HttpRequest,
    SessionUser(user): SessionUser,
    body: web::Json<CreateOrderRequest>,
) -> Result<HttpResponse, ApiError> {
    let key = match req.headers().contains_key("idempotency-key") {
        true => Some(idem(&req, format!("order:{}", user.id), &*body)?),
        false => None,
    };
    let origin = origin(&req, &state);
    let outcome = orders::create(&state, user.id, &body.item_id, key.as_ref(), &origin).await?;
    Ok(replayable(outcome.map(checkout_view)))
}

pub(crate) fn payment_view(state: &AppState, row: &PaymentRow) -> Payment {
    Payment {
        id: row.id,
        item_id: row.item_id.clone(),
        item_name: state
            .billing
            .item(&row.item_id)
            .map_or_else(|| row.item_id.clone(), |i| i.name.clone()),
        credits_mc: row.credits_mc,
        amount_minor: row.amount_minor,
        currency: row.currency.as_str().to_owned(),
        status: row.status.as_str().to_owned(),
        refunded_minor: row.refunded_minor,
        gateway: row.gateway.clone(),
        gateway_payment_id: row.gateway_payment_id.clone(),
        order_id: row.order_id,
        subscription_id: row.subscription_id,
        period_start: row.period_start,
        period_end: row.period_end,
        receipt_number: row.receipt_number.clone(),
        receipt_url: format!("/api/v1/billing/payments/{}/receipt", row.id),
        created_at: row.created_at,
    }
}

fn order_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::try_parse(raw).map_err(|_| BillingError::OrderNotFound.into())
}

/// Verify a payment the checkout handed back: the signature (HMAC-SHA256 of
/// `order_id|payment_id` with the key secret), then the payment at the gateway (captured,
/// the order's amount and currency), then credit once. Repeating it, or verifying after the
/// webhook did, answers the same payment and credits nothing more.
#[utoipa::path(post, path = "/api/v1/billing/orders/{id}/verify", tag = "billing", security(("session" = [])),
    params(("id" = Uuid, Path, description = "The order id `POST /billing/orders` gave")),
    request_body = VerifyOrderRequest,
    responses(
        (status = 200, body = VerifiedOrder),
        (status = 400, description = "`invalid_signature`: nothing was credited"),
        (status = 404, description = "`order_not_found` (or not yours); `payment_not_found`"),
        (status = 409, description = "`payment_not_captured`"),
        (status = 422, description = "`payment_mismatch`: amount or currency differ; nothing was credited, flagged for an admin"),
        (status = 503, description = "`gateway_unavailable`"),
    ))]
#[tracing::instrument(name = "routes::billing::verify_order", skip_all,
    fields(user_id = %user.id, order_id = %id))]
pub async fn verify_order(
    state: web::Data<AppState>,
    req: HttpRequest,
    SessionUser(user): SessionUser,
    id: web::Path<String>,
    body: web::Json<VerifyOrderRequest>,
) -> Result<web::Json<VerifiedOrder>, ApiError> {
    let id = order_id(&id)?;
    let order = orders::find(&state, user.id, id).await?;
    if body
        .razorpay_order_id
        .as_deref()
        .is_some_and(|given| given != order.gateway_order_id)
    {
        return Err(BillingError::InvalidSignature.into());
    }
    let signed = Signed {
        payment_id: body.razorpay_payment_id.clone(),
        signature: body.razorpay_signature.clone(),
    };
    let origin = origin(&req, &state);
    let (order, applied) = orders::verify(&state, user.id, id, &signed, &origin).await?;
    Ok(web::Json(VerifiedOrder {
        order: checkout_view(orders::checkout_of(&state, &order)),
        payment: payment_view(&state, &applied.payment),
        balance_mc: applied.balance_mc,
    }))
}

/// The gateway's webhooks (register this URL with Razorpay, with the events
/// `payment.captured`, `payment.failed`, `order.paid`, `refund.processed` and
/// `subscription.*`). The raw body must carry a valid `X-Razorpay-Signature`; each event id is
/// applied once. An event that cannot be applied yet is stored and retried: still `200`.
#[utoipa::path(post, path = "/api/v1/billing/webhooks/razorpay", tag = "billing",
    request_body(content = Object, description = "Razorpay's event, signed over the raw bytes"),
    params(
        ("X-Razorpay-Signature" = String, Header, description = "HMAC-SHA256 of the raw body with the webhook secret, hex"),
        ("X-Razorpay-Event-Id" = Option<String>, Header, description = "The event id deliveries are de-duplicated by"),
    ),
    responses(
        (status = 200, body = WebhookAck),
        (status = 400, description = "`invalid_signature` (nothing stored) or `invalid_webhook`"),
    ))]
#[tracing::instrument(name = "routes::billing::webhook", skip_all)]
pub async fn webhook(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<web::Json<WebhookAck>, ApiError> {
    let header_of = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let origin = origin(&req, &state);
    let received = webhooks::receive(
        &state,
        &body,
        header_of(penora_payments::SIGNATURE_HEADER),
        header_of(penora_payments::EVENT_ID_HEADER),
        &origin,
    )
    .await?;
    let (status, outcome) = match received {
        Received::Applied { outcome } => ("applied", Some(outcome)),
        Received::Deferred { reason } => ("deferred", Some(reason)),
        Received::Duplicate => ("duplicate", None),
    };
    Ok(web::Json(WebhookAck {
        status: status.to_owned(),
        outcome,
    }))
}

pub(crate) fn subscription_view(row: &SubscriptionRow) -> Subscription {
    let renews = matches!(
        *row.status,
        penora_domain::SubscriptionStatus::Active | penora_domain::SubscriptionStatus::Pending
    ) && !row.cancel_at_period_end;
    Subscription {
        id: row.id,
        item_id: row.item_id.clone(),
        tier: row.tier.clone(),
        status: row.status.as_str().to_owned(),
        gateway: row.gateway.clone(),
        gateway_subscription_id: row.gateway_subscription_id.clone(),
        current_period_start: row.current_start,
        current_period_end: row.current_end,
        next_renewal_at: row.current_end.filter(|_| renews),
        cancel_at_period_end: row.cancel_at_period_end,
        entitled_until: row.entitled_until,
        created_at: row.created_at,
    }
}

/// Subscribe to a plan (`lite-monthly`, `pro-yearly` ...). Pay the first period with Razorpay
/// Checkout (`subscription_id`) or the sandbox's page; each paid period then grants the
/// plan's credits once, and the plan's storage and models apply while it is paid for.
#[utoipa::path(post, path = "/api/v1/billing/subscription", tag = "billing", security(("session" = [])),
    request_body = SubscribeRequest,
    responses(
        (status = 201, body = SubscriptionCheckout),
        (status = 404, description = "`unknown_item`"),
        (status = 409, description = "`subscription_exists`: cancel the live one first"),
        (status = 422, description = "`wrong_item_kind`: not a plan"),
        (status = 429, description = "`rate_limited`: too many orders and subscriptions started this hour; see `Retry-After`"),
        (status = 502, description = "`gateway_error`"),
        (status = 503, description = "`gateway_unavailable`"),
    ))]
#[tracing::instrument(name = "routes::billing::subscribe", skip_all, fields(user_id = %user.id))]
pub async fn subscribe(
    state: web::Data<AppState>,
    req: HttpRequest,
    SessionUser(user): SessionUser,
    body: web::Json<SubscribeRequest>,
) -> Result<HttpResponse, ApiError> {
    let origin = origin(&req, &state);
    let subscribed = subscriptions::create(&state, user.id, &body.item_id, &origin).await?;
    Ok(HttpResponse::Created().json(SubscriptionCheckout {
        subscription: subscription_view(&subscribed.row),
        key_id: subscribed.key_id,
        checkout_url: subscribed.checkout_url,
    }))
}

/// Your plan now (the free tier without one) and your latest subscription: status, period,
/// next renewal.
#[utoipa::path(get, path = "/api/v1/billing/subscription", tag = "billing", security(("session" = [])),
    responses((status = 200, body = CurrentPlan)))]
#[tracing::instrument(name = "routes::billing::current_plan", skip_all, fields(user_id = %user.id))]
pub async fn current_plan(
    state: web::Data<AppState>,
    SessionUser(user): SessionUser,
) -> Result<web::Json<CurrentPlan>, ApiError> {
    plan_response(&state, user.id).await
}

async fn plan_response(state: &AppState, user: UserId) -> Result<web::Json<CurrentPlan>, ApiError> {
    let plan = plan::of(state, user).await?;
    let subscription = subscriptions::current(state, user).await?;
    Ok(web::Json(CurrentPlan {
        plan: tier_view(state, &plan, &plan_name(state, &plan)),
        subscription: subscription.as_ref().map(subscription_view),
    }))
}

/// Cancel your subscription: a paid one at the end of the current period (the plan stays
/// until then), one never paid at once.
#[utoipa::path(post, path = "/api/v1/billing/subscription/cancel", tag = "billing", security(("session" = [])),
    responses(
        (status = 200, body = CurrentPlan),
        (status = 404, description = "`subscription_not_found`: nothing live to cancel"),
        (status = 503, description = "`gateway_unavailable`"),
    ))]
#[tracing::instrument(name = "routes::billing::cancel", skip_all, fields(user_id = %user.id))]
pub async fn cancel(
    state: web::Data<AppState>,
    req: HttpRequest,
    SessionUser(user): SessionUser,
) -> Result<web::Json<CurrentPlan>, ApiError> {
    let origin = origin(&req, &state);
    subscriptions::cancel(&state, user.id, &origin).await?;
    plan_response(&state, user.id).await
}

/// Verify your subscription's first payment as Checkout handed it back (signature
/// HMAC-SHA256 of `payment_id|subscription_id` with the key secret): the period is granted
/// now instead of when the gateway's webhook arrives, once either way.
#[utoipa::path(post, path = "/api/v1/billing/subscription/verify", tag = "billing", security(("session" = [])),
    request_body = VerifySubscriptionRequest,
    responses(
        (status = 200, body = CurrentPlan),
        (status = 400, description = "`invalid_signature`: nothing was granted"),
        (status = 404, description = "`subscription_not_found` (or not yours); `payment_not_found`"),
        (status = 409, description = "`payment_not_captured`"),
        (status = 503, description = "`gateway_unavailable`"),
    ))]
#[tracing::instrument(name = "routes::billing::verify_subscription", skip_all, fields(user_id = %user.id))]
pub async fn verify_subscription(
    state: web::Data<AppState>,
    req: HttpRequest,
    SessionUser(user): SessionUser,
    body: web::Json<VerifySubscriptionRequest>,
) -> Result<web::Json<CurrentPlan>, ApiError> {
    let origin = origin(&req, &state);
    subscriptions::verify(
        &state,
        user.id,
        &body.razorpay_subscription_id,
        &body.razorpay_payment_id,
        &body.razorpay_signature,
        &origin,
    )
    .await?;
    plan_response(&state, user.id).await
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct PageQuery {
    /// 1 to 100; 20 when left out.
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Your payments, newest first, each with its receipt.
#[utoipa::path(get, path = "/api/v1/billing/payments", tag = "billing", security(("session" = [])),
    params(PageQuery),
    responses((status = 200, body = PaymentList), (status = 400, description = "`invalid_parameter`")))]
#[tracing::instrument(name = "routes::billing::payments", skip_all, fields(user_id = %user.id))]
pub async fn payments(
    state: web::Data<AppState>,
    SessionUser(user): SessionUser,
    query: web::Query<PageQuery>,
) -> Result<web::Json<PaymentList>, ApiError> {
    let limit = limit(query.limit)?;
    let page = history::of_user(&state, user.id, cursor(query.cursor.as_deref())?, limit).await?;
    Ok(web::Json(PaymentList {
        items: page.items.iter().map(|r| payment_view(&state, r)).collect(),
        next_cursor: page.cursor(|r| r.id.to_string()),
    }))
}

/// A payment's receipt (PDF): number, date, item, amount and currency, the seller.
#[utoipa::path(get, path = "/api/v1/billing/payments/{id}/receipt", tag = "billing", security(("session" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "`application/pdf`, with `Content-Disposition: attachment`"),
        (status = 404, description = "`payment_not_found` (or not yours)"),
    ))]
#[tracing::instrument(name = "routes::billing::receipt", skip_all, fields(user_id = %user.id))]
pub async fn receipt(
    state: web::Data<AppState>,
    SessionUser(user): SessionUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = Uuid::try_parse(&id).map_err(|_| ApiError::from(BillingError::PaymentNotFound))?;
    let (name, pdf) = receipts::render(&state, user.id, id).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(pdf))
}
