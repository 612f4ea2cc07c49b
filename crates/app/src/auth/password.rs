//! argon2id hashing, off the async workers (it is deliberately slow), a bounded number at
//! once: each run takes ~19 MiB, so unbounded concurrent checks could exhaust memory.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("the hashing task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
    /// Every argon2 slot stayed taken for the whole queue wait.
    #[error("too many password checks at once")]
    Busy,
}

/// The process's argon2 slots; clones share them.
#[derive(Clone)]
pub struct Passwords {
    slots: Arc<Semaphore>,
    queue_wait: Duration,
}

impl Passwords {
    /// `concurrency` runs at once (at least one); a caller waits up to `queue_wait` for a slot.
    pub fn new(concurrency: usize, queue_wait: Duration) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(concurrency.max(1))),
            queue_wait,
        }
    }

    pub async fn hash(&self, password: String) -> Result<String, HashError> {
        let slot = self.slot().await?;
        tokio::task::spawn_blocking(move || {
            let _slot = slot;
            let salt = SaltString::generate(&mut OsRng);
            Argon2::default()
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| HashError::Hash(e.to_string()))
        })
        .await?
    }

    /// Checks a password against a stored hash. With no hash (unknown email) it still does
    /// the same work against a dummy hash, so response time does not reveal which emails
    /// exist.
    pub async fn verify(
        &self,
        password: String,
        stored: Option<String>,
    ) -> Result<bool, HashError> {
        let slot = self.slot().await?;
        tokio::task::spawn_blocking(move || {
            let _slot = slot;
            let known = stored.is_some();
            let stored = stored.unwrap_or_else(|| dummy_hash().to_owned());
            let Ok(parsed) = PasswordHash::new(&stored) else {
                return Ok(false);
            };
            let matches = Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok();
            Ok(known && matches)
        })
        .await?
    }

    /// A slot, held until the blocking run ends (even if the request is dropped meanwhile).
    /// A zero wait still takes a free slot: the acquire is polled before the deadline.
    async fn slot(&self) -> Result<OwnedSemaphorePermit, HashError> {
        tokio::time::timeout(self.queue_wait, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| HashError::Busy)?
            .map_err(|_| HashError::Busy)
    }
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(b"penora-dummy-password", &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_differ() -> Result<(), HashError> {
        let passwords = Passwords::new(2, Duration::from_secs(5));
        let a = passwords.hash("correct horse 7".into()).await?;
        let b = passwords.hash("correct horse 7".into()).await?;
        assert_ne!(a, b, "salted");
        assert!(a.starts_with("$argon2id$"));
        assert!(
            passwords
                .verify("correct horse 7".into(), Some(a.clone()))
                .await?
        );
        assert!(!passwords.verify("wrong horse 7".into(), Some(a)).await?);
        assert!(
            !passwords
                .verify("penora-dummy-password".into(), None)
                .await?
        );
        Ok(())
    }

    #[tokio::test]
    async fn a_full_house_answers_busy_after_the_wait() -> Result<(), HashError> {
        let passwords = Passwords::new(1, Duration::ZERO);
        let held = passwords.slot().await?;
        assert!(matches!(
            passwords.hash("x".into()).await,
            Err(HashError::Busy)
        ));
        drop(held);
        assert!(passwords.hash("x".into()).await.is_ok());
        Ok(())
    }
}
