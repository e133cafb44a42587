//! Unit counts per property and status, and per organisation and status, kept in step with the
//! `units` table inside every transaction that adds units or changes a status. List totals and a
//! property's `unitsCount` / `occupiedUnits` read a handful of counter rows instead of counting
//! units, so they cost the same for ten units or a million.

use std::collections::BTreeMap;

use lintel_domain::portfolio::UnitStatus;
use lintel_domain::{OrgId, PropertyId};
use sea_query::{
    Alias, Expr, Func, OnConflict, Query, SelectStatement, SimpleExpr, SubQueryStatement, Value,
};

use crate::db::{Count, Db, Tx};
use crate::error::Result;
use crate::portfolio::schema::{OrgUnitCounts as O, Properties as P, UnitCounts as C};
use crate::prepared::{slot, Prepared};
use crate::scope::{self, OrgRef};

/// `CAST(COALESCE(SUM(n), 0) AS BIGINT)`: PostgreSQL's `SUM(bigint)` is `numeric`.
fn sum_n(col: SimpleExpr) -> SimpleExpr {
    Func::cast_as(
        Func::coalesce([Func::sum(col).into(), Expr::val(0).into()]),
        Alias::new("BIGINT"),
    )
    .into()
}

/// Applies changes to the unit counters, `(property, status, delta)` each, in the global lock
/// order ([`crate::locks`]): the property counters by (property, status), then the
/// organisation's by status. Changes that cancel out touch no row.
pub(crate) async fn apply(
    tx: &mut Tx,
    org: OrgId,
    deltas: &[(PropertyId, UnitStatus, i64)],
) -> Result<()> {
    let mut by_property: BTreeMap<(String, &str), i64> = BTreeMap::new();
    let mut by_org: BTreeMap<&str, i64> = BTreeMap::new();
    for (property, status, delta) in deltas {
        *by_property
            .entry((property.to_string(), status.as_str()))
            .or_default() += delta;
        *by_org.entry(status.as_str()).or_default() += delta;
    }
    let add = |table: Alias, delta: i64| Expr::col((table, Alias::new("n"))).add(delta);
    for ((property, status), delta) in by_property {
        if delta == 0 {
            continue;
        }
        tx.exec(
            &Query::insert()
                .into_table(C::Table)
                .columns([C::OrgId, C::PropertyId, C::Status, C::N])
                .values_panic([
                    org.to_string().into(),
                    property.into(),
                    status.into(),
                    delta.into(),
                ])
                .on_conflict(
                    OnConflict::columns([C::PropertyId, C::Status])
                        .value(C::N, add(Alias::new("unit_counts"), delta))
                        .to_owned(),
                )
                .to_owned(),
        )
        .await?;
    }
    for (status, delta) in by_org {
        if delta == 0 {
            continue;
        }
        tx.exec(
            &Query::insert()
                .into_table(O::Table)
                .columns([O::OrgId, O::Status, O::N])
                .values_panic([org.to_string().into(), status.into(), delta.into()])
                .on_conflict(
                    OnConflict::columns([O::OrgId, O::Status])
                        .value(O::N, add(Alias::new("org_unit_counts"), delta))
                        .to_owned(),
                )
                .to_owned(),
        )
        .await?;
    }
    Ok(())
}

/// `[organisation, property, status]`: the units of one property, of one status.
static OF_PROPERTY_STATUS: Prepared<SelectStatement, 3> = Prepared::new(|| {
    let mut q = of_property_total();
    q.and_where(Expr::col(C::Status).eq(slot(2)));
    q
});
/// `[organisation, property]`.
static OF_PROPERTY: Prepared<SelectStatement, 2> = Prepared::new(of_property_total);
/// `[organisation, status]`.
static OF_ORG_STATUS: Prepared<SelectStatement, 2> = Prepared::new(|| {
    let mut q = of_org_total();
    q.and_where(Expr::col(O::Status).eq(slot(1)));
    q
});
/// `[organisation]`.
static OF_ORG: Prepared<SelectStatement, 1> = Prepared::new(of_org_total);

fn of_property_total() -> SelectStatement {
    let mut q = scope::select::<C>(OrgRef::Slot);
    q.expr_as(sum_n(Expr::col(C::N).into()), Alias::new("n"))
        .and_where(Expr::col(C::PropertyId).eq(slot(1)));
    q
}

fn of_org_total() -> SelectStatement {
    let mut q = scope::select::<O>(OrgRef::Slot);
    q.expr_as(sum_n(Expr::col(O::N).into()), Alias::new("n"));
    q
}

/// How many of the organisation's units match the filter.
pub(crate) async fn total(
    db: &Db,
    org: OrgId,
    property: Option<PropertyId>,
    status: Option<UnitStatus>,
) -> Result<u64> {
    let org = Value::from(org.to_string());
    let c: Count = match (property, status) {
        (Some(p), Some(s)) => {
            let args = [org, p.to_string().into(), s.as_str().into()];
            db.one(&OF_PROPERTY_STATUS.with(args)).await?
        }
        (Some(p), None) => {
            db.one(&OF_PROPERTY.with([org, p.to_string().into()]))
                .await?
        }
        (None, Some(s)) => {
            db.one(&OF_ORG_STATUS.with([org, s.as_str().into()]))
                .await?
        }
        (None, None) => db.one(&OF_ORG.with([org])).await?,
    };
    Ok(c.n.max(0) as u64)
}

/// A subquery counting the units of the `properties` row in scope, optionally of one status.
pub(crate) fn of_property(status: Option<UnitStatus>) -> SimpleExpr {
    let mut q = scope::select_with::<C, P>();
    q.expr(sum_n(Expr::col((C::Table, C::N)).into()))
        .and_where(Expr::col((C::Table, C::PropertyId)).equals((P::Table, P::Id)));
    if let Some(s) = status {
        q.and_where(Expr::col((C::Table, C::Status)).eq(s.as_str()));
    }
    SimpleExpr::SubQuery(None, Box::new(SubQueryStatement::SelectStatement(q)))
}
