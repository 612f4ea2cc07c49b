//! Operations: liveness, readiness with details, and Prometheus metrics.

use std::time::Instant;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use penora_api_types::{DatabaseHealth, DetailedHealth, Health, MigrationHealth};
use penora_store::Backend;

use crate::error::ApiError;
use crate::http::metrics::Metrics;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/health").route(web::get().to(health)))
        .service(web::resource("/health/detailed").route(web::get().to(detailed)))
        .service(web::resource("/metrics").route(web::get().to(metrics)));
}

/// Liveness: the process answers. Touches nothing else, so it stays cheap.
#[utoipa::path(get, path = "/health", tag = "operations", responses((status = 200, body = Health)))]
pub async fn health() -> web::Json<Health> {
    web::Json(Health {
        status: "ok".to_owned(),
    })
}

/// Readiness: database reachable, migrations current, version and uptime. 503 when unhealthy.
#[utoipa::path(get, path = "/health/detailed", tag = "operations",
    responses((status = 200, body = DetailedHealth), (status = 503, description = "Unhealthy", body = DetailedHealth)))]
pub async fn detailed(state: web::Data<AppState>) -> HttpResponse {
    let started = Instant::now();
    let ping = state.db.ping().await;
    let latency_ms = started.elapsed().as_millis() as u64;
    let database_ok = ping.is_ok();
    if let Err(err) = &ping {
        tracing::warn!(error = %err, "database health check failed");
    }
    let migrations = if database_ok {
        match penora_store::pending_migrations(&state.db).await {
            Ok(pending) if pending.is_empty() => MigrationHealth {
                status: "current".to_owned(),
                pending,
            },
            Ok(pending) => MigrationHealth {
                status: "pending".to_owned(),
                pending,
            },
            Err(_) => MigrationHealth {
                status: "unknown".to_owned(),
                pending: Vec::new(),
            },
        }
    } else {
        MigrationHealth {
            status: "unknown".to_owned(),
            pending: Vec::new(),
        }
    };
    let healthy = database_ok && migrations.status == "current";
    let report = DetailedHealth {
        status: if healthy { "ok" } else { "unhealthy" }.to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        uptime_seconds: state.started_at.elapsed().as_secs(),
        database: DatabaseHealth {
            status: if database_ok { "ok" } else { "unreachable" }.to_owned(),
            backend: Backend::of(&state.db).as_str().to_owned(),
            latency_ms: database_ok.then_some(latency_ms),
        },
        migrations,
    };
    let status = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    HttpResponse::build(status).json(report)
}

/// Prometheus text exposition: `penora_http_requests_total`, `penora_http_request_duration_seconds`.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
pub async fn metrics(metrics: web::Data<Metrics>) -> Result<HttpResponse, ApiError> {
    let body = metrics.render().map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(body))
}
