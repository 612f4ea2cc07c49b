//! The event streams open on this process, per user and in all, so one caller cannot hold
//! every stream and a flood of streams cannot exhaust the process.
//!
//! Counted in this process's memory: an open stream is a connection and a task held by
//! this replica, which is the capacity the caps protect. Across replicas a user's streams
//! are bounded by their running generations (`generations_per_user`, in the database).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use penora_domain::UserId;

#[derive(Debug, Clone)]
pub struct Streams {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    per_user: u32,
    total: u32,
    open: Mutex<Open>,
}

#[derive(Debug, Default)]
struct Open {
    total: u32,
    by_user: HashMap<UserId, u32>,
}

/// Why a stream was not opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StreamRefused {
    #[error("this user has {limit} streams open")]
    User { limit: u32 },
    #[error("this server has {limit} streams open")]
    Total { limit: u32 },
}

/// One open stream; closing it (dropping the permit) frees its place.
#[derive(Debug)]
pub struct StreamPermit {
    inner: Arc<Inner>,
    user: UserId,
}

impl Streams {
    pub fn new(per_user: u32, total: u32) -> Self {
        Self {
            inner: Arc::new(Inner {
                per_user,
                total,
                open: Mutex::new(Open::default()),
            }),
        }
    }

    /// A place for one more stream of `user`, unless the user or the process is at its cap.
    pub fn open(&self, user: UserId) -> Result<StreamPermit, StreamRefused> {
        let mut open = self.inner.lock();
        if open.total >= self.inner.total {
            return Err(StreamRefused::Total {
                limit: self.inner.total,
            });
        }
        let mine = open.by_user.entry(user).or_default();
        if *mine >= self.inner.per_user {
            if *mine == 0 {
                open.by_user.remove(&user);
            }
            return Err(StreamRefused::User {
                limit: self.inner.per_user,
            });
        }
        *mine += 1;
        open.total += 1;
        Ok(StreamPermit {
            inner: self.inner.clone(),
            user,
        })
    }

    /// Streams open now (all users).
    pub fn open_now(&self) -> u32 {
        self.inner.lock().total
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, Open> {
        // The counts stay consistent under a panic elsewhere: every update is complete
        // before the guard drops.
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for StreamPermit {
    fn drop(&mut self) {
        let mut open = self.inner.lock();
        open.total = open.total.saturating_sub(1);
        if let Some(mine) = open.by_user.get_mut(&self.user) {
            *mine = mine.saturating_sub(1);
            if *mine == 0 {
                open.by_user.remove(&self.user);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_per_user_and_in_all_and_frees_on_drop() {
        let streams = Streams::new(2, 3);
        let (a, b) = (UserId::new(), UserId::new());
        let first = streams.open(a).unwrap();
        let _second = streams.open(a).unwrap();
        assert_eq!(
            streams.open(a).err(),
            Some(StreamRefused::User { limit: 2 })
        );
        let _third = streams.open(b).unwrap();
        assert_eq!(
            streams.open(b).err(),
            Some(StreamRefused::Total { limit: 3 })
        );
        drop(first);
        assert_eq!(streams.open_now(), 2);
        let _again = streams.open(a).unwrap();
        assert_eq!(streams.open_now(), 3);
    }
}
