//! Encrypting small secrets at rest (users' own provider keys) with AES-256-GCM.
//!
//! The AES key is derived from `PENORA_ENCRYPTION_KEY` with HKDF-SHA256, so any long random
//! secret works as configuration. Every value is sealed with a fresh random nonce and
//! bound to its owner through the associated data: a ciphertext copied to another user's
//! row, or to another provider, does not open.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::hkdf::{Salt, HKDF_SHA256};
use ring::rand::{SecureRandom, SystemRandom};
use secrecy::{ExposeSecret, SecretString};

#[derive(Clone)]
pub struct SecretBox {
    key: std::sync::Arc<LessSafeKey>,
    rng: SystemRandom,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("could not derive the encryption key")]
    Key,
    #[error("could not encrypt")]
    Seal,
    /// Corrupted, bound to another owner, or sealed under another encryption key.
    #[error("could not decrypt")]
    Open,
}

impl SecretBox {
    pub fn new(secret: &SecretString) -> Result<Self, CryptoError> {
        let salt = Salt::new(HKDF_SHA256, b"penora/secret-box/v1");
        let prk = salt.extract(secret.expose_secret().as_bytes());
        let mut bytes = [0u8; 32];
        prk.expand(&[b"aes-256-gcm"], &AES_256_GCM)
            .and_then(|okm| okm.fill(&mut bytes))
            .map_err(|_| CryptoError::Key)?;
        let unbound = UnboundKey::new(&AES_256_GCM, &bytes).map_err(|_| CryptoError::Key)?;
        Ok(Self {
            key: std::sync::Arc::new(LessSafeKey::new(unbound)),
            rng: SystemRandom::new(),
        })
    }

    /// `base64(nonce || ciphertext || tag)`.
    pub fn seal(&self, plaintext: &str, bound_to: &str) -> Result<String, CryptoError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng.fill(&mut nonce).map_err(|_| CryptoError::Seal)?;
        let mut data = plaintext.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(bound_to.as_bytes()),
                &mut data,
            )
            .map_err(|_| CryptoError::Seal)?;
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&data);
        Ok(STANDARD.encode(sealed))
    }

    pub fn open(&self, sealed: &str, bound_to: &str) -> Result<SecretString, CryptoError> {
        let bytes = STANDARD.decode(sealed).map_err(|_| CryptoError::Open)?;
        if bytes.len() < NONCE_LEN {
            return Err(CryptoError::Open);
        }
        let (nonce, rest) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| CryptoError::Open)?;
        let mut data = rest.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(bound_to.as_bytes()), &mut data)
            .map_err(|_| CryptoError::Open)?;
        let text = std::str::from_utf8(plain).map_err(|_| CryptoError::Open)?;
        Ok(SecretString::from(text.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer(secret: &str) -> SecretBox {
        SecretBox::new(&SecretString::from(secret.to_owned())).unwrap()
    }

    #[test]
    fn seals_and_opens_only_for_the_same_owner_and_key() {
        let sealer_a = sealer("first secret, long and random enough");
        let sealed = sealer_a.seal("sk-user-key-1234", "user-1:openai").unwrap();
        assert!(!sealed.contains("sk-user"));
        assert_eq!(
            sealer_a
                .open(&sealed, "user-1:openai")
                .unwrap()
                .expose_secret(),
            "sk-user-key-1234"
        );
        // Fresh nonce each time.
        assert_ne!(
            sealed,
            sealer_a.seal("sk-user-key-1234", "user-1:openai").unwrap()
        );
        assert!(sealer_a.open(&sealed, "user-2:openai").is_err());
        assert!(sealer_a.open(&sealed, "user-1:anthropic").is_err());
        assert!(sealer("another secret entirely, also long")
            .open(&sealed, "user-1:openai")
            .is_err());
        assert!(sealer_a.open("not base64!", "user-1:openai").is_err());
        assert!(sealer_a.open("AAAA", "user-1:openai").is_err());
    }
}
