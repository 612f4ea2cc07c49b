//! Billing: the catalog, orders and plans with their verification, payments and receipts.

use gloo_net::http::Request;
use penora_api_types::{
    BillingCatalog, CreateOrderRequest, CurrentPlan, OrderCheckout, PaymentList, SubscribeRequest,
    SubscriptionCheckout, VerifiedOrder, VerifyOrderRequest, VerifySubscriptionRequest,
};

use super::{exports, get, read, send, ApiError, Method};
use crate::session::Session;

/// What is for sale, the plan tiers and which gateway takes payments; no sign-in.
pub async fn catalog() -> Result<BillingCatalog, ApiError> {
    read(
        Request::get("/api/v1/billing/catalog")
            .send()
            .await
            .map_err(ApiError::network)?,
    )
    .await
}

/// Orders a top-up or a pack; pay it at the answer's checkout, then verify it.
pub async fn create_order(session: Session, item_id: String) -> Result<OrderCheckout, ApiError> {
    let body = CreateOrderRequest { item_id };
    send(
        session,
        Method::Post,
        "/api/v1/billing/orders".into(),
        &body,
    )
    .await
}

/// Subscribes to a plan item; pay its first period at the answer's checkout.
pub async fn subscribe(
    session: Session,
    item_id: String,
) -> Result<SubscriptionCheckout, ApiError> {
    let body = SubscribeRequest { item_id };
    send(
        session,
        Method::Post,
        "/api/v1/billing/subscription".into(),
        &body,
    )
    .await
}

/// Checks what the checkout handed back and credits the order (once, however often asked).
pub async fn verify_order(
    session: Session,
    order_id: String,
    body: VerifyOrderRequest,
) -> Result<VerifiedOrder, ApiError> {
    let path = format!("/api/v1/billing/orders/{order_id}/verify");
    send(session, Method::Post, path, &body).await
}

/// Checks a subscription's first payment and grants its period (once).
pub async fn verify_subscription(
    session: Session,
    body: VerifySubscriptionRequest,
) -> Result<CurrentPlan, ApiError> {
    let path = "/api/v1/billing/subscription/verify".into();
    send(session, Method::Post, path, &body).await
}

/// The plan that applies now and the latest subscription.
pub async fn current_plan(session: Session) -> Result<CurrentPlan, ApiError> {
    get(session, "/api/v1/billing/subscription".into()).await
}

/// Ends the plan with its paid period.
pub async fn cancel_plan(session: Session) -> Result<CurrentPlan, ApiError> {
    let path = "/api/v1/billing/subscription/cancel".into();
    send(session, Method::Post, path, &serde_json::json!({})).await
}

/// A page of payments, newest first.
pub async fn payments(session: Session, cursor: Option<String>) -> Result<PaymentList, ApiError> {
    let path = match cursor {
        Some(c) => format!(
            "/api/v1/billing/payments?limit=20&cursor={}",
            js_sys::encode_uri_component(&c)
        ),
        None => "/api/v1/billing/payments?limit=20".to_owned(),
    };
    get(session, path).await
}

/// Downloads a payment's receipt (a PDF behind the Bearer header, so no plain link).
pub async fn download_receipt(session: Session, receipt_url: String) -> Result<(), ApiError> {
    exports::download(session, receipt_url, "penora-receipt.pdf".to_owned()).await
}
