//! Starting a purchase: order the item (or subscribe to the plan), then pay at the
//! gateway's checkout. The sandbox's TEST MODE page is a page of the server's own, so the
//! browser goes there and comes back to the result page; Razorpay's opens over this page.

use penora_api_types::{CatalogItem, OrderCheckout, SubscriptionCheckout};

use super::razorpay;
use super::RESULT_PATH;
use crate::api::{self, ApiError};
use crate::session::Session;

/// How a purchase that did not leave the page ended.
pub enum Started {
    /// The browser is on its way to the checkout page.
    Leaving,
    /// Razorpay's modal is open over this page.
    Open,
}

/// A purchase that could not start: the server's problem, or Checkout's own words.
pub enum StartError {
    Api(Box<ApiError>),
    Checkout(String),
}

impl StartError {
    pub fn message(&self) -> String {
        match self {
            Self::Api(err) => say(err),
            Self::Checkout(text) => text.clone(),
        }
    }
}

/// The server's refusals in the pricing page's words.
fn say(err: &ApiError) -> String {
    use penora_api_types::ErrorCode;
    match err.code() {
        Some(ErrorCode::SubscriptionExists) => {
            "You already have a plan. Cancel it on the Billing page before choosing another."
                .to_owned()
        }
        Some(ErrorCode::RateLimited) => {
            "Too many purchases started this hour. Try again a little later.".to_owned()
        }
        Some(ErrorCode::GatewayUnavailable | ErrorCode::GatewayError) => {
            "The payment provider is not answering right now; nothing was charged. Try again in a minute."
                .to_owned()
        }
        _ => err.message(),
    }
}

fn leave_for(url: &str) -> Result<Started, StartError> {
    let window = web_sys::window().ok_or_else(|| StartError::Checkout("No window.".into()))?;
    window
        .location()
        .assign(url)
        .map_err(|_| StartError::Checkout("The checkout page could not be opened.".into()))?;
    Ok(Started::Leaving)
}

/// The sandbox's page, told to come back to the result page with `back` in its query.
fn sandbox_page(checkout_url: &str, back: &str) -> String {
    let joiner = if checkout_url.contains('?') { '&' } else { '?' };
    let return_url = format!("{RESULT_PATH}?{back}");
    format!(
        "{checkout_url}{joiner}return_url={}",
        String::from(js_sys::encode_uri_component(&return_url))
    )
}

/// Orders (or subscribes to) `item` and opens its checkout. `on_dismiss` runs when the
/// payer closes Razorpay's modal without paying.
pub async fn start(
    session: Session,
    item: CatalogItem,
    on_dismiss: impl Fn() + 'static,
) -> Result<Started, StartError> {
    let email = session.user().map(|u| u.email);
    if item.kind == "plan" {
        let checkout = api::subscribe(session, item.id.clone())
            .await
            .map_err(|err| StartError::Api(Box::new(err)))?;
        pay_subscription(checkout, &item, email, on_dismiss).await
    } else {
        let order = api::create_order(session, item.id.clone())
            .await
            .map_err(|err| StartError::Api(Box::new(err)))?;
        pay_order(order, &item, email, on_dismiss).await
    }
}

async fn pay_order(
    order: OrderCheckout,
    item: &CatalogItem,
    email: Option<String>,
    on_dismiss: impl Fn() + 'static,
) -> Result<Started, StartError> {
    let back = format!("order={}", order.order_id);
    if order.gateway == "sandbox" {
        let url = order
            .checkout_url
            .as_deref()
            .ok_or_else(|| StartError::Checkout("The test checkout page is missing.".into()))?;
        return leave_for(&sandbox_page(url, &back));
    }
    let options = razorpay::Options {
        key: order.key_id,
        order_id: Some(order.gateway_order_id),
        subscription_id: None,
        amount_minor: Some(order.amount_minor),
        currency: Some(order.currency),
        description: item.name.clone(),
        email,
        return_to: format!("{RESULT_PATH}?{back}"),
    };
    razorpay::open(options, on_dismiss)
        .await
        .map_err(StartError::Checkout)?;
    Ok(Started::Open)
}

async fn pay_subscription(
    checkout: SubscriptionCheckout,
    item: &CatalogItem,
    email: Option<String>,
    on_dismiss: impl Fn() + 'static,
) -> Result<Started, StartError> {
    let sub = &checkout.subscription;
    let back = format!("subscription={}&item={}", sub.id, item.id);
    if sub.gateway == "sandbox" {
        let url = checkout
            .checkout_url
            .as_deref()
            .ok_or_else(|| StartError::Checkout("The test checkout page is missing.".into()))?;
        return leave_for(&sandbox_page(url, &back));
    }
    let options = razorpay::Options {
        key: checkout.key_id.clone(),
        order_id: None,
        subscription_id: Some(sub.gateway_subscription_id.clone()),
        amount_minor: None,
        currency: None,
        description: item.name.clone(),
        email,
        return_to: format!("{RESULT_PATH}?{back}"),
    };
    match razorpay::open(options, on_dismiss).await {
        Ok(()) => Ok(Started::Open),
        // Razorpay's own hosted page for the subscription, when Checkout cannot open here.
        Err(text) => match checkout.checkout_url.as_deref() {
            Some(url) => leave_for(url),
            None => Err(StartError::Checkout(text)),
        },
    }
}
