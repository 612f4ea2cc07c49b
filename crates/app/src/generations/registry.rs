//! The generations streaming in this process, so a cancel that reaches this replica stops
//! its generation at once. Cancels that reach another replica arrive as a notice
//! ([`crate::notices`]) and, should that be lost, through the database flag, which the
//! streaming task reads at every save.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::Notify;
use uuid::Uuid;

#[derive(Debug, Clone, Default)]
pub struct Running {
    inner: Arc<Mutex<HashMap<Uuid, Arc<Notify>>>>,
}

impl Running {
    /// Registers a generation; the returned guard unregisters it when dropped.
    pub fn register(&self, id: Uuid) -> Registered {
        let notify = Arc::new(Notify::new());
        self.lock().insert(id, notify.clone());
        Registered {
            running: self.clone(),
            id,
            notify,
        }
    }

    /// Wakes the generation's task if it streams here (and says whether it does).
    /// `notify_one` keeps the wake-up for a task that is not waiting at this instant.
    pub fn cancel(&self, id: Uuid) -> bool {
        match self.lock().get(&id) {
            Some(notify) => {
                notify.notify_one();
                true
            }
            None => false,
        }
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Arc<Notify>>> {
        // The map stays consistent even if a holder panicked: every operation is one call.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

pub struct Registered {
    running: Running,
    id: Uuid,
    pub notify: Arc<Notify>,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.running.lock().remove(&self.id);
    }
}
