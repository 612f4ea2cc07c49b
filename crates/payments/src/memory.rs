//! An in-memory `SandboxBook` for tests (feature `test-util`): objects in a map, deliveries
//! in a list in enqueue order.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use crate::sandbox::{BookError, Delivery, SandboxBook};

#[derive(Debug, Default)]
pub struct MemoryBook {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// (kind, id) -> (parent, creation sequence, body).
    objects: HashMap<(String, String), (Option<String>, u64, serde_json::Value)>,
    next_seq: u64,
    deliveries: Vec<Delivery>,
}

impl MemoryBook {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Every delivery queued so far, in enqueue order.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.lock().deliveries.clone()
    }

    /// Removes and returns the deliveries queued so far.
    pub fn take_deliveries(&self) -> Vec<Delivery> {
        std::mem::take(&mut self.lock().deliveries)
    }
}

#[async_trait::async_trait]
impl SandboxBook for MemoryBook {
    async fn put(
        &self,
        kind: &str,
        id: &str,
        parent: Option<&str>,
        body: serde_json::Value,
    ) -> Result<(), BookError> {
        let mut inner = self.lock();
        let key = (kind.to_owned(), id.to_owned());
        let seq = match inner.objects.get(&key) {
            Some((_, seq, _)) => *seq,
            None => {
                inner.next_seq += 1;
                inner.next_seq
            }
        };
        inner
            .objects
            .insert(key, (parent.map(str::to_owned), seq, body));
        Ok(())
    }

    async fn get(&self, kind: &str, id: &str) -> Result<Option<serde_json::Value>, BookError> {
        Ok(self
            .lock()
            .objects
            .get(&(kind.to_owned(), id.to_owned()))
            .map(|(_, _, body)| body.clone()))
    }

    async fn children(
        &self,
        kind: &str,
        parent: &str,
    ) -> Result<Vec<serde_json::Value>, BookError> {
        let inner = self.lock();
        let mut found: Vec<_> = inner
            .objects
            .iter()
            .filter(|((k, _), (p, _, _))| k == kind && p.as_deref() == Some(parent))
            .map(|(_, (_, seq, body))| (*seq, body.clone()))
            .collect();
        found.sort_by_key(|(seq, _)| *seq);
        Ok(found.into_iter().map(|(_, body)| body).collect())
    }

    async fn enqueue(&self, delivery: Delivery) -> Result<(), BookError> {
        self.lock().deliveries.push(delivery);
        Ok(())
    }
}
