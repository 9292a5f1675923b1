//! Group commit: the writes of concurrent requests share one transaction and one commit.
//!
//! Every commit costs a WAL flush (an fsync on SQLite with `synchronous=FULL`, a WAL flush on
//! PostgreSQL), and on SQLite only one connection writes at a time: a second writer waits in
//! SQLite's busy handler, which sleeps. So the sync path hands its writes, as data, to writer
//! tasks: a writer takes every write queued while the last commit was under way and runs them in
//! one transaction. A request learns its write's outcome only once the commit is durable.
//!
//! The queue is bounded (`--commit-queue`): when the database falls behind, a write that finds it
//! full is refused at once (`GroupCommitError::Busy`, a sync answers 503 with `Retry-After`) rather than
//! waiting in memory without bound. `Committer::close` stops taking writes and waits until the
//! writers have committed every queued one (a graceful shutdown).
//!
//! Writes are plain data (`Write::run` takes `&self`), so they can run twice: if anything in a
//! shared transaction fails, it is rolled back and each write is retried in a transaction of its
//! own, so one bad write never fails its neighbours. A write must leave nothing behind when it
//! decides not to apply (e.g. a stale version: its guarded statements change no row).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, PoisonError, RwLock};

use prometheus_client::metrics::counter::Counter;
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::db::{Conn, Db, Tx};
use crate::held::Held;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Most writes one transaction carries: bounds the time a batch holds the write lock.
const MAX_BATCH: usize = 64;

/// One write, as data.
pub trait Write: Send + Sync + Sized + 'static {
    type Output: Send + 'static;
    /// Runs the write's statements in `tx`; an `Err` rolls back the whole transaction.
    fn run<'a>(&'a self, tx: &'a mut Tx<'_>) -> BoxFuture<'a, Result<Self::Output, sqlx::Error>>;

    /// Runs first when `writes` share a transaction one by one: e.g. takes, in an order every
    /// transaction keeps, locks they will take in whatever order they come (deadlocks between
    /// writers on PostgreSQL). Nothing by default.
    fn before_shared<'a>(_tx: &'a mut Tx<'_>, _writes: &'a [&'a Self]) -> BoxFuture<'a, Result<(), sqlx::Error>> {
        Box::pin(async { Ok(()) })
    }

    /// Runs `writes` as one transaction, committed in one round trip to the database, when this
    /// kind of write knows how for these writes: their outputs, in order. An `Err` must leave
    /// nothing written (the writes are then retried one by one). None, the default: they run one
    /// by one in a shared transaction (a round trip each, plus begin and commit).
    fn run_together<'a>(
        _conn: &'a mut Conn,
        _writes: &'a [&'a Self],
    ) -> Option<BoxFuture<'a, Result<Vec<Self::Output>, sqlx::Error>>> {
        None
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GroupCommitError {
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
    /// The writers are gone (the server is shutting down).
    #[error("the database writer has stopped")]
    Stopped,
    /// `limit` writes already wait for the database: refused without waiting.
    #[error("{limit} writes already wait for the database (the limit, --commit-queue)")]
    Busy { limit: usize },
}

/// A queued write with the way back to its caller.
struct Queued<W: Write> {
    write: W,
    reply: oneshot::Sender<Result<W::Output, GroupCommitError>>,
}

impl<W: Write> Queued<W> {
    fn finish(self, result: Result<W::Output, GroupCommitError>) {
        // The caller may have gone (its request was dropped): the write stands all the same.
        let _ = self.reply.send(result);
    }
}

type Queue<W> = Arc<Mutex<mpsc::Receiver<Queued<W>>>>;

/// The queue to the writer tasks. Cheap to clone.
pub struct Committer<W: Write> {
    /// None once closed: the writers then commit what is queued and stop.
    queue: Arc<RwLock<Option<mpsc::Sender<Queued<W>>>>>,
    /// The queue's bound.
    limit: usize,
    /// The writer tasks (each restarts its writer after a panic), for `close` to wait on.
    writers: Arc<std::sync::Mutex<Vec<JoinHandle<()>>>>,
    /// Exported on /metrics: writes queued, and transactions committed (writes per commit is their ratio).
    pub commits: Counter,
    pub writes: Counter,
}

impl<W: Write> Clone for Committer<W> {
    fn clone(&self) -> Self {
        Committer {
            queue: self.queue.clone(),
            limit: self.limit,
            writers: self.writers.clone(),
            commits: self.commits.clone(),
            writes: self.writes.clone(),
        }
    }
}

impl<W: Write> Committer<W> {
    /// Starts the writers: one on SQLite (it has one write lock), `writers` on PostgreSQL, with the
    /// default queue bound. Must be called within a Tokio runtime.
    pub fn start(db: Db, writers: usize) -> Self {
        Self::start_bounded(db, writers, crate::state::DEFAULT_COMMIT_QUEUE as usize)
    }

    /// `start` with at most `limit` writes waiting (at least 1).
    pub fn start_bounded(db: Db, writers: usize, limit: usize) -> Self {
        let limit = limit.max(1);
        let (queue, rx) = mpsc::channel(limit);
        let rx: Queue<W> = Arc::new(Mutex::new(rx));
        let writers = match db {
            Db::Sqlite(_) => 1,
            Db::Postgres(_) => writers.max(1),
        };
        let (commits, writes) = (Counter::default(), Counter::default());
        let mut tasks = Vec::with_capacity(writers);
        for _ in 0..writers {
            let (db, rx, commits, writes) = (db.clone(), rx.clone(), commits.clone(), writes.clone());
            // A writer that panicked (a bug in some write) is replaced, so one bad write cannot stop
            // every later sync; the writes it held get `Stopped`, their transaction rolled back.
            tasks.push(tokio::spawn(async move {
                loop {
                    let run = tokio::spawn(writer(db.clone(), rx.clone(), commits.clone(), writes.clone()));
                    match run.await {
                        Err(e) if e.is_panic() => tracing::error!("a database writer panicked; starting another"),
                        _ => return, // the queue closed: the server is shutting down
                    }
                }
            }));
        }
        Committer {
            queue: Arc::new(RwLock::new(Some(queue))),
            limit,
            writers: Arc::new(std::sync::Mutex::new(tasks)),
            commits,
            writes,
        }
    }

    /// Writes waiting for a writer now (not those a writer is committing).
    pub fn queued(&self) -> usize {
        let queue = self.queue.read().unwrap_or_else(PoisonError::into_inner);
        queue.as_ref().map_or(0, |q| self.limit.saturating_sub(q.capacity()))
    }

    /// Runs `write` in the next shared transaction; returns its output once committed. Refused at
    /// once with `Busy` when the queue is full.
    pub async fn write(&self, write: W) -> Result<W::Output, GroupCommitError> {
        let (reply, answer) = oneshot::channel();
        {
            let queue = self.queue.read().unwrap_or_else(PoisonError::into_inner);
            let queue = queue.as_ref().ok_or(GroupCommitError::Stopped)?;
            queue.try_send(Queued { write, reply }).map_err(|e| match e {
                TrySendError::Full(_) => GroupCommitError::Busy { limit: self.limit },
                TrySendError::Closed(_) => GroupCommitError::Stopped,
            })?;
        }
        answer.await.map_err(|_| GroupCommitError::Stopped)?
    }

    /// Takes no more writes and waits until the writers have committed every write already queued
    /// (their callers, if still there, get their answers) and stopped.
    pub async fn close(&self) {
        // Dropping the only sender closes the queue; the writers drain it, then see it end.
        self.queue.write().unwrap_or_else(PoisonError::into_inner).take();
        let writers = std::mem::take(&mut *self.writers.lock().unwrap_or_else(PoisonError::into_inner));
        for w in writers {
            let _ = w.await; // (a writer task never panics: it restarts its writer)
        }
    }
}

async fn writer<W: Write>(db: Db, rx: Queue<W>, commits: Counter, writes: Counter) {
    // The writer's own connection, outside the pool: no ping after every commit (`crate::held`).
    let held = Held::new(db, 1);
    loop {
        let mut batch = Vec::new();
        {
            let mut rx = rx.lock().await;
            match rx.recv().await {
                Some(job) => batch.push(job),
                None => return,
            }
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
        }
        writes.inc_by(batch.len() as u64);
        let shared = {
            let all: Vec<&W> = batch.iter().map(|q| &q.write).collect();
            run_shared(&held, &all).await
        };
        match shared {
            Ok(outputs) => {
                commits.inc();
                // (One output per write, in order, however the batch ran.)
                for (job, output) in batch.into_iter().zip(outputs) {
                    job.finish(Ok(output));
                }
                continue;
            }
            Err(e) if batch.len() > 1 => {
                tracing::warn!(error = %e, writes = batch.len(), "a shared commit failed; retrying its writes one by one")
            }
            Err(e) => {
                if let Some(job) = batch.pop() {
                    job.finish(Err(e.into()));
                }
                continue;
            }
        }
        for job in batch {
            let result = run_shared(&held, &[&job.write]).await.map_err(GroupCommitError::from);
            if result.is_ok() {
                commits.inc();
            }
            job.finish(result.and_then(|mut o| o.pop().ok_or(GroupCommitError::Stopped)));
        }
    }
}

/// Runs `writes` as one transaction on the writer's connection: together if they know how (see
/// `Write::run_together`), else one by one. A connection that saw an error is not kept.
async fn run_shared<W: Write>(held: &Held, writes: &[&W]) -> Result<Vec<W::Output>, sqlx::Error> {
    let mut lease = held.lease().await?;
    // (`if let`: the first borrow of the connection ends before `else` takes it again.)
    let result = if let Some(together) = W::run_together(lease.conn(), writes) {
        together.await
    } else {
        run_in_one_transaction(lease.conn(), writes).await
    };
    if result.is_ok() {
        lease.release();
    }
    result
}

/// Runs `writes` in one transaction and commits; on an error, rolls back.
async fn run_in_one_transaction<W: Write>(conn: &mut Conn, writes: &[&W]) -> Result<Vec<W::Output>, sqlx::Error> {
    let mut tx = conn.begin().await?;
    if writes.len() > 1
        && let Err(e) = W::before_shared(&mut tx, writes).await
    {
        let _ = tx.rollback().await;
        return Err(e);
    }
    let mut outputs = Vec::with_capacity(writes.len());
    for write in writes {
        match write.run(&mut tx).await {
            Ok(output) => outputs.push(output),
            Err(e) => {
                // (A failed rollback only means the connection is gone, which rolls back too.)
                let _ = tx.rollback().await;
                return Err(e);
            }
        }
    }
    tx.commit().await?;
    Ok(outputs)
}

#[cfg(test)]
mod tests {
    use super::*;

    enum TestWrite {
        /// Inserts the value into table `t`; fails (a constraint) when it is negative.
        Insert(i64),
        /// A write with a bug.
        Panics,
        /// Holds its writer until the gate opens (a slow database).
        Held(Arc<tokio::sync::Semaphore>),
    }
    use TestWrite::{Held, Insert, Panics};

    impl Write for TestWrite {
        type Output = i64;
        fn run<'a>(&'a self, tx: &'a mut Tx<'_>) -> BoxFuture<'a, Result<i64, sqlx::Error>> {
            Box::pin(async move {
                let Tx::Sqlite(t) = tx else { unreachable!("tests run on SQLite") };
                match self {
                    Insert(v) => {
                        sqlx::query("INSERT INTO t (v) VALUES ($1)").bind(v).execute(&mut **t).await?;
                        Ok(*v)
                    }
                    Panics => panic!("a bug in a write"),
                    Held(gate) => {
                        let _ = gate.acquire().await;
                        Ok(-1)
                    }
                }
            })
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_panicking_write_fails_alone_and_writing_goes_on() {
        let (_dir, db) = db().await;
        let committer = Committer::start(db.clone(), 1);
        assert!(matches!(committer.write(Panics).await, Err(GroupCommitError::Stopped)));
        assert_eq!(committer.write(Insert(7)).await.expect("a write after the panic"), 7);
        assert_eq!(stored(&db).await, vec![7]);
    }

    async fn db() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = Db::connect(None, dir.path()).await.expect("database");
        let Db::Sqlite(p) = &db else { unreachable!() };
        sqlx::query("CREATE TABLE t (v INTEGER NOT NULL CHECK (v >= 0))").execute(p).await.expect("table");
        (dir, db)
    }

    async fn stored(db: &Db) -> Vec<i64> {
        let Db::Sqlite(p) = db else { unreachable!() };
        sqlx::query_scalar("SELECT v FROM t ORDER BY v").fetch_all(p).await.expect("select")
    }

    // One thread: the writer first runs (and waits) before any write is queued, then finds them
    // all queued at once.
    #[tokio::test(flavor = "current_thread")]
    async fn concurrent_writes_share_a_commit_and_a_failing_one_fails_alone() {
        let (_dir, db) = db().await;
        let committer = Committer::start(db.clone(), 4);
        let tasks: Vec<_> = (-3..40)
            .map(|v| {
                let c = committer.clone();
                tokio::spawn(async move { (v, c.write(Insert(v)).await) })
            })
            .collect();
        for t in tasks {
            let (v, result) = t.await.expect("task");
            match result {
                Ok(out) => assert_eq!(out, v),
                Err(GroupCommitError::Sql(_)) => assert!(v < 0, "{v} should have been written"),
                Err(e) => panic!("{v}: {e}"),
            }
        }
        assert_eq!(stored(&db).await, (0..40).collect::<Vec<_>>());
        assert_eq!(committer.writes.get(), 43);
        // The shared commit failed (the negative ones), so the writes were retried one by one.
        assert_eq!(committer.commits.get(), 40);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn writes_queued_together_commit_once() {
        let (_dir, db) = db().await;
        let committer = Committer::start(db.clone(), 1);
        tokio::task::yield_now().await; // the writer is now waiting for work
        let tasks: Vec<_> = (0..10)
            .map(|v| {
                let c = committer.clone();
                tokio::spawn(async move { c.write(Insert(v)).await.expect("write") })
            })
            .collect();
        for t in tasks {
            t.await.expect("task");
        }
        assert_eq!(stored(&db).await, (0..10).collect::<Vec<_>>());
        assert_eq!((committer.writes.get(), committer.commits.get()), (10, 1));
    }

    /// Starts a committer whose writer is held by a write until the returned gate opens.
    async fn held_writer(db: &Db, limit: usize) -> (Committer<TestWrite>, Arc<tokio::sync::Semaphore>, JoinHandle<()>) {
        let committer = Committer::start_bounded(db.clone(), 1, limit);
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        let held = tokio::spawn({
            let (c, gate) = (committer.clone(), gate.clone());
            async move {
                c.write(Held(gate)).await.expect("the held write");
            }
        });
        while committer.writes.get() < 1 {
            tokio::task::yield_now().await; // until the writer has taken the held write
        }
        (committer, gate, held)
    }

    /// Spawns `values`' writes and yields until all are queued.
    async fn queue(committer: &Committer<TestWrite>, values: std::ops::Range<i64>) -> Vec<JoinHandle<i64>> {
        let n = values.clone().count();
        let tasks: Vec<_> = values
            .map(|v| {
                let c = committer.clone();
                tokio::spawn(async move { c.write(Insert(v)).await.expect("write") })
            })
            .collect();
        while committer.queued() < n {
            tokio::task::yield_now().await;
        }
        tasks
    }

    // Deterministic, whatever the scheduling: the writes queue while the writer is held, so the
    // writer must take them as one batch. Committing one by one would make 1 + 20 commits.
    #[tokio::test(flavor = "current_thread")]
    async fn writes_queued_behind_a_busy_writer_share_one_commit() {
        let (_dir, db) = db().await;
        let (committer, gate, held) = held_writer(&db, 64).await;
        let tasks = queue(&committer, 0..20).await;
        gate.add_permits(1);
        held.await.expect("held write");
        for t in tasks {
            t.await.expect("task");
        }
        assert_eq!(stored(&db).await, (0..20).collect::<Vec<_>>());
        assert_eq!((committer.writes.get(), committer.commits.get()), (21, 2), "the held write, then one batch");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_full_queue_refuses_at_once_and_loses_nothing_queued() {
        let (_dir, db) = db().await;
        let (committer, gate, held) = held_writer(&db, 2).await;
        let tasks = queue(&committer, 0..2).await;
        assert!(matches!(committer.write(Insert(9)).await, Err(GroupCommitError::Busy { limit: 2 })));
        gate.add_permits(1);
        held.await.expect("held write");
        for t in tasks {
            t.await.expect("task");
        }
        assert_eq!(stored(&db).await, vec![0, 1], "the queued writes landed, the refused one did not");
        assert_eq!(committer.write(Insert(9)).await.expect("room again"), 9);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn close_commits_what_is_queued_then_refuses() {
        let (_dir, db) = db().await;
        let (committer, gate, held) = held_writer(&db, 8).await;
        // Queued writes whose callers are gone must still land.
        let tasks = queue(&committer, 0..5).await;
        for t in &tasks {
            t.abort();
        }
        gate.add_permits(1);
        committer.close().await;
        held.await.expect("held write");
        assert_eq!(stored(&db).await, (0..5).collect::<Vec<_>>());
        assert!(matches!(committer.write(Insert(7)).await, Err(GroupCommitError::Stopped)));
    }
}
