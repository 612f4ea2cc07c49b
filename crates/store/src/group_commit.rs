//! Group commit: a task per kind of write takes every write of that kind waiting at that
//! moment and commits them as one batch, then the next batch.
//!
//! What holds for every [`GroupCommit`]:
//! - One batch is in flight per kind and process, so a lone write waits for none.
//! - A batch holds at most [`MAX_BATCH`] writes, in layers (as TigerBeetle serves a hot
//!   account): layer `k` holds the `k`-th waiting write of each key (the user whose row it
//!   changes: a statement changes a row once), sorted by key. A key's writes are applied in
//!   the order they came, layer after layer, in one transaction ([`in_layers`]), so each gets
//!   the answer it would have had alone in that order. Filling the batch layer by layer is
//!   round-robin by user: one user's many writes never keep another's first write out.
//! - Before the queue, at most [`MAX_BATCH`] writes of one key wait in it
//!   ([`crate::admission`]); a user who floods writes waits in a line of their own.
//! - Every batch statement first locks its users' rows in id order ([`lock_users!`]); a
//!   layer's users are among the first layer's, so batches of any kind, here or on another
//!   replica, take those locks in one order and never wait for each other in a circle.
//! - A batch that fails as a whole (say a retry meets the unique key its first attempt
//!   committed) is written again one write at a time, so each gets the answer it would have
//!   had alone.
//! - A write whose caller went away before its batch was written (a client that
//!   disconnected) is dropped, not written.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, OnceLock};

use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr, TransactionTrait};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::admission::Admission;

/// How every batch statement on PostgreSQL begins: a CTE `locked` that takes the rows of the
/// batch's users (`$2`, a `uuid[]`) in id order, which the statement's later writes must
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
pub(crate) const MAX_BATCH: usize = 64;

/// The most writes taken off the queue at once (those beyond a batch wait for the next).
const MAX_WAITING: usize = 4 * MAX_BATCH;

/// One kind of write that can be committed in batches.
pub(crate) trait Writes: Send + Sync + 'static {
    type Item: Send + Sync + 'static;
    type Answer: Send + 'static;

    /// The row the item changes.
    fn key(item: &Self::Item) -> Uuid;

    /// Writes two or more items together, in layers of distinct keys sorted by key (a new
    /// layer begins where a key is not above the one before it; see [`layers`]), each key's
    /// items in the order they came: an answer per item, in order, or an error when they
    /// must be written one at a time.
    fn write_batch(
        &self,
        batch: &[&Self::Item],
    ) -> impl Future<Output = Result<Vec<Self::Answer>, DbErr>> + Send;

    /// Writes one item on its own.
    fn write_one(&self, item: &Self::Item) -> impl Future<Output = Self::Answer> + Send;

    /// The answer when the writer task has gone (the runtime is shutting down).
    fn stopped() -> Self::Answer;
}

/// Writes items of one kind, in batches once [`GroupCommit::start`] has run, one at a time
/// before.
pub(crate) struct GroupCommit<W: Writes> {
    writes: Arc<W>,
    queue: Arc<OnceLock<mpsc::Sender<Waiting<W>>>>,
    admission: Arc<Admission>,
}

impl<W: Writes> Clone for GroupCommit<W> {
    fn clone(&self) -> Self {
        Self {
            writes: self.writes.clone(),
            queue: self.queue.clone(),
            admission: self.admission.clone(),
        }
    }
}

/// A write and the caller waiting for its answer.
struct Waiting<W: Writes> {
    item: W::Item,
    done: oneshot::Sender<W::Answer>,
}

impl<W: Writes> GroupCommit<W> {
    pub(crate) fn new(writes: W) -> Self {
        Self {
            writes: Arc::new(writes),
            queue: Arc::default(),
            admission: Arc::new(Admission::new(MAX_BATCH)),
        }
    }

    /// Starts the writer task on the calling Tokio runtime (once).
    pub(crate) fn start(&self) {
        let (sender, queue) = mpsc::channel(16 * MAX_BATCH);
        if self.queue.set(sender).is_ok() {
            tokio::spawn(run(self.writes.clone(), queue));
        }
    }

    pub(crate) async fn write(&self, item: W::Item) -> W::Answer {
        let Some(queue) = self.queue.get() else {
            return self.writes.write_one(&item).await;
        };
        let _admitted = self.admission.admit(W::key(&item)).await;
        let (done, answer) = oneshot::channel();
        let _measured = crate::metrics::Answered::from_now();
        match queue.send(Waiting { item, done }).await {
            Ok(()) => answer.await.unwrap_or_else(|_| W::stopped()),
            Err(mpsc::error::SendError(waiting)) => self.writes.write_one(&waiting.item).await,
        }
    }
}

/// The writer task: batches until every sender is gone.
async fn run<W: Writes>(writes: Arc<W>, mut queue: mpsc::Receiver<Waiting<W>>) {
    let mut waiting: Vec<Waiting<W>> = Vec::new();
    loop {
        if waiting.is_empty() {
            match queue.recv().await {
                Some(first) => waiting.push(first),
                None => return,
            }
        }
        while waiting.len() < MAX_WAITING {
            match queue.try_recv() {
                Ok(next) => waiting.push(next),
                Err(_) => break,
            }
        }
        waiting.retain(|w| !w.done.is_closed());
        if waiting.is_empty() {
            continue;
        }
        let (batch, later) = next_batch(waiting);
        waiting = later;
        commit(&*writes, batch).await;
    }
}

/// Splits the waiting writes into the next batch (at most [`MAX_BATCH`], layer by layer:
/// the first waiting write of each key sorted by key, then the second of each, ...) and
/// those that wait for a later one (in their order).
fn next_batch<W: Writes>(waiting: Vec<Waiting<W>>) -> (Vec<Waiting<W>>, Vec<Waiting<W>>) {
    let mut seen: HashMap<Uuid, usize> = HashMap::new();
    let mut placed: Vec<(usize, Uuid, usize)> = waiting
        .iter()
        .enumerate()
        .map(|(at, w)| {
            let key = W::key(&w.item);
            let layer = seen.entry(key).or_default();
            *layer += 1;
            (*layer, key, at)
        })
        .collect();
    placed.sort_unstable();
    let mut chosen = vec![false; waiting.len()];
    let mut order = vec![usize::MAX; waiting.len()];
    for (rank, &(_, _, at)) in placed.iter().take(MAX_BATCH).enumerate() {
        chosen[at] = true;
        order[at] = rank;
    }
    let (mut batch, later): (Vec<_>, Vec<_>) = waiting
        .into_iter()
        .enumerate()
        .partition(|(at, _)| chosen[*at]);
    batch.sort_unstable_by_key(|(at, _)| order[*at]);
    let strip = |v: Vec<(usize, Waiting<W>)>| v.into_iter().map(|(_, w)| w).collect();
    (strip(batch), strip(later))
}

/// A batch (as [`next_batch`] orders it) cut into its layers: runs of strictly rising keys.
pub(crate) fn layers<'b, T>(batch: &'b [&'b T], key: impl Fn(&T) -> Uuid) -> Vec<&'b [&'b T]> {
    let mut layers = Vec::new();
    let mut start = 0;
    for at in 1..batch.len() {
        if key(batch[at]) <= key(batch[at - 1]) {
            layers.push(&batch[start..at]);
            start = at;
        }
    }
    if start < batch.len() {
        layers.push(&batch[start..]);
    }
    layers
}

/// One layer of a batch written on a connection (the pool, or the batch's transaction).
pub(crate) trait Layer {
    type Item;
    type Out;

    fn write_layer<C: sea_orm::ConnectionTrait + Sync>(
        &self,
        db: &C,
        layer: &[&Self::Item],
    ) -> impl Future<Output = Result<Vec<Self::Out>, DbErr>> + Send;
}

/// Writes a batch layer after layer: a lone layer on the pool, several in one transaction
/// (committed once, so a failure writes none of them). The outputs of all layers, in order.
pub(crate) async fn in_layers<L: Layer + Sync>(
    writer: &L,
    db: &DatabaseConnection,
    batch: &[&L::Item],
    key: impl Fn(&L::Item) -> Uuid,
) -> Result<Vec<L::Out>, DbErr>
where
    L::Item: Sync,
{
    let layers = layers(batch, key);
    if layers.len() <= 1 {
        return writer.write_layer(db, batch).await;
    }
    let txn: DatabaseTransaction = db.begin().await?;
    let mut outputs = Vec::with_capacity(batch.len());
    for layer in layers {
        outputs.extend(writer.write_layer(&txn, layer).await?);
    }
    txn.commit().await?;
    Ok(outputs)
}

/// Writes a batch (one at a time when it has one item or fails as a whole) and answers each
/// caller still waiting.
async fn commit<W: Writes>(writes: &W, batch: Vec<Waiting<W>>) {
    crate::metrics::batch_committed(batch.len());
    let items: Vec<&W::Item> = batch.iter().map(|w| &w.item).collect();
    let together = match items.len() {
        1 => None,
        _ => writes.write_batch(&items).await.ok(),
    };
    let answers = match together {
        Some(answers) if answers.len() == items.len() => answers,
        _ => {
            let mut answers = Vec::with_capacity(items.len());
            for item in &items {
                answers.push(writes.write_one(item).await);
            }
            answers
        }
    };
    for (waiting, answer) in batch.into_iter().zip(answers) {
        let _ = waiting.done.send(answer);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// What the fake was asked to write, by item number.
    #[derive(Debug, PartialEq, Eq)]
    enum Call {
        Batch(Vec<u32>),
        One(u32),
    }

    /// Writes nothing: records each call and answers with how the item was written.
    #[derive(Default)]
    struct Fake {
        calls: Mutex<Vec<Call>>,
        batches_fail: bool,
    }

    /// An item: its key (the user) and its number.
    type Item = (u128, u32);

    impl Writes for Fake {
        type Item = Item;
        type Answer = String;

        fn key(item: &Item) -> Uuid {
            Uuid::from_u128(item.0)
        }

        async fn write_batch(&self, batch: &[&Item]) -> Result<Vec<String>, DbErr> {
            let numbers = batch.iter().map(|item| item.1).collect();
            self.calls.lock().unwrap().push(Call::Batch(numbers));
            if self.batches_fail {
                return Err(DbErr::Custom("duplicate key".to_owned()));
            }
            Ok(batch
                .iter()
                .map(|item| format!("batch {}", item.1))
                .collect())
        }

        async fn write_one(&self, item: &Item) -> String {
            self.calls.lock().unwrap().push(Call::One(item.1));
            format!("one {}", item.1)
        }

        fn stopped() -> String {
            "stopped".to_owned()
        }
    }

    /// Queues `items` before the writer task runs, so that all of them wait at once, with
    /// the callers of the numbers in `gone` gone; runs the task until the queue is empty.
    /// The fake's calls, and each caller's answer (`None` for those gone).
    async fn write_queued(
        fake: Fake,
        items: &[Item],
        gone: &[u32],
    ) -> (Vec<Call>, Vec<Option<String>>) {
        let (sender, queue) = mpsc::channel(items.len());
        let mut answers = Vec::new();
        for &item in items {
            let (done, answer) = oneshot::channel();
            assert!(sender.try_send(Waiting { item, done }).is_ok());
            answers.push((!gone.contains(&item.1)).then_some(answer));
        }
        drop(sender);
        let fake = Arc::new(fake);
        run(fake.clone(), queue).await;
        let mut got = Vec::new();
        for answer in answers {
            got.push(match answer {
                Some(answer) => Some(answer.await.unwrap()),
                None => None,
            });
        }
        let calls = std::mem::take(&mut *fake.calls.lock().unwrap());
        (calls, got)
    }

    fn answers(expected: &[&str]) -> Vec<Option<String>> {
        expected.iter().map(|a| Some((*a).to_owned())).collect()
    }

    #[tokio::test]
    async fn a_keys_several_writes_go_in_one_batch_layer_after_layer_in_order() {
        let items = [(2, 1), (1, 2), (2, 3), (3, 4), (2, 5)];
        let (calls, got) = write_queued(Fake::default(), &items, &[]).await;
        assert_eq!(calls, [Call::Batch(vec![2, 1, 4, 3, 5])]);
        assert_eq!(
            got,
            answers(&["batch 1", "batch 2", "batch 3", "batch 4", "batch 5"])
        );
        let batch: Vec<&Item> = [(1, 2), (2, 1), (3, 4), (2, 3), (2, 5)].iter().collect();
        let cut: Vec<Vec<u32>> = layers(&batch, |item| Uuid::from_u128(item.0))
            .iter()
            .map(|layer| layer.iter().map(|item| item.1).collect())
            .collect();
        assert_eq!(cut, [vec![2, 1, 4], vec![3], vec![5]]);
    }

    #[tokio::test]
    async fn a_flooding_key_fills_a_batch_only_after_every_other_keys_first_write() {
        let flood = u32::try_from(MAX_BATCH).unwrap() + 10;
        let mut items: Vec<Item> = (1..=flood).map(|n| (9, n)).collect();
        items.extend([(1, 1_001), (2, 1_002), (3, 1_003)]);
        let (calls, got) = write_queued(Fake::default(), &items, &[]).await;
        let Call::Batch(first) = &calls[0] else {
            panic!("a batch first: {calls:?}");
        };
        assert_eq!(first.len(), MAX_BATCH);
        assert_eq!(first[..4], [1_001, 1_002, 1_003, 1]);
        assert!(first[4..].windows(2).all(|w| w[0] < w[1]), "in order");
        assert!(got.iter().all(Option::is_some));
    }

    #[tokio::test]
    async fn user_locks_are_taken_in_id_order() {
        let items = [(9, 1), (3, 2), (7, 3), (1, 4)];
        let (calls, got) = write_queued(Fake::default(), &items, &[]).await;
        assert_eq!(calls, [Call::Batch(vec![4, 2, 3, 1])]);
        assert_eq!(got, answers(&["batch 1", "batch 2", "batch 3", "batch 4"]));
    }

    #[tokio::test]
    async fn a_batch_that_fails_is_written_one_at_a_time() {
        let fake = Fake {
            batches_fail: true,
            ..Fake::default()
        };
        let (calls, got) = write_queued(fake, &[(1, 1), (2, 2), (3, 3)], &[]).await;
        assert_eq!(
            calls,
            [
                Call::Batch(vec![1, 2, 3]),
                Call::One(1),
                Call::One(2),
                Call::One(3)
            ]
        );
        assert_eq!(got, answers(&["one 1", "one 2", "one 3"]));
    }

    #[tokio::test]
    async fn writes_whose_callers_went_away_are_not_written() {
        let items = [(1, 1), (2, 2), (3, 3)];
        let (calls, got) = write_queued(Fake::default(), &items, &[2]).await;
        assert_eq!(calls, [Call::Batch(vec![1, 3])]);
        assert_eq!(
            got,
            [Some("batch 1".to_owned()), None, Some("batch 3".to_owned())]
        );

        let (calls, got) = write_queued(Fake::default(), &items, &[1, 3]).await;
        assert_eq!(calls, [Call::One(2)]);
        assert_eq!(got, [None, Some("one 2".to_owned()), None]);

        let (calls, _) = write_queued(Fake::default(), &items, &[1, 2, 3]).await;
        assert!(calls.is_empty());
    }

    #[tokio::test]
    async fn a_batch_holds_at_most_max_batch_writes() {
        let count = u32::try_from(MAX_BATCH).unwrap() + 1;
        let items: Vec<Item> = (1..=count).map(|n| (u128::from(n), n)).collect();
        let (calls, _) = write_queued(Fake::default(), &items, &[]).await;
        assert_eq!(calls, [Call::Batch((1..count).collect()), Call::One(count)]);
    }

    #[tokio::test]
    async fn a_lone_write_is_written_alone_before_and_after_start() {
        let commit = GroupCommit::new(Fake::default());
        assert_eq!(commit.write((1, 1)).await, "one 1");
        commit.start();
        assert_eq!(commit.write((1, 2)).await, "one 2");
        let calls = std::mem::take(&mut *commit.writes.calls.lock().unwrap());
        assert_eq!(calls, [Call::One(1), Call::One(2)]);
    }
}
