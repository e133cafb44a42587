//! The connection to either backend, and the one place statements are executed.
//!
//! Every query in the store is built once with sea-query and run here on SQLite or PostgreSQL:
//! the builder renders the right dialect and binds the values. Nothing else in the crate touches
//! a driver. Each execution adds its duration to the request's database timer ([`crate::timing`]).

use std::future::Future;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::pool::PoolOptions;
use sqlx::postgres::{PgConnectOptions, PgPool, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqliteRow, SqliteSynchronous,
};
use sqlx::{Connection, Postgres, Sqlite, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::error::{Result, StoreError};
use crate::prepared::Statement;
use crate::retry::WRITE_RETRIES;
use crate::timing;

pub use crate::backend::Backend;

/// A row type that decodes from both backends (derive `sqlx::FromRow` with portable field types:
/// `String`, `i64`, `f64`, `bool` and their `Option`s).
pub trait DbRow:
    for<'r> sqlx::FromRow<'r, SqliteRow> + for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin
{
}
impl<T> DbRow for T where
    T: for<'r> sqlx::FromRow<'r, SqliteRow> + for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin
{
}

/// Pool sizing and timeouts.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

/// A pooled connection that sat idle at least this long is pinged before it is handed out; a
/// busy one is not (sqlx's default pings on every acquire: on PostgreSQL one more round trip per
/// statement). A connection that broke while in use fails its statement, which answers 503, and
/// the pool replaces it.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(1);

fn pool_options<DB: sqlx::Database>(opts: &ConnectOptions) -> PoolOptions<DB> {
    PoolOptions::<DB>::new()
        .max_connections(opts.max_connections.max(2))
        .acquire_timeout(opts.acquire_timeout)
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_IF_IDLE_FOR {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
}

/// Turns off SQLite's double-quoted string literals on a connection (`SQLITE_DBCONFIG_DQS_DML`
/// and `_DDL`). With them on, a quoted column name the connection's cached schema does not know
/// — a column added by a migration after the connection was opened — silently becomes a string
/// literal instead of an error, so the statement runs with a wrong column; with them off, the
/// prepare fails, SQLite notices its schema is stale, reloads it and prepares again correctly.
async fn strict_identifiers(conn: &mut sqlx::SqliteConnection) -> sqlx::Result<()> {
    use libsqlite3_sys::{
        sqlite3_db_config, SQLITE_DBCONFIG_DQS_DDL, SQLITE_DBCONFIG_DQS_DML, SQLITE_OK,
    };
    use std::os::raw::c_int;
    let mut handle = conn.lock_handle().await?;
    let db = handle.as_raw_handle().as_ptr();
    for op in [SQLITE_DBCONFIG_DQS_DML, SQLITE_DBCONFIG_DQS_DDL] {
        // SAFETY: `db` is this connection's open handle, locked for the duration of the call;
        // these options take an int (0: off) and an optional int pointer (null: no read-back).
        let rc = unsafe { sqlite3_db_config(db, op, 0 as c_int, std::ptr::null_mut::<c_int>()) };
        if rc != SQLITE_OK {
            return Err(sqlx::Error::Configuration(
                format!("cannot turn off double-quoted string literals (SQLite code {rc})").into(),
            ));
        }
    }
    Ok(())
}

enum Pools {
    /// SQLite allows one writer at a time; writers queue on the mutex instead of failing busy.
    Sqlite {
        pool: SqlitePool,
        writer: Arc<Mutex<()>>,
    },
    Postgres(PgPool),
}

/// A handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Db {
    pools: Arc<Pools>,
    /// Write transactions run again after losing a lock conflict, since the start.
    retries: Arc<AtomicU64>,
}

/// Counts rows: `SELECT COUNT(*) AS n`.
#[derive(sqlx::FromRow)]
pub(crate) struct Count {
    pub n: i64,
}

impl Db {
    /// Connects to `url`: `sqlite://path/to/file.db` or `postgres://…`.
    pub async fn connect(url: &str, opts: &ConnectOptions) -> Result<Db> {
        let pools = if url.starts_with("sqlite:") {
            let o = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                .pragma("temp_store", "memory");
            let pool = pool_options::<Sqlite>(opts)
                .after_connect(|conn, _| Box::pin(strict_identifiers(conn)))
                .connect_with(o)
                .await?;
            Pools::Sqlite {
                pool,
                writer: Arc::new(Mutex::new(())),
            }
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let o = PgConnectOptions::from_str(url)?;
            let pool = pool_options::<Postgres>(opts).connect_with(o).await?;
            Pools::Postgres(pool)
        } else {
            let scheme = url.split(':').next().unwrap_or_default();
            return Err(StoreError::UnsupportedUrl(format!("{scheme}:…")));
        };
        Ok(Db {
            pools: Arc::new(pools),
            retries: Arc::default(),
        })
    }

    pub fn backend(&self) -> Backend {
        match &*self.pools {
            Pools::Sqlite { .. } => Backend::Sqlite,
            Pools::Postgres(_) => Backend::Postgres,
        }
    }

    /// Starts a write transaction. On SQLite it waits for the single writer slot and takes the
    /// write lock up front (`BEGIN IMMEDIATE`), so a read-then-write never fails as busy.
    pub async fn begin(&self) -> Result<Tx> {
        let started = Instant::now();
        // `BEGIN` runs in its own task: if the request is cancelled while it is in flight, the
        // task still finishes and the dropped transaction rolls back, instead of a connection
        // going back to the pool inside an open transaction (holding SQLite's write lock).
        let tx = match &*self.pools {
            Pools::Sqlite { pool, writer } => {
                let guard = writer.clone().lock_owned().await;
                let pool = pool.clone();
                let tx = detached(async move { pool.begin_with("BEGIN IMMEDIATE").await }).await?;
                Tx {
                    inner: TxInner::Sqlite(tx),
                    _writer: Some(guard),
                }
            }
            Pools::Postgres(pool) => {
                let pool = pool.clone();
                Tx {
                    inner: TxInner::Postgres(detached(async move { pool.begin().await }).await?),
                    _writer: None,
                }
            }
        };
        timing::record(started.elapsed());
        Ok(tx)
    }

    /// Runs one write transaction: `op` gets a transaction begun for it and commits it (a
    /// transaction it drops rolls back). When the attempt loses a lock conflict on PostgreSQL (a
    /// deadlock or serialization failure, at any statement or at `COMMIT`), `op` runs again on a
    /// new transaction, up to three more times after short jittered pauses, then the loss is
    /// returned as [`StoreError::Contention`]. `op` must therefore be repeatable: it reads what it
    /// needs inside the transaction and keeps no state between runs.
    pub async fn write<T, F, Fut>(&self, op: F) -> Result<T>
    where
        F: Fn(Tx) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let op = &op;
        WRITE_RETRIES
            .run(&self.retries, move || async move {
                op(self.begin().await?).await
            })
            .await
    }

    /// How many write transactions were run again after losing a lock conflict.
    pub fn write_retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// Closes every connection (used at shutdown, after in-flight requests finish).
    pub async fn close(&self) {
        match &*self.pools {
            Pools::Sqlite { pool, .. } => pool.close().await,
            Pools::Postgres(pool) => pool.close().await,
        }
    }
}

enum TxInner {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// A write transaction: everything a request changes, with its audit entry, commits together.
/// Dropped without [`Tx::commit`], it rolls back.
pub struct Tx {
    inner: TxInner,
    _writer: Option<OwnedMutexGuard<()>>,
}

impl Tx {
    pub fn backend(&self) -> Backend {
        match self.inner {
            TxInner::Sqlite(_) => Backend::Sqlite,
            TxInner::Postgres(_) => Backend::Postgres,
        }
    }

    /// Commits; like `BEGIN`, the commit finishes in its own task even if the request is
    /// cancelled meanwhile, and the SQLite writer slot is released only after it.
    pub async fn commit(self) -> Result<()> {
        let started = Instant::now();
        let Tx { inner, _writer } = self;
        detached(async move {
            let r = match inner {
                TxInner::Sqlite(tx) => tx.commit().await,
                TxInner::Postgres(tx) => tx.commit().await,
            };
            drop(_writer);
            r
        })
        .await?;
        timing::record(started.elapsed());
        Ok(())
    }
}

/// Runs a transaction-control step to completion in its own task, so a cancelled request cannot
/// leave it half done.
async fn detached<T: Send + 'static>(
    step: impl std::future::Future<Output = sqlx::Result<T>> + Send + 'static,
) -> Result<T> {
    match tokio::spawn(step).await {
        Ok(r) => Ok(r?),
        Err(e) => Err(StoreError::Unavailable(format!(
            "transaction step failed: {e}"
        ))),
    }
}

/// Matches a `Db`'s backend, binding its pool.
macro_rules! on_pool {
    ($this:ident, |$a:ident| $sa:expr, |$b:ident| $pa:expr) => {
        match &*$this.pools {
            Pools::Sqlite { pool: $a, .. } => $sa,
            Pools::Postgres($b) => $pa,
        }
    };
}

/// Matches a `Tx`'s backend, binding its connection.
macro_rules! on_tx {
    ($this:ident, |$a:ident| $sa:expr, |$b:ident| $pa:expr) => {
        match &mut $this.inner {
            TxInner::Sqlite(tx) => {
                let $a = &mut **tx;
                $sa
            }
            TxInner::Postgres(tx) => {
                let $b = &mut **tx;
                $pa
            }
        }
    };
}

/// Renders `$stmt` for the executor's dialect, runs `$call`, and adds the time to the request's
/// database timer. `$ex` is bound to a pool (`Db`) or to the open transaction's connection (`Tx`).
macro_rules! run {
    ($on:ident, $this:ident, $stmt:expr, |$sql:ident, $values:ident, $ex:ident| $call:expr) => {{
        let started = Instant::now();
        let out = $on!(
            $this,
            |$ex| {
                let ($sql, $values) = $stmt.render(Backend::Sqlite);
                $call
            },
            |$ex| {
                let ($sql, $values) = $stmt.render(Backend::Postgres);
                $call
            }
        );
        timing::record(started.elapsed());
        out
    }};
}

/// The query methods, written once and instantiated for pools (`Db`) and transactions (`Tx`).
/// `$on` is a macro that matches the receiver's backend and binds its executor.
macro_rules! query_methods {
    ($recv:ty, $on:ident) => {
        pub async fn all<T: DbRow>(self: $recv, stmt: &impl Statement) -> Result<Vec<T>> {
            Ok(run!($on, self, stmt, |sql, v, ex| {
                sqlx::query_as_with::<_, T, _>(&sql, v)
                    .fetch_all(ex)
                    .await?
            }))
        }

        pub async fn opt<T: DbRow>(self: $recv, stmt: &impl Statement) -> Result<Option<T>> {
            Ok(run!($on, self, stmt, |sql, v, ex| {
                sqlx::query_as_with::<_, T, _>(&sql, v)
                    .fetch_optional(ex)
                    .await?
            }))
        }

        pub async fn one<T: DbRow>(self: $recv, stmt: &impl Statement) -> Result<T> {
            self.opt(stmt).await?.ok_or(StoreError::NotFound)
        }

        /// Runs an INSERT, UPDATE or DELETE; returns the rows affected.
        pub async fn exec(self: $recv, stmt: &impl Statement) -> Result<u64> {
            Ok(run!($on, self, stmt, |sql, v, ex| {
                sqlx::query_with(&sql, v).execute(ex).await?.rows_affected()
            }))
        }

        /// Runs literal SQL (several statements allowed): migrations and health checks only.
        pub async fn raw(self: $recv, sql: &str) -> Result<()> {
            let started = Instant::now();
            $on!(
                self,
                |ex| sqlx::raw_sql(sql).execute(ex).await.map(drop)?,
                |ex| sqlx::raw_sql(sql).execute(ex).await.map(drop)?
            );
            timing::record(started.elapsed());
            Ok(())
        }
    };
}

impl Db {
    query_methods!(&Self, on_pool);
}

impl Tx {
    query_methods!(&mut Self, on_tx);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(sqlx::FromRow, Debug)]
    struct Row {
        a: String,
        b: Option<String>,
    }

    /// A pooled connection opened before a column was added still sees the new column (it did
    /// not before SQLite's double-quoted string literals were turned off: `"b"` became the text
    /// 'b' and the row had no column `b`).
    #[tokio::test]
    async fn connections_opened_before_a_schema_change_see_the_new_columns() {
        use sqlx::Connection;
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/t.db?mode=rwc", dir.path().display());
        let opts = ConnectOptions {
            max_connections: 2,
            ..Default::default()
        };
        let db = Db::connect(&url, &opts).await.unwrap();
        db.raw("CREATE TABLE t (a TEXT NOT NULL); INSERT INTO t (a) VALUES ('x')")
            .await
            .unwrap();
        let mut other = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::raw_sql("ALTER TABLE t ADD COLUMN b TEXT; UPDATE t SET b = 'y'")
            .execute(&mut other)
            .await
            .unwrap();
        let q = sea_query::Query::select()
            .columns([sea_query::Alias::new("a"), sea_query::Alias::new("b")])
            .from(sea_query::Alias::new("t"))
            .to_owned();
        let row: Row = db.one(&q).await.unwrap();
        assert_eq!(
            (row.a.as_str(), row.b.as_deref()),
            ("x", Some("y")),
            "{row:?}"
        );
    }
}
