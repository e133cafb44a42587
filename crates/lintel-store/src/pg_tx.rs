//! A PostgreSQL write transaction that spends as few round trips as it can.
//!
//! Each statement sent is a round trip to the server, and a typical write — its record, its
//! event, its audit entry — was five: `BEGIN`, three `INSERT`s, `COMMIT`. Two things cut that:
//!
//! - **Deferred writes.** A write whose result nobody reads (an event, an audit entry, a new
//!   row) is kept ([`PgTx::defer`]) and sent together with the next ones as a single statement:
//!   `WITH w0 AS (INSERT …), w1 AS (INSERT …) INSERT …`. PostgreSQL runs every data-modifying
//!   part of such a statement, atomically. Any other statement sends what is kept first, so a
//!   read sees the transaction's own writes.
//! - **`BEGIN` when needed.** The transaction is opened on the server only before the first
//!   statement that is not deferred. A transaction that only made deferred writes sends them at
//!   commit as that one statement, on its own: a single statement is atomic without `BEGIN`, and
//!   commits when it completes. One round trip for the whole write.
//!
//! Statements in a deferred group must not depend on one another's rows (they all see the
//! snapshot from before the statement), which is why only writes whose results are not read are
//! deferred; foreign keys between them are checked at the end of the statement, as usual.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use sea_query::{Value, Values};
use sea_query_binder::SqlxValues;
use sqlx::postgres::PgPool;
use sqlx::{Postgres, Transaction};

use crate::error::{Result, StoreError};

/// The open part of a PostgreSQL write transaction.
pub(crate) struct PgTx {
    pool: PgPool,
    /// The server-side transaction, once a statement needed it.
    open: Option<Transaction<'static, Postgres>>,
    /// Rendered writes not sent yet, in order.
    deferred: Vec<(String, Vec<Value>)>,
    /// Whether the commit may return before it is on disk ([`PgTx::commit_without_flush`]).
    without_flush: bool,
}

/// `BEGIN` with `synchronous_commit` off for the transaction alone, in one round trip.
const BEGIN_WITHOUT_FLUSH: &str = "BEGIN; SET LOCAL synchronous_commit TO OFF";

impl PgTx {
    pub(crate) fn new(pool: PgPool) -> PgTx {
        PgTx {
            pool,
            open: None,
            deferred: Vec::new(),
            without_flush: false,
        }
    }

    /// Lets the commit return without waiting for its log flush (`synchronous_commit = off`
    /// for this transaction alone). Set with the `BEGIN` when the transaction is not open on
    /// the server yet, so it costs no round trip of its own.
    pub(crate) async fn commit_without_flush(&mut self) -> Result<()> {
        self.without_flush = true;
        if let Some(tx) = self.open.as_mut() {
            sqlx::query("SET LOCAL synchronous_commit TO OFF")
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Keeps a rendered write to send with the next statement or at commit.
    pub(crate) fn defer(&mut self, sql: String, values: SqlxValues) {
        self.deferred.push((sql, values.0 .0));
    }

    /// The transaction's connection for a statement that must run now: opens the transaction
    /// on the server if it is not yet, and sends the deferred writes first.
    pub(crate) async fn conn(&mut self) -> Result<&mut sqlx::PgConnection> {
        self.open().await?;
        let tx = self.open.as_mut().expect("opened above");
        if let Some(writes) = combine(std::mem::take(&mut self.deferred)) {
            send(writes, &mut **tx).await?;
        }
        Ok(&mut **tx)
    }

    /// The transaction's connection for `sql`, a statement that must run now but reads no row
    /// of the deferred writes and is not one their rows depend on: it is sent with them, as the
    /// main statement of their combination (whose row count is its own), in one round trip.
    /// Answers the connection and the statement to send.
    pub(crate) async fn conn_with(
        &mut self,
        sql: String,
        values: Vec<Value>,
    ) -> Result<(&mut sqlx::PgConnection, Arc<str>, Vec<Value>)> {
        self.open().await?;
        self.deferred.push((sql, values));
        let (sql, values) = combine(std::mem::take(&mut self.deferred)).expect("one at least");
        let tx = self.open.as_mut().expect("opened above");
        Ok((&mut **tx, sql, values))
    }

    /// Opens the transaction on the server if it is not yet.
    async fn open(&mut self) -> Result<()> {
        if self.open.is_none() {
            let pool = self.pool.clone();
            let opened = if self.without_flush {
                detached(async move { pool.begin_with(BEGIN_WITHOUT_FLUSH).await }).await?
            } else {
                detached(async move { pool.begin().await }).await?
            };
            self.open = Some(opened);
        }
        Ok(())
    }

    /// Commits: the deferred writes and `COMMIT`, or — when nothing else was sent — the
    /// deferred writes alone as one statement. Either finishes in its own task even if the
    /// request is cancelled meanwhile.
    pub(crate) async fn commit(mut self) -> Result<()> {
        let deferred = combine(std::mem::take(&mut self.deferred));
        match (self.open.take(), deferred) {
            (None, None) => Ok(()),
            (None, Some(writes)) => {
                let pool = self.pool.clone();
                detached(async move { send(writes, &pool).await }).await
            }
            (Some(mut tx), deferred) => {
                if let Some(writes) = deferred {
                    send(writes, &mut *tx).await?;
                }
                detached(tx.commit()).await
            }
        }
    }
}

/// Sends the combined deferred writes as one statement.
async fn send<'e, E>((sql, values): (Arc<str>, Vec<Value>), on: E) -> sqlx::Result<()>
where
    E: sqlx::Executor<'e, Database = Postgres>,
{
    let q = sqlx::query_with(&sql, SqlxValues(Values(values)));
    q.execute(on).await.map(drop)
}

/// Runs a transaction-control step to completion in its own task, so a cancelled request cannot
/// leave it half done.
pub(crate) async fn detached<T: Send + 'static>(
    step: impl std::future::Future<Output = sqlx::Result<T>> + Send + 'static,
) -> Result<T> {
    match tokio::spawn(step).await {
        Ok(r) => Ok(r?),
        Err(e) => Err(StoreError::Unavailable(format!(
            "transaction step failed: {e}"
        ))),
    }
}

/// The deferred writes as one statement: the last one as the main statement, the others as
/// data-modifying `WITH` parts, placeholders renumbered to follow one another.
fn combine(mut writes: Vec<(String, Vec<Value>)>) -> Option<(Arc<str>, Vec<Value>)> {
    if writes.len() == 1 {
        let (sql, values) = writes.pop()?;
        return Some((sql.into(), values));
    }
    let sql = combined_sql(writes.iter().map(|(s, _)| s.as_str()))?;
    let values: Vec<Value> = writes.into_iter().flat_map(|(_, v)| v).collect();
    debug_assert_eq!(
        shift_placeholders(&sql, 0, &mut String::new()),
        values.len(),
        "each statement numbers its values $1..$n"
    );
    Some((sql, values))
}

/// The statements whose combination is kept: the same few shapes recur (a record, its event,
/// its audit entry), and renumbering their placeholders costs more than looking them up.
const COMBINED_KEPT: usize = 256;

/// A combination kept: the statements it was made of, and its SQL.
type Kept = (Vec<String>, Arc<str>);

/// The SQL of [`combine`], from a cache of the shapes seen (at most [`COMBINED_KEPT`]).
fn combined_sql<'a>(parts: impl Iterator<Item = &'a str> + Clone) -> Option<Arc<str>> {
    use std::hash::{Hash, Hasher};
    static KEPT: Mutex<Option<HashMap<u64, Kept>>> = Mutex::new(None);
    let mut h = std::collections::hash_map::DefaultHasher::new();
    parts.clone().for_each(|p| p.hash(&mut h));
    let key = h.finish();
    {
        let kept = KEPT.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((seen, sql)) = kept.as_ref().and_then(|k| k.get(&key)) {
            if parts.clone().eq(seen.iter().map(String::as_str)) {
                return Some(sql.clone());
            }
        }
    }
    let sql: Arc<str> = write_combined(parts.clone())?.into();
    let mut kept = KEPT.lock().unwrap_or_else(PoisonError::into_inner);
    let kept = kept.get_or_insert_with(HashMap::new);
    if kept.len() < COMBINED_KEPT {
        kept.insert(key, (parts.map(str::to_owned).collect(), sql.clone()));
    }
    Some(sql)
}

fn write_combined<'a>(parts: impl Iterator<Item = &'a str> + Clone) -> Option<String> {
    use std::fmt::Write as _;
    let mut parts = parts.peekable();
    let mut sql = String::new();
    let mut placeholders = 0;
    let mut n = 0;
    while let Some(part) = parts.next() {
        if parts.peek().is_some() {
            let _ = write!(sql, "{}w{n} AS (", if n == 0 { "WITH " } else { ", " });
            placeholders += shift_placeholders(part, placeholders, &mut sql);
            sql.push(')');
            n += 1;
        } else {
            if n > 0 {
                sql.push(' ');
            }
            shift_placeholders(part, placeholders, &mut sql);
            return Some(sql);
        }
    }
    None
}

/// Appends `sql` with every placeholder `$n` outside quotes written as `$(n + by)`; returns the
/// highest `n` (the statement's number of values).
fn shift_placeholders(sql: &str, by: usize, out: &mut String) -> usize {
    use std::fmt::Write as _;
    let bytes = sql.as_bytes();
    let mut quote = None;
    let (mut copied, mut i, mut highest) = (0, 0, 0);
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'\'' || b == b'"' => quote = Some(b),
            None if b == b'$' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                let digits = bytes[i + 1..]
                    .iter()
                    .take_while(|d| d.is_ascii_digit())
                    .count();
                let n: usize = sql[i + 1..i + 1 + digits].parse().expect("digits");
                highest = highest.max(n);
                out.push_str(&sql[copied..i]);
                let _ = write!(out, "${}", n + by);
                i += 1 + digits;
                copied = i;
                continue;
            }
            None => {}
        }
        i += 1;
    }
    out.push_str(&sql[copied..]);
    highest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_renumbered_outside_quotes_only() {
        let mut out = String::new();
        shift_placeholders(
            r#"INSERT INTO "t$1" ("a", "b") VALUES ($1, $12) -- '$3'"#,
            5,
            &mut out,
        );
        assert_eq!(
            out,
            r#"INSERT INTO "t$1" ("a", "b") VALUES ($6, $17) -- '$3'"#
        );
    }

    #[test]
    fn deferred_writes_become_one_statement() {
        let w = |sql: &str, v: &[i64]| {
            (
                sql.to_string(),
                v.iter().map(|&x| Value::BigInt(Some(x))).collect(),
            )
        };
        assert_eq!(combine(vec![]), None);
        let one = combine(vec![w("INSERT INTO a VALUES ($1)", &[1])]).unwrap();
        assert_eq!(&*one.0, "INSERT INTO a VALUES ($1)");
        let three = combine(vec![
            w("INSERT INTO a VALUES ($1, $2)", &[1, 2]),
            w("INSERT INTO b VALUES ($1)", &[3]),
            w("INSERT INTO c VALUES ($1, $2)", &[4, 5]),
        ])
        .unwrap();
        let again = combine(vec![
            w("INSERT INTO a VALUES ($1, $2)", &[6, 7]),
            w("INSERT INTO b VALUES ($1)", &[8]),
            w("INSERT INTO c VALUES ($1, $2)", &[9, 10]),
        ])
        .unwrap();
        assert!(
            Arc::ptr_eq(&three.0, &again.0),
            "the same shape is combined once"
        );
        assert_eq!(
            &*three.0,
            "WITH w0 AS (INSERT INTO a VALUES ($1, $2)), w1 AS (INSERT INTO b VALUES ($3)) \
             INSERT INTO c VALUES ($4, $5)"
        );
        assert_eq!(
            three.1,
            (1..=5).map(|x| Value::BigInt(Some(x))).collect::<Vec<_>>()
        );
    }
}
