//! The outermost middleware: gives each request an id (header, log span, problem bodies),
//! logs one line per request and records metrics.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, Error};
use tracing::Instrument;

use penora_app::request_id;

use super::metrics::Metrics;

/// The header a request id arrives in and is echoed back in.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = request_id::accept_or_new(
        req.headers()
            .get(REQUEST_ID_HEADER)
            .and_then(|v| v.to_str().ok()),
    );
    let method = req.method().clone();
    let path = req.path().to_owned();
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    // Who is calling is recorded by the authenticating extractors, once they know.
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        %method,
        %path,
        user_id = tracing::field::Empty,
        key_id = tracing::field::Empty,
        app_key_id = tracing::field::Empty,
    );
    let started = Instant::now();

    let result = request_id::scope(id.clone(), next.call(req).instrument(span.clone())).await;
    let mut response = result?;

    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    // Only a matched resource names the route: the default service (404s of any path) and
    // a mount answering for every path below it (the browser app's files) do not.
    let route = response
        .request()
        .match_pattern()
        .filter(|pattern| !pattern.is_empty())
        .unwrap_or_else(|| "unmatched".to_owned());
    if let Some(metrics) = metrics {
        metrics.observe(&method, &route, status, elapsed.as_secs_f64());
    }
    span.in_scope(|| {
        tracing::info!(status, route = %route, latency_ms = elapsed.as_millis() as u64, "served");
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
    Ok(response)
}
