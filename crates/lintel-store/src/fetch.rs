//! What running a statement yields — every row, the first row, or the number of rows changed —
//! written once per backend, so that [`crate::db::Db`] and [`crate::db::Tx`] each have one
//! execution path whatever the caller wants back.

use std::marker::PhantomData;

use sea_query_binder::SqlxValues;
use sqlx::postgres::PgRow;
use sqlx::Postgres;

use crate::db::DbRow;
use crate::error::Result;
use crate::sqlite;

/// One kind of result. `SQLITE` reads it off a prepared rusqlite statement; on PostgreSQL
/// [`run_pg`] fetches what [`Fetch::WANTS`] says and [`Fetch::from_pg`] decodes it.
pub(crate) trait Fetch: Send + 'static {
    type Out: Send + 'static;
    /// Whether the statement changes rows: run outside a transaction, it goes straight to the
    /// SQLite writer instead of being tried on a reader first.
    const WRITES: bool;
    const SQLITE: sqlite::Op<Self::Out>;
    const WANTS: Wants;
    fn from_pg(got: Got) -> Result<Self::Out>;
}

/// What to ask PostgreSQL for.
pub(crate) enum Wants {
    Rows,
    FirstRow,
    Changed,
}

/// What PostgreSQL answered.
pub(crate) enum Got {
    Rows(Vec<PgRow>),
    FirstRow(Option<PgRow>),
    Changed(u64),
}

/// Runs a statement on a PostgreSQL executor (the pool, or a transaction's connection).
pub(crate) async fn run_pg<'e, E>(
    wants: Wants,
    sql: &'e str,
    values: SqlxValues,
    on: E,
) -> Result<Got>
where
    E: sqlx::Executor<'e, Database = Postgres>,
{
    let q = sqlx::query_with(sql, values);
    Ok(match wants {
        Wants::Rows => Got::Rows(q.fetch_all(on).await?),
        Wants::FirstRow => Got::FirstRow(q.fetch_optional(on).await?),
        Wants::Changed => Got::Changed(q.execute(on).await?.rows_affected()),
    })
}

/// Every row, decoded as `T`.
pub(crate) struct All<T>(PhantomData<fn() -> T>);
/// The first row, decoded as `T`, if any.
pub(crate) struct First<T>(PhantomData<fn() -> T>);
/// The number of rows an INSERT, UPDATE or DELETE changed.
pub(crate) struct Changed;

impl<T: DbRow> Fetch for All<T> {
    type Out = Vec<T>;
    const WRITES: bool = false;
    const SQLITE: sqlite::Op<Vec<T>> = sqlite::all::<T>;
    const WANTS: Wants = Wants::Rows;
    fn from_pg(got: Got) -> Result<Vec<T>> {
        let Got::Rows(rows) = got else {
            unreachable!("asked for rows")
        };
        let mut out = crate::row::Rows::new();
        for r in &rows {
            out.push(r)?;
        }
        Ok(out.into_vec())
    }
}

impl<T: DbRow> Fetch for First<T> {
    type Out = Option<T>;
    const WRITES: bool = false;
    const SQLITE: sqlite::Op<Option<T>> = sqlite::opt::<T>;
    const WANTS: Wants = Wants::FirstRow;
    fn from_pg(got: Got) -> Result<Option<T>> {
        let Got::FirstRow(row) = got else {
            unreachable!("asked for the first row")
        };
        row.map(|r| Ok(crate::row::decode(&r)?)).transpose()
    }
}

impl Fetch for Changed {
    type Out = u64;
    const WRITES: bool = true;
    const SQLITE: sqlite::Op<u64> = sqlite::exec;
    const WANTS: Wants = Wants::Changed;
    fn from_pg(got: Got) -> Result<u64> {
        let Got::Changed(n) = got else {
            unreachable!("asked for the rows changed")
        };
        Ok(n)
    }
}
