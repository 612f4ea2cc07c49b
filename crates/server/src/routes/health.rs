//! Operations: liveness, readiness with details, and Prometheus metrics. Liveness is public;
//! the other two are served on the ops listener (`PENORA_OPS_BIND`), and on the public port
//! only to a request bearing `PENORA_OPS_TOKEN`.

use std::time::Instant;

use actix_web::guard::{self, GuardContext};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use penora_api_types::{DatabaseHealth, DetailedHealth, Health, MigrationHealth, ProviderHealth};
use penora_store::Backend;
use secrecy::ExposeSecret;

use crate::error::ApiError;
use crate::http::metrics::Metrics;
use penora_app::AppState;

/// The public port: `/health`, and the other two behind the ops token. Without it they do
/// not match, so the request ends in the usual `404 not_found`: nothing says they exist.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/health").route(web::get().to(health)))
        .service(
            web::resource("/health/detailed")
                .guard(guard::fn_guard(bears_ops_token))
                .route(web::get().to(detailed)),
        )
        .service(
            web::resource("/metrics")
                .guard(guard::fn_guard(bears_ops_token))
                .route(web::get().to(metrics)),
        );
}

/// The ops listener: all three, to anyone who can reach it.
pub fn configure_ops(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/health").route(web::get().to(health)))
        .service(web::resource("/health/detailed").route(web::get().to(detailed)))
        .service(web::resource("/metrics").route(web::get().to(metrics)));
}

/// Whether the request carries `Authorization: Bearer <PENORA_OPS_TOKEN>` (never, when no
/// token is configured).
fn bears_ops_token(ctx: &GuardContext<'_>) -> bool {
    let Some(expected) = ctx
        .app_data::<web::Data<AppState>>()
        .and_then(|state| state.config.settings.ops_token.clone())
    else {
        return false;
    };
    let presented = ctx
        .head()
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    presented.is_some_and(|token| same_secret(token, expected.expose_secret()))
}

/// Compares digests, so the time taken says nothing about how much of the token was right.
fn same_secret(presented: &str, expected: &str) -> bool {
    let digest = |s: &str| ring::digest::digest(&ring::digest::SHA256, s.as_bytes());
    digest(presented).as_ref() == digest(expected).as_ref()
}

/// Liveness: the process answers. Touches nothing else, so it stays cheap.
#[utoipa::path(get, path = "/health", tag = "operations", responses((status = 200, body = Health)))]
#[tracing::instrument(name = "routes::health::health", skip_all)]
pub async fn health() -> web::Json<Health> {
    web::Json(Health {
        status: "ok".to_owned(),
    })
}

/// Readiness: database reachable, migrations current, version and uptime. 503 when unhealthy.
///
/// Served on the ops listener (`PENORA_OPS_BIND`); on the public port only with
/// `Authorization: Bearer <PENORA_OPS_TOKEN>`, and `404` otherwise.
#[utoipa::path(get, path = "/health/detailed", tag = "operations",
    security((), ("ops_token" = [])),
    responses((status = 200, body = DetailedHealth), (status = 503, description = "Unhealthy", body = DetailedHealth),
        (status = 404, description = "On the public port without the ops token", body = penora_api_types::Problem, content_type = "application/problem+json")))]
#[tracing::instrument(name = "routes::health::detailed", skip_all)]
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
        providers: providers(&state).await,
    };
    let status = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    HttpResponse::build(status).json(report)
}

/// Each configured provider's reachability (see `penora_app::reachability`).
async fn providers(state: &AppState) -> Vec<ProviderHealth> {
    let providers = state
        .providers
        .ids()
        .filter_map(|id| state.providers.get(id))
        .collect();
    state
        .reachability
        .report(providers)
        .await
        .into_iter()
        .map(|(id, checked)| ProviderHealth {
            id: id.to_owned(),
            status: checked.status.to_owned(),
            error: checked.error.map(str::to_owned),
            latency_ms: checked.latency_ms,
            checked_seconds_ago: checked.at.elapsed().as_secs(),
        })
        .collect()
}

/// Prometheus text exposition: HTTP requests and latency; generations, words, credits and
/// tokens by model; payments; open holds (read at each scrape); group-commit batches;
/// upstream requests, time to first event and errors by provider. The names are listed in
/// deploy/README.md.
///
/// Served on the ops listener (`PENORA_OPS_BIND`); on the public port only with
/// `Authorization: Bearer <PENORA_OPS_TOKEN>`, and `404` otherwise.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    security((), ("ops_token" = [])),
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain"),
        (status = 404, description = "On the public port without the ops token", body = penora_api_types::Problem, content_type = "application/problem+json")))]
#[tracing::instrument(name = "routes::health::metrics", skip_all)]
pub async fn metrics(
    state: web::Data<AppState>,
    metrics: web::Data<Metrics>,
) -> Result<HttpResponse, ApiError> {
    // The holds are read now; a database that is away leaves them as last read.
    if let Err(err) = penora_app::metrics::refresh_holds(&state).await {
        tracing::warn!(error = %err, "open holds not read for the metrics");
    }
    let body = metrics.render().map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(body))
}
