//! The connection to either backend, and the one place statements are executed.
//!
//! Every query in the store is built once with sea-query and run here on SQLite or PostgreSQL:
//! the builder renders the right dialect and the values are bound to it. PostgreSQL runs through
//! sqlx; SQLite through rusqlite, in [`crate::sqlite`]. Nothing else in the crate touches a
//! driver. Each execution adds its duration to the request's database timer ([`crate::timing`]).

use std::future::Future;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::pool::PoolOptions;
use sqlx::postgres::{PgConnectOptions, PgPool};
use sqlx::{Connection, Postgres};

use crate::error::{Result, StoreError};
use crate::fetch::{run_pg, All, Changed, Fetch, First};
use crate::pg_tx::PgTx;
use crate::prepared::Statement;
use crate::retry::WRITE_RETRIES;
use crate::sqlite::{self, Sqlite};
use crate::timing;
use sea_query_binder::SqlxValues;

pub use crate::backend::Backend;

/// A row type that decodes from both backends: derive `serde::Deserialize` (by column name,
/// see [`crate::row`]) with portable field types: `String`, `i64`, `f64`, `bool` and their
/// `Option`s.
pub trait DbRow: serde::de::DeserializeOwned + Send + Unpin + 'static {}
impl<T> DbRow for T where T: serde::de::DeserializeOwned + Send + Unpin + 'static {}

/// Pool sizing and timeouts.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// On PostgreSQL the pool's size; on SQLite how many reader connections (besides the one
    /// writer).
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

enum Pools {
    /// rusqlite: readers in place, one writer at a time ([`crate::sqlite`]).
    Sqlite(Arc<Sqlite>),
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
#[derive(serde::Deserialize)]
pub(crate) struct Count {
    pub n: i64,
}

impl Db {
    /// Connects to `url`: `sqlite://path/to/file.db` or `postgres://…`.
    pub async fn connect(url: &str, opts: &ConnectOptions) -> Result<Db> {
        let pools = if url.starts_with("sqlite:") {
            let lite = Sqlite::open(url, opts.max_connections, opts.acquire_timeout).await?;
            Pools::Sqlite(Arc::new(lite))
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
            Pools::Sqlite(_) => Backend::Sqlite,
            Pools::Postgres(_) => Backend::Postgres,
        }
    }

    /// Starts a write transaction. On SQLite it waits for the single writer slot and takes the
    /// write lock up front (`BEGIN IMMEDIATE`, or a savepoint in the open batch: group commit,
    /// [`crate::sqlite`]), so a read-then-write never fails as busy. On PostgreSQL nothing is
    /// sent yet ([`crate::pg_tx`]).
    pub async fn begin(&self) -> Result<Tx> {
        let started = Instant::now();
        let inner = match &*self.pools {
            Pools::Sqlite(lite) => TxInner::Sqlite(lite.begin().await?),
            // Opened on the server by its first statement that is not deferred ([`PgTx`]).
            Pools::Postgres(pool) => TxInner::Postgres(PgTx::new(pool.clone())),
        };
        timing::record(started.elapsed());
        Ok(Tx { inner })
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

    /// Answers when the database does (readiness probes): `SELECT 1` on a reader (SQLite) or a
    /// pooled connection (PostgreSQL), without waiting for the writer.
    pub async fn ping(&self) -> Result<()> {
        let started = Instant::now();
        match &*self.pools {
            Pools::Sqlite(lite) => lite.ping()?,
            Pools::Postgres(pool) => sqlx::raw_sql("SELECT 1").execute(pool).await.map(drop)?,
        }
        timing::record(started.elapsed());
        Ok(())
    }

    /// Closes every connection (used at shutdown, after in-flight requests finish).
    pub async fn close(&self) {
        match &*self.pools {
            Pools::Sqlite(lite) => lite.close().await,
            Pools::Postgres(pool) => pool.close().await,
        }
    }

    /// Runs a statement outside any transaction. On SQLite a read runs inline on a reader
    /// connection and a write goes through the writer slot.
    async fn fetch<F: Fetch>(&self, stmt: &impl Statement) -> Result<F::Out> {
        let started = Instant::now();
        let out = match &*self.pools {
            Pools::Sqlite(lite) => {
                let (sql, v) = stmt.render(Backend::Sqlite);
                let out = if F::WRITES {
                    lite.write_detached(&sql, &v.0 .0, F::SQLITE).await
                } else {
                    lite.run(&sql, &v.0 .0, F::SQLITE).await
                };
                sqlite::log(&sql, started);
                out
            }
            Pools::Postgres(pool) => {
                let (sql, v) = stmt.render(Backend::Postgres);
                F::from_pg(run_pg(F::WANTS, &sql, v, pool).await?)
            }
        };
        timing::record(started.elapsed());
        out
    }

    /// Every row the statement returns.
    pub async fn all<T: DbRow>(&self, stmt: &impl Statement) -> Result<Vec<T>> {
        self.fetch::<All<T>>(stmt).await
    }

    /// [`Db::all`] for a read that may walk many rows (a deep `OFFSET` page): on SQLite it
    /// runs on the blocking pool rather than inline, so a slow statement does not hold an async
    /// worker thread. The same as [`Db::all`] on PostgreSQL.
    pub async fn all_long<T: DbRow>(&self, stmt: &impl Statement) -> Result<Vec<T>> {
        let Pools::Sqlite(lite) = &*self.pools else {
            return self.all(stmt).await;
        };
        let started = Instant::now();
        let (sql, v) = stmt.render(Backend::Sqlite);
        let out = lite.run_detached(&sql, &v.0 .0, All::<T>::SQLITE).await;
        sqlite::log(&sql, started);
        timing::record(started.elapsed());
        out
    }

    /// The first row the statement returns, if any.
    pub async fn opt<T: DbRow>(&self, stmt: &impl Statement) -> Result<Option<T>> {
        self.fetch::<First<T>>(stmt).await
    }

    pub async fn one<T: DbRow>(&self, stmt: &impl Statement) -> Result<T> {
        self.opt(stmt).await?.ok_or(StoreError::NotFound)
    }

    /// Runs an INSERT, UPDATE or DELETE on its own (autocommit); returns the rows affected. On
    /// SQLite it goes through the writer slot, so a task holding a [`Tx`] must write through
    /// that instead (this would wait for the slot it holds).
    pub async fn exec(&self, stmt: &impl Statement) -> Result<u64> {
        self.fetch::<Changed>(stmt).await
    }

    /// Runs literal SQL (several statements allowed): migrations and tests only. On SQLite it
    /// goes through the writer slot.
    pub async fn raw(&self, sql: &str) -> Result<()> {
        let started = Instant::now();
        match &*self.pools {
            Pools::Sqlite(lite) => {
                let out = lite.batch_detached(sql).await;
                sqlite::log(sql, started);
                out?
            }
            Pools::Postgres(pool) => sqlx::raw_sql(sql).execute(pool).await.map(drop)?,
        }
        timing::record(started.elapsed());
        Ok(())
    }
}

enum TxInner {
    Sqlite(sqlite::Writer),
    Postgres(PgTx),
}

/// A write transaction: everything a request changes, with its audit entry, commits together.
/// Dropped without [`Tx::commit`], it rolls back.
pub struct Tx {
    inner: TxInner,
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
    ///
    /// Inside a request holding an Idempotency-Key, the first transaction to commit marks the
    /// key in itself ([`crate::idempotency`]).
    pub async fn commit(mut self) -> Result<()> {
        let claim = crate::idempotency::mark_committed(&mut self).await?;
        let started = Instant::now();
        match self.inner {
            TxInner::Sqlite(writer) => writer.commit().await?,
            TxInner::Postgres(tx) => tx.commit().await?,
        }
        timing::record(started.elapsed());
        crate::idempotency::committed(claim);
        Ok(())
    }

    /// Lets this transaction's commit return before it is on disk: PostgreSQL's
    /// `synchronous_commit = off` for this transaction alone (its locks are released without
    /// waiting for the log flush); nothing on SQLite, whose commits are batched already.
    ///
    /// Only for a transaction that a later durable commit of the same request follows before
    /// anything of it is answered: PostgreSQL writes its log in order, so that commit's flush
    /// makes this one durable too, and a crash before then loses it as if it had not run.
    pub async fn flushed_by_next_commit(&mut self) -> Result<()> {
        match &mut self.inner {
            TxInner::Postgres(tx) => tx.commit_without_flush().await,
            TxInner::Sqlite(_) => Ok(()),
        }
    }

    /// Runs a statement inside the transaction (on SQLite inline: the transaction holds the
    /// write lock).
    async fn fetch<F: Fetch>(&mut self, stmt: &impl Statement) -> Result<F::Out> {
        let (sql, v) = stmt.render(self.backend());
        self.run::<F>(&sql, v).await
    }

    async fn run<F: Fetch>(&mut self, sql: &str, v: SqlxValues) -> Result<F::Out> {
        let started = Instant::now();
        let out = match &mut self.inner {
            TxInner::Sqlite(w) => {
                let out = w.run(sql, &v.0 .0, F::SQLITE);
                sqlite::log(sql, started);
                out
            }
            TxInner::Postgres(tx) => F::from_pg(run_pg(F::WANTS, sql, v, tx.conn().await?).await?),
        };
        timing::record(started.elapsed());
        out
    }

    /// Every row the statement returns.
    pub async fn all<T: DbRow>(&mut self, stmt: &impl Statement) -> Result<Vec<T>> {
        self.fetch::<All<T>>(stmt).await
    }

    /// The first row the statement returns, if any.
    pub async fn opt<T: DbRow>(&mut self, stmt: &impl Statement) -> Result<Option<T>> {
        self.fetch::<First<T>>(stmt).await
    }

    pub async fn one<T: DbRow>(&mut self, stmt: &impl Statement) -> Result<T> {
        self.opt(stmt).await?.ok_or(StoreError::NotFound)
    }

    /// Runs an INSERT, UPDATE or DELETE; returns the rows affected.
    pub async fn exec(&mut self, stmt: &impl Statement) -> Result<u64> {
        self.fetch::<Changed>(stmt).await
    }

    /// Runs an INSERT, UPDATE or DELETE that reads no row of the deferred writes ([`Tx::defer`])
    /// and is not one their rows depend on; returns the rows affected. On PostgreSQL it is sent
    /// together with them as one statement (one round trip instead of two); elsewhere it is
    /// [`Tx::exec`].
    pub async fn exec_beside_deferred(&mut self, stmt: impl Statement) -> Result<u64> {
        match &mut self.inner {
            TxInner::Sqlite(_) => self.exec(&stmt).await,
            TxInner::Postgres(tx) => {
                let started = Instant::now();
                let (sql, v) = stmt.into_rendered(Backend::Postgres);
                let (conn, sql, values) = tx.conn_with(sql, v.0 .0).await?;
                let values = SqlxValues(sea_query::Values(values));
                let got = run_pg(Changed::WANTS, &sql, values, conn).await?;
                timing::record(started.elapsed());
                Changed::from_pg(got)
            }
        }
    }

    /// Runs a write whose result is not needed (an event, an audit entry, a new row): at once
    /// on SQLite; on PostgreSQL with the transaction's next statement or its commit, in the
    /// same round trip ([`crate::pg_tx`]). Its errors may therefore surface from a later call
    /// on the transaction, and it must not be one another deferred write's rows depend on.
    pub async fn defer(&mut self, stmt: impl Statement) -> Result<()> {
        match &mut self.inner {
            TxInner::Sqlite(_) => {
                let (sql, v) = stmt.into_rendered(Backend::Sqlite);
                self.run::<Changed>(&sql, v).await.map(drop)
            }
            TxInner::Postgres(tx) => {
                let (sql, v) = stmt.into_rendered(Backend::Postgres);
                tx.defer(sql, v);
                Ok(())
            }
        }
    }

    /// Runs literal SQL (several statements allowed): migrations only.
    pub async fn raw(&mut self, sql: &str) -> Result<()> {
        let started = Instant::now();
        match &mut self.inner {
            TxInner::Sqlite(w) => {
                let out = w.batch(sql);
                sqlite::log(sql, started);
                out?
            }
            TxInner::Postgres(tx) => sqlx::raw_sql(sql)
                .execute(tx.conn().await?)
                .await
                .map(drop)?,
        }
        timing::record(started.elapsed());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
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
        let rows: Vec<Row> = db.all_long(&q).await.unwrap();
        assert_eq!(rows.len(), 1, "a long read finds the same rows");
    }
}
