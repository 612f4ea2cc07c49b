//! Configuration: defaults, then an optional TOML file (`PENORA_CONFIG`), then environment
//! variables (`PENORA_*`, plus the seed's names `DATABASE_URL` and `JWT_SECRET_KEY`).
//!
//! [`Settings`] is what was written down; [`Config`] is what the server runs with, after
//! secrets were resolved. In development a missing secret is generated once and kept in the
//! data dir; in production a missing or well-known secret stops the server.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};

mod capacity;
mod mail;
mod payments;
mod settings;
mod sign_in;
mod trusted_proxies;

pub use capacity::Capacity;
pub use mail::MailMode;
pub use payments::{PaymentMode, PaymentSettings};
pub use settings::{Environment, LogFormat, Settings};
pub use sign_in::{GoogleConfig, SignInSettings, SsoConfig};
pub use trusted_proxies::TrustedProxies;

/// What the server runs with: every secret present.
#[derive(Debug, Clone)]
pub struct Config {
    pub settings: Settings,
    pub database_url: String,
    pub jwt_secret: SecretString,
    pub encryption_key: SecretString,
    pub mail: MailMode,
    pub payments: PaymentMode,
    /// Single sign-on from the main site, when configured.
    pub sso: Option<SsoConfig>,
    /// Google sign-in, when configured.
    pub google: Option<GoogleConfig>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration is invalid: {0}")]
    Invalid(String),
    #[error("{name} is not set; production needs a real secret (at least 32 random bytes)")]
    MissingSecret { name: &'static str },
    #[error("{name} is a default or too weak; production needs at least 32 random bytes")]
    WeakSecret { name: &'static str },
    #[error(
        "production needs mail for email verification and password resets: set PENORA_SMTP_URL \
         (smtp://user:pass@host:587), or set PENORA_MAIL_DISABLED=true to run without them"
    )]
    MailNotConfigured,
    #[error(
        "production takes real payments: set RAZORPAY_KEY_ID, RAZORPAY_KEY_SECRET and \
         RAZORPAY_WEBHOOK_SECRET, or set PENORA_ALLOW_SANDBOX_IN_PRODUCTION=true on a staging site"
    )]
    SandboxInProduction,
    #[error("cannot keep development secrets in {path}: {source}")]
    SecretStore {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Values that appear in tutorials and templates; production refuses them.
const KNOWN_DEFAULT_SECRETS: &[&str] = &[
    "secret",
    "changeme",
    "change-me",
    "change_me",
    "your-secret-key",
    "your_secret_key",
    "jwt-secret",
    "jwt_secret",
    "supersecret",
    "super-secret",
    "development",
    "dev",
    "test",
    "penora",
    "penora-secret",
    "default",
];
const MIN_SECRET_BYTES: usize = 32;

impl Config {
    pub fn resolve(settings: Settings) -> Result<Self, ConfigError> {
        let database_url = settings.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                settings.data_dir.join("penora.db").display()
            )
        });
        let jwt_secret = resolve_secret(
            &settings,
            "JWT_SECRET_KEY",
            settings.jwt_secret_key.as_ref(),
        )?;
        let encryption_key = resolve_secret(
            &settings,
            "PENORA_ENCRYPTION_KEY",
            settings.encryption_key.as_ref(),
        )?;
        let mail = MailMode::resolve(&settings)?;
        let payments = PaymentMode::resolve(&settings)?;
        let sso = SsoConfig::resolve(&settings)?;
        let google = GoogleConfig::resolve(&settings)?;
        let weak_ops_token = settings
            .ops_token
            .as_ref()
            .is_some_and(|token| is_weak(token.expose_secret()));
        if settings.env == Environment::Production && weak_ops_token {
            return Err(ConfigError::WeakSecret {
                name: "PENORA_OPS_TOKEN",
            });
        }
        Ok(Self {
            settings,
            database_url,
            jwt_secret,
            encryption_key,
            mail,
            payments,
            sso,
            google,
        })
    }

    /// The configured pool size, or the backend's default.
    pub fn pool_size(&self) -> u32 {
        let sqlite = self.database_url.starts_with("sqlite:");
        self.settings
            .db_max_connections
            .unwrap_or(if sqlite { 1 } else { 16 })
    }

    pub fn is_production(&self) -> bool {
        self.settings.env == Environment::Production
    }

    /// Refresh cookies are `Secure` whenever the app is reached over HTTPS.
    pub fn secure_cookies(&self) -> bool {
        self.settings.public_url.starts_with("https://")
    }

    pub fn outbox_dir(&self) -> PathBuf {
        self.settings.data_dir.join("outbox")
    }
}

fn resolve_secret(
    settings: &Settings,
    name: &'static str,
    given: Option<&SecretString>,
) -> Result<SecretString, ConfigError> {
    let production = settings.env == Environment::Production;
    match given {
        Some(secret) if production && is_weak(secret.expose_secret()) => {
            Err(ConfigError::WeakSecret { name })
        }
        Some(secret) => Ok(secret.clone()),
        None if production => Err(ConfigError::MissingSecret { name }),
        None => development_secret(&settings.data_dir, name),
    }
}

pub(crate) fn is_weak(secret: &str) -> bool {
    let lowered = secret.trim().to_lowercase();
    secret.len() < MIN_SECRET_BYTES
        || KNOWN_DEFAULT_SECRETS.contains(&lowered.as_str())
        || lowered.contains("change")
}

/// Loads, or creates once, a random secret kept in `<data_dir>/secrets/<name>` (mode 0600).
fn development_secret(data_dir: &Path, name: &'static str) -> Result<SecretString, ConfigError> {
    let dir = data_dir.join("secrets");
    let path = dir.join(name.to_lowercase());
    let store_err = |source| ConfigError::SecretStore {
        path: path.clone(),
        source,
    };
    if let Ok(existing) = fs::read_to_string(&path) {
        let existing = existing.trim();
        if !existing.is_empty() {
            return Ok(SecretString::from(existing.to_owned()));
        }
    }
    fs::create_dir_all(&dir).map_err(store_err)?;
    let mut bytes = [0u8; 48];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path).map_err(store_err)?;
    file.write_all(secret.as_bytes()).map_err(store_err)?;
    tracing::warn!(
        secret = name,
        path = %path.display(),
        "generated a development secret and stored it in the data dir; set it explicitly in production"
    );
    Ok(SecretString::from(secret))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use figment::providers::{Format, Toml};
    use figment::Figment;

    use super::*;

    const STRONG: &str = "k3N9s0qP7vX2mB8wL5tR1yH6jD4fG0aZcE";

    /// Production takes real payments: Razorpay's keys.
    fn razorpay() -> PaymentSettings {
        PaymentSettings {
            razorpay_key_id: Some("rzp_live_penora".to_owned()),
            razorpay_key_secret: Some(SecretString::from("live-key-secret".to_owned())),
            razorpay_webhook_secret: Some(SecretString::from("live-webhook-secret".to_owned())),
            ..PaymentSettings::default()
        }
    }

    fn production_with(secret: Option<&str>) -> Result<Config, ConfigError> {
        let settings = Settings {
            env: Environment::Production,
            jwt_secret_key: secret.map(|s| SecretString::from(s.to_owned())),
            encryption_key: Some(SecretString::from(format!("{STRONG}-encryption"))),
            mail_disabled: true,
            payments: razorpay(),
            ..Settings::default()
        };
        Config::resolve(settings)
    }

    #[test]
    fn production_refuses_a_missing_or_weak_encryption_key() {
        let settings = |key: Option<&str>| Settings {
            env: Environment::Production,
            jwt_secret_key: Some(SecretString::from(STRONG.to_owned())),
            encryption_key: key.map(|k| SecretString::from(k.to_owned())),
            ..Settings::default()
        };
        assert!(matches!(
            Config::resolve(settings(None)),
            Err(ConfigError::MissingSecret {
                name: "PENORA_ENCRYPTION_KEY"
            })
        ));
        assert!(matches!(
            Config::resolve(settings(Some("changeme"))),
            Err(ConfigError::WeakSecret { .. })
        ));
    }

    #[test]
    fn production_refuses_a_weak_ops_token_and_needs_none() {
        let settings = |token: Option<&str>| Settings {
            env: Environment::Production,
            jwt_secret_key: Some(SecretString::from(STRONG.to_owned())),
            encryption_key: Some(SecretString::from(format!("{STRONG}-encryption"))),
            ops_token: token.map(|t| SecretString::from(t.to_owned())),
            mail_disabled: true,
            payments: razorpay(),
            ..Settings::default()
        };
        assert!(matches!(
            Config::resolve(settings(Some("metrics"))),
            Err(ConfigError::WeakSecret {
                name: "PENORA_OPS_TOKEN"
            })
        ));
        assert!(Config::resolve(settings(Some(&format!("{STRONG}-ops")))).is_ok());
        assert!(Config::resolve(settings(None)).is_ok());
    }

    #[test]
    fn production_refuses_missing_or_default_secrets() {
        assert!(matches!(
            production_with(None),
            Err(ConfigError::MissingSecret {
                name: "JWT_SECRET_KEY"
            })
        ));
        assert!(matches!(
            production_with(Some("change-me")),
            Err(ConfigError::WeakSecret { .. })
        ));
        assert!(matches!(
            production_with(Some("short")),
            Err(ConfigError::WeakSecret { .. })
        ));
        assert!(production_with(Some(STRONG)).is_ok());
    }

    #[test]
    fn development_generates_and_keeps_a_secret() -> Result<(), ConfigError> {
        let dir = std::env::temp_dir().join(format!("penora-config-{}", uuid::Uuid::new_v4()));
        let settings = Settings {
            data_dir: dir.clone(),
            ..Settings::default()
        };
        let first = Config::resolve(settings.clone())?;
        let second = Config::resolve(settings)?;
        assert_eq!(
            first.jwt_secret.expose_secret(),
            second.jwt_secret.expose_secret()
        );
        assert!(first.jwt_secret.expose_secret().len() >= MIN_SECRET_BYTES);
        let _ = fs::remove_dir_all(dir);
        Ok(())
    }

    #[test]
    fn trusted_proxies_read_as_a_list_or_one_string() -> Result<(), Box<figment::Error>> {
        for toml in [
            r#"trusted_proxies = "127.0.0.1, 10.0.0.0/8""#,
            r#"trusted_proxies = ["127.0.0.1", "10.0.0.0/8"]"#,
        ] {
            let settings: Settings = Figment::from(Toml::string(toml)).extract()?;
            assert_eq!(
                settings.trusted_proxies.to_string(),
                "127.0.0.1/32,10.0.0.0/8"
            );
        }
        let bad = Figment::from(Toml::string(r#"trusted_proxies = "proxy.local""#));
        assert!(bad.extract::<Settings>().is_err());
        assert!(Settings::default().trusted_proxies.to_string().is_empty());
        Ok(())
    }

    #[test]
    fn durations_are_read_in_milliseconds_or_under_their_older_names_in_seconds() {
        let read = |toml: &str| Settings::extract(Figment::new().merge(Toml::string(toml)));
        let ms = read("sweep_interval_ms = 50\ngeneration_hold_grace_ms = 400").unwrap();
        assert_eq!(ms.sweep_interval(), Duration::from_millis(50));
        assert_eq!(ms.generation_hold_grace(), Duration::from_millis(400));
        let secs = read("sweep_interval_secs = 2\ngeneration_hold_grace_secs = 3").unwrap();
        assert_eq!(secs.sweep_interval(), Duration::from_secs(2));
        assert_eq!(secs.generation_hold_grace(), Duration::from_secs(3));
        let defaults = read("").unwrap();
        assert_eq!(defaults.sweep_interval(), Duration::from_secs(30));
        assert_eq!(defaults.generation_hold_grace(), Duration::from_secs(120));
        assert!(matches!(
            read("sweep_interval_secs = 2\nsweep_interval_ms = 50"),
            Err(ConfigError::Invalid(_))
        ));
    }

    #[test]
    fn debug_output_hides_secrets() {
        let settings = Settings {
            jwt_secret_key: Some(SecretString::from(
                "hunter2-hunter2-hunter2-hunter2-x".to_owned(),
            )),
            ..Settings::default()
        };
        assert!(!format!("{settings:?}").contains("hunter2"));
    }
}
