//! The writer slot and group commit.
//!
//! SQLite has one writer at a time, and with `synchronous = FULL` each `COMMIT` waits for the
//! disk. Writers queue for the slot; when a writer finishes its transaction while others are
//! queued behind it, it does not commit on its own: its work stays in the open transaction (the
//! *batch*), the next writer continues in the same transaction, and one `COMMIT` makes the whole
//! batch durable at once. Each writer is answered only after the `COMMIT` that contains its
//! work has returned, so nothing is acknowledged before it is on disk.
//!
//! - The first writer of a batch opens it (`BEGIN IMMEDIATE`, on the blocking pool). A writer
//!   that joins an open batch starts a savepoint (`SAVEPOINT w`), so that if it fails or is
//!   cancelled, `ROLLBACK TO w` undoes its own work and nothing of the writers before it.
//! - A writer that finishes releases its savepoint into the batch. If nobody is queued for the
//!   slot (or the batch is full) it commits the batch itself, holding the slot, and answers
//!   every writer in it. Otherwise it leaves a *flush* queued for the slot — a task of its own,
//!   so it runs even if every request in the batch is cancelled — and waits. The slot is fair
//!   (first come, first served): the writers queued before the flush join the batch, and the
//!   flush commits it when its turn comes.
//! - A failed `COMMIT` fails every writer in the batch; none of them was acknowledged.
//!
//! Invariant: whenever the slot is free, either no transaction is open or the open one is a
//! batch with at least one writer waiting on it.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use rusqlite::Connection;
use tokio::sync::{oneshot, Mutex, OwnedMutexGuard};

use super::{blocking, closed, prepare, Op, Target};
use crate::error::{Result, StoreError};
use sea_query::Value;

/// The most writers one `COMMIT` answers; the writer that fills a batch commits it.
const MAX_BATCH: usize = 64;

/// What a writer in a batch waits for: whether the batch's `COMMIT` succeeded.
type Done = oneshot::Sender<std::result::Result<(), String>>;

/// The writer connection and the batch open on it.
pub(super) struct Slot {
    /// `None` once closed, or after a failed rollback left it unusable: it is then opened again
    /// by the next writer.
    conn: Option<Connection>,
    /// The writers whose work is in the open transaction, waiting for its `COMMIT`; `None` when
    /// no batch is open.
    batch: Option<Vec<Done>>,
    /// A flush task is queued for the slot.
    flush_queued: bool,
    /// Batches committed since the database was opened.
    commits: u64,
}

/// The slot, and how many writers are waiting for it.
pub(super) struct Slots {
    slot: Arc<Mutex<Slot>>,
    queued: Arc<AtomicUsize>,
}

/// Counts a writer as queued for the slot until it gets it (or gives up waiting).
struct Queued<'a>(&'a AtomicUsize);

impl<'a> Queued<'a> {
    fn new(n: &'a AtomicUsize) -> Self {
        n.fetch_add(1, Ordering::SeqCst);
        Queued(n)
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Slots {
    pub(super) fn new(conn: Connection) -> Slots {
        Slots {
            slot: Arc::new(Mutex::new(Slot {
                conn: Some(conn),
                batch: None,
                flush_queued: false,
                commits: 0,
            })),
            queued: Arc::default(),
        }
    }

    /// Waits for the slot. No transaction of its own is open yet; one of earlier writers may be.
    async fn take(&self, target: &Target, is_closed: &AtomicBool) -> Result<OwnedMutexGuard<Slot>> {
        let mut slot = {
            let _queued = Queued::new(&self.queued);
            self.slot.clone().lock_owned().await
        };
        if is_closed.load(Ordering::Acquire) {
            return Err(closed());
        }
        if slot.conn.is_none() {
            slot.conn = Some(target.open_writer()?);
        }
        Ok(slot)
    }

    /// Waits for the slot and starts a write transaction: a new batch (`BEGIN IMMEDIATE`, on
    /// the blocking pool), or a savepoint in the open one. Cancelled while `BEGIN` runs, the
    /// writer is dropped there and rolls back.
    pub(super) async fn begin(&self, target: &Target, is_closed: &AtomicBool) -> Result<Writer> {
        let slot = self.take(target, is_closed).await?;
        let mut writer = Writer {
            slot,
            shared: self.clone_handles(),
            joined: false,
        };
        if writer.slot.batch.is_some() {
            writer.conn().execute_batch("SAVEPOINT w")?;
            writer.joined = true;
            return Ok(writer);
        }
        blocking(move || {
            writer.conn().execute_batch("BEGIN IMMEDIATE")?;
            writer.slot.batch = Some(Vec::new());
            Ok(writer)
        })
        .await
    }

    /// Waits for the slot and makes any open batch durable first: for work that runs outside a
    /// transaction (literal SQL that may manage its own, closing).
    pub(super) async fn settled(
        &self,
        target: &Target,
        is_closed: &AtomicBool,
    ) -> Result<OwnedMutexGuard<Slot>> {
        let slot = self.take(target, is_closed).await?;
        blocking(move || {
            let mut slot = slot;
            commit_batch(&mut slot);
            Ok(slot)
        })
        .await
    }

    /// Commits the open batch, if any, once every writer already queued has joined it.
    /// Closing the last connection checkpoints the WAL: disk work, off the async threads.
    pub(super) async fn close(&self) {
        let mut slot = self.slot.clone().lock_owned().await;
        let _ = tokio::task::spawn_blocking(move || {
            commit_batch(&mut slot);
            drop(slot.conn.take());
        })
        .await;
    }

    /// How many writers are waiting for the slot, and how many batches were committed.
    #[cfg(test)]
    pub(super) async fn counts(&self) -> (usize, u64) {
        let commits = self.slot.lock().await.commits;
        (self.queued.load(Ordering::SeqCst), commits)
    }

    #[cfg(test)]
    pub(super) fn queued(&self) -> usize {
        self.queued.load(Ordering::SeqCst)
    }

    fn clone_handles(&self) -> Slots {
        Slots {
            slot: self.slot.clone(),
            queued: self.queued.clone(),
        }
    }
}

impl Slot {
    pub(super) fn conn(&self) -> &Connection {
        self.conn
            .as_ref()
            .expect("the writer slot has its connection")
    }
}

/// Commits the open batch and answers its writers. A failed `COMMIT` is rolled back (the
/// connection is dropped, and opened again later, if even that fails) and fails them all.
fn commit_batch(slot: &mut Slot) -> Option<StoreError> {
    let waiters = slot.batch.take()?;
    let Some(conn) = slot.conn.as_ref() else {
        let gone = "the writer connection was lost before the commit".to_string();
        for w in waiters {
            let _ = w.send(Err(gone.clone()));
        }
        return Some(StoreError::Unavailable(gone));
    };
    let failed = conn.execute_batch("COMMIT").err();
    slot.commits += u64::from(failed.is_none());
    if failed.is_some() && !conn.is_autocommit() && conn.execute_batch("ROLLBACK").is_err() {
        slot.conn = None;
    }
    let answer = failed.as_ref().map(|e| format!("commit failed: {e}"));
    for w in waiters {
        let _ = w.send(answer.clone().map_or(Ok(()), Err));
    }
    failed.map(StoreError::from)
}

/// The writer connection, held with the writer slot, inside a write transaction. Dropped
/// without [`Writer::commit`] (a request that failed or was cancelled), it rolls back its own
/// work before the slot is released.
pub(crate) struct Writer {
    slot: OwnedMutexGuard<Slot>,
    shared: Slots,
    /// It joined an open batch (with a savepoint) rather than opening one.
    joined: bool,
}

impl Writer {
    pub(super) fn conn(&self) -> &Connection {
        self.slot
            .conn
            .as_ref()
            .expect("a writer has its connection")
    }

    /// Runs a statement inline (the transaction already holds the write lock).
    pub(crate) fn run<R>(&self, sql: &str, values: &[Value], op: Op<R>) -> Result<R> {
        let conn = self.conn();
        let mut st = prepare(conn, sql, values)?;
        op(conn, &mut st)
    }

    /// Runs literal SQL inline, several statements allowed.
    pub(crate) fn batch(&self, sql: &str) -> Result<()> {
        Ok(self.conn().execute_batch(sql)?)
    }

    /// Makes the transaction's work durable: returns once a `COMMIT` containing it has
    /// returned. Commits at once when no other writer is queued; otherwise leaves it to the
    /// batch (see the module's documentation).
    pub(crate) async fn commit(mut self) -> Result<()> {
        if self.joined {
            self.conn().execute_batch("RELEASE w")?;
            self.joined = false;
        }
        let queued = self.shared.queued.load(Ordering::SeqCst);
        let batch = self
            .slot
            .batch
            .as_mut()
            .expect("a writer is inside a batch");
        if queued == 0 || batch.len() + 1 >= MAX_BATCH {
            return blocking(move || {
                let failed = commit_batch(&mut self.slot);
                drop(self);
                failed.map_or(Ok(()), Err)
            })
            .await;
        }
        let (done, answer) = oneshot::channel();
        batch.push(done);
        if !self.slot.flush_queued {
            self.slot.flush_queued = true;
            tokio::spawn(flush(self.shared.slot.clone()));
        }
        drop(self);
        match answer.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(StoreError::Unavailable(e)),
            Err(_) => Err(StoreError::Unavailable(
                "the batch's commit was abandoned".into(),
            )),
        }
    }
}

/// The queued flush: once it has the slot, commits whatever batch is open.
async fn flush(slot: Arc<Mutex<Slot>>) {
    let mut slot = slot.lock_owned().await;
    slot.flush_queued = false;
    if slot.batch.is_none() {
        return;
    }
    let _ = tokio::task::spawn_blocking(move || commit_batch(&mut slot)).await;
}

impl Drop for Writer {
    fn drop(&mut self) {
        let Some(conn) = self.slot.conn.as_ref() else {
            return;
        };
        if conn.is_autocommit() {
            self.slot.batch = None;
            return;
        }
        let rolled_back = if self.joined {
            conn.execute_batch("ROLLBACK TO w; RELEASE w")
        } else if self.slot.batch.as_ref().is_some_and(|b| b.is_empty()) {
            // It opened the batch and nobody else is in it: the whole transaction goes.
            let r = conn.execute_batch("ROLLBACK");
            self.slot.batch = None;
            r
        } else {
            // It committed into the batch and is only letting go of the slot.
            return;
        };
        if let Err(e) = rolled_back {
            // Closing the connection rolls back what it had open, the batch's earlier writers'
            // work with it: they are answered with the failure, never acknowledged.
            tracing::error!(error = %e, "rollback failed; reopening the writer connection");
            self.slot.conn = None;
            for w in self.slot.batch.take().into_iter().flatten() {
                let _ = w.send(Err(format!("rollback of another write failed: {e}")));
            }
        }
    }
}
