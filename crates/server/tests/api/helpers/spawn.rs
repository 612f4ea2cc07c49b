//! Starting the app: `spawn_app()` on a fresh database, and more servers sharing one.

use std::path::PathBuf;

use penora_app::config::{Config, Settings};
use penora_app::AppState;
use penora_server::startup::Application;
use reqwest::Client;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use secrecy::SecretString;
use tokio::sync::oneshot;
use uuid::Uuid;

use super::TEST_JWT_SECRET;

pub struct TestApp {
    pub address: String,
    /// The ops listener (`/metrics`, `/health/detailed`).
    pub ops_address: String,
    pub client: Client,
    pub data_dir: PathBuf,
    pub db: DatabaseConnection,
    pub state: AppState,
    pub database_url: String,
    postgres: Option<PostgresDb>,
    /// Stops the server as SIGTERM does ([`TestApp::shut_down`]).
    stop: std::sync::Mutex<Option<oneshot::Sender<()>>>,
    served: tokio::sync::Mutex<Option<tokio::task::JoinHandle<std::io::Result<()>>>>,
}

/// A database made for one test and dropped after it.
struct PostgresDb {
    admin_url: String,
    name: String,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the app with settings changed by `tweak` (e.g. tighter rate limits).
pub async fn spawn_app_with(tweak: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_on(tweak, None).await
}

/// Starts the app serving on `listener` when given (e.g. one with a small send buffer).
pub async fn spawn_app_on(
    tweak: impl FnOnce(&mut Settings),
    listener: Option<std::net::TcpListener>,
) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        penora_server::telemetry::init(penora_app::config::LogFormat::Text);
    }
    let (data_dir, database_url, postgres) = EmptyDatabase::new().await.into_parts();
    start_app(data_dir, database_url, postgres, tweak, listener).await
}

fn new_data_dir() -> PathBuf {
    let data_dir = std::env::temp_dir().join(format!("penora-test-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&data_dir).expect("data dir");
    data_dir
}

/// `*_BASE_URL` of every provider that takes users' own keys, all set to one fake (a new
/// one per server: it lives on the test's runtime). Setting a base URL configures no
/// provider for the platform: that needs its key.
async fn own_key_upstreams() -> std::collections::BTreeMap<String, String> {
    let fake = penora_fake_upstream::FakeUpstream::quiet(|_, _| {
        penora_fake_upstream::Reply::status(500, "the key-check fake generates nothing")
    })
    .await;
    penora_ai::KNOWN_UPSTREAMS
        .iter()
        .filter(|upstream| upstream.key_required)
        .map(|upstream| (upstream.base_url_var.to_owned(), fake.base_url.clone()))
        .collect()
}

/// Starts a server on `database_url` (and `listener`, when given); the returned app drops
/// `postgres` when dropped.
async fn start_app(
    data_dir: PathBuf,
    database_url: String,
    postgres: Option<PostgresDb>,
    tweak: impl FnOnce(&mut Settings),
    listener: Option<std::net::TcpListener>,
) -> TestApp {
    let mut settings = Settings {
        bind: "127.0.0.1:0".to_owned(),
        ops_bind: "127.0.0.1:0".to_owned(),
        data_dir: data_dir.clone(),
        database_url: Some(database_url.clone()),
        sweep_interval_ms: 3_600_000,
        db_max_connections: Some(8),
        jwt_secret_key: Some(SecretString::from(TEST_JWT_SECRET.to_owned())),
        rate_login_per_ip_per_minute: 1000,
        rate_login_per_email_ip_per_minute: 1000,
        rate_login_per_email_ip_per_hour: 1000,
        rate_login_per_email_per_hour: 1000,
        rate_password_checks_per_user_per_hour: 1000,
        rate_signup_per_ip_per_hour: 1000,
        rate_email_per_address_per_hour: 1000,
        // Tests start many generations and streams; those that test the caps set them low.
        capacity: penora_app::config::Capacity {
            rate_generations_per_user_per_minute: 1_000_000,
            rate_generations_per_key_per_minute: 1_000_000,
            sse_streams_per_user: 10_000,
            sse_streams_total: 10_000,
            ..Default::default()
        },
        // The offline model streams at full speed unless a test wants to watch it.
        offline_pace_ms: 0,
        // The sandbox signs with secrets the tests know (so they can sign webhooks
        // themselves) and delivers its webhooks promptly; reconciling is started by the
        // tests that test it.
        payments: penora_app::config::PaymentSettings {
            razorpay_key_secret: Some(SecretString::from(super::TEST_KEY_SECRET.to_owned())),
            razorpay_webhook_secret: Some(SecretString::from(
                super::TEST_WEBHOOK_SECRET.to_owned(),
            )),
            billing_retry_interval_ms: 100,
            billing_reconcile_interval_ms: 0,
            rate_checkouts_per_user_per_hour: 1_000,
            ..Default::default()
        },
        // Every provider a user may bring a key for is this local fake, which checks
        // keys as the real ones do (a key containing "refused" is refused).
        providers: own_key_upstreams().await,
        ..Settings::default()
    };
    tweak(&mut settings);
    let config = Config::resolve(settings).expect("config");
    let app = match listener {
        None => Application::build(config).await,
        Some(listener) => Application::build_on(config, listener).await,
    }
    .expect("app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let ops_address = format!("http://127.0.0.1:{}", app.ops_port().unwrap_or_default());
    let db = app.state().db.clone();
    let state = app.state().clone();
    let (stop, stopped) = oneshot::channel::<()>();
    // Dropping the app without `shut_down` leaves its server running until the test's
    // runtime ends, as a server killed with the test would be.
    let served = tokio::spawn(app.run_until(async move {
        if stopped.await.is_err() {
            std::future::pending::<()>().await;
        }
    }));
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    TestApp {
        address,
        ops_address,
        client,
        data_dir,
        db,
        state,
        database_url,
        postgres,
        stop: std::sync::Mutex::new(Some(stop)),
        served: tokio::sync::Mutex::new(Some(served)),
    }
}

async fn create_postgres_database(admin_url: &str) -> PostgresDb {
    let name = format!("penora_test_{}", Uuid::new_v4().simple());
    let admin = Database::connect(admin_url)
        .await
        .expect("PENORA_TEST_DATABASE_URL reachable");
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .expect("create test database");
    admin.close().await.ok();
    PostgresDb {
        admin_url: admin_url.to_owned(),
        name,
    }
}

/// The same server URL pointing at another database.
fn with_database(url: &str, name: &str) -> String {
    let mut parsed = url::Url::parse(url).expect("database url");
    parsed.set_path(&format!("/{name}"));
    parsed.to_string()
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data_dir);
        if let Some(pg) = self.postgres.take() {
            drop_postgres(pg);
        }
    }
}

/// Drops a test's PostgreSQL database. Drop runs outside async: a short-lived runtime on its
/// own thread does the work.
fn drop_postgres(pg: PostgresDb) {
    let _ = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .ok()?;
        rt.block_on(async {
            let admin = Database::connect(&pg.admin_url).await.ok()?;
            admin
                .execute_unprepared(&format!(
                    "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                    pg.name
                ))
                .await
                .ok()?;
            admin.close().await.ok()
        })
    })
    .join();
}

/// A database with nothing in it, not even the migrations (on the test's engine), dropped
/// when this is.
pub struct EmptyDatabase {
    pub url: String,
    data_dir: PathBuf,
    postgres: Option<PostgresDb>,
}

impl EmptyDatabase {
    pub async fn new() -> Self {
        let data_dir = new_data_dir();
        let (url, postgres) = match std::env::var("PENORA_TEST_DATABASE_URL") {
            Ok(admin_url) => {
                let db = create_postgres_database(&admin_url).await;
                (with_database(&admin_url, &db.name), Some(db))
            }
            Err(_) => (
                format!("sqlite://{}?mode=rwc", data_dir.join("penora.db").display()),
                None,
            ),
        };
        Self {
            url,
            data_dir,
            postgres,
        }
    }
}

impl EmptyDatabase {
    /// Its data dir, URL and PostgreSQL database, which the caller now drops.
    fn into_parts(mut self) -> (PathBuf, String, Option<PostgresDb>) {
        let data_dir = std::mem::take(&mut self.data_dir);
        (
            data_dir,
            std::mem::take(&mut self.url),
            self.postgres.take(),
        )
    }
}

impl Drop for EmptyDatabase {
    fn drop(&mut self) {
        if !self.data_dir.as_os_str().is_empty() {
            let _ = std::fs::remove_dir_all(&self.data_dir);
        }
        if let Some(pg) = self.postgres.take() {
            drop_postgres(pg);
        }
    }
}

impl TestApp {
    /// Stops the server as SIGTERM does, and waits until it has stopped.
    pub async fn shut_down(&self) -> std::io::Result<()> {
        let stop = self.stop.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(stop) = stop {
            let _ = stop.send(());
        }
        match self.served.lock().await.take() {
            Some(served) => served
                .await
                .unwrap_or_else(|e| Err(std::io::Error::other(e))),
            None => Ok(()),
        }
    }

    /// A second server on this app's database, as another replica would be: its own port,
    /// data dir and connection pool, and the same secrets. The database stays this app's.
    pub async fn another_server(&self) -> TestApp {
        self.another_server_with(|_| {}).await
    }

    /// Like `another_server`, with settings changed by `tweak`.
    pub async fn another_server_with(&self, tweak: impl FnOnce(&mut Settings)) -> TestApp {
        let encryption_key = self.state.config.encryption_key.clone();
        let tweak = |s: &mut Settings| {
            s.encryption_key = Some(encryption_key);
            tweak(s);
        };
        start_app(new_data_dir(), self.database_url.clone(), None, tweak, None).await
    }
}
