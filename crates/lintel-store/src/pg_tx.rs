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
}

impl PgTx {
    pub(crate) fn new(pool: PgPool) -> PgTx {
        PgTx {
            pool,
            open: None,
            deferred: Vec::new(),
        }
    }

    /// Keeps a rendered write to send with the next statement or at commit.
    pub(crate) fn defer(&mut self, sql: &str, values: SqlxValues) {
        self.deferred.push((sql.to_owned(), values.0 .0));
    }

    /// The transaction's connection for a statement that must run now: opens the transaction
    /// on the server if it is not yet, and sends the deferred writes first.
    pub(crate) async fn conn(&mut self) -> Result<&mut sqlx::PgConnection> {
        if self.open.is_none() {
            let pool = self.pool.clone();
            self.open = Some(detached(async move { pool.begin().await }).await?);
        }
        let tx = self.open.as_mut().expect("opened above");
        if let Some((sql, values)) = combine(std::mem::take(&mut self.deferred)) {
            sqlx::query_with(&sql, SqlxValues(Values(values)))
                .execute(&mut **tx)
                .await?;
        }
        Ok(&mut **tx)
    }

    /// Commits: the deferred writes and `COMMIT`, or — when nothing else was sent — the
    /// deferred writes alone as one statement. Either finishes in its own task even if the
    /// request is cancelled meanwhile.
    pub(crate) async fn commit(mut self) -> Result<()> {
        let deferred = combine(std::mem::take(&mut self.deferred));
        match (self.open.take(), deferred) {
            (None, None) => Ok(()),
            (None, Some((sql, values))) => {
                let pool = self.pool.clone();
                detached(async move {
                    let q = sqlx::query_with(&sql, SqlxValues(Values(values)));
                    q.execute(&pool).await.map(drop)
                })
                .await
            }
            (Some(mut tx), deferred) => {
                if let Some((sql, values)) = deferred {
                    sqlx::query_with(&sql, SqlxValues(Values(values)))
                        .execute(&mut *tx)
                        .await?;
                }
                detached(tx.commit()).await
            }
        }
    }
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
fn combine(mut writes: Vec<(String, Vec<Value>)>) -> Option<(String, Vec<Value>)> {
    let (last_sql, last_values) = writes.pop()?;
    if writes.is_empty() {
        return Some((last_sql, last_values));
    }
    let len = writes.iter().map(|(s, _)| s.len() + 16).sum::<usize>() + last_sql.len();
    let mut sql = String::with_capacity(len);
    let mut values = Vec::new();
    for (n, (part, vals)) in writes.into_iter().enumerate() {
        sql.push_str(if n == 0 { "WITH " } else { ", " });
        sql.push_str(&format!("w{n} AS ("));
        shift_placeholders(&part, values.len(), &mut sql);
        sql.push(')');
        values.extend(vals);
    }
    sql.push(' ');
    shift_placeholders(&last_sql, values.len(), &mut sql);
    values.extend(last_values);
    Some((sql, values))
}

/// Appends `sql` with every placeholder `$n` outside quotes written as `$(n + by)`.
fn shift_placeholders(sql: &str, by: usize, out: &mut String) {
    let mut quote = None;
    let mut chars = sql.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, '$') if chars.peek().is_some_and(|(_, d)| d.is_ascii_digit()) => {
                let mut n = 0usize;
                while let Some((_, d)) = chars.next_if(|(_, d)| d.is_ascii_digit()) {
                    n = n * 10 + d.to_digit(10).expect("a digit") as usize;
                }
                out.push('$');
                out.push_str(&(n + by).to_string());
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
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
        assert_eq!(one.0, "INSERT INTO a VALUES ($1)");
        let three = combine(vec![
            w("INSERT INTO a VALUES ($1, $2)", &[1, 2]),
            w("INSERT INTO b VALUES ($1)", &[3]),
            w("INSERT INTO c VALUES ($1, $2)", &[4, 5]),
        ])
        .unwrap();
        assert_eq!(
            three.0,
            "WITH w0 AS (INSERT INTO a VALUES ($1, $2)), w1 AS (INSERT INTO b VALUES ($3)) \
             INSERT INTO c VALUES ($4, $5)"
        );
        assert_eq!(
            three.1,
            (1..=5).map(|x| Value::BigInt(Some(x))).collect::<Vec<_>>()
        );
    }
}
