//! The Razorpay REST client (`https://api.razorpay.com/v1/`, HTTP Basic auth with the key id
//! and key secret). Each call is one HTTP request (or, for `subscription_payments`, a list
//! and then one request per invoice); nothing retries here.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::json;
use url::Url;

use crate::entities::{Collection, Invoice, Order, Payment, Plan, Refund, Subscription};
use crate::error::GatewayError;
use crate::gateway::{Gateway, GatewayKind};
use crate::requests::{NewOrder, NewPlan, NewRefund, NewSubscription};
use crate::signature::Signer;

/// Razorpay's live and test API base.
pub const DEFAULT_BASE_URL: &str = "https://api.razorpay.com/v1/";

/// How many invoices one `GET /invoices` may return (Razorpay's maximum `count`).
const INVOICE_PAGE: usize = 100;

/// The header that makes a refund request idempotent.
pub const REFUND_IDEMPOTENCY: &str = "X-Refund-Idempotency";

pub struct RazorpayConfig {
    /// The API base, ending in `/v1/`; default `https://api.razorpay.com/v1/`.
    pub base_url: Url,
    pub key_id: String,
    pub key_secret: SecretString,
    pub webhook_secret: SecretString,
    /// The whole request, connect to last body byte.
    pub timeout: Duration,
    pub connect_timeout: Duration,
}

impl RazorpayConfig {
    /// A configuration for Razorpay's own API with 30 s / 5 s timeouts.
    pub fn new(key_id: String, key_secret: SecretString, webhook_secret: SecretString) -> Self {
        Self {
            base_url: default_base_url(),
            key_id,
            key_secret,
            webhook_secret,
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
        }
    }
}

/// `DEFAULT_BASE_URL` parsed.
pub fn default_base_url() -> Url {
    // A constant that parses (see the test `the_default_base_url_parses`).
    #[allow(clippy::expect_used)]
    Url::parse(DEFAULT_BASE_URL).expect("DEFAULT_BASE_URL is a valid URL")
}

impl std::fmt::Debug for RazorpayConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RazorpayConfig")
            .field("base_url", &self.base_url.as_str())
            .field("key_id", &self.key_id)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .finish_non_exhaustive()
    }
}

/// The Razorpay gateway.
pub struct Razorpay {
    http: reqwest::Client,
    base_url: Url,
    key_id: String,
    key_secret: SecretString,
    signer: Signer,
}

impl std::fmt::Debug for Razorpay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Razorpay")
            .field("base_url", &self.base_url.as_str())
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

/// Razorpay's error body: `{"error":{"code":"BAD_REQUEST_ERROR","description":"..."}}`.
#[derive(Debug, Default, Deserialize)]
struct ErrorBody {
    #[serde(default)]
    error: ErrorDetail,
}

#[derive(Debug, Default, Deserialize)]
struct ErrorDetail {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

impl Razorpay {
    pub fn new(config: RazorpayConfig) -> Result<Razorpay, GatewayError> {
        if config.base_url.cannot_be_a_base() {
            return Err(GatewayError::Malformed(format!(
                "razorpay base url {} cannot hold paths",
                config.base_url
            )));
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .build()
            .map_err(|e| GatewayError::Unavailable(format!("http client: {e}")))?;
        let signer = Signer::new(config.key_secret.clone(), config.webhook_secret);
        Ok(Razorpay {
            http,
            base_url: config.base_url,
            key_id: config.key_id,
            key_secret: config.key_secret,
            signer,
        })
    }

    /// The base URL with `segments` appended, each percent-encoded (ids come from clients).
    /// An empty, "." or ".." segment would address another resource: NotFound, unsent.
    fn url(&self, segments: &[&str]) -> Result<Url, GatewayError> {
        if let Some(bad) = segments.iter().find(|s| matches!(**s, "" | "." | "..")) {
            return Err(GatewayError::NotFound(format!(
                "no object has the id {bad:?}"
            )));
        }
        let mut url = self.base_url.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        Ok(url)
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        body: Option<serde_json::Value>,
    ) -> Result<T, GatewayError> {
        self.call_with(method, url, body, &[]).await
    }

    /// [`Self::call`] with extra request headers.
    async fn call_with<T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        body: Option<serde_json::Value>,
        headers: &[(&str, &str)],
    ) -> Result<T, GatewayError> {
        let what = format!("{method} {}", url.path());
        let mut request = self
            .http
            .request(method, url)
            .basic_auth(&self.key_id, Some(self.key_secret.expose_secret()));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.map_err(|e| transport(&what, &e))?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| transport(&what, &e))?;
        if status.is_success() {
            return serde_json::from_slice(&bytes)
                .map_err(|e| GatewayError::Malformed(format!("{what}: {e}")));
        }
        Err(error_for(&what, status, &bytes))
    }
}

/// A request that got no full answer: unreachable, timed out, or cut off.
fn transport(what: &str, e: &reqwest::Error) -> GatewayError {
    let cause = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    // The URL in reqwest's error holds no credential (they travel in a header); name only
    // the route and the cause.
    GatewayError::Unavailable(format!("{what}: {cause}"))
}

/// Sorts a non-2xx answer: 429/5xx Unavailable, 404 and "does not exist" NotFound, other 4xx
/// Rejected.
fn error_for(what: &str, status: StatusCode, body: &[u8]) -> GatewayError {
    let detail = serde_json::from_slice::<ErrorBody>(body)
        .unwrap_or_default()
        .error;
    let description = detail
        .description
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("").to_owned());
    if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        return GatewayError::Unavailable(format!("{what}: razorpay answered {status}"));
    }
    if status == StatusCode::NOT_FOUND
        || (status == StatusCode::BAD_REQUEST
            && description.to_ascii_lowercase().contains("does not exist"))
    {
        return GatewayError::NotFound(format!("{what}: {description}"));
    }
    GatewayError::Rejected {
        status: status.as_u16(),
        code: detail.code.unwrap_or_else(|| "UNKNOWN".to_owned()),
        description,
    }
}

#[async_trait::async_trait]
impl Gateway for Razorpay {
    fn kind(&self) -> GatewayKind {
        GatewayKind::Razorpay
    }

    fn key_id(&self) -> &str {
        &self.key_id
    }

    fn signer(&self) -> &Signer {
        &self.signer
    }

    async fn create_order(&self, order: &NewOrder) -> Result<Order, GatewayError> {
        let body = json!({
            "amount": order.amount,
            "currency": order.currency.as_str(),
            "receipt": order.receipt,
            "notes": order.notes,
        });
        self.call(Method::POST, self.url(&["orders"])?, Some(body))
            .await
    }

    async fn fetch_order(&self, id: &str) -> Result<Order, GatewayError> {
        self.call(Method::GET, self.url(&["orders", id])?, None)
            .await
    }

    async fn fetch_payment(&self, id: &str) -> Result<Payment, GatewayError> {
        self.call(Method::GET, self.url(&["payments", id])?, None)
            .await
    }

    async fn order_payments(&self, order_id: &str) -> Result<Vec<Payment>, GatewayError> {
        let list: Collection<Payment> = self
            .call(
                Method::GET,
                self.url(&["orders", order_id, "payments"])?,
                None,
            )
            .await?;
        Ok(list.items)
    }

    async fn refund(&self, payment_id: &str, refund: &NewRefund) -> Result<Refund, GatewayError> {
        let mut body = json!({ "notes": refund.notes });
        if let (Some(amount), Some(map)) = (refund.amount, body.as_object_mut()) {
            map.insert("amount".to_owned(), json!(amount));
        }
        let headers: Vec<_> = refund
            .idempotency_key
            .iter()
            .map(|key| (REFUND_IDEMPOTENCY, key.as_str()))
            .collect();
        self.call_with(
            Method::POST,
            self.url(&["payments", payment_id, "refund"])?,
            Some(body),
            &headers,
        )
        .await
    }

    async fn create_plan(&self, plan: &NewPlan) -> Result<Plan, GatewayError> {
        let mut item = json!({
            "name": plan.name,
            "amount": plan.amount,
            "currency": plan.currency.as_str(),
        });
        if let (Some(description), Some(map)) = (&plan.description, item.as_object_mut()) {
            map.insert("description".to_owned(), json!(description));
        }
        let body = json!({
            "period": plan.period.as_str(),
            "interval": plan.interval,
            "item": item,
            "notes": plan.notes,
        });
        self.call(Method::POST, self.url(&["plans"])?, Some(body))
            .await
    }

    async fn create_subscription(&self, s: &NewSubscription) -> Result<Subscription, GatewayError> {
        let body = json!({
            "plan_id": s.plan_id,
            "total_count": s.total_count,
            "notes": s.notes,
        });
        self.call(Method::POST, self.url(&["subscriptions"])?, Some(body))
            .await
    }

    async fn fetch_subscription(&self, id: &str) -> Result<Subscription, GatewayError> {
        self.call(Method::GET, self.url(&["subscriptions", id])?, None)
            .await
    }

    async fn cancel_subscription(
        &self,
        id: &str,
        at_cycle_end: bool,
    ) -> Result<Subscription, GatewayError> {
        let body = json!({ "cancel_at_cycle_end": i32::from(at_cycle_end) });
        self.call(
            Method::POST,
            self.url(&["subscriptions", id, "cancel"])?,
            Some(body),
        )
        .await
    }

    async fn subscription_payments(&self, id: &str) -> Result<Vec<Payment>, GatewayError> {
        let mut url = self.url(&["invoices"])?;
        url.query_pairs_mut()
            .append_pair("subscription_id", id)
            .append_pair("count", &INVOICE_PAGE.to_string());
        let invoices: Collection<Invoice> = self.call(Method::GET, url, None).await?;
        // Razorpay lists newest first; read oldest first, then order by charge time (stable,
        // so payments of the same second keep their invoices' order).
        let mut payments = Vec::new();
        for invoice in invoices.items.iter().rev() {
            if let Some(payment_id) = invoice.payment_id.as_deref().filter(|p| !p.is_empty()) {
                payments.push(self.fetch_payment(payment_id).await?);
            }
        }
        payments.sort_by_key(|p| p.created_at);
        Ok(payments)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(base: &str) -> Razorpay {
        let mut config = RazorpayConfig::new(
            "rzp_test_1".into(),
            SecretString::from("s3cr3t"),
            SecretString::from("wh"),
        );
        config.base_url = Url::parse(base).unwrap();
        Razorpay::new(config).unwrap()
    }

    #[test]
    fn path_segments_are_percent_encoded() {
        let r = client("http://127.0.0.1:9/v1/");
        assert_eq!(
            r.url(&["orders", "a/b?c#d", "payments"]).unwrap().as_str(),
            "http://127.0.0.1:9/v1/orders/a%2Fb%3Fc%23d/payments"
        );
        for id in ["", ".", ".."] {
            assert!(matches!(
                r.url(&["orders", id]),
                Err(GatewayError::NotFound(_))
            ));
        }
        let r = client("http://127.0.0.1:9/v1");
        assert_eq!(r.url(&["plans"]).unwrap().path(), "/v1/plans");
    }

    #[test]
    fn error_bodies_map_to_gateway_errors() {
        let body =
            |d: &str| format!(r#"{{"error":{{"code":"BAD_REQUEST_ERROR","description":"{d}"}}}}"#);
        assert!(matches!(
            error_for(
                "x",
                StatusCode::BAD_REQUEST,
                body("The id provided does not exist").as_bytes()
            ),
            GatewayError::NotFound(_)
        ));
        assert!(matches!(
            error_for("x", StatusCode::NOT_FOUND, b"not json"),
            GatewayError::NotFound(_)
        ));
        match error_for(
            "x",
            StatusCode::BAD_REQUEST,
            body("amount must be at least INR 1.00").as_bytes(),
        ) {
            GatewayError::Rejected {
                status,
                code,
                description,
            } => {
                assert_eq!((status, code.as_str()), (400, "BAD_REQUEST_ERROR"));
                assert_eq!(description, "amount must be at least INR 1.00");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            error_for(
                "x",
                StatusCode::UNAUTHORIZED,
                body("Authentication failed").as_bytes()
            ),
            GatewayError::Rejected { status: 401, .. }
        ));
        for s in [
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::BAD_GATEWAY,
            StatusCode::SERVICE_UNAVAILABLE,
        ] {
            assert!(error_for("x", s, b"").is_retryable());
        }
    }

    #[test]
    fn the_default_base_url_parses() {
        assert_eq!(default_base_url().as_str(), DEFAULT_BASE_URL);
    }

    #[test]
    fn debug_shows_no_secret() {
        let printed = format!("{:?}", client("http://127.0.0.1:9/v1/"));
        assert!(!printed.contains("s3cr3t"));
    }
}
