//! The gateway the server takes money through, built once from [`PaymentMode`].

use std::sync::Arc;
use std::time::Duration;

use penora_payments::{
    Gateway, GatewayError, Razorpay, RazorpayConfig, Sandbox, SandboxOptions, Signer,
};
use penora_store::DatabaseConnection;

use super::sandbox::DbBook;
use crate::config::{Config, PaymentMode};

/// The gateway, and the sandbox itself when it is the gateway (for its test-mode pages).
pub struct Gateways {
    pub gateway: Arc<dyn Gateway>,
    pub sandbox: Option<Arc<Sandbox>>,
}

pub fn build(config: &Config, db: &DatabaseConnection) -> Result<Gateways, GatewayError> {
    let settings = &config.settings.payments;
    match &config.payments {
        PaymentMode::Razorpay {
            key_id,
            key_secret,
            webhook_secret,
        } => {
            let base_url = settings
                .razorpay_base_url
                .parse()
                .map_err(|e| GatewayError::Malformed(format!("razorpay_base_url: {e}")))?;
            let razorpay = Razorpay::new(RazorpayConfig {
                base_url,
                key_id: key_id.clone(),
                key_secret: key_secret.clone(),
                webhook_secret: webhook_secret.clone(),
                timeout: Duration::from_millis(settings.payments_timeout_ms.max(1)),
                connect_timeout: Duration::from_millis(
                    settings.payments_timeout_ms.clamp(1, 5_000),
                ),
            })?;
            Ok(Gateways {
                gateway: Arc::new(razorpay),
                sandbox: None,
            })
        }
        PaymentMode::Sandbox {
            key_secret,
            webhook_secret,
        } => {
            let signer = Signer::new(key_secret.clone(), webhook_secret.clone());
            let options = SandboxOptions {
                key_id: settings
                    .razorpay_key_id
                    .clone()
                    .unwrap_or_else(|| "rzp_test_sandbox".to_owned()),
                duplicates: settings.sandbox_webhook_duplicates,
                shuffle: settings.sandbox_webhook_shuffle,
                seed: settings.sandbox_seed,
            };
            let sandbox = Arc::new(Sandbox::new(DbBook::new(db.clone()), signer, options));
            Ok(Gateways {
                gateway: sandbox.clone(),
                sandbox: Some(sandbox),
            })
        }
    }
}
