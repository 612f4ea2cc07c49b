//! Admission per key before a shared resource: at most so many requests of one key (a user)
//! go in at once, the others wait here, each key apart, in the order they came. A user who
//! floods fills their own line, not the queue (or the pool of connections) every user
//! shares. Used before a [`crate::group_commit::GroupCommit`]'s queue, and by the app before
//! a generation's first database writes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use uuid::Uuid;

/// The lines of waiting writes, one per key that has writes in the queue or waiting.
pub struct Admission {
    per_key: usize,
    lines: Mutex<HashMap<Uuid, Arc<Semaphore>>>,
}

/// A write let into the queue; dropping it lets the next write of its key in.
pub struct Admitted<'a> {
    admission: &'a Admission,
    key: Uuid,
    permit: Option<OwnedSemaphorePermit>,
}

impl Admission {
    /// At most `per_key` writes of a key in the queue at once (at least one).
    pub fn new(per_key: usize) -> Self {
        Self {
            per_key: per_key.max(1),
            lines: Mutex::default(),
        }
    }

    /// Waits until a write of `key` may enter the queue, behind that key's earlier writes.
    pub async fn admit(&self, key: Uuid) -> Admitted<'_> {
        let line = self
            .lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key)
            .or_insert_with(|| Arc::new(Semaphore::new(self.per_key)))
            .clone();
        // The semaphore is never closed, so acquiring fails never; a write let in without
        // a permit would only lift this key's bound, not break a rule.
        let permit = line.acquire_owned().await.ok();
        Admitted {
            admission: self,
            key,
            permit,
        }
    }

    #[cfg(test)]
    fn lines(&self) -> usize {
        self.lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

impl Drop for Admitted<'_> {
    fn drop(&mut self) {
        drop(self.permit.take());
        let mut lines = self
            .admission
            .lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Under the lock, only the map holds a line nobody waits in or holds a permit of.
        if lines
            .get(&self.key)
            .is_some_and(|line| Arc::strong_count(line) == 1)
        {
            lines.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_key_past_its_bound_waits_while_other_keys_go_in() {
        let admission = Admission::new(2);
        let (busy, quiet) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let first = admission.admit(busy).await;
        let _second = admission.admit(busy).await;
        let third = tokio::time::timeout(Duration::from_millis(20), admission.admit(busy)).await;
        assert!(third.is_err(), "the third write of a key waits");
        let other = tokio::time::timeout(Duration::from_millis(20), admission.admit(quiet)).await;
        assert!(other.is_ok(), "another key goes in at once");
        drop(other);
        drop(first);
        let third = tokio::time::timeout(Duration::from_millis(20), admission.admit(busy)).await;
        assert!(third.is_ok(), "a write of the key goes in once one left");
    }

    #[tokio::test]
    async fn a_keys_line_goes_when_its_last_write_leaves() {
        let admission = Admission::new(1);
        let a = admission.admit(Uuid::from_u128(1)).await;
        let b = admission.admit(Uuid::from_u128(2)).await;
        assert_eq!(admission.lines(), 2);
        drop(a);
        drop(b);
        assert_eq!(admission.lines(), 0);
    }
}
