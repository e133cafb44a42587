//! One list builder for every list: a scoped, filtered select, an order, and either a page
//! number or a cursor. With a cursor the page starts right after the last row of the previous
//! page (a keyset condition on the order's columns), so page 5,000 costs what page 1 does; with
//! a page number on a list ordered by its key alone, the page's first key is found on the index
//! and the rows read from there. Every page answers the cursor of the next one.

use lintel_domain::{Cursor, FieldError, KeyPart, ListRequest, Page};
use sea_query::{Cond, DynIden, Expr, IntoIden, Order as Dir, SelectStatement, SimpleExpr, Value};

use crate::db::{Db, DbRow};
use crate::error::{Result, StoreError};

/// How a list is ordered: by `by` (when it is not the key) then by its key, both one way.
pub(crate) struct Order {
    /// The order's name, carried in its cursors (a cursor of another order is refused).
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

/// One page of `rows` (already scoped and filtered, with its columns) in `order`, with `total`
/// (counted by the caller over the same filters). `key_of` gives a row's order values (the
/// sort value, if any, then the key) for the next page's cursor.
pub(crate) async fn page<R: DbRow, T>(
    db: &Db,
    mut rows: SelectStatement,
    order: &Order,
    req: &ListRequest,
    total: u64,
    key_of: impl Fn(&R) -> Vec<KeyPart>,
    map: impl Fn(R) -> Result<T>,
) -> Result<Page<T>> {
    let p = req.page;
    let after = match &req.after {
        Some(c) if c.order != order.tag => return Err(bad_cursor()),
        Some(c) => Some(&c.after),
        None => None,
    };
    match (after, &order.by) {
        (Some(after), Some(by)) => {
            let [v, id] = after.as_slice() else {
                return Err(bad_cursor());
            };
            let same = Expr::col((by.0.clone(), by.1.clone())).eq(value(v));
            rows.cond_where(
                Cond::any()
                    .add(order.past(by, value(v)))
                    .add(Cond::all().add(same).add(order.past(&order.key, value(id)))),
            );
        }
        (Some(after), None) => {
            let [id] = after.as_slice() else {
                return Err(bad_cursor());
            };
            rows.and_where(order.past(&order.key, value(id)));
        }
        (None, Some(_)) => {
            rows.offset(p.offset());
        }
        (None, None) if p.offset() > 0 => {
            // The page's first key, found on the index alone; then only the page's rows are read.
            let mut first = rows.clone();
            first
                .clear_selects()
                .column((order.key.0.clone(), order.key.1.clone()))
                .order_by((order.key.0.clone(), order.key.1.clone()), order.dir())
                .limit(1)
                .offset(p.offset());
            let sub = SimpleExpr::SubQuery(None, Box::new(first.into_sub_query_statement()));
            let key = Expr::col((order.key.0.clone(), order.key.1.clone()));
            rows.and_where(if order.desc {
                key.lte(sub)
            } else {
                key.gte(sub)
            });
        }
        (None, None) => {}
    }
    if let Some(by) = &order.by {
        rows.order_by((by.0.clone(), by.1.clone()), order.dir());
    }
    rows.order_by((order.key.0.clone(), order.key.1.clone()), order.dir())
        .limit(p.limit() + 1);
    // A deep page walks `offset` index entries before its rows (about 6 ms for 100,000 on
    // SQLite): such a read runs off the async worker threads.
    let mut found: Vec<R> = if p.offset() >= LONG_OFFSET {
        db.all_long(&rows).await?
    } else {
        db.all(&rows).await?
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

/// [`page`], with the total counted by `count` (a `SELECT COUNT(…) AS n` over the same filters).
pub(crate) async fn counted<R: DbRow, T>(
    db: &Db,
    count: &SelectStatement,
    rows: SelectStatement,
    order: &Order,
    req: &ListRequest,
    key_of: impl Fn(&R) -> Vec<KeyPart>,
    map: impl Fn(R) -> Result<T>,
) -> Result<Page<T>> {
    let total: crate::db::Count = db.one(count).await?;
    let total = total.n.max(0) as u64;
    page(db, rows, order, req, total, key_of, map).await
}
