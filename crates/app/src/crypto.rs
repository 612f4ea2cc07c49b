//! Encrypting small secrets at rest (users' own provider keys) with AES-256-GCM, and keyed
//! hashes of values the server must recognise without storing them ([`KeyedHashes`]).
//!
//! The AES key is derived from `PENORA_ENCRYPTION_KEY` with HKDF-SHA256, so any long random
//! secret works as configuration. Every value is sealed with a fresh random nonce and
//! bound to its owner through the associated data: a ciphertext copied to another user's
//! row, or to another provider, does not open.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use penora_domain::Email;
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

/// Keyed hashes (HMAC-SHA256) for values the server must recognise again without storing
/// them: an email address that had its welcome bonus, the successor of a refresh token. The
/// keys are derived with HKDF-SHA256 from `PENORA_ENCRYPTION_KEY` (one per use, so a value
/// made for one purpose means nothing for another); production refuses a missing or weak
/// one. Changing that key makes earlier values unrecognisable, like the sealed provider keys.
#[derive(Clone)]
pub struct KeyedHashes {
    welcome: ring::hmac::Key,
    refresh: ring::hmac::Key,
}

impl std::fmt::Debug for KeyedHashes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyedHashes(..)")
    }
}

impl KeyedHashes {
    pub fn new(secret: &SecretString) -> Result<Self, CryptoError> {
        let salt = Salt::new(HKDF_SHA256, b"penora/keyed-hashes/v1");
        let prk = salt.extract(secret.expose_secret().as_bytes());
        let key = |purpose: &[u8]| -> Result<ring::hmac::Key, CryptoError> {
            let info = [purpose];
            let okm = prk
                .expand(&info, ring::hmac::HMAC_SHA256)
                .map_err(|_| CryptoError::Key)?;
            Ok(ring::hmac::Key::from(okm))
        };
        Ok(Self {
            welcome: key(b"welcome-email")?,
            refresh: key(b"refresh-successor")?,
        })
    }

    /// The key under which a normalised address's welcome bonus is recorded (hex).
    pub fn welcome_email(&self, email: &Email) -> String {
        let tag = ring::hmac::sign(&self.welcome, email.as_str().as_bytes());
        tag.as_ref().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The refresh token that follows `token` in its family: the same for every refresh with
    /// `token`, so concurrent ones agree without storing it; unguessable without the key.
    pub fn refresh_successor(&self, token: &str) -> String {
        let tag = ring::hmac::sign(&self.refresh, token.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(tag.as_ref())
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

    #[test]
    fn keyed_hashes_are_stable_per_key_and_purpose() {
        let keyed =
            |secret: &str| KeyedHashes::new(&SecretString::from(secret.to_owned())).unwrap();
        let a = keyed("first secret, long and random enough");
        let email = Email::parse("Someone@Example.com").unwrap();
        assert_eq!(
            a.welcome_email(&email),
            a.welcome_email(&Email::parse("someone@example.com").unwrap())
        );
        assert_eq!(a.welcome_email(&email).len(), 64);
        assert_ne!(
            a.welcome_email(&email),
            keyed("another secret entirely, also long").welcome_email(&email)
        );
        let successor = a.refresh_successor("token");
        assert_eq!(successor, a.refresh_successor("token"));
        assert_eq!(successor.len(), 43);
        assert_ne!(successor, a.refresh_successor("token2"));
        assert_ne!(successor, a.refresh_successor(&successor));
    }
}
