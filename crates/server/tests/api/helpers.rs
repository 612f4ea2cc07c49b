//! `spawn_app()` and the `TestApp` helpers every test uses.

use std::path::PathBuf;

use penora_app::config::{Config, Settings};
use penora_app::AppState;
use penora_server::startup::Application;
use reqwest::header::{HeaderMap, SET_COOKIE};
use reqwest::{Client, Response, StatusCode};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use secrecy::SecretString;
use serde_json::{json, Value};
use uuid::Uuid;

pub const PASSWORD: &str = "correct horse 7";
pub const TEST_JWT_SECRET: &str = "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz";

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
    let data_dir = new_data_dir();
    let (database_url, postgres) = match std::env::var("PENORA_TEST_DATABASE_URL") {
        Ok(admin_url) => {
            let db = create_postgres_database(&admin_url).await;
            (with_database(&admin_url, &db.name), Some(db))
        }
        Err(_) => (
            format!("sqlite://{}?mode=rwc", data_dir.join("penora.db").display()),
            None,
        ),
    };
    start_app(data_dir, database_url, postgres, tweak, listener).await
}

fn new_data_dir() -> PathBuf {
    let data_dir = std::env::temp_dir().join(format!("penora-test-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&data_dir).expect("data dir");
    data_dir
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
    tokio::spawn(app.run_until_stopped());
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
            // Drop runs outside async; a short-lived runtime on its own thread does the work.
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
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// GET from the ops listener.
    pub async fn ops_get(&self, path: &str) -> Response {
        let url = format!("{}{path}", self.ops_address);
        self.client.get(url).send().await.expect("request")
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    pub async fn get_authed(&self, path: &str, token: &str) -> Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    pub async fn post_authed(&self, path: &str, token: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn signup(&self, email: &str, password: &str) -> Response {
        self.post_json(
            "/api/v1/auth/signup",
            &json!({ "email": email, "password": password }),
        )
        .await
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.post_json(
            "/api/v1/auth/login",
            &json!({ "email": email, "password": password }),
        )
        .await
    }

    /// Signs up a fresh user; returns (access token, refresh cookie value).
    pub async fn signed_up_user(&self, email: &str) -> Session {
        let response = self.signup(email, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        Session::from_response(response).await
    }

    /// Presents a refresh token the way a browser would: as the cookie.
    pub async fn refresh(&self, refresh_token: &str) -> Response {
        self.client
            .post(self.url("/api/v1/auth/refresh"))
            .header("cookie", format!("penora_refresh={refresh_token}"))
            .send()
            .await
            .expect("request")
    }

    /// The mails written to the development outbox, oldest first.
    pub fn outbox(&self) -> Vec<Value> {
        let dir = self.data_dir.join("outbox");
        let mut paths: Vec<_> = std::fs::read_dir(&dir)
            .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        paths.sort();
        paths
            .iter()
            .map(|p| {
                serde_json::from_slice(&std::fs::read(p).expect("mail file")).expect("mail json")
            })
            .collect()
    }

    /// The token in the newest mailed link sent to `to`.
    pub fn mailed_token(&self, to: &str) -> String {
        let mail = self
            .outbox()
            .into_iter()
            .rev()
            .find(|m| m["to"] == to)
            .expect("a mail to the address");
        let link = mail["link"].as_str().expect("link");
        link.split("token=")
            .nth(1)
            .expect("token in link")
            .to_owned()
    }

    pub async fn count(&self, sql: &str) -> i64 {
        let row = self
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                self.db.get_database_backend(),
                sql.to_owned(),
            ))
            .await
            .expect("query")
            .expect("row");
        row.try_get_by_index::<i64>(0).expect("count")
    }
}

pub struct Session {
    pub body: Value,
    pub access_token: String,
    pub refresh_token: String,
}

impl Session {
    pub async fn from_response(response: Response) -> Self {
        let refresh_token = refresh_cookie(response.headers()).expect("refresh cookie");
        let body: Value = response.json().await.expect("json");
        let access_token = body["access_token"]
            .as_str()
            .expect("access token")
            .to_owned();
        Self {
            body,
            access_token,
            refresh_token,
        }
    }
}

/// The refresh token from a `Set-Cookie` header, if one was set (and not cleared).
pub fn refresh_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("penora_refresh="))
        .map(|rest| rest.split(';').next().unwrap_or_default().to_owned())
        .filter(|v| !v.is_empty())
}

/// Asserts a problem+json response with the given status and code; returns the body.
pub async fn assert_problem(response: Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(response.status(), status, "status");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("application/problem+json"),
        "content type {content_type}"
    );
    assert!(response.headers().contains_key("x-request-id"));
    let body: Value = response.json().await.expect("problem json");
    assert_eq!(body["code"], code, "body {body}");
    assert_eq!(body["status"], status.as_u16());
    assert_eq!(body["type"], format!("urn:penora:problem:{code}"));
    assert!(body["request_id"].is_string(), "request id in body {body}");
    body
}

impl TestApp {
    /// A signed-in admin (the role is read from the database on every request).
    pub async fn admin(&self, email: &str) -> Session {
        let session = self.signed_up_user(email).await;
        let email = penora_domain::Email::parse(email).expect("email");
        penora_store::users::set_role(&self.db, &email, penora_domain::Role::Admin)
            .await
            .expect("grant admin");
        session
    }

    /// An app key with these scopes, issued by a fresh admin.
    pub async fn app_key(&self, scopes: &[&str]) -> String {
        let admin = self
            .admin(&format!("admin-{}@example.com", Uuid::new_v4().simple()))
            .await;
        let response = self
            .post_authed(
                "/api/v1/admin/app-keys",
                &admin.access_token,
                &json!({ "name": "imagegene", "scopes": scopes }),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.expect("json");
        body["secret"].as_str().expect("secret").to_owned()
    }

    /// POST with a bearer token and an Idempotency-Key.
    pub async fn post_idem(&self, path: &str, token: &str, key: &str, body: &Value) -> Response {
        self.post_idem_at(&self.address, path, token, key, body)
            .await
    }

    /// Like `post_idem`, to another server sharing this app's database.
    pub async fn post_idem_at(
        &self,
        base: &str,
        path: &str,
        token: &str,
        key: &str,
        body: &Value,
    ) -> Response {
        self.client
            .post(format!("{base}{path}"))
            .bearer_auth(token)
            .header("idempotency-key", key)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// Asserts that a session no longer works: neither its access token nor its refresh token.
    pub async fn assert_session_ended(&self, session: &Session) {
        let me = self.get_authed("/api/v1/me", &session.access_token).await;
        assert_problem(me, StatusCode::UNAUTHORIZED, "unauthorized").await;
        let refresh = self.refresh(&session.refresh_token).await;
        assert_problem(refresh, StatusCode::UNAUTHORIZED, "invalid_refresh_token").await;
    }

    /// An app debit of `amount_mc` from `user` under Idempotency-Key `key_id`.
    pub async fn debit(&self, app_key: &str, user: &str, key_id: &str, amount_mc: i64) -> Response {
        let path = format!("/api/v1/apps/users/{user}/debits");
        self.post_idem(&path, app_key, key_id, &json!({ "amount_mc": amount_mc }))
            .await
    }

    pub async fn user_id(&self, session: &Session) -> String {
        session.body["user"]["id"].as_str().expect("id").to_owned()
    }

    /// Checks the ledger invariants for every user: balance = sum of entries, reserved =
    /// open holds, nothing negative.
    pub async fn assert_ledger_consistent(&self) {
        use sea_orm::EntityTrait;
        let users = penora_store::entities::user::Entity::find()
            .all(&self.db)
            .await
            .expect("users");
        for user in users {
            let id = penora_domain::UserId::from_uuid(user.id);
            let sum = penora_store::ledger::sum_for_user(&self.db, id)
                .await
                .expect("sum");
            let held = penora_store::holds::open_total(&self.db, id)
                .await
                .expect("holds");
            assert_eq!(
                user.balance_mc, sum,
                "balance = sum of ledger entries for {}",
                user.email
            );
            assert_eq!(
                user.reserved_mc, held,
                "reserved = open holds for {}",
                user.email
            );
            assert!(
                user.balance_mc >= 0
                    && user.reserved_mc >= 0
                    && user.reserved_mc <= user.balance_mc
            );
        }
    }
}

impl TestApp {
    /// Creates a project; returns its JSON (asserting 201).
    pub async fn create_project(&self, token: &str, body: &Value) -> Value {
        let response = self.post_authed("/api/v1/projects", token, body).await;
        assert_eq!(response.status(), StatusCode::CREATED, "create project");
        response.json().await.expect("project json")
    }

    /// A request with a bearer token, a JSON body and optionally `If-Match`.
    pub async fn send_with_etag(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        etag: Option<&str>,
        body: Option<&Value>,
    ) -> Response {
        let mut request = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token);
        if let Some(tag) = etag {
            request = request.header("If-Match", tag);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.expect("request")
    }

    /// `PATCH` with `If-Match`.
    pub async fn patch_at(&self, path: &str, token: &str, etag: &str, body: &Value) -> Response {
        self.send_with_etag(reqwest::Method::PATCH, path, token, Some(etag), Some(body))
            .await
    }
}

impl TestApp {
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
