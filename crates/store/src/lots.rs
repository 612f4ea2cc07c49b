//! Group commit: a task takes every write of one kind waiting at that moment and commits
//! them together, then the next lot.
//!
//! At a few thousand writes a second the fixed cost of each commit — round trips, wake-ups,
//! executor start-up, a WAL flush — was most of the work; twenty writes together cost little
//! more than one. One lot is in flight per kind and process, so a lone write waits for none.
//! A lot holds at most one write per key (the user whose row it changes: a statement
//! changes a row once); the others wait, in order, for the next lot. Each lot statement
//! first locks its users' rows in id order (`FOR NO KEY UPDATE`), so lots of any kind, here
//! or on another replica, take those locks in one order and never wait for each other in a
//! circle. A lot that fails as a whole (say a retry whose first attempt committed earlier
//! meets its unique key) is written again one write at a time, so each gets the answer it
//! would have had alone. A write whose caller went away before its lot was written (a client
//! that disconnected) is dropped, not written.

use std::collections::HashSet;
use std::future::Future;
use std::sync::{Arc, OnceLock};

use sea_orm::DbErr;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

/// How every lot statement on PostgreSQL begins: a CTE `locked` that takes the rows of the
/// lot's users (`$2`, a `uuid[]`) in id order, which the statement's later writes must
/// depend on (`(SELECT count(*) FROM locked) >= 0` evaluates it whole, first). The caller's
/// next CTE follows the comma.
macro_rules! lock_users {
    () => {
        "
WITH locked AS MATERIALIZED (
    SELECT id FROM users WHERE id = ANY($2::uuid[]) ORDER BY id FOR NO KEY UPDATE
), "
    };
}
pub(crate) use lock_users;

/// The most writes committed together.
pub(crate) const MOST: usize = 64;

/// One kind of write that can be committed in lots.
pub(crate) trait Writes: Send + Sync + 'static {
    type Item: Send + Sync + 'static;
    type Answer: Send + 'static;

    /// The row the item changes.
    fn key(item: &Self::Item) -> Uuid;

    /// Writes two or more items together: an answer per item, in order, or an error when
    /// they must be written one at a time.
    fn together(
        &self,
        lot: &[&Self::Item],
    ) -> impl Future<Output = Result<Vec<Self::Answer>, DbErr>> + Send;

    /// Writes one item on its own.
    fn alone(&self, item: &Self::Item) -> impl Future<Output = Self::Answer> + Send;

    /// The answer when the writer task has gone (the runtime is shutting down).
    fn stopped() -> Self::Answer;
}

/// Writes items of one kind, together once [`Lots::start`] has run, alone before.
pub(crate) struct Lots<W: Writes> {
    writes: Arc<W>,
    queue: Arc<OnceLock<mpsc::Sender<Waiting<W>>>>,
}

impl<W: Writes> Clone for Lots<W> {
    fn clone(&self) -> Self {
        Self {
            writes: self.writes.clone(),
            queue: self.queue.clone(),
        }
    }
}

struct Waiting<W: Writes> {
    item: W::Item,
    done: oneshot::Sender<W::Answer>,
}

impl<W: Writes> Lots<W> {
    pub(crate) fn new(writes: W) -> Self {
        Self {
            writes: Arc::new(writes),
            queue: Arc::default(),
        }
    }

    /// Starts the writer task on the calling Tokio runtime (once).
    pub(crate) fn start(&self) {
        let (sender, queue) = mpsc::channel(16 * MOST);
        if self.queue.set(sender).is_ok() {
            tokio::spawn(write_lots(self.writes.clone(), queue));
        }
    }

    pub(crate) async fn write(&self, item: W::Item) -> W::Answer {
        let Some(queue) = self.queue.get() else {
            return self.writes.alone(&item).await;
        };
        let (done, answer) = oneshot::channel();
        match queue.send(Waiting { item, done }).await {
            Ok(()) => answer.await.unwrap_or_else(|_| W::stopped()),
            Err(mpsc::error::SendError(waiting)) => self.writes.alone(&waiting.item).await,
        }
    }
}

async fn write_lots<W: Writes>(writes: Arc<W>, mut queue: mpsc::Receiver<Waiting<W>>) {
    let mut waiting: Vec<Waiting<W>> = Vec::new();
    loop {
        if waiting.is_empty() {
            match queue.recv().await {
                Some(first) => waiting.push(first),
                None => return,
            }
        }
        while waiting.len() < 4 * MOST {
            match queue.try_recv() {
                Ok(next) => waiting.push(next),
                Err(_) => break,
            }
        }
        waiting.retain(|w| !w.done.is_closed());
        if waiting.is_empty() {
            continue;
        }
        let mut keys = HashSet::new();
        let (mut lot, later): (Vec<_>, Vec<_>) = waiting
            .into_iter()
            .partition(|w| keys.len() < MOST && keys.insert(W::key(&w.item)));
        waiting = later;
        lot.sort_by_key(|w| W::key(&w.item));
        let items: Vec<&W::Item> = lot.iter().map(|w| &w.item).collect();
        let together = match items.len() {
            1 => None,
            _ => writes.together(&items).await.ok(),
        };
        let answers = match together {
            Some(answers) if answers.len() == items.len() => answers,
            _ => {
                let mut answers = Vec::with_capacity(items.len());
                for item in &items {
                    answers.push(writes.alone(item).await);
                }
                answers
            }
        };
        for (waiting, answer) in lot.into_iter().zip(answers) {
            let _ = waiting.done.send(answer);
        }
    }
}
