//! Payment settings and [`PaymentMode`]: which gateway takes the money, decided once.
//! Flattened into [`super::Settings`], so each is a top-level setting; the Razorpay keys
//! also go by the seed's names (`RAZORPAY_KEY_ID`, `RAZORPAY_KEY_SECRET`,
//! `RAZORPAY_WEBHOOK_SECRET`).

use std::fmt;
use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{ConfigError, Environment, Settings};

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct PaymentSettings {
    /// `sandbox` or `razorpay`; unset: `razorpay` when its keys are set, else `sandbox`.
    pub payments_gateway: Option<String>,
    pub razorpay_key_id: Option<String>,
    pub razorpay_key_secret: Option<SecretString>,
    pub razorpay_webhook_secret: Option<SecretString>,
    /// Razorpay's API (a local fake in tests).
    pub razorpay_base_url: String,
    /// How long one gateway call may take before it counts as down (milliseconds).
    pub payments_timeout_ms: u64,
    /// Lets a production server run the test-mode sandbox (a staging site).
    pub allow_sandbox_in_production: bool,
    /// Where the sandbox posts its webhooks; unset: this server's own webhook endpoint.
    pub sandbox_webhook_url: Option<String>,
    /// The sandbox delivers every webhook twice (with the same event id).
    pub sandbox_webhook_duplicates: bool,
    /// The sandbox delays each webhook by a random 0–1.5 s, drawn from `sandbox_seed`, so
    /// they may arrive out of order (repeatably for one seed).
    pub sandbox_webhook_shuffle: bool,
    pub sandbox_seed: u64,
    /// A replacement billing catalog (TOML); the built-in `config/billing.toml` otherwise.
    pub billing_file: Option<PathBuf>,
    /// How often webhooks that could not be applied yet are retried and the sandbox's
    /// outbox is delivered (milliseconds).
    pub billing_retry_interval_ms: u64,
    /// How often the gateway is asked about orders and plan periods whose webhook never came
    /// (milliseconds; 0: never, run `penora admin billing reconcile` instead).
    pub billing_reconcile_interval_ms: u64,
    /// An open order is asked about once it is this old (milliseconds).
    pub billing_reconcile_after_ms: u64,
    /// Orders and subscriptions one user may start an hour (each makes an object at the
    /// gateway); counted in the database. More get `429 rate_limited`.
    pub rate_checkouts_per_user_per_hour: u32,
}

impl Default for PaymentSettings {
    fn default() -> Self {
        Self {
            payments_gateway: None,
            razorpay_key_id: None,
            razorpay_key_secret: None,
            razorpay_webhook_secret: None,
            razorpay_base_url: "https://api.razorpay.com/v1/".to_owned(),
            payments_timeout_ms: 15_000,
            allow_sandbox_in_production: false,
            sandbox_webhook_url: None,
            sandbox_webhook_duplicates: false,
            sandbox_webhook_shuffle: false,
            sandbox_seed: 0,
            billing_file: None,
            billing_retry_interval_ms: 1_000,
            billing_reconcile_interval_ms: 300_000,
            billing_reconcile_after_ms: 900_000,
            rate_checkouts_per_user_per_hour: 30,
        }
    }
}

/// The gateway the server takes money through.
#[derive(Clone)]
pub enum PaymentMode {
    Razorpay {
        key_id: String,
        key_secret: SecretString,
        webhook_secret: SecretString,
    },
    /// Test mode: Penora's own checkout page; nothing is charged. Signs with the Razorpay
    /// secrets when they are set, else with generated development ones.
    Sandbox {
        key_secret: SecretString,
        webhook_secret: SecretString,
    },
}

impl PaymentMode {
    pub fn resolve(settings: &Settings) -> Result<Self, ConfigError> {
        let p = &settings.payments;
        let given = |s: &Option<SecretString>| {
            s.as_ref()
                .filter(|s| !s.expose_secret().trim().is_empty())
                .cloned()
        };
        let key_id = p.razorpay_key_id.clone().filter(|k| !k.trim().is_empty());
        let key_secret = given(&p.razorpay_key_secret);
        let webhook_secret = given(&p.razorpay_webhook_secret);
        let keys = (key_id, key_secret, webhook_secret);
        let choice = match p.payments_gateway.as_deref().map(str::trim) {
            Some("razorpay") => "razorpay",
            Some("sandbox") => "sandbox",
            None | Some("") if matches!(keys, (Some(_), Some(_), Some(_))) => "razorpay",
            None | Some("") => "sandbox",
            Some(other) => {
                return Err(ConfigError::Invalid(format!(
                    "PENORA_PAYMENTS_GATEWAY is {other:?}; use sandbox or razorpay"
                )))
            }
        };
        if choice == "razorpay" {
            return match keys {
                (Some(key_id), Some(key_secret), Some(webhook_secret)) => Ok(Self::Razorpay {
                    key_id,
                    key_secret,
                    webhook_secret,
                }),
                _ => Err(ConfigError::Invalid(
                    "the razorpay gateway needs RAZORPAY_KEY_ID, RAZORPAY_KEY_SECRET and \
                     RAZORPAY_WEBHOOK_SECRET"
                        .to_owned(),
                )),
            };
        }
        if settings.env == Environment::Production && !p.allow_sandbox_in_production {
            return Err(ConfigError::SandboxInProduction);
        }
        let (_, key_secret, webhook_secret) = keys;
        let dev = |name| super::development_secret(&settings.data_dir, name);
        Ok(Self::Sandbox {
            key_secret: key_secret.map_or_else(|| dev("RAZORPAY_KEY_SECRET"), Ok)?,
            webhook_secret: webhook_secret.map_or_else(|| dev("RAZORPAY_WEBHOOK_SECRET"), Ok)?,
        })
    }

    pub fn is_sandbox(&self) -> bool {
        matches!(self, Self::Sandbox { .. })
    }
}

impl fmt::Debug for PaymentMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Razorpay { key_id, .. } => write!(f, "Razorpay({key_id})"),
            Self::Sandbox { .. } => f.write_str("Sandbox"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(env: Environment, tweak: impl FnOnce(&mut PaymentSettings)) -> Settings {
        let mut settings = Settings {
            env,
            data_dir: std::env::temp_dir().join(format!("penora-pay-{}", uuid::Uuid::new_v4())),
            ..Settings::default()
        };
        tweak(&mut settings.payments);
        settings
    }

    fn keys(p: &mut PaymentSettings) {
        p.razorpay_key_id = Some("rzp_test_1".to_owned());
        p.razorpay_key_secret = Some(SecretString::from("key-secret".to_owned()));
        p.razorpay_webhook_secret = Some(SecretString::from("hook-secret".to_owned()));
    }

    #[test]
    fn the_sandbox_is_the_default_without_keys_and_razorpay_with_them() {
        let dev = PaymentMode::resolve(&settings(Environment::Development, |_| {})).unwrap();
        assert!(dev.is_sandbox());
        let real = PaymentMode::resolve(&settings(Environment::Development, keys)).unwrap();
        assert!(!real.is_sandbox());
        let forced = PaymentMode::resolve(&settings(Environment::Development, |p| {
            keys(p);
            p.payments_gateway = Some("sandbox".to_owned());
        }))
        .unwrap();
        assert!(matches!(forced, PaymentMode::Sandbox { ref key_secret, .. }
            if key_secret.expose_secret() == "key-secret"));
    }

    #[test]
    fn production_refuses_the_sandbox_unless_allowed() {
        let refused = PaymentMode::resolve(&settings(Environment::Production, |_| {}));
        assert!(matches!(refused, Err(ConfigError::SandboxInProduction)));
        let staging = PaymentMode::resolve(&settings(Environment::Production, |p| {
            p.allow_sandbox_in_production = true;
        }));
        assert!(staging.unwrap().is_sandbox());
        assert!(PaymentMode::resolve(&settings(Environment::Production, keys)).is_ok());
    }

    #[test]
    fn razorpay_without_its_keys_or_an_unknown_gateway_is_refused() {
        let missing = PaymentMode::resolve(&settings(Environment::Development, |p| {
            p.payments_gateway = Some("razorpay".to_owned());
        }));
        assert!(missing.unwrap_err().to_string().contains("RAZORPAY_KEY_ID"));
        let unknown = PaymentMode::resolve(&settings(Environment::Development, |p| {
            p.payments_gateway = Some("stripe".to_owned());
        }));
        assert!(unknown.is_err());
    }
}
