//! The SQLite executor: rusqlite connections used in place, statements prepared once per
//! connection.
//!
//! - **Reads** ([`Sqlite::run`]) run on a small pool of connections, inline on the calling
//!   thread: a connection is taken, the statement runs and its rows are decoded, and the
//!   connection goes back, all without an `await`. In WAL mode a reader never waits for the
//!   writer. A statement that turns out not to be read-only is sent to the writer instead. A
//!   read the caller knows may walk many rows (a deep `OFFSET` page) runs on the blocking pool
//!   ([`Sqlite::run_detached`]) so that it does not hold an async worker for milliseconds.
//! - **Writes** go through the one writer connection, held by one transaction (or one
//!   autocommit statement) at a time behind an async mutex, the *writer slot*: writers queue for
//!   it instead of failing busy. A transaction takes SQLite's write lock up front
//!   (`BEGIN IMMEDIATE`). `BEGIN`, `COMMIT` and autocommit statements run on the blocking pool:
//!   they may wait for a lock another process holds (up to the busy timeout) and `COMMIT`
//!   waits for the disk (`synchronous = FULL`); running there, they also finish when the request
//!   that started them is cancelled. The statements inside a transaction already hold the lock
//!   and run inline.
//! - A [`Writer`] dropped inside an open transaction rolls it back before the slot is free.
//!
//! docs/decisions/0011-sqlite-executor.md has the measurements behind these choices.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex as StdMutex, PoisonError};
use std::time::{Duration, Instant};

use rusqlite::config::DbConfig;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{CachedStatement, Connection, OpenFlags, ToSql};
use sea_query::Value;
use serde::de::DeserializeOwned;

use crate::error::{Result, StoreError};

pub(crate) use crate::row::DecodeError;

mod writer;

use writer::Slots;
pub(crate) use writer::Writer;

/// A statement that took longer is logged as a warning (sqlx's threshold for PostgreSQL's).
const SLOW_STATEMENT: Duration = Duration::from_secs(1);
/// How long a statement waits for a lock held by another connection before failing busy.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Prepared statements kept per connection (the store has about a hundred distinct ones; the
/// hot ones are a few dozen).
const STATEMENT_CACHE: usize = 128;

/// Logs a statement that ran, the way sqlx logs PostgreSQL's: at DEBUG, or at WARN when it took
/// longer than a second (target `lintel_store::sqlite`). The SQL has placeholders, not values.
pub(crate) fn log(sql: &str, started: Instant) {
    let elapsed = started.elapsed();
    if elapsed >= SLOW_STATEMENT {
        tracing::warn!(target: "lintel_store::sqlite", statement = sql, ?elapsed, "slow statement");
    } else {
        tracing::debug!(target: "lintel_store::sqlite", statement = sql, ?elapsed, "statement");
    }
}

/// Which file to open and how, from a `sqlite:` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    /// A path, or a `file:` URI for a shared in-memory database.
    path: String,
    read_only: bool,
    memory: bool,
}

impl Target {
    /// Parses `sqlite://path?params` or `sqlite:path?params`, as sqlx did: the path is
    /// percent-decoded, `:memory:` is an in-memory database shared by the pool's connections,
    /// and the parameters are `mode` (`ro`, `rw`, `rwc`, `memory`) and `cache` (`shared`,
    /// `private`). A missing file is created unless the database is read-only.
    fn parse(url: &str) -> Result<Target> {
        let rest = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .ok_or_else(|| StoreError::UnsupportedUrl("not a sqlite: URL".into()))?;
        let (database, params) = match rest.split_once('?') {
            Some((d, p)) => (d, Some(p)),
            None => (rest, None),
        };
        let mut target = Target {
            path: String::new(),
            read_only: false,
            memory: database == ":memory:",
        };
        let bad = |what: String| StoreError::UnsupportedUrl(format!("sqlite: {what}"));
        for (key, value) in params
            .map(|p| form_urlencoded::parse(p.as_bytes()))
            .into_iter()
            .flatten()
        {
            match (&*key, &*value) {
                ("mode", "ro") => target.read_only = true,
                ("mode", "rw" | "rwc") => {}
                ("mode", "memory") => target.memory = true,
                ("cache", "shared" | "private") => {}
                ("mode" | "cache", v) => {
                    return Err(bad(format!("unknown value {v:?} for `{key}`")))
                }
                (k, _) => return Err(bad(format!("unknown query parameter `{k}`"))),
            }
        }
        target.path = if target.memory {
            static SEQ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let n = SEQ.fetch_add(1, Ordering::Relaxed);
            format!(
                "file:lintel-memory-{}-{n}?mode=memory&cache=shared",
                std::process::id()
            )
        } else {
            percent_encoding::percent_decode_str(database)
                .decode_utf8()
                .map_err(|e| bad(format!("path is not UTF-8: {e}")))?
                .into_owned()
        };
        Ok(target)
    }

    /// Opens a connection with the settings every connection has: foreign keys enforced,
    /// `synchronous = FULL` (a commit returns once it is on disk), a 10 s busy timeout,
    /// temporary tables in memory, and no double-quoted string literals.
    fn open(&self) -> rusqlite::Result<Connection> {
        let mut flags = OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        flags |= if self.read_only {
            OpenFlags::SQLITE_OPEN_READ_ONLY
        } else {
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE
        };
        let c = Connection::open_with_flags(&self.path, flags)?;
        c.busy_timeout(BUSY_TIMEOUT)?;
        c.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        strict_identifiers(&c)?;
        c.execute_batch(
            "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; PRAGMA temp_store = MEMORY;",
        )?;
        Ok(c)
    }

    /// The writer connection; it also puts the database in WAL mode (a property of the file,
    /// kept across connections).
    fn open_writer(&self) -> rusqlite::Result<Connection> {
        let c = self.open()?;
        if !self.memory && !self.read_only {
            let _mode: String = c.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        }
        Ok(c)
    }

    /// A reader: it refuses to write (`query_only`), as writes belong to the writer.
    fn open_reader(&self) -> rusqlite::Result<Connection> {
        let c = self.open()?;
        c.execute_batch("PRAGMA query_only = ON")?;
        Ok(c)
    }
}

/// Turns off SQLite's double-quoted string literals on a connection (`SQLITE_DBCONFIG_DQS_DML`
/// and `_DDL`). With them on, a quoted column name the connection's cached schema does not know
/// — a column added by a migration after the connection was opened — silently becomes a string
/// literal instead of an error, so the statement runs with a wrong column; with them off, the
/// prepare fails, SQLite notices its schema is stale, reloads it and prepares again correctly.
fn strict_identifiers(c: &Connection) -> rusqlite::Result<()> {
    c.set_db_config(DbConfig::SQLITE_DBCONFIG_DQS_DML, false)?;
    c.set_db_config(DbConfig::SQLITE_DBCONFIG_DQS_DDL, false)?;
    Ok(())
}

fn closed() -> StoreError {
    StoreError::Unavailable("the database is closed".into())
}

/// The idle reader connections, and how many are open in all.
struct ReaderState {
    idle: Vec<Connection>,
    open: usize,
    closed: bool,
}

/// The readers: at most `max` connections, opened when first needed. A connection is only ever
/// held for one statement, without an `await`, so a caller that finds them all taken waits on a
/// condition variable for one to come back (briefly: it waits for statements running on other
/// threads), up to the acquire timeout.
struct Readers {
    state: StdMutex<ReaderState>,
    freed: Condvar,
    max: usize,
    acquire_timeout: Duration,
}

impl Readers {
    fn lock(&self) -> std::sync::MutexGuard<'_, ReaderState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn take<'a>(&'a self, target: &Target) -> Result<Reader<'a>> {
        let mut s = self.lock();
        let deadline = Instant::now() + self.acquire_timeout;
        loop {
            if s.closed {
                return Err(closed());
            }
            if let Some(conn) = s.idle.pop() {
                return Ok(Reader {
                    readers: self,
                    conn: Some(conn),
                });
            }
            if s.open < self.max {
                s.open += 1;
                drop(s);
                return match target.open_reader() {
                    Ok(conn) => Ok(Reader {
                        readers: self,
                        conn: Some(conn),
                    }),
                    Err(e) => {
                        self.lock().open -= 1;
                        self.freed.notify_one();
                        Err(e.into())
                    }
                };
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(StoreError::Unavailable(
                    "timed out waiting for a database connection".into(),
                ));
            }
            s = self
                .freed
                .wait_timeout(s, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    fn give_back(&self, conn: Connection) {
        let mut s = self.lock();
        if s.closed {
            s.open -= 1;
            drop(s);
            drop(conn);
        } else {
            s.idle.push(conn);
            drop(s);
        }
        self.freed.notify_one();
    }

    fn close(&self) {
        let idle = {
            let mut s = self.lock();
            s.closed = true;
            s.open -= s.idle.len();
            std::mem::take(&mut s.idle)
        };
        drop(idle);
        self.freed.notify_all();
    }
}

/// A reader connection taken from the pool; it goes back when dropped.
struct Reader<'a> {
    readers: &'a Readers,
    conn: Option<Connection>,
}

impl std::ops::Deref for Reader<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.conn
            .as_ref()
            .expect("a taken reader has its connection")
    }
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.readers.give_back(conn);
        }
    }
}

/// A detached read's link to its waiter: the running statement's interrupt handle, and whether
/// the waiter has gone.
#[derive(Default)]
struct Watch {
    state: StdMutex<WatchState>,
}

#[derive(Default)]
struct WatchState {
    gone: bool,
    running: Option<rusqlite::InterruptHandle>,
}

impl Watch {
    fn state(&self) -> std::sync::MutexGuard<'_, WatchState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Lends `conn`'s interrupt handle until the returned guard drops, which must happen
    /// before the connection goes back to its pool (an interrupt must never reach the next
    /// statement to use it). Fails at once if the waiter has already gone.
    fn lend(&self, conn: &Connection) -> Result<Lent<'_>> {
        let mut s = self.state();
        if s.gone {
            return Err(StoreError::Unavailable("the read was cancelled".into()));
        }
        s.running = Some(conn.get_interrupt_handle());
        Ok(Lent(self))
    }
}

/// Takes the handle back from a [`Watch`].
struct Lent<'a>(&'a Watch);

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        self.0.state().running = None;
    }
}

/// Held by the waiter of a detached read: dropped before the read is done, it interrupts it.
struct StopOnDrop(Arc<Watch>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        let mut s = self.0.state();
        s.gone = true;
        if let Some(h) = s.running.take() {
            h.interrupt();
        }
    }
}

/// The SQLite side of a [`crate::Db`].
pub(crate) struct Sqlite {
    target: Target,
    readers: Readers,
    /// The writer slot, with group commit ([`writer`]).
    writer: Slots,
    closed: AtomicBool,
}

/// What a statement run against its cached prepared statement does: collect rows, or count
/// changes.
pub(crate) type Op<R> = fn(&Connection, &mut CachedStatement<'_>) -> Result<R>;

impl Sqlite {
    /// Opens the writer connection (creating the file and turning on WAL); readers are opened
    /// when first needed, at most `max_readers` of them.
    pub(crate) async fn open(
        url: &str,
        max_readers: u32,
        acquire_timeout: Duration,
    ) -> Result<Sqlite> {
        let target = Target::parse(url)?;
        let t = target.clone();
        let writer = blocking(move || t.open_writer().map_err(StoreError::from)).await?;
        Ok(Sqlite {
            target,
            readers: Readers {
                state: StdMutex::new(ReaderState {
                    idle: Vec::new(),
                    open: 0,
                    closed: false,
                }),
                freed: Condvar::new(),
                max: usize::try_from(max_readers.max(1)).unwrap_or(usize::MAX),
                acquire_timeout,
            },
            writer: Slots::new(writer),
            closed: AtomicBool::new(false),
        })
    }

    /// Runs `op` on a reader, inline. `None` when the statement is not read-only: the caller
    /// then runs it on the writer ([`Sqlite::write_detached`]).
    fn read<R>(&self, sql: &str, values: &[Value], op: Op<R>) -> Result<Option<R>> {
        self.read_watched(sql, values, op, None)
    }

    /// [`Sqlite::read`], with the reader's interrupt handle lent to `watch` while the statement
    /// runs (and only then), so that whoever waits for it can stop it.
    fn read_watched<R>(
        &self,
        sql: &str,
        values: &[Value],
        op: Op<R>,
        watch: Option<&Watch>,
    ) -> Result<Option<R>> {
        let reader = self.readers.take(&self.target)?;
        let _lent = match watch {
            Some(w) => Some(w.lend(&reader)?),
            None => None,
        };
        let mut st = prepare(&reader, sql, values)?;
        if !st.readonly() {
            return Ok(None);
        }
        op(&reader, &mut st).map(Some)
    }

    /// Runs a statement outside any transaction: on a reader when it only reads, otherwise
    /// through the writer slot.
    pub(crate) async fn run<R: Send + 'static>(
        &self,
        sql: &str,
        values: &[Value],
        op: Op<R>,
    ) -> Result<R> {
        match self.read(sql, values, op)? {
            Some(r) => Ok(r),
            None => self.write_detached(sql, values, op).await,
        }
    }

    /// Runs a read on a reader on the blocking pool instead of inline, for a statement that may
    /// walk many rows (a deep `OFFSET`): the async worker thread stays free meanwhile. If the
    /// caller stops waiting (the request was cancelled or timed out), the statement is
    /// interrupted and its reader freed at once rather than after the walk.
    pub(crate) async fn run_detached<R: Send + 'static>(
        self: &Arc<Self>,
        sql: &str,
        values: &[Value],
        op: Op<R>,
    ) -> Result<R> {
        let watch = Arc::new(Watch::default());
        let _stop = StopOnDrop(watch.clone());
        let (this, s, v) = (self.clone(), sql.to_owned(), values.to_vec());
        match blocking(move || this.read_watched(&s, &v, op, Some(&watch))).await? {
            Some(r) => Ok(r),
            None => self.write_detached(sql, values, op).await,
        }
    }

    /// Runs one statement as a write transaction of its own (see [`Sqlite::begin`]).
    pub(crate) async fn write_detached<R: Send + 'static>(
        &self,
        sql: &str,
        values: &[Value],
        op: Op<R>,
    ) -> Result<R> {
        let writer = self.begin().await?;
        let out = writer.run(sql, values, op)?;
        writer.commit().await?;
        Ok(out)
    }

    /// Runs literal SQL, several statements allowed, through the writer slot, outside any
    /// transaction (an open batch is committed first).
    pub(crate) async fn batch_detached(&self, sql: &str) -> Result<()> {
        let slot = self.writer.settled(&self.target, &self.closed).await?;
        let sql = sql.to_owned();
        blocking(move || Ok(slot.conn().execute_batch(&sql)?)).await
    }

    /// Checks that a reader answers.
    pub(crate) fn ping(&self) -> Result<()> {
        let reader = self.readers.take(&self.target)?;
        reader.prepare_cached("SELECT 1")?.raw_query().next()?;
        Ok(())
    }

    /// Waits for the writer slot, then starts a write transaction holding SQLite's write lock
    /// (a new batch with `BEGIN IMMEDIATE`, or a savepoint in the open one: [`writer`]).
    pub(crate) async fn begin(&self) -> Result<Writer> {
        self.writer.begin(&self.target, &self.closed).await
    }

    /// Closes every connection; statements after this fail as unavailable. Waits for the
    /// transaction in progress, if any, and commits the open batch.
    pub(crate) async fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.readers.close();
        self.writer.close().await;
    }
}

/// Runs `f` on the blocking pool and waits for it; `f` runs to the end even if the waiting
/// future is dropped.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r,
        Err(e) => Err(StoreError::Unavailable(format!(
            "database step failed: {e}"
        ))),
    }
}

/// The cached prepared statement for `sql` on `conn`, with `values` bound.
fn prepare<'c>(conn: &'c Connection, sql: &str, values: &[Value]) -> Result<CachedStatement<'c>> {
    let mut st = conn.prepare_cached(sql)?;
    let expected = st.parameter_count();
    if values.len() != expected {
        return Err(rusqlite::Error::InvalidParameterCount(values.len(), expected).into());
    }
    for (i, v) in values.iter().enumerate() {
        st.raw_bind_parameter(i + 1, Bind(v))?;
    }
    Ok(st)
}

/// Every row, decoded.
pub(crate) fn all<T: DeserializeOwned>(
    _: &Connection,
    st: &mut CachedStatement<'_>,
) -> Result<Vec<T>> {
    let mut rows = st.raw_query();
    let mut out = crate::row::Rows::new();
    while let Some(row) = rows.next()? {
        out.push(row)?;
    }
    Ok(out.into_vec())
}

/// The first row, decoded, if any.
pub(crate) fn opt<T: DeserializeOwned>(
    _: &Connection,
    st: &mut CachedStatement<'_>,
) -> Result<Option<T>> {
    let mut rows = st.raw_query();
    match rows.next()? {
        Some(row) => Ok(Some(crate::row::decode(row)?)),
        None => Ok(None),
    }
}

/// Runs the statement to the end; the rows it changed.
pub(crate) fn exec(conn: &Connection, st: &mut CachedStatement<'_>) -> Result<u64> {
    let mut rows = st.raw_query();
    while rows.next()?.is_some() {}
    Ok(conn.changes())
}

/// A sea-query value as a SQLite parameter, bound the way sqlx bound it: booleans as 0 and 1,
/// every integer as a 64-bit integer, text and blobs borrowed.
struct Bind<'a>(&'a Value);

impl ToSql for Bind<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        fn int<T: Into<i64> + Copy>(v: &Option<T>) -> ValueRef<'static> {
            v.map_or(ValueRef::Null, |x| ValueRef::Integer(x.into()))
        }
        let v = match self.0 {
            Value::Bool(v) => int(v),
            Value::TinyInt(v) => int(v),
            Value::SmallInt(v) => int(v),
            Value::Int(v) => int(v),
            Value::BigInt(v) => int(v),
            Value::TinyUnsigned(v) => int(v),
            Value::SmallUnsigned(v) => int(v),
            Value::Unsigned(v) => int(v),
            Value::BigUnsigned(v) => match v {
                Some(x) => ValueRef::Integer(
                    i64::try_from(*x)
                        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?,
                ),
                None => ValueRef::Null,
            },
            Value::Float(v) => v.map_or(ValueRef::Null, |x| ValueRef::Real(x.into())),
            Value::Double(v) => v.map_or(ValueRef::Null, ValueRef::Real),
            Value::String(v) => v
                .as_deref()
                .map_or(ValueRef::Null, |s| ValueRef::Text(s.as_bytes())),
            Value::Char(v) => {
                return Ok(v.map_or(ToSqlOutput::Borrowed(ValueRef::Null), |c| {
                    ToSqlOutput::Owned(rusqlite::types::Value::Text(c.to_string()))
                }))
            }
            Value::Bytes(v) => v
                .as_deref()
                .map_or(ValueRef::Null, |b| ValueRef::Blob(b.as_slice())),
            #[allow(unreachable_patterns)]
            other => {
                return Err(rusqlite::Error::ToSqlConversionFailure(
                    format!("unsupported value {other:?}").into(),
                ))
            }
        };
        Ok(ToSqlOutput::Borrowed(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_read_as_before() {
        let t = Target::parse("sqlite:///tmp/a%20b/lintel.db?mode=rwc").unwrap();
        assert_eq!(
            (t.path.as_str(), t.read_only, t.memory),
            ("/tmp/a b/lintel.db", false, false)
        );
        let t = Target::parse("sqlite:data/lintel.db").unwrap();
        assert_eq!(t.path, "data/lintel.db");
        let t = Target::parse("sqlite://./lintel-data/lintel.db?mode=rwc").unwrap();
        assert_eq!(t.path, "./lintel-data/lintel.db");
        assert!(Target::parse("sqlite:a.db?mode=ro").unwrap().read_only);
        let m = Target::parse("sqlite::memory:").unwrap();
        assert!(m.memory && m.path.starts_with("file:lintel-memory-"));
        assert_ne!(m.path, Target::parse("sqlite::memory:").unwrap().path);
        assert!(Target::parse("sqlite:a.db?mode=bogus").is_err());
        assert!(Target::parse("sqlite:a.db?journal=wal").is_err());
    }

    #[tokio::test]
    async fn settings_match_what_every_connection_needs() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/s.db", dir.path().display());
        let db = Sqlite::open(&url, 2, Duration::from_secs(1)).await.unwrap();
        let writer = db.begin().await.unwrap();
        let reader = db.readers.take(&db.target).unwrap();
        for conn in [writer.conn(), &reader] {
            let get = |p: &str| -> String {
                conn.query_row(&format!("PRAGMA {p}"), [], |r| {
                    r.get::<_, rusqlite::types::Value>(0)
                })
                .map(|v| format!("{v:?}"))
                .unwrap()
            };
            assert_eq!(get("journal_mode"), "Text(\"wal\")");
            assert_eq!(get("synchronous"), "Integer(2)", "FULL");
            assert_eq!(get("foreign_keys"), "Integer(1)");
            assert_eq!(get("busy_timeout"), "Integer(10000)");
            assert_eq!(get("temp_store"), "Integer(2)", "MEMORY");
        }
        assert!(reader.execute_batch("CREATE TABLE t (a)").is_err());
    }

    /// A detached read whose waiter goes away is interrupted and gives its reader back: with
    /// one reader, the next read gets it instead of timing out behind a walk of minutes.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_cancelled_detached_read_is_interrupted_and_frees_its_reader() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/s.db", dir.path().display());
        let db = Arc::new(Sqlite::open(&url, 1, Duration::from_secs(3)).await.unwrap());
        let long = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c \
                    WHERE x < 1000000000) SELECT COUNT(*) AS n FROM c";
        let walk = db.run_detached(long, &[], all::<Count>);
        let cancelled = tokio::time::timeout(Duration::from_millis(200), walk).await;
        assert!(cancelled.is_err(), "the walk should still be running");
        let n: Vec<Count> = db.run("SELECT 7 AS n", &[], all).await.unwrap();
        assert_eq!(n[0].n, 7);
        // A short detached read still completes, and an interrupt never outlives its statement.
        let short = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c \
                     WHERE x < 1000) SELECT COUNT(*) AS n FROM c";
        let n: Vec<Count> = db.run_detached(short, &[], all).await.unwrap();
        assert_eq!(n[0].n, 1000);
        let n: Vec<Count> = db.run("SELECT 8 AS n", &[], all).await.unwrap();
        assert_eq!(n[0].n, 8);
    }

    #[tokio::test]
    async fn a_dropped_transaction_rolls_back_and_frees_the_slot() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/s.db", dir.path().display());
        let db = Sqlite::open(&url, 2, Duration::from_secs(1)).await.unwrap();
        db.batch_detached("CREATE TABLE t (a INTEGER)")
            .await
            .unwrap();
        let tx = db.begin().await.unwrap();
        tx.batch("INSERT INTO t VALUES (1)").unwrap();
        drop(tx);
        let tx = db.begin().await.unwrap();
        let n: Vec<Count> = tx.run("SELECT COUNT(*) AS n FROM t", &[], all).unwrap();
        assert_eq!(n[0].n, 0);
        tx.run("INSERT INTO t VALUES (?)", &[Value::BigInt(Some(2))], exec)
            .unwrap();
        tx.commit().await.unwrap();
        let n: Option<Count> = db
            .run("SELECT COUNT(*) AS n FROM t", &[], opt)
            .await
            .unwrap();
        assert_eq!(n.unwrap().n, 1);
    }

    #[derive(serde::Deserialize)]
    struct Count {
        n: i64,
    }

    async fn table_t() -> (tempfile::TempDir, Arc<Sqlite>) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/g.db", dir.path().display());
        let db = Arc::new(Sqlite::open(&url, 2, Duration::from_secs(5)).await.unwrap());
        db.batch_detached("CREATE TABLE t (a INTEGER)")
            .await
            .unwrap();
        (dir, db)
    }

    async fn rows(db: &Sqlite) -> Vec<i64> {
        #[derive(serde::Deserialize)]
        struct A {
            a: i64,
        }
        let got: Vec<A> = db
            .run("SELECT a FROM t ORDER BY a", &[], all)
            .await
            .unwrap();
        got.into_iter().map(|r| r.a).collect()
    }

    /// Starts a writer task that inserts `a`, and commits unless `fail`; returns once it is
    /// queued for the writer slot.
    async fn queue_writer(
        db: &Arc<Sqlite>,
        a: i64,
        fail: bool,
    ) -> tokio::task::JoinHandle<Result<()>> {
        let before = db.writer.queued();
        let d = db.clone();
        let task = tokio::spawn(async move {
            let w = d.begin().await?;
            w.run("INSERT INTO t VALUES (?)", &[Value::BigInt(Some(a))], exec)?;
            if fail {
                return Err(StoreError::Unavailable("the request failed".into()));
            }
            w.commit().await
        });
        while db.writer.queued() == before {
            tokio::task::yield_now().await;
        }
        task
    }

    /// Writers queued behind one another share one `COMMIT`; each is answered only after it,
    /// and readers (which see only committed data) then see every row.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn queued_writers_share_one_commit() {
        let (_dir, db) = table_t().await;
        let (_, commits_before) = db.writer.counts().await;
        let first = db.begin().await.unwrap();
        first
            .run("INSERT INTO t VALUES (?)", &[Value::BigInt(Some(0))], exec)
            .unwrap();
        let mut queued = Vec::new();
        for a in 1..=10 {
            queued.push(queue_writer(&db, a, false).await);
        }
        first.commit().await.unwrap();
        for task in queued {
            task.await.unwrap().unwrap();
        }
        assert_eq!(rows(&db).await, (0..=10).collect::<Vec<_>>());
        let (waiting, commits) = db.writer.counts().await;
        assert_eq!(
            (waiting, commits - commits_before),
            (0, 1),
            "one COMMIT for 11 writers"
        );
    }

    /// A writer that fails inside a batch undoes only its own work: the writers before and
    /// after it in the same batch commit.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_writer_in_a_batch_undoes_only_its_own_work() {
        let (_dir, db) = table_t().await;
        let first = db.begin().await.unwrap();
        first
            .run("INSERT INTO t VALUES (?)", &[Value::BigInt(Some(1))], exec)
            .unwrap();
        let failing = queue_writer(&db, 2, true).await;
        let last = queue_writer(&db, 3, false).await;
        first.commit().await.unwrap();
        assert!(failing.await.unwrap().is_err());
        last.await.unwrap().unwrap();
        assert_eq!(rows(&db).await, vec![1, 3]);
    }

    /// A lone writer commits at once, and an autocommit statement or literal SQL after a
    /// batch sees it committed.
    #[tokio::test]
    async fn a_lone_writer_commits_at_once() {
        let (_dir, db) = table_t().await;
        let (_, before) = db.writer.counts().await;
        let w = db.begin().await.unwrap();
        w.run("INSERT INTO t VALUES (1)", &[], exec).unwrap();
        w.commit().await.unwrap();
        assert_eq!(rows(&db).await, vec![1]);
        db.write_detached("INSERT INTO t VALUES (2)", &[], exec)
            .await
            .unwrap();
        db.batch_detached("INSERT INTO t VALUES (3)").await.unwrap();
        assert_eq!(rows(&db).await, vec![1, 2, 3]);
        let (_, after) = db.writer.counts().await;
        assert_eq!(
            after - before,
            2,
            "the literal SQL ran outside any transaction"
        );
    }
}
