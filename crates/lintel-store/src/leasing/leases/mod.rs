//! Leases: reads and the list. Writes (create, terms, status) are in `writes.rs`, renewals
//! accepted in the same transaction as the lease they renew in `renewals.rs`.

mod detail;
pub mod renewals;
mod status;
pub(crate) use status::count_in_force;
mod writes;

pub(crate) use writes::{today, today_in};

use lintel_domain::leasing::{LateFee, Lease, LeaseStatus};
use lintel_domain::money::MoneyDto;
use lintel_domain::{Date, KeyPart, LeaseId, ListRequest, OrgId, Page, TenantId, Timestamp};
use sea_query::{Alias, Expr, Order, Query, SelectStatement, SimpleExpr, SubQueryStatement};

use crate::db::{Db, Tx};
use crate::error::{parse_col, Result, StoreError};
use crate::identity::schema::Organisations as O;
use crate::leasing::schema::{LeaseDocuments as LD, LeaseTenants as LT, Leases as L};
use crate::list;
use crate::prepared::{key, slot, Prepared};
use crate::scope::{self, OrgRef};

#[derive(serde::Deserialize)]
pub(crate) struct LeaseRow {
    id: String,
    org_id: String,
    unit_id: String,
    property_id: String,
    status: String,
    start_date: String,
    end_date: Option<String>,
    end_sort: String,
    rent_minor: i64,
    currency: String,
    rent_frequency: String,
    rent_due_day: Option<i64>,
    deposit_minor: Option<i64>,
    late_fee_json: Option<String>,
    notes: Option<String>,
    renewal_of_lease_id: Option<String>,
    created_by: Option<String>,
    created_at: i64,
    updated_at: i64,
    /// The organisation's time zone, read with the lease by [`for_money`] only.
    #[serde(default)]
    org_timezone: Option<String>,
}

pub(crate) fn date_col(col: &str, raw: &str) -> Result<Date> {
    Date::parse(raw).ok_or_else(|| StoreError::Corrupt(format!("{col}: {raw:?}")))
}

impl LeaseRow {
    /// The lease without its tenants and documents (filled by [`complete`]).
    fn into_lease(self) -> Result<Lease> {
        let late_fee: Option<LateFee> = match self.late_fee_json.as_deref() {
            Some(j) => Some(
                serde_json::from_str(j)
                    .map_err(|e| StoreError::Corrupt(format!("leases.late_fee_json: {e}")))?,
            ),
            None => None,
        };
        let money = |amount_minor| MoneyDto {
            amount_minor,
            currency: self.currency.clone(),
        };
        Ok(Lease {
            id: parse_col("leases.id", &self.id)?,
            organisation_id: parse_col("leases.org_id", &self.org_id)?,
            unit_id: parse_col("leases.unit_id", &self.unit_id)?,
            property_id: parse_col("leases.property_id", &self.property_id)?,
            status: parse_col("leases.status", &self.status)?,
            start_date: date_col("leases.start_date", &self.start_date)?,
            end_date: self
                .end_date
                .as_deref()
                .map(|d| date_col("leases.end_date", d))
                .transpose()?,
            rent: money(self.rent_minor),
            rent_frequency: parse_col("leases.rent_frequency", &self.rent_frequency)?,
            rent_due_day: self.rent_due_day.unwrap_or(1),
            deposit: self.deposit_minor.map(money),
            late_fee,
            notes: self.notes,
            tenant_ids: Vec::new(),
            primary_tenant_id: TenantId::from_ulid(Default::default()),
            document_ids: Vec::new(),
            renewal_of_lease_id: self
                .renewal_of_lease_id
                .as_deref()
                .map(|r| parse_col("leases.renewal_of_lease_id", r))
                .transpose()?,
            created_by: self.created_by,
            created_at: Timestamp(self.created_at),
            updated_at: Timestamp(self.updated_at),
        })
    }
}

const COLUMNS: [L; 19] = [
    L::Id,
    L::OrgId,
    L::UnitId,
    L::PropertyId,
    L::Status,
    L::StartDate,
    L::EndDate,
    L::EndSort,
    L::RentMinor,
    L::Currency,
    L::RentFrequency,
    L::RentDueDay,
    L::DepositMinor,
    L::LateFeeJson,
    L::Notes,
    L::RenewalOfLeaseId,
    L::CreatedBy,
    L::CreatedAt,
    L::UpdatedAt,
];

fn select(org: impl Into<OrgRef>) -> SelectStatement {
    scope::select::<L>(org)
        .columns(COLUMNS.map(|c| (L::Table, c)))
        .to_owned()
}

static BY_ID: Prepared<SelectStatement, 2> = Prepared::new(|| {
    let mut q = select(OrgRef::Slot);
    q.and_where(Expr::col((L::Table, L::Id)).eq(slot(1)));
    q
});

static BY_ID_LOCKED: Prepared<SelectStatement, 2> = Prepared::new(|| {
    let mut q = select(OrgRef::Slot);
    q.and_where(Expr::col((L::Table, L::Id)).eq(slot(1)))
        .lock(sea_query::LockType::NoKeyUpdate);
    q
});

/// The lease locked, with its organisation's time zone, for [`for_money`].
static FOR_MONEY: Prepared<SelectStatement, 2> = Prepared::new(|| {
    let zone = Query::select()
        .column((O::Table, O::Timezone))
        .from(O::Table)
        .and_where(Expr::col((O::Table, O::Id)).equals((L::Table, L::OrgId)))
        .to_owned();
    let mut q = select(OrgRef::Slot);
    let zone = SimpleExpr::SubQuery(None, Box::new(SubQueryStatement::SelectStatement(zone)));
    q.expr_as(zone, Alias::new("org_timezone"))
        .and_where(Expr::col((L::Table, L::Id)).eq(slot(1)))
        .lock(sea_query::LockType::NoKeyUpdate);
    q
});

#[derive(serde::Deserialize)]
struct TenantOf {
    lease_id: String,
    tenant_id: String,
}

#[derive(serde::Deserialize)]
struct DocumentOf {
    lease_id: String,
    document_id: String,
}

/// Where a read runs.
pub(crate) enum On<'a> {
    Db(&'a Db),
    Tx(&'a mut Tx),
}

impl On<'_> {
    /// Every row the statement returns, read where this points.
    async fn all<T: crate::db::DbRow>(
        &mut self,
        stmt: &impl crate::prepared::Statement,
    ) -> Result<Vec<T>> {
        match self {
            On::Db(db) => db.all(stmt).await,
            On::Tx(tx) => tx.all(stmt).await,
        }
    }
}

/// Fills in the tenants (primary first) and documents of `leases`.
pub(crate) async fn complete(on: On<'_>, org: OrgId, rows: Vec<LeaseRow>) -> Result<Vec<Lease>> {
    with_parts(on, org, rows, true).await
}

/// Fills in the tenants of `leases`, and their documents when `documents`.
async fn with_parts(
    on: On<'_>,
    org: OrgId,
    rows: Vec<LeaseRow>,
    documents: bool,
) -> Result<Vec<Lease>> {
    let mut leases = rows
        .into_iter()
        .map(LeaseRow::into_lease)
        .collect::<Result<Vec<_>>>()?;
    if leases.is_empty() {
        return Ok(leases);
    }
    let ids: Vec<String> = leases.iter().map(|l| l.id.to_string()).collect();
    let tq = scope::select::<LT>(org)
        .columns([LT::LeaseId, LT::TenantId])
        .and_where(Expr::col(LT::LeaseId).is_in(ids.clone()))
        .order_by(LT::Position, Order::Asc)
        .to_owned();
    let dq = scope::select::<LD>(org)
        .columns([LD::LeaseId, LD::DocumentId])
        .and_where(Expr::col(LD::LeaseId).is_in(ids))
        .order_by(LD::DocumentId, Order::Asc)
        .to_owned();
    let mut on = on;
    let tenants: Vec<TenantOf> = on.all(&tq).await?;
    let docs: Vec<DocumentOf> = if documents {
        on.all(&dq).await?
    } else {
        Vec::new()
    };
    for l in &mut leases {
        let id = l.id.to_string();
        for t in tenants.iter().filter(|t| t.lease_id == id) {
            l.tenant_ids
                .push(parse_col("lease_tenants.tenant_id", &t.tenant_id)?);
        }
        for d in docs.iter().filter(|d| d.lease_id == id) {
            l.document_ids
                .push(parse_col("lease_documents.document_id", &d.document_id)?);
        }
        l.primary_tenant_id = *l
            .tenant_ids
            .first()
            .ok_or_else(|| StoreError::Corrupt(format!("lease {id} has no tenant")))?;
    }
    Ok(leases)
}

/// Notifies the lease's tenants who have an account; answers how many.
pub(crate) async fn tell_tenants(
    tx: &mut Tx,
    lease: &Lease,
    n: lintel_domain::comms::NewNotification,
) -> Result<usize> {
    let org = lease.organisation_id;
    let users = crate::leasing::tenants::users_of(tx, org, &lease.tenant_ids).await?;
    crate::comms::notify(tx, org, &users, &n).await?;
    Ok(users.len())
}

/// Lease `id` read locked for a change to its money (a payment, a charge, an invoice), with
/// what such a change needs besides: today in the organisation's time zone. Two statements
/// instead of four (the time zone is read with the lease); its documents are not read, as no
/// money change looks at them, so its `document_ids` is empty.
pub(crate) async fn for_money(tx: &mut Tx, org: OrgId, id: LeaseId) -> Result<(Lease, Date)> {
    let mut row: LeaseRow = tx.one(&FOR_MONEY.with(key(org, id))).await?;
    let zone = row
        .org_timezone
        .take()
        .ok_or_else(|| StoreError::Corrupt(format!("organisation {org} has no time zone")))?;
    let mut all = with_parts(On::Tx(tx), org, vec![row], false).await?;
    Ok((all.remove(0), Date::today_in(&zone)))
}

pub(crate) async fn get_in(tx: &mut Tx, org: OrgId, id: LeaseId, locked: bool) -> Result<Lease> {
    let q = if locked {
        BY_ID_LOCKED.with(key(org, id))
    } else {
        BY_ID.with(key(org, id))
    };
    let row: LeaseRow = tx.one(&q).await?;
    let mut all = complete(On::Tx(tx), org, vec![row]).await?;
    Ok(all.remove(0))
}

/// `GET /api/leases`: filter 0 status, 1 property, 2 unit, 3 tenant, 4 the day a lease is in
/// force on, 5 the day before which it ends.
static LIST: list::List = list::List::new(
    || select(OrgRef::Slot),
    || scope::count::<L>(OrgRef::Slot),
    |q, on| {
        for (i, col) in [(0, L::Status), (1, L::PropertyId), (2, L::UnitId)] {
            if on.has(i) {
                q.and_where(Expr::col((L::Table, col)).eq(list::On::slot(i)));
            }
        }
        if on.has(3) {
            let of_tenant = scope::select::<LT>(OrgRef::Slot)
                .column(LT::LeaseId)
                .and_where(Expr::col(LT::TenantId).eq(list::On::slot(3)))
                .to_owned();
            q.and_where(Expr::col((L::Table, L::Id)).in_subquery(of_tenant));
        }
        if on.has(4) {
            let in_force = LeaseStatus::in_force_names();
            q.and_where(Expr::col((L::Table, L::Status)).is_in(in_force))
                .and_where(Expr::col((L::Table, L::StartDate)).lte(list::On::slot(4)))
                .cond_where(
                    sea_query::Cond::any()
                        .add(Expr::col((L::Table, L::EndDate)).is_null())
                        .add(Expr::col((L::Table, L::EndDate)).gte(list::On::slot(4))),
                );
        }
        if on.has(5) {
            q.and_where(Expr::col((L::Table, L::EndDate)).is_not_null())
                .and_where(Expr::col((L::Table, L::EndDate)).lt(list::On::slot(5)));
        }
    },
);

/// Filters of `GET /api/leases`.
#[derive(Debug, Clone, Default)]
pub struct LeaseFilter {
    pub status: Option<LeaseStatus>,
    pub property_id: Option<String>,
    pub unit_id: Option<String>,
    pub tenant_id: Option<String>,
    pub active_on: Option<Date>,
    pub expiring_before: Option<Date>,
    /// `startDate`, `-startDate`, `endDate` or `-endDate` (default `-startDate`).
    pub sort: LeaseSort,
}

/// The orders of `GET /api/leases`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LeaseSort {
    StartDate,
    #[default]
    StartDateDesc,
    EndDate,
    EndDateDesc,
}

/// The leases of one organisation.
pub struct LeaseRepo<'a> {
    pub(crate) db: &'a Db,
    pub(crate) org: OrgId,
}

impl LeaseRepo<'_> {
    pub async fn get(&self, id: LeaseId) -> Result<Lease> {
        let row: LeaseRow = self.db.one(&BY_ID.with(key(self.org, id))).await?;
        Ok(complete(On::Db(self.db), self.org, vec![row])
            .await?
            .remove(0))
    }

    /// The leases a tenant is on, newest first.
    pub async fn of_tenant(&self, tenant: TenantId) -> Result<Vec<Lease>> {
        let of_tenant = scope::select::<LT>(self.org)
            .column(LT::LeaseId)
            .and_where(Expr::col(LT::TenantId).eq(tenant.to_string()))
            .to_owned();
        let rows: Vec<LeaseRow> = self
            .db
            .all(
                &select(self.org)
                    .and_where(Expr::col((L::Table, L::Id)).in_subquery(of_tenant))
                    .order_by((L::Table, L::StartDate), Order::Desc)
                    .order_by((L::Table, L::Id), Order::Desc)
                    .to_owned(),
            )
            .await?;
        complete(On::Db(self.db), self.org, rows).await
    }

    pub async fn list(&self, f: &LeaseFilter, req: impl Into<ListRequest>) -> Result<Page<Lease>> {
        let mut filters = list::Filters::new(self.org);
        if let Some(s) = f.status {
            filters.set(0, s.as_str());
        }
        for (i, v) in [(1, &f.property_id), (2, &f.unit_id), (3, &f.tenant_id)] {
            if let Some(v) = v {
                filters.set(i, v.clone());
            }
        }
        if let Some(d) = f.active_on {
            filters.set(4, d.to_string());
        }
        if let Some(d) = f.expiring_before {
            filters.set(5, d.to_string());
        }
        let (name, col, desc) = match f.sort {
            LeaseSort::StartDate => ("startDate", L::StartDate, false),
            LeaseSort::StartDateDesc => ("-startDate", L::StartDate, true),
            LeaseSort::EndDate => ("endDate", L::EndSort, false),
            LeaseSort::EndDateDesc => ("-endDate", L::EndSort, true),
        };
        let order = list::Order::by_column(name, L::Table, col, L::Id, desc);
        let req = req.into();
        let key = move |r: &LeaseRow| {
            let v = match col {
                L::EndSort => r.end_sort.clone(),
                _ => r.start_date.clone(),
            };
            vec![KeyPart::Text(v), KeyPart::Text(r.id.clone())]
        };
        let mut page = list::counted(self.db, LIST.with(filters), &order, &req, key, Ok).await?;
        let rows = std::mem::take(&mut page.items);
        let items = complete(On::Db(self.db), self.org, rows).await?;
        Ok(Page {
            items,
            page: page.page,
            page_size: page.page_size,
            total: page.total,
            total_pages: page.total_pages,
            next_cursor: page.next_cursor,
        })
    }
}

impl<'a> crate::OrgScope<'a> {
    pub fn leases(&self) -> LeaseRepo<'a> {
        LeaseRepo {
            db: self.db,
            org: self.org,
        }
    }
}
