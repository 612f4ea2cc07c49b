//! [`Settings`]: every setting as written down (defaults, then the file, then the
//! environment), before secrets are resolved into a [`super::Config`].

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use figment::providers::{Env, Format, Toml};
use figment::Figment;
use secrecy::SecretString;
use serde::Deserialize;

use super::{Capacity, ConfigError, PaymentSettings, SignInSettings, TrustedProxies};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Development,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// Every setting, as read from the file and environment. See the README for the table.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub env: Environment,
    pub data_dir: PathBuf,
    pub bind: String,
    /// `sqlite://...` or `postgres://...`; defaults to `penora.db` in the data dir.
    pub database_url: Option<String>,
    /// Pool size per process; default 16 on PostgreSQL, 1 on SQLite (one writer at a time:
    /// queueing in the pool is fair, while SQLite's busy handler sleeps with back-off).
    pub db_max_connections: Option<u32>,
    pub migrate_on_start: bool,
    pub jwt_secret_key: Option<SecretString>,
    /// Encrypts users' own provider keys at rest (`PENORA_ENCRYPTION_KEY`, at least 32
    /// random bytes). Changing it makes the stored keys unreadable.
    pub encryption_key: Option<SecretString>,
    /// Where people reach the app; used in mailed links and to decide on `Secure` cookies.
    pub public_url: String,
    /// The built browser app to serve at `/`; nothing is served there when unset.
    pub frontend_dir: Option<PathBuf>,
    /// Comma-separated origins allowed to call the API from a browser (besides our own).
    pub cors_origins: String,
    /// Where operators reach `/metrics` and `/health/detailed` (and `/health`), apart from
    /// the public port; keep it off the internet. Empty: no such listener.
    pub ops_bind: String,
    /// A bearer token that opens `/metrics` and `/health/detailed` on the public port as
    /// well; unset, they are served on `ops_bind` only.
    pub ops_token: Option<SecretString>,
    pub json_limit_bytes: usize,
    /// Reverse proxies (CIDRs) whose `X-Forwarded-For` is believed; none by default, so the
    /// connection's peer is the client. See [`TrustedProxies`].
    pub trusted_proxies: TrustedProxies,
    /// `smtp://user:pass@host:587` or `smtps://...`; without it mail goes to the outbox folder
    /// (development only: production needs it or `mail_disabled`).
    pub smtp_url: Option<SecretString>,
    /// Runs without mail: verification resends and password resets answer `503
    /// mail_unavailable`, and sign-up leaves the address unverified. See [`MailMode`].
    pub mail_disabled: bool,
    pub mail_from: String,
    pub access_token_ttl_secs: u64,
    pub refresh_token_ttl_days: u32,
    /// How long after a refresh token was used it may be presented again and get the same
    /// successor (milliseconds): concurrent refreshes from two tabs. Later, it is a reuse.
    pub refresh_reuse_grace_ms: u64,
    pub log_format: LogFormat,
    /// Sign-in attempts one client IP may make (any emails); counted in the database.
    pub rate_login_per_ip_per_minute: u32,
    /// Sign-in attempts for one email from one client IP; counted in the database.
    pub rate_login_per_email_ip_per_minute: u32,
    /// Sign-in attempts for one email from one client IP in an hour: well below the ceiling
    /// below, so one client alone cannot spend it and lock the owner out.
    pub rate_login_per_email_ip_per_hour: u32,
    /// Sign-in attempts for one email from anywhere: a ceiling well above what the per-IP
    /// limits let one address spend, so one attacker cannot lock the owner out.
    pub rate_login_per_email_per_hour: u32,
    /// Sign-ups (each with its welcome bonus) from one client IP; counted in the database.
    pub rate_signup_per_ip_per_hour: u32,
    /// Password checks behind a session (`POST /me/password`, `DELETE /me`) per user.
    pub rate_password_checks_per_user_per_hour: u32,
    /// argon2 runs (hash or verify, ~19 MiB each) at once in this process.
    pub password_hash_concurrency: usize,
    /// How long a password check waits for a free argon2 slot before answering `503`.
    pub password_hash_queue_ms: u64,
    /// Verification and reset mails to one address an hour; counted in the database.
    pub rate_email_per_address_per_hour: u32,
    /// A replacement model catalog (TOML); the built-in `config/models.toml` otherwise.
    pub models_file: Option<PathBuf>,
    /// Credits (in millicredits) every new account starts with.
    pub welcome_bonus_mc: i64,
    /// How often expired holds are settled and expired idempotency keys forgotten
    /// (milliseconds).
    pub sweep_interval_ms: u64,
    /// The older name of `sweep_interval_ms`, in seconds; still read (see
    /// [`Settings::sweep_interval`]).
    pub sweep_interval_secs: Option<u64>,
    /// How long a stored `Idempotency-Key` response is replayed.
    pub idempotency_ttl_hours: u32,
    /// Storage each user may fill with projects unless their plan says otherwise.
    pub storage_quota_bytes: i64,
    /// Share-code look-ups one IP may make per minute (counted in the database).
    pub share_lookups_per_ip_per_minute: u32,
    /// How often the views of shared projects counted in memory are added to the database
    /// (milliseconds; also at shutdown).
    pub share_view_flush_ms: u64,
    /// Exports rendered at once in this process; a request waits for a free slot.
    pub export_concurrency: usize,
    /// How long an export waits for a free render slot before answering `503` with
    /// `Retry-After` (milliseconds; 0: only a slot free at once).
    pub export_queue_ms: u64,
    /// Rendered exports kept on disk (`<data_dir>/export-cache`), by project, version and
    /// format, at most this many bytes in all (least recently used go first; 0: no cache).
    pub export_cache_bytes: u64,
    /// Replacement prompt templates (TOML); the built-in `config/prompts.toml` otherwise.
    pub prompts_file: Option<PathBuf>,
    /// Provider variables (`DEEPINFRA_API_KEY`, `OPENAI_BASE_URL` ...) given in the config
    /// file; the same names in the environment take precedence.
    pub providers: BTreeMap<String, String>,
    /// Pause between the offline model's words, so the demo streams like a real model.
    pub offline_pace_ms: u64,
    /// Generations one user may run at once (counted in the database, across replicas).
    pub generations_per_user: u32,
    /// How often a running generation saves its text and what it has cost so far, and
    /// looks for a cancel from another replica.
    pub generation_save_interval_ms: u64,
    /// A generation's hold expires this long after its last sign of life; the sweeper then
    /// bills what was saved (a crashed server). A generation whose saves keep failing for
    /// this long stops (milliseconds).
    pub generation_hold_grace_ms: u64,
    /// The older name of `generation_hold_grace_ms`, in seconds; still read (see
    /// [`Settings::generation_hold_grace`]).
    pub generation_hold_grace_secs: Option<u64>,
    /// On SIGTERM, how long running generations may go on before they are ended (billed for
    /// what they delivered, with an `error` event `server_restarting`). Give the process
    /// manager's stop timeout a few seconds more than this.
    pub shutdown_grace_secs: u64,
    pub upstream_connect_timeout_secs: u64,
    /// Models may think a while before the first word.
    pub upstream_first_byte_timeout_secs: u64,
    /// The longest pause between two stream events once text flows.
    pub upstream_idle_timeout_secs: u64,
    /// What a generation with the user's own provider key costs, in per mille of the
    /// credits it would cost otherwise (0: free).
    pub own_key_fee_per_mille: u32,
    /// Billable words of input (prompt, instructions, messages) each generation includes
    /// free; input beyond it is charged at the model's input rate.
    pub free_input_words: u64,
    /// How long a looked-up API key is trusted without reading it again (milliseconds; 0:
    /// never). Revoking takes effect at once on the replica that revoked, within this time
    /// on the others.
    pub api_key_cache_ms: u64,
    /// Connection timeouts and caps, open streams, generations a minute (see [`Capacity`]).
    #[serde(flatten)]
    pub capacity: Capacity,
    /// The payment gateway, the billing catalog and the billing jobs (see
    /// [`PaymentSettings`]).
    #[serde(flatten)]
    pub payments: PaymentSettings,
    /// Single sign-on from the main site and Google sign-in (see [`SignInSettings`]).
    #[serde(flatten)]
    pub sign_in: SignInSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            env: Environment::Development,
            data_dir: PathBuf::from("data"),
            bind: "127.0.0.1:8080".to_owned(),
            database_url: None,
            db_max_connections: None,
            migrate_on_start: true,
            jwt_secret_key: None,
            encryption_key: None,
            public_url: "http://127.0.0.1:8080".to_owned(),
            frontend_dir: None,
            cors_origins: String::new(),
            ops_bind: "127.0.0.1:9090".to_owned(),
            ops_token: None,
            // Room for a whole project at a generous quota; larger bodies get 413.
            json_limit_bytes: 4 * 1024 * 1024,
            trusted_proxies: TrustedProxies::default(),
            smtp_url: None,
            mail_disabled: false,
            mail_from: "Penora <no-reply@penora.local>".to_owned(),
            access_token_ttl_secs: 15 * 60,
            refresh_token_ttl_days: 30,
            refresh_reuse_grace_ms: 10_000,
            log_format: LogFormat::Text,
            rate_login_per_ip_per_minute: 30,
            rate_login_per_email_ip_per_minute: 10,
            rate_login_per_email_ip_per_hour: 20,
            rate_login_per_email_per_hour: 200,
            rate_signup_per_ip_per_hour: 20,
            rate_password_checks_per_user_per_hour: 10,
            password_hash_concurrency: std::thread::available_parallelism()
                .map_or(2, |n| n.get() * 2),
            password_hash_queue_ms: 1_000,
            rate_email_per_address_per_hour: 5,
            models_file: None,
            welcome_bonus_mc: 50_000,
            sweep_interval_ms: 30_000,
            sweep_interval_secs: None,
            idempotency_ttl_hours: 24,
            storage_quota_bytes: 1024 * 1024,
            share_lookups_per_ip_per_minute: 30,
            share_view_flush_ms: 5_000,
            export_concurrency: std::thread::available_parallelism().map_or(2, |n| n.get()),
            export_queue_ms: 2_000,
            export_cache_bytes: 256 * 1024 * 1024,
            prompts_file: None,
            providers: BTreeMap::new(),
            offline_pace_ms: 25,
            generations_per_user: 3,
            generation_save_interval_ms: 1000,
            generation_hold_grace_ms: 120_000,
            generation_hold_grace_secs: None,
            shutdown_grace_secs: 20,
            upstream_connect_timeout_secs: 10,
            upstream_first_byte_timeout_secs: 60,
            upstream_idle_timeout_secs: 30,
            own_key_fee_per_mille: 0,
            free_input_words: 1_000,
            api_key_cache_ms: 1_000,
            capacity: Capacity::default(),
            payments: PaymentSettings::default(),
            sign_in: SignInSettings::default(),
        }
    }
}

impl Settings {
    /// Reads the optional file named by `PENORA_CONFIG`, then the environment.
    pub fn load() -> Result<Self, ConfigError> {
        let mut figment = Figment::new();
        if let Ok(path) = std::env::var("PENORA_CONFIG") {
            figment = figment.merge(Toml::file_exact(path));
        }
        Self::extract(
            figment
                .merge(Env::prefixed("PENORA_").ignore(&["config", "test_database_url"]))
                .merge(Env::raw().only(&[
                    "DATABASE_URL",
                    "JWT_SECRET_KEY",
                    "RAZORPAY_KEY_ID",
                    "RAZORPAY_KEY_SECRET",
                    "RAZORPAY_WEBHOOK_SECRET",
                    "SUKUSUKU_SSO_ISSUER",
                    "SUKUSUKU_SSO_SECRET",
                    "SUKUSUKU_SSO_JWKS_URL",
                    "GOOGLE_OAUTH_CLIENT_ID",
                    "GOOGLE_OAUTH_CLIENT_SECRET",
                ])),
        )
    }

    pub(super) fn extract(figment: Figment) -> Result<Self, ConfigError> {
        // A duration given under both its names would leave one silently ignored.
        for (older, newer) in RENAMED {
            if figment.contains(older) && figment.contains(newer) {
                return Err(ConfigError::Invalid(format!(
                    "`{older}` and `{newer}` name the same setting; set only `{newer}`"
                )));
            }
        }
        figment
            .extract()
            .map_err(|e| ConfigError::Invalid(e.to_string()))
    }

    /// How often the background sweep runs (at least every millisecond).
    pub fn sweep_interval(&self) -> Duration {
        let every = self.sweep_interval_secs.map_or(
            Duration::from_millis(self.sweep_interval_ms),
            Duration::from_secs,
        );
        every.max(Duration::from_millis(1))
    }

    /// How long a generation may go unheard from before the sweeper settles it (at most a
    /// year, which keeps every expiry a valid date).
    pub fn generation_hold_grace(&self) -> Duration {
        let grace = self.generation_hold_grace_secs.map_or(
            Duration::from_millis(self.generation_hold_grace_ms),
            Duration::from_secs,
        );
        penora_domain::hold::grace(grace)
    }

    /// How often a running generation saves its progress (at least every 10 ms).
    pub fn generation_save_interval(&self) -> Duration {
        Duration::from_millis(self.generation_save_interval_ms.max(10))
    }

    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_secs)
    }
}

/// Settings once given in seconds, now in milliseconds: (older key, newer key). The older
/// keys are still read, in seconds.
const RENAMED: [(&str, &str); 2] = [
    ("sweep_interval_secs", "sweep_interval_ms"),
    ("generation_hold_grace_secs", "generation_hold_grace_ms"),
];
