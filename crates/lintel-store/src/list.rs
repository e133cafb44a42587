//! One list builder for every list: a scoped, filtered select, an order, and either a page
//! number or a cursor. With a cursor the page starts right after the last row of the previous
//! page (a keyset condition on the order's columns), so page 5,000 costs what page 1 does; with
//! a page number on a list ordered by its key alone, the page's first key is found on the index
//! and the rows read from there. Every page answers the cursor of the next one.
//!
//! A list is declared once as a `static` [`List`]: its scoped rows and count, and its filters,
//! each written with a slot for its value. A request says which filters it has ([`Filters`]);
//! each combination of filters, paging mode and order is built and rendered once
//! ([`Shapes`]) and re-run with the request's values, so a list request renders no SQL.

use lintel_domain::{Cursor, FieldError, KeyPart, ListRequest, OrgId, Page};
use sea_query::{Cond, DynIden, Expr, IntoIden, Order as Dir, SelectStatement, SimpleExpr, Value};

use crate::db::{Count, Db, DbRow};
use crate::error::{Result, StoreError};
use crate::prepared::{number_slot, slot, ShapeKey, Shapes, MAX_SLOTS};

/// Slot 0 is the organisation; filters take the slots from 1; then the paging values.
const FIRST_FILTER: usize = 1;
const MAX_FILTERS: usize = 9;
const AFTER_BY: usize = FIRST_FILTER + MAX_FILTERS;
const AFTER_KEY: usize = AFTER_BY + 1;
const LIMIT: usize = AFTER_KEY + 1;
const OFFSET: usize = LIMIT + 1;
const _: () = assert!(OFFSET < MAX_SLOTS);

/// Which of a list's filters a request has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct On(u32);

impl On {
    pub fn has(self, filter: usize) -> bool {
        self.0 & (1 << filter) != 0
    }

    /// The slot of filter `filter`'s value, for the list's `filter` function.
    pub fn slot(filter: usize) -> String {
        assert!(filter < MAX_FILTERS, "at most {MAX_FILTERS} filters");
        slot(FIRST_FILTER + filter)
    }

    /// `column = value` for filters `0..columns.len()`, each on `columns[i]` of `table`, when on.
    pub fn equal<T: sea_query::Iden + Copy + 'static>(
        self,
        q: &mut sea_query::SelectStatement,
        table: T,
        columns: &[T],
    ) {
        for (i, col) in columns.iter().enumerate() {
            if self.has(i) {
                q.and_where(sea_query::Expr::col((table, *col)).eq(On::slot(i)));
            }
        }
    }

    /// `column >= value` (filter `from`) and `column <= value` (filter `to`), when on.
    pub fn between<T: sea_query::Iden + Copy + 'static>(
        self,
        q: &mut sea_query::SelectStatement,
        column: (T, T),
        from: usize,
        to: usize,
    ) {
        if self.has(from) {
            q.and_where(sea_query::Expr::col(column).gte(On::slot(from)));
        }
        if self.has(to) {
            q.and_where(sea_query::Expr::col(column).lte(On::slot(to)));
        }
    }
}

/// A request's filters: which are on, and their values.
pub(crate) struct Filters {
    on: On,
    args: Vec<Value>,
}

impl Filters {
    pub fn new(org: OrgId) -> Filters {
        let mut args = vec![Value::Bool(None); MAX_SLOTS];
        args[0] = org.to_string().into();
        Filters { on: On(0), args }
    }

    /// Turns on filter `filter`, with the value its slot takes.
    pub fn set(&mut self, filter: usize, value: impl Into<Value>) {
        self.flag(filter);
        self.args[FIRST_FILTER + filter] = value.into();
    }

    /// Turns on filter `filter`, which has no value.
    pub fn flag(&mut self, filter: usize) {
        assert!(filter < MAX_FILTERS, "at most {MAX_FILTERS} filters");
        self.on.0 |= 1 << filter;
    }
}

/// One list's statements, each scoped to the organisation in slot 0 ([`crate::scope::OrgRef::Slot`]).
pub(crate) struct List {
    /// The records' columns.
    rows: fn() -> SelectStatement,
    /// `COUNT(…) AS n` over the same table, for lists that count their own total.
    count: fn() -> SelectStatement,
    /// Adds the filters that are on, each reading its value from [`On::slot`].
    filter: fn(&mut SelectStatement, On),
    shapes: Shapes,
}

impl List {
    pub const fn new(
        rows: fn() -> SelectStatement,
        count: fn() -> SelectStatement,
        filter: fn(&mut SelectStatement, On),
    ) -> List {
        List {
            rows,
            count,
            filter,
            shapes: Shapes::new(),
        }
    }

    /// This list with one request's filters, to run with [`page`] or [`counted`].
    pub fn with(&'static self, filters: Filters) -> Query {
        Query {
            list: self,
            filters,
        }
    }
}

/// A list with one request's filters.
pub(crate) struct Query {
    list: &'static List,
    filters: Filters,
}

/// For a list without filters.
pub(crate) fn no_filters(_: &mut SelectStatement, _: On) {}

/// How a list is ordered: by `by` (when it is not the key) then by its key, both one way.
pub(crate) struct Order {
    /// The order's name, carried in its cursors (a cursor of another order is refused). Within
    /// one list, one name is one order: the list's statements are kept by it.
    pub tag: &'static str,
    pub by: Option<(DynIden, DynIden)>,
    pub key: (DynIden, DynIden),
    pub desc: bool,
}

impl Order {
    /// Ordered by the key alone.
    pub fn by_key(
        tag: &'static str,
        table: impl IntoIden,
        key: impl IntoIden,
        desc: bool,
    ) -> Order {
        Order {
            tag,
            by: None,
            key: (table.into_iden(), key.into_iden()),
            desc,
        }
    }

    /// Ordered by `col`, then the key.
    pub fn by_column(
        tag: &'static str,
        table: impl IntoIden + Clone,
        col: impl IntoIden,
        key: impl IntoIden,
        desc: bool,
    ) -> Order {
        Order {
            tag,
            by: Some((table.clone().into_iden(), col.into_iden())),
            key: (table.into_iden(), key.into_iden()),
            desc,
        }
    }

    fn dir(&self) -> Dir {
        if self.desc {
            Dir::Desc
        } else {
            Dir::Asc
        }
    }

    /// `col > v` (or `<` when descending).
    fn past(&self, col: &(DynIden, DynIden), v: Value) -> SimpleExpr {
        let c = Expr::col((col.0.clone(), col.1.clone()));
        if self.desc {
            c.lt(v)
        } else {
            c.gt(v)
        }
    }
}

fn value(k: &KeyPart) -> Value {
    match k {
        KeyPart::Int(i) => (*i).into(),
        KeyPart::Text(s) => s.clone().into(),
    }
}

fn bad_cursor() -> StoreError {
    StoreError::Invalid(vec![FieldError::new(
        "cursor",
        "is not a cursor this list gave (use nextCursor from the previous page, with the same filters and sort)",
    )])
}

/// From this many rows skipped on, a page is read as a long statement ([`Db::all_long`]).
const LONG_OFFSET: u64 = 2_000;

/// How a page is found: each is a shape of its own.
#[derive(Clone, Copy)]
enum Mode {
    First = 0,
    /// Skipping rows ordered by a column.
    Offset = 1,
    /// Skipping rows ordered by the key: the page's first key is found on the index alone.
    OffsetKey = 2,
    /// After a cursor of (column value, key).
    AfterBy = 3,
    /// After a cursor of the key.
    AfterKey = 4,
    Count = 5,
}

/// The rows of a page in `mode`, with slots for the paging values.
fn rows(list: &List, on: On, order: &Order, mode: Mode) -> SelectStatement {
    let mut rows = (list.rows)();
    (list.filter)(&mut rows, on);
    let key = || (order.key.0.clone(), order.key.1.clone());
    match (mode, &order.by) {
        (Mode::AfterBy, Some(by)) => {
            let same = Expr::col((by.0.clone(), by.1.clone())).eq(slot(AFTER_BY));
            rows.cond_where(
                Cond::any().add(order.past(by, slot(AFTER_BY).into())).add(
                    Cond::all()
                        .add(same)
                        .add(order.past(&order.key, slot(AFTER_KEY).into())),
                ),
            );
        }
        (Mode::AfterKey, _) => {
            rows.and_where(order.past(&order.key, slot(AFTER_KEY).into()));
        }
        (Mode::Offset, _) => {
            rows.offset(number_slot(OFFSET));
        }
        (Mode::OffsetKey, _) => {
            // The page's first key, found on the index alone; then only the page's rows are read.
            let mut first = rows.clone();
            first
                .clear_selects()
                .column(key())
                .order_by(key(), order.dir())
                .limit(1)
                .offset(number_slot(OFFSET));
            let sub = SimpleExpr::SubQuery(None, Box::new(first.into_sub_query_statement()));
            let k = Expr::col(key());
            rows.and_where(if order.desc { k.lte(sub) } else { k.gte(sub) });
        }
        _ => {}
    }
    if let Some(by) = &order.by {
        rows.order_by((by.0.clone(), by.1.clone()), order.dir());
    }
    rows.order_by(key(), order.dir()).limit(number_slot(LIMIT));
    rows
}

/// One page of `list` with `filters` in `order`, with `total` (counted by the caller over the
/// same filters). `key_of` gives a row's order values (the sort value, if any, then the key)
/// for the next page's cursor.
pub(crate) async fn page<R: DbRow, T>(
    db: &Db,
    query: Query,
    order: &Order,
    req: &ListRequest,
    total: u64,
    key_of: impl Fn(&R) -> Vec<KeyPart>,
    map: impl Fn(R) -> Result<T>,
) -> Result<Page<T>> {
    let p = req.page;
    let Query { list, filters } = query;
    let Filters { on, mut args } = filters;
    let after = match &req.after {
        Some(c) if c.order != order.tag => return Err(bad_cursor()),
        Some(c) => Some(&c.after),
        None => None,
    };
    let mode = match (after, &order.by) {
        (Some(after), Some(_)) => {
            let [v, id] = after.as_slice() else {
                return Err(bad_cursor());
            };
            args[AFTER_BY] = value(v);
            args[AFTER_KEY] = value(id);
            Mode::AfterBy
        }
        (Some(after), None) => {
            let [id] = after.as_slice() else {
                return Err(bad_cursor());
            };
            args[AFTER_KEY] = value(id);
            Mode::AfterKey
        }
        (None, _) if p.offset() == 0 => Mode::First,
        (None, Some(_)) => Mode::Offset,
        (None, None) => Mode::OffsetKey,
    };
    args[LIMIT] = (p.limit() + 1).into();
    args[OFFSET] = p.offset().into();
    let key = ShapeKey {
        parts: on.0,
        mode: mode as u8,
        order: order.tag,
    };
    let build = || rows(list, on, order, mode);
    let stmt = list.shapes.with(key, &build, args);
    // A deep page walks `offset` index entries before its rows (about 6 ms for 100,000 on
    // SQLite): such a read runs off the async worker threads.
    let mut found: Vec<R> = if p.offset() >= LONG_OFFSET && after.is_none() {
        db.all_long(&stmt).await?
    } else {
        db.all(&stmt).await?
    };
    let more = found.len() as u64 > p.limit();
    found.truncate(p.limit() as usize);
    let next = match found.last() {
        Some(last) if more => Some(Cursor {
            page: p.page.saturating_add(1),
            order: order.tag.to_string(),
            after: key_of(last),
        }),
        _ => None,
    };
    let items = found.into_iter().map(map).collect::<Result<Vec<T>>>()?;
    Ok(Page::new(items, p, total).with_next(next))
}

/// [`page`], with the total counted by the list's `count` over the same filters.
pub(crate) async fn counted<R: DbRow, T>(
    db: &Db,
    query: Query,
    order: &Order,
    req: &ListRequest,
    key_of: impl Fn(&R) -> Vec<KeyPart>,
    map: impl Fn(R) -> Result<T>,
) -> Result<Page<T>> {
    let Query { list, filters } = &query;
    let on = filters.on;
    let key = ShapeKey {
        parts: on.0,
        mode: Mode::Count as u8,
        order: "",
    };
    let build = || {
        let mut count = (list.count)();
        (list.filter)(&mut count, on);
        count
    };
    let total: Count = db
        .one(&list.shapes.with(key, &build, filters.args.clone()))
        .await?;
    let total = total.n.max(0) as u64;
    page(db, query, order, req, total, key_of, map).await
}
