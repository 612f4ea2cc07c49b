//! Razorpay's HMAC-SHA256 signatures: checkout handler responses (signed with the API key
//! secret) and webhook bodies (signed with the webhook secret). Signatures are lowercase hex;
//! checks decode the hex and compare in constant time with `ring::hmac::verify`.

use std::fmt;

use ring::hmac;
use secrecy::{ExposeSecret, SecretString};

/// Signs and checks with the key secret and the webhook secret. Holds only the derived HMAC
/// keys; `Debug` shows no key material.
#[derive(Clone)]
pub struct Signer {
    key: hmac::Key,
    webhook_key: hmac::Key,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Signer { .. }")
    }
}

impl Signer {
    pub fn new(key_secret: SecretString, webhook_secret: SecretString) -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, key_secret.expose_secret().as_bytes()),
            webhook_key: hmac::Key::new(
                hmac::HMAC_SHA256,
                webhook_secret.expose_secret().as_bytes(),
            ),
        }
    }

    /// HMAC-SHA256("{order_id}|{payment_id}", key secret), lowercase hex.
    pub fn payment_signature(&self, order_id: &str, payment_id: &str) -> String {
        sign(&self.key, format!("{order_id}|{payment_id}").as_bytes())
    }

    pub fn verify_payment(&self, order_id: &str, payment_id: &str, signature: &str) -> bool {
        verify(
            &self.key,
            format!("{order_id}|{payment_id}").as_bytes(),
            signature,
        )
    }

    /// HMAC-SHA256("{payment_id}|{subscription_id}", key secret) (Razorpay's subscription checkout).
    pub fn subscription_signature(&self, payment_id: &str, subscription_id: &str) -> String {
        sign(
            &self.key,
            format!("{payment_id}|{subscription_id}").as_bytes(),
        )
    }

    pub fn verify_subscription(
        &self,
        payment_id: &str,
        subscription_id: &str,
        signature: &str,
    ) -> bool {
        verify(
            &self.key,
            format!("{payment_id}|{subscription_id}").as_bytes(),
            signature,
        )
    }

    /// HMAC-SHA256(raw body, webhook secret), lowercase hex (header X-Razorpay-Signature).
    pub fn webhook_signature(&self, body: &[u8]) -> String {
        sign(&self.webhook_key, body)
    }

    pub fn verify_webhook(&self, body: &[u8], signature: &str) -> bool {
        verify(&self.webhook_key, body, signature)
    }
}

fn sign(key: &hmac::Key, message: &[u8]) -> String {
    hex::encode(hmac::sign(key, message).as_ref())
}

/// False for anything but the right tag as hex (bad hex, wrong length, wrong tag); never panics.
fn verify(key: &hmac::Key, message: &[u8], signature: &str) -> bool {
    match hex::decode(signature.trim()) {
        Ok(tag) if tag.len() == 32 => hmac::verify(key, message, &tag).is_ok(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> Signer {
        Signer::new(SecretString::from("secret"), SecretString::from("whsec"))
    }

    // Expected values computed with Python's hmac module, not with this code.
    const ORDER_1_PAY_1: &str = "52115a0d3400de9e86aade1f1b6eba9e8974604f4e267a9e9a16633a4c8dd2cb";
    const PAY_1_SUB_1: &str = "679de4f44c72e967f07e2681823ed21a33fca2ee7001396a083175def4316fb6";
    const WEBHOOK_BODY: &[u8] = br#"{"event":"payment.captured"}"#;
    const WEBHOOK_SIG: &str = "4673dd707ef4c41b987cb7fefe1583142dc702388c93145b7814b9ad3d3c183e";

    #[test]
    fn payment_signature_matches_an_independent_hmac() {
        assert_eq!(
            signer().payment_signature("order_1", "pay_1"),
            ORDER_1_PAY_1
        );
        assert!(signer().verify_payment("order_1", "pay_1", ORDER_1_PAY_1));
        assert!(signer().verify_payment("order_1", "pay_1", &ORDER_1_PAY_1.to_uppercase()));
        assert!(!signer().verify_payment("order_1", "pay_2", ORDER_1_PAY_1));
        assert!(!signer().verify_payment("pay_1", "order_1", ORDER_1_PAY_1));
    }

    #[test]
    fn subscription_signature_matches_an_independent_hmac() {
        assert_eq!(
            signer().subscription_signature("pay_1", "sub_1"),
            PAY_1_SUB_1
        );
        assert!(signer().verify_subscription("pay_1", "sub_1", PAY_1_SUB_1));
        assert!(!signer().verify_subscription("sub_1", "pay_1", PAY_1_SUB_1));
    }

    #[test]
    fn webhook_signature_uses_the_webhook_secret() {
        assert_eq!(signer().webhook_signature(WEBHOOK_BODY), WEBHOOK_SIG);
        assert!(signer().verify_webhook(WEBHOOK_BODY, WEBHOOK_SIG));
        assert!(!signer().verify_webhook(b"{\"event\":\"payment.failed\"}", WEBHOOK_SIG));
        let swapped = Signer::new(SecretString::from("whsec"), SecretString::from("secret"));
        assert!(!swapped.verify_webhook(WEBHOOK_BODY, WEBHOOK_SIG));
    }

    #[test]
    fn bad_signatures_are_false_not_panics() {
        let s = signer();
        for bad in [
            "",
            "zz",
            "abc",
            &ORDER_1_PAY_1[..62],
            &format!("{ORDER_1_PAY_1}00"),
            "é",
        ] {
            assert!(!s.verify_payment("order_1", "pay_1", bad), "{bad:?}");
            assert!(!s.verify_webhook(WEBHOOK_BODY, bad), "{bad:?}");
        }
    }

    #[test]
    fn debug_shows_no_secret() {
        let printed = format!("{:?}", signer());
        assert!(!printed.contains("secret") && !printed.contains("whsec"));
    }
}
