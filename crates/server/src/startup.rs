//! Building and running the HTTP server. `Application::build` binds first (port 0 picks a
//! free one, which tests use) and reports the port before serving. Beside the public
//! listener, an ops listener (`PENORA_OPS_BIND`) serves health details and metrics.

use std::future::Future;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::http::KeepAlive;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use penora_ai::{HttpSettings, Offline, ProviderConfig, Providers, Timeouts};
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::http::assets::{self, Assets};
use crate::http::security::{security_headers, SecurityHeaders};
use crate::http::{extract_errors, fallback, metrics::Metrics, observe::observe};
use crate::openapi::ApiDoc;
use crate::routes;
use penora_app::api_keys::KeyCache;
use penora_app::auth::jwt::JwtKeys;
use penora_app::billing::catalog::BillingCatalog;
use penora_app::catalog::Catalog;
use penora_app::config::{Config, Settings};
use penora_app::context::{AppState, Shared};
use penora_app::generations::Running;
use penora_app::mailer::Mailer;
use penora_app::prompts::Prompts;
use penora_app::streams::Streams;

pub struct Application {
    port: u16,
    server: Server,
    ops: Option<(u16, Server)>,
    state: AppState,
}

impl Application {
    /// Connects to the database (migrating it when configured) and binds the listener.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        Self::with_state(connected_state(config).await?)
    }

    /// As [`Application::build`], serving on a listener bound by the caller (whose socket
    /// options the accepted connections inherit) instead of binding `bind`.
    pub async fn build_on(config: Config, listener: TcpListener) -> anyhow::Result<Self> {
        Self::with_listener(connected_state(config).await?, listener)
    }

    /// Serves with state made by the caller (the CLI and tests share `build_state`).
    pub fn with_state(state: AppState) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(&state.config.settings.bind)?;
        Self::with_listener(state, listener)
    }

    fn with_listener(state: AppState, listener: TcpListener) -> anyhow::Result<Self> {
        let settings = &state.config.settings;
        let served = Served {
            metrics: web::Data::new(Metrics::new()?),
            headers: web::Data::new(SecurityHeaders::from_settings(settings)?),
        };
        let ops = match settings.ops_bind.trim() {
            "" => None,
            bind => {
                let listener = TcpListener::bind(bind).with_context(|| {
                    format!("cannot bind the ops listener (ops_bind) to {bind}")
                })?;
                let port = listener.local_addr()?.port();
                Some((port, run_ops(listener, state.clone(), served.clone())?))
            }
        };
        let port = listener.local_addr()?.port();
        let server = run(listener, state.clone(), served)?;
        Ok(Self {
            port,
            server,
            ops,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The ops listener's port, when there is one.
    pub fn ops_port(&self) -> Option<u16> {
        self.ops.as_ref().map(|(port, _)| *port)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGINT or SIGTERM, then stops as [`Application::run_until`] says.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(stop_signal()).await
    }

    /// Serves until `stop` resolves, then stops without leaving money in flight:
    /// 1. the public listener closes (a load balancer's next connection goes to another
    ///    replica) and new generations are refused (`503 server_restarting`) on connections
    ///    still open;
    /// 2. running generations may finish within `shutdown_grace_secs`; those still running
    ///    then end with an `error` event `server_restarting`, billed for what they delivered;
    /// 3. once every generation has settled (its hold and concurrency slot given back), the
    ///    workers and the ops listener stop, and the share views counted since the last
    ///    flush are written.
    ///
    /// The group-commit writers run on this (the main) runtime, where settling runs too
    /// ([`penora_app::shutdown`]), so their last writes are committed before this returns.
    pub async fn run_until(self, stop: impl Future<Output = ()>) -> std::io::Result<()> {
        let public = self.server.handle();
        let ops = self.ops.as_ref().map(|(_, server)| server.handle());
        // A task of its own: the servers' futures also carry out the stop commands below.
        let mut serving = tokio::spawn(async move {
            match self.ops {
                Some((_, ops)) => futures_util::future::try_join(self.server, ops)
                    .await
                    .map(|_| ()),
                None => self.server.await,
            }
        });
        tokio::select! {
            served = &mut serving => return served.unwrap_or_else(|e| Err(std::io::Error::other(e))),
            () = stop => {}
        }
        let state = self.state;
        let shutdown = &state.shutdown;
        let grace = state.config.settings.shutdown_grace();
        tracing::info!(
            running = shutdown.running(),
            grace_secs = grace.as_secs(),
            "stopping: no new connections or generations"
        );
        shutdown.begin();
        let public_stopped = public.stop(true);
        if !shutdown.wait(grace).await {
            tracing::info!(
                running = shutdown.running(),
                "the grace period is over: ending the running generations"
            );
            shutdown.cut();
            if !shutdown.wait(SETTLE_LIMIT).await {
                tracing::warn!(
                    running = shutdown.running(),
                    "generations still settling at exit: the sweeper settles them"
                );
            }
        }
        public_stopped.await;
        if let Some(ops) = ops {
            ops.stop(true).await;
        }
        let served = serving
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)));
        if let Err(err) = state.share_lookups.flush(&state.db).await {
            tracing::warn!(error = %err, "share views not written at shutdown");
        }
        tracing::info!("stopped");
        served
    }
}

/// How long generations ended at shutdown may take to settle before the process exits
/// anyway (their holds then expire and the sweeper settles them).
const SETTLE_LIMIT: Duration = Duration::from_secs(10);

/// SIGINT (Ctrl+C) or SIGTERM (process managers, `docker stop`).
async fn stop_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}

/// Connects to the database (migrating it when configured), builds the state and records
/// the welcome grants of accounts older than grants (see `record_welcome_grants`).
async fn connected_state(config: Config) -> anyhow::Result<AppState> {
    if config.settings.migrate_on_start {
        penora_store::migrate_url(&config.database_url).await?;
    }
    let db = penora_store::connect(&config.database_url, config.pool_size()).await?;
    penora_store::clock::sync(&db).await?;
    let state = build_state(config, db)?;
    penora_app::accounts::record_welcome_grants(&state).await?;
    Ok(state)
}

pub fn build_state(
    config: Config,
    db: penora_store::DatabaseConnection,
) -> anyhow::Result<AppState> {
    let jwt = JwtKeys::new(&config.jwt_secret, config.settings.access_token_ttl_secs);
    let secrets = penora_app::crypto::SecretBox::new(&config.encryption_key)?;
    let keyed = penora_app::crypto::KeyedHashes::new(&config.encryption_key)?;
    let mailer = Mailer::from_config(&config)?;
    let providers = providers(&config.settings)?;
    let catalog = Catalog::load(config.settings.models_file.as_deref(), |provider| {
        providers.is_available(provider)
    })?;
    let prompts = Prompts::load(config.settings.prompts_file.as_deref())?;
    let billing = BillingCatalog::load(config.settings.payments.billing_file.as_deref(), &catalog)?;
    let gateways = penora_app::billing::gateway::build(&config, &db)?;
    let reads = penora_store::readers(&db, &config.database_url)?;
    let key_cache_ms = config.settings.api_key_cache_ms;
    // Half the pool: one user's starts leave the other half to everyone else.
    let starts = penora_store::admission::Admission::new(config.pool_size() as usize / 2);
    let streams = Streams::new(
        config.settings.capacity.sse_streams_per_user,
        config.settings.capacity.sse_streams_total,
    );
    let passwords = penora_app::auth::password::Passwords::new(
        config.settings.password_hash_concurrency,
        Duration::from_millis(config.settings.password_hash_queue_ms),
    );
    let exports = penora_app::exports::Exporter::new(&config.settings)?;
    let sign_in = penora_app::sign_in::SignIn::new(&config)?;
    Ok(AppState::new(Shared {
        recorder: penora_store::recorded::Recorder::new(db.clone()),
        generations: penora_store::generations::Writer::new(db.clone()),
        db,
        reads,
        config: Arc::new(config),
        catalog: Arc::new(catalog),
        billing: Arc::new(billing),
        gateway: gateways.gateway,
        sandbox: gateways.sandbox,
        providers,
        prompts: Arc::new(prompts),
        running: Running::default(),
        shutdown: penora_app::shutdown::Shutdown::on_this_runtime(),
        availability: Default::default(),
        starts,
        streams,
        jwt,
        secrets,
        keyed,
        mailer,
        passwords,
        keys: KeyCache::new(Duration::from_millis(key_cache_ms)),
        share_lookups: Default::default(),
        reachability: Default::default(),
        exports,
        sign_in,
        started_at: Instant::now(),
    }))
}

/// The offline model and a client for every provider whose variables are set (environment
/// first, then the config file's `[providers]` table).
fn providers(settings: &Settings) -> anyhow::Result<Providers> {
    let config = ProviderConfig::from_lookup(|name| {
        std::env::var(name)
            .ok()
            .or_else(|| settings.providers.get(name).cloned())
    });
    let secs = Duration::from_secs;
    let http = HttpSettings {
        timeouts: Timeouts {
            connect: secs(settings.upstream_connect_timeout_secs),
            first_byte: secs(settings.upstream_first_byte_timeout_secs),
            idle: secs(settings.upstream_idle_timeout_secs),
        },
        ..HttpSettings::default()
    };
    let offline = Offline::new(Duration::from_millis(settings.offline_pace_ms));
    Ok(Providers::new(&config, http, offline)?)
}

/// Where the sandbox posts its webhooks: the setting, else this server's own endpoint.
fn webhook_url(listener: &TcpListener, settings: &Settings) -> std::io::Result<String> {
    if let Some(url) = &settings.payments.sandbox_webhook_url {
        return Ok(url.clone());
    }
    let mut addr = listener.local_addr()?;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    Ok(format!("http://{addr}/api/v1/billing/webhooks/razorpay"))
}

/// What the public and the ops listener share.
#[derive(Clone)]
struct Served {
    metrics: web::Data<Metrics>,
    headers: web::Data<SecurityHeaders>,
}

fn run(listener: TcpListener, state: AppState, served: Served) -> anyhow::Result<Server> {
    let Served { metrics, headers } = served;
    let settings = state.config.settings.clone();
    let assets = web::Data::new(match &settings.frontend_dir {
        Some(dir) => Assets::load(dir)?,
        None => Assets::default(),
    });
    crate::jobs::spawn(state.clone());
    tokio::spawn(penora_app::notices::listen(state.clone()));
    crate::jobs::spawn_billing(state.clone(), webhook_url(&listener, &settings)?);
    tokio::spawn(penora_app::share_lookups::flush_every(
        state.clone(),
        Duration::from_millis(settings.share_view_flush_ms.max(1)),
    ));
    state.recorder.start();
    state.generations.start();
    let openapi = ApiDoc::openapi();
    let state = web::Data::new(state);
    let capacity = settings.capacity.clone();
    let settings_grace = settings.shutdown_grace();
    // actix's own default, stated here so `max_connections` can be shared out per worker.
    let workers = std::thread::available_parallelism()
        .map_or(2, std::num::NonZeroUsize::get)
        .clamp(1, 512);
    // The listener is bound already (by us or the caller): listening again sets its queue.
    socket2::SockRef::from(&listener)
        .listen(i32::try_from(capacity.backlog).unwrap_or(i32::MAX))?;
    let server = HttpServer::new(move || {
        App::new()
            .wrap(fallback::problem_bodies())
            .wrap(cors(&settings.cors_origins))
            .wrap(from_fn(observe))
            .wrap(from_fn(security_headers))
            .app_data(state.clone())
            .app_data(metrics.clone())
            .app_data(headers.clone())
            .app_data(assets.clone())
            .app_data(extract_errors::json_config(settings.json_limit_bytes))
            .app_data(extract_errors::path_config())
            .app_data(extract_errors::query_config())
            .app_data(extract_errors::form_config())
            .configure(routes::configure)
            .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", openapi.clone()))
            .service(web::resource("/docs").route(web::get().to(docs_redirect)))
            .default_service(web::to(assets::serve))
    })
    // Streamed events are small writes: without TCP_NODELAY, Nagle's algorithm holds each
    // one back until the client's delayed ACK (40 ms on Linux).
    .on_connect(|connection, _| {
        if let Some(tcp) = connection.downcast_ref::<actix_web::rt::net::TcpStream>() {
            let _ = tcp.set_nodelay(true);
        }
    })
    .workers(workers)
    .max_connections(capacity.max_connections_per_worker(workers))
    .client_request_timeout(capacity.client_request_timeout())
    .client_disconnect_timeout(capacity.client_disconnect_timeout())
    .keep_alive(match capacity.keep_alive_secs {
        0 => KeepAlive::Disabled,
        secs => KeepAlive::Timeout(Duration::from_secs(secs)),
    })
    // Signals are handled by `run_until`, which stops the server itself once every
    // generation has settled; this timeout is only the last resort behind it.
    .disable_signals()
    .shutdown_timeout((settings_grace + SETTLE_LIMIT + Duration::from_secs(5)).as_secs())
    .listen(listener)?
    .run();
    Ok(server)
}

/// The ops listener: `/health`, `/health/detailed` and `/metrics`, to whoever reaches it
/// (bind it where only operators do). One worker: scrapes are few and cheap.
fn run_ops(listener: TcpListener, state: AppState, served: Served) -> anyhow::Result<Server> {
    let Served { metrics, headers } = served;
    let state = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            .wrap(fallback::problem_bodies())
            .wrap(from_fn(observe))
            .wrap(from_fn(security_headers))
            .app_data(state.clone())
            .app_data(metrics.clone())
            .app_data(headers.clone())
            .configure(routes::health::configure_ops)
            .default_service(web::to(fallback::not_found))
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(5)
    .listen(listener)?
    .run();
    Ok(server)
}

async fn docs_redirect() -> actix_web::HttpResponse {
    actix_web::HttpResponse::PermanentRedirect()
        .insert_header((actix_web::http::header::LOCATION, "/docs/"))
        .finish()
}

/// The app is same-origin by default; `PENORA_CORS_ORIGINS` lets other sites call the API.
fn cors(origins: &str) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST", "PATCH", "PUT", "DELETE"])
        .allowed_headers([
            "authorization",
            "content-type",
            "idempotency-key",
            "if-match",
            "x-request-id",
        ])
        .expose_headers(["etag", "x-request-id", "retry-after"])
        .supports_credentials()
        .max_age(3600);
    for origin in origins.split(',').map(str::trim).filter(|o| !o.is_empty()) {
        cors = cors.allowed_origin(origin);
    }
    cors
}
