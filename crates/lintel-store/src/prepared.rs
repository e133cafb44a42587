//! Statements of a fixed shape, rendered once per backend and re-run with new values.
//!
//! Building a sea-query tree and rendering it costs far more than the database work of a
//! single-row lookup (see docs/benchmarks.md), and the hot lookups (a credential, a record by id)
//! have the same SQL on every request. A [`Prepared`] statement is built once, with *slots*
//! ([`slot`]) where the per-call values go; its SQL and constant values are kept per
//! backend, and each call only substitutes its arguments into the slots. The statement is still
//! written once with sea-query, so both dialects come from the same definition.

use std::borrow::Cow;
use std::sync::{OnceLock, RwLock};

use sea_query::{PostgresQueryBuilder, SelectStatement, SqliteQueryBuilder, Value, Values};
use sea_query_binder::{SqlxBinder, SqlxValues};

use crate::backend::Backend;

const SLOT_TAG: &str = "\u{0}lintel-slot:";
pub(crate) const MAX_SLOTS: usize = 16;

/// The placeholder for text argument `n` in a prepared statement's definition.
pub(crate) fn slot(n: usize) -> String {
    assert!(n < MAX_SLOTS, "at most {MAX_SLOTS} slots");
    format!("{SLOT_TAG}{n}")
}

/// The placeholder for argument `n` where sea-query takes a number (`LIMIT`, `OFFSET`): one of
/// the last [`MAX_SLOTS`] values of `u64`, which no row count or offset comes near.
pub(crate) fn number_slot(n: usize) -> u64 {
    assert!(n < MAX_SLOTS, "at most {MAX_SLOTS} slots");
    u64::MAX - n as u64
}

/// The arguments `[organisation, id]` of a by-id lookup, from the typed IDs.
pub(crate) fn key<K: lintel_domain::id::IdKind>(
    org: lintel_domain::OrgId,
    id: lintel_domain::id::Id<K>,
) -> [Value; 2] {
    [org.to_string().into(), id.to_string().into()]
}

/// A one-row INSERT into `table` whose every value is a slot, in the order of `columns`: the
/// fixed shape of the single-row writes every request makes (its record, its event, its audit
/// entry), so they are rendered once instead of built and rendered per call.
pub(crate) fn insert_row<T: sea_query::Iden + Copy + 'static, const N: usize>(
    table: T,
    columns: [T; N],
) -> sea_query::InsertStatement {
    sea_query::Query::insert()
        .into_table(table)
        .columns(columns)
        .values_panic((0..N).map(|n| slot(n).into()))
        .to_owned()
}

fn slot_of(v: &Value) -> Option<usize> {
    match v {
        Value::String(Some(s)) => s.strip_prefix(SLOT_TAG)?.parse().ok(),
        Value::BigUnsigned(Some(n)) if *n > u64::MAX - MAX_SLOTS as u64 => {
            Some((u64::MAX - n) as usize)
        }
        _ => None,
    }
}

/// One backend's rendering: the SQL, the values with constants in place, and which value
/// positions take which argument.
struct Rendered {
    sql: String,
    values: Vec<Value>,
    slots: Vec<(usize, usize)>,
}

impl Rendered {
    fn new((sql, values): (String, SqlxValues)) -> Rendered {
        let values = values.0 .0;
        let slots: Vec<(usize, usize)> = values
            .iter()
            .enumerate()
            .filter_map(|(pos, v)| slot_of(v).map(|n| (pos, n)))
            .collect();
        Rendered { sql, values, slots }
    }

    /// The rendering of a statement that uses each of its `arity` arguments, and only those.
    fn exact(rendered: (String, SqlxValues), arity: usize) -> Rendered {
        let Rendered { sql, values, slots } = Rendered::new(rendered);
        for n in 0..arity {
            assert!(
                slots.iter().any(|&(_, s)| s == n),
                "prepared statement does not use slot {n}: {sql}"
            );
        }
        assert!(
            slots.iter().all(|&(_, s)| s < arity),
            "prepared statement uses a slot beyond its {arity} arguments: {sql}"
        );
        Rendered { sql, values, slots }
    }
}

/// A statement of fixed shape with `N` arguments, defined once as a `static`:
///
/// ```ignore
/// static BY_ID: Prepared<SelectStatement, 2> = Prepared::new(|| select_by(slot(0), slot(1)));
/// db.opt::<Row>(&BY_ID.with([org.to_string().into(), id.to_string().into()])).await
/// ```
pub(crate) struct Prepared<S, const N: usize> {
    build: fn() -> S,
    sqlite: OnceLock<Rendered>,
    postgres: OnceLock<Rendered>,
}

impl<S: SqlxBinder + Sync, const N: usize> Prepared<S, N> {
    pub(crate) const fn new(build: fn() -> S) -> Self {
        Prepared {
            build,
            sqlite: OnceLock::new(),
            postgres: OnceLock::new(),
        }
    }

    fn render_exact(&self, backend: Backend) -> Rendered {
        Rendered::exact((self.build)().into_rendered(backend), N)
    }

    /// The statement with its arguments, ready to run.
    pub(crate) fn with(&self, args: [Value; N]) -> Bound<'_> {
        Bound {
            prepared: self,
            args: Vec::from(args),
        }
    }
}

trait Render: Sync {
    fn rendered(&self, backend: Backend) -> &Rendered;
}

impl<S: SqlxBinder + Sync, const N: usize> Render for Prepared<S, N> {
    fn rendered(&self, backend: Backend) -> &Rendered {
        match backend {
            Backend::Sqlite => self.sqlite.get_or_init(|| self.render_exact(backend)),
            Backend::Postgres => self.postgres.get_or_init(|| self.render_exact(backend)),
        }
    }
}

/// What picks one of a few shapes of a statement: which optional parts it has (a list's
/// filters), how it reads (a page number or a cursor) and the name of its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ShapeKey {
    pub parts: u32,
    pub mode: u8,
    pub order: &'static str,
}

/// A select whose shape is one of a few (a list's filters, paging and order), built and
/// rendered once per shape and backend the first time it is run, then re-run with new values
/// like a [`Prepared`] one. A shape's rendering is kept for the life of the process: a list has
/// a few dozen shapes at most, so the set is small and bounded by the code, not by requests.
pub(crate) struct Shapes {
    known: RwLock<Vec<(Backend, ShapeKey, &'static Rendered)>>,
}

impl Shapes {
    pub(crate) const fn new() -> Self {
        Shapes {
            known: RwLock::new(Vec::new()),
        }
    }

    /// The statement of shape `key` with `args` in its slots. `build` makes it, with slots for
    /// its values, when the shape has not been seen yet; the same key must always build the
    /// same statement. Arguments the shape does not use are ignored.
    pub(crate) fn with<'a>(
        &'a self,
        key: ShapeKey,
        build: &'a (dyn Fn() -> SelectStatement + Sync),
        args: Vec<Value>,
    ) -> Shaped<'a> {
        Shaped {
            shapes: self,
            key,
            build,
            args,
        }
    }

    fn rendered(
        &self,
        backend: Backend,
        key: ShapeKey,
        build: &dyn Fn() -> SelectStatement,
    ) -> &'static Rendered {
        let find = |known: &[(Backend, ShapeKey, &'static Rendered)]| {
            (known.iter())
                .find(|(b, k, _)| *b == backend && *k == key)
                .map(|&(_, _, r)| r)
        };
        if let Some(r) = find(&self.known.read().unwrap_or_else(|e| e.into_inner())) {
            return r;
        }
        let rendered = build().into_rendered(backend);
        let mut known = self.known.write().unwrap_or_else(|e| e.into_inner());
        if let Some(r) = find(&known) {
            return r;
        }
        let r: &'static Rendered = Box::leak(Box::new(Rendered::new(rendered)));
        known.push((backend, key, r));
        r
    }
}

/// A [`Shapes`] statement with the arguments of one call.
pub(crate) struct Shaped<'a> {
    shapes: &'a Shapes,
    key: ShapeKey,
    build: &'a (dyn Fn() -> SelectStatement + Sync),
    args: Vec<Value>,
}

impl Statement for Shaped<'_> {
    fn render(&self, backend: Backend) -> (Cow<'_, str>, SqlxValues) {
        let r = self.shapes.rendered(backend, self.key, self.build);
        (Cow::Borrowed(r.sql.as_str()), r.fill(&self.args))
    }
}

impl Rendered {
    /// The values of one call: the constants, with `args` in the slots. Built in one pass
    /// rather than cloned and patched: cloning the slots' placeholder strings only to drop them
    /// was most of a prepared write's cost here.
    fn fill(&self, args: &[Value]) -> SqlxValues {
        let mut slots = self.slots.iter().peekable();
        let values = (self.values.iter().enumerate())
            .map(
                |(pos, constant)| match slots.next_if(|&&(at, _)| at == pos) {
                    Some(&(_, n)) => args[n].clone(),
                    None => constant.clone(),
                },
            )
            .collect();
        SqlxValues(Values(values))
    }
}

/// A prepared statement with the arguments of one call.
pub struct Bound<'a> {
    prepared: &'a dyn Render,
    args: Vec<Value>,
}

/// Anything the executor can run: a sea-query statement (rendered on each call) or a
/// [`Prepared`] one with its arguments.
pub trait Statement: Sync {
    fn render(&self, backend: Backend) -> (Cow<'_, str>, SqlxValues);

    /// [`Statement::render`] for a statement that is not needed afterwards: its values are
    /// moved rather than copied where it can.
    fn into_rendered(self, backend: Backend) -> (String, SqlxValues)
    where
        Self: Sized,
    {
        let (sql, values) = self.render(backend);
        (sql.into_owned(), values)
    }
}

impl<T: SqlxBinder + Sync> Statement for T {
    fn render(&self, backend: Backend) -> (Cow<'_, str>, SqlxValues) {
        let (sql, values) = match backend {
            Backend::Sqlite => self.build_sqlx(SqliteQueryBuilder),
            Backend::Postgres => self.build_sqlx(PostgresQueryBuilder),
        };
        (Cow::Owned(sql), values)
    }
}

impl Statement for Bound<'_> {
    fn render(&self, backend: Backend) -> (Cow<'_, str>, SqlxValues) {
        let r = self.prepared.rendered(backend);
        (Cow::Borrowed(r.sql.as_str()), r.fill(&self.args))
    }

    fn into_rendered(mut self, backend: Backend) -> (String, SqlxValues) {
        let r = self.prepared.rendered(backend);
        let mut slots = r.slots.iter().peekable();
        let values = (r.values.iter().enumerate())
            .map(
                |(pos, constant)| match slots.next_if(|&&(at, _)| at == pos) {
                    // An argument is moved at its last use (a slot may be used more than once).
                    Some(&(_, n)) if slots.clone().all(|&(_, m)| m != n) => {
                        std::mem::replace(&mut self.args[n], Value::Bool(None))
                    }
                    Some(&(_, n)) => self.args[n].clone(),
                    None => constant.clone(),
                },
            )
            .collect();
        (r.sql.clone(), SqlxValues(Values(values)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_query::{Alias, Expr, Query, SelectStatement};

    fn stmt(a: String, b: String) -> SelectStatement {
        Query::select()
            .column(Alias::new("x"))
            .from(Alias::new("t"))
            .and_where(Expr::col(Alias::new("a")).eq(a))
            .and_where(Expr::col(Alias::new("k")).eq("constant"))
            .and_where(Expr::col(Alias::new("b")).lt(b))
            .to_owned()
    }

    static TWO: Prepared<SelectStatement, 2> = Prepared::new(|| stmt(slot(0), slot(1)));

    #[test]
    fn renders_like_a_fresh_statement_on_both_backends() {
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let bound = TWO.with(["hello".into(), "world".into()]);
            let (sql, values) = bound.render(backend);
            let fresh = stmt("hello".into(), "world".into());
            let (want_sql, want_values) = fresh.render(backend);
            assert_eq!(sql, want_sql);
            assert_eq!(values.0 .0, want_values.0 .0);
        }
    }

    #[test]
    fn one_row_inserts_render_like_fresh_ones() {
        #[derive(sea_query::Iden, Clone, Copy)]
        enum T {
            Table,
            A,
            B,
            C,
        }
        static ROW: Prepared<sea_query::InsertStatement, 3> =
            Prepared::new(|| insert_row(T::Table, [T::A, T::B, T::C]));
        let values: [Value; 3] = ["x".into(), Option::<String>::None.into(), 7i64.into()];
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let bound = ROW.with(values.clone());
            let (sql, got) = bound.render(backend);
            let fresh = Query::insert()
                .into_table(T::Table)
                .columns([T::A, T::B, T::C])
                .values_panic(values.clone().map(Into::into))
                .to_owned();
            let (want_sql, want) = fresh.render(backend);
            assert_eq!(sql, want_sql);
            assert_eq!(got.0 .0, want.0 .0);
        }
    }

    /// Moved or copied, the values are the same, also for a slot used twice.
    #[test]
    fn rendered_by_value_is_rendered_by_reference() {
        static TWICE: Prepared<SelectStatement, 2> = Prepared::new(|| {
            let mut s = stmt(slot(0), slot(1));
            s.and_where(Expr::col(Alias::new("c")).eq(slot(0)));
            s
        });
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let args: [Value; 2] = ["one".into(), "two".into()];
            let bound = TWICE.with(args.clone());
            let (sql, values) = bound.render(backend);
            let (owned_sql, owned) = TWICE.with(args).into_rendered(backend);
            assert_eq!((owned_sql.as_str(), &owned.0 .0), (&*sql, &values.0 .0));
            assert_eq!(
                values.0 .0.iter().filter(|v| **v == "one".into()).count(),
                2
            );
        }
    }

    /// A shape is built once per backend, renders like a fresh statement (numeric slots too),
    /// and ignores arguments it has no slot for.
    #[test]
    fn shapes_are_built_once_and_render_like_fresh_statements() {
        static SHAPES: Shapes = Shapes::new();
        let built = std::sync::atomic::AtomicUsize::new(0);
        let build = || {
            built.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let mut s = stmt(slot(0), slot(2));
            s.limit(number_slot(3)).offset(number_slot(4));
            s
        };
        let key = ShapeKey {
            parts: 1,
            mode: 0,
            order: "x",
        };
        for backend in [Backend::Sqlite, Backend::Postgres] {
            for (a, limit) in [("a", 21u64), ("b", 101)] {
                let args: Vec<Value> = vec![
                    a.into(),
                    "unused".into(),
                    "z".into(),
                    limit.into(),
                    40u64.into(),
                ];
                let shaped = SHAPES.with(key, &build, args);
                let (sql, values) = shaped.render(backend);
                let mut fresh = stmt(a.into(), "z".into());
                fresh.limit(limit).offset(40);
                let (want_sql, want) = fresh.render(backend);
                assert_eq!(sql, want_sql);
                assert_eq!(values.0 .0, want.0 .0);
            }
        }
        assert_eq!(built.load(std::sync::atomic::Ordering::Relaxed), 2);
    }

    #[test]
    #[should_panic(expected = "does not use slot 1")]
    fn a_missing_slot_is_caught_at_first_use() {
        static BAD: Prepared<SelectStatement, 2> = Prepared::new(|| stmt(slot(0), "fixed".into()));
        let _ = BAD.with(["a".into(), "b".into()]).render(Backend::Sqlite);
    }
}
