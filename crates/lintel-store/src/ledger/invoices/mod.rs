//! Invoices: open charges of one lease grouped under a number from the organisation's series
//! (`INV-000001`, no gaps: the counter row is taken in the creating transaction). A charge is on
//! at most one invoice that is not void (a unique index). `paid_minor` follows the charges'
//! paid totals in the transaction that changes them ([`follow_charges`]), and an issued
//! invoice's status with it.

use std::collections::HashMap;

use lintel_domain::ledger::{Invoice, InvoiceLine, InvoiceStatus, NewInvoice};
use lintel_domain::{
    Actor, Date, EventKind, FieldError, InvoiceId, KeyPart, ListRequest, OrgId, Page, Timestamp,
};
use sea_query::{Expr, Order, Query, SelectStatement};

use super::charges::Charges as C;
use super::posting::next_number;
use crate::db::Db;
use crate::error::{parse_col, Result, StoreError};
use crate::events::{self, Change};
use crate::leasing::leases::date_col;
use crate::list;
use crate::prepared::{key, slot, Prepared};
use crate::scope::{self, OrgRef};

crate::iden::table! {
    pub enum Invoices = "invoices" {
        Id = "id",
        OrgId = "org_id",
        Number = "number",
        LeaseId = "lease_id",
        TenantId = "tenant_id",
        PropertyId = "property_id",
        UnitId = "unit_id",
        Status = "status",
        IssueDate = "issue_date",
        DueDate = "due_date",
        Currency = "currency",
        TotalMinor = "total_minor",
        PaidMinor = "paid_minor",
        Notes = "notes",
        IssuedAt = "issued_at",
        VoidedAt = "voided_at",
        CreatedBy = "created_by",
        CreatedAt = "created_at",
        UpdatedAt = "updated_at",
    }
}

crate::iden::table! {
    pub enum InvoiceCharges = "invoice_charges" {
        OrgId = "org_id",
        InvoiceId = "invoice_id",
        ChargeId = "charge_id",
        Position = "position",
        Active = "active",
    }
}

crate::scope::org_tables!(Invoices);

mod holding;
use holding::invoiceable;
pub(crate) use holding::{follow_charges, invoice_holding};

/// An invoice's charges are keyed by invoice.
impl crate::scope::OrgTable for InvoiceCharges {
    const TABLE: Self = InvoiceCharges::Table;
    const ORG: Self = InvoiceCharges::OrgId;
    const ID: Self = InvoiceCharges::InvoiceId;
}

use InvoiceCharges as IC;
use Invoices as I;

const COLUMNS: [I; 19] = [
    I::Id,
    I::OrgId,
    I::Number,
    I::LeaseId,
    I::TenantId,
    I::PropertyId,
    I::UnitId,
    I::Status,
    I::IssueDate,
    I::DueDate,
    I::Currency,
    I::TotalMinor,
    I::PaidMinor,
    I::Notes,
    I::IssuedAt,
    I::VoidedAt,
    I::CreatedBy,
    I::CreatedAt,
    I::UpdatedAt,
];

#[derive(serde::Deserialize)]
struct InvoiceRow {
    id: String,
    org_id: String,
    number: String,
    lease_id: String,
    tenant_id: String,
    property_id: String,
    unit_id: String,
    status: String,
    issue_date: String,
    due_date: String,
    currency: String,
    total_minor: i64,
    paid_minor: i64,
    notes: Option<String>,
    issued_at: Option<i64>,
    voided_at: Option<i64>,
    created_by: Option<String>,
    created_at: i64,
    updated_at: i64,
}

#[derive(serde::Deserialize)]
struct LineRow {
    invoice_id: String,
    id: String,
    kind: String,
    description: Option<String>,
    due_date: String,
    amount_minor: i64,
    paid_minor: i64,
}

impl InvoiceRow {
    fn into_invoice(self, lines: Vec<InvoiceLine>, today: Date) -> Result<Invoice> {
        let status: InvoiceStatus = parse_col("invoices.status", &self.status)?;
        let due_date = date_col("invoices.due_date", &self.due_date)?;
        Ok(Invoice {
            id: parse_col("invoices.id", &self.id)?,
            organisation_id: parse_col("invoices.org_id", &self.org_id)?,
            number: self.number,
            lease_id: parse_col("invoices.lease_id", &self.lease_id)?,
            tenant_id: parse_col("invoices.tenant_id", &self.tenant_id)?,
            property_id: parse_col("invoices.property_id", &self.property_id)?,
            unit_id: parse_col("invoices.unit_id", &self.unit_id)?,
            status: status.shown(due_date, today),
            issue_date: date_col("invoices.issue_date", &self.issue_date)?,
            due_date,
            currency: self.currency,
            total_minor: self.total_minor,
            paid_minor: self.paid_minor,
            balance_minor: self.total_minor - self.paid_minor,
            notes: self.notes,
            lines,
            issued_at: self.issued_at.map(Timestamp),
            voided_at: self.voided_at.map(Timestamp),
            created_by: self.created_by,
            created_at: Timestamp(self.created_at),
            updated_at: Timestamp(self.updated_at),
        })
    }
}

fn select(org: impl Into<OrgRef>) -> SelectStatement {
    scope::select::<I>(org)
        .columns(COLUMNS.map(|c| (I::Table, c)))
        .to_owned()
}

static BY_ID: Prepared<SelectStatement, 2> = Prepared::new(|| {
    let mut q = select(OrgRef::Slot);
    q.and_where(Expr::col((I::Table, I::Id)).eq(slot(1)));
    q
});

static BY_ID_LOCKED: Prepared<SelectStatement, 2> = Prepared::new(|| {
    let mut q = select(OrgRef::Slot);
    q.and_where(Expr::col((I::Table, I::Id)).eq(slot(1)))
        .lock(sea_query::LockType::NoKeyUpdate);
    q
});

/// The statuses an invoice shows as `overdue` once past its due date.
const OPEN: [&str; 2] = ["issued", "partially_paid"];

/// `GET /api/invoices`: filter 0 a stored status, 1 past due before this day (overdue), 2 not
/// due before this day, 3 a lease, 4 a tenant.
static LIST: list::List = list::List::new(
    || select(OrgRef::Slot),
    || scope::count::<I>(OrgRef::Slot),
    |q, on| {
        if on.has(0) {
            q.and_where(Expr::col((I::Table, I::Status)).eq(list::On::slot(0)));
        }
        if on.has(1) {
            q.and_where(Expr::col((I::Table, I::Status)).is_in(OPEN))
                .and_where(Expr::col((I::Table, I::DueDate)).lt(list::On::slot(1)));
        }
        if on.has(2) {
            q.and_where(Expr::col((I::Table, I::DueDate)).gte(list::On::slot(2)));
        }
        if on.has(3) {
            q.and_where(Expr::col((I::Table, I::LeaseId)).eq(list::On::slot(3)));
        }
        if on.has(4) {
            q.and_where(Expr::col((I::Table, I::TenantId)).eq(list::On::slot(4)));
        }
    },
);

/// Filters of `GET /api/invoices`.
#[derive(Debug, Clone, Default)]
pub struct InvoiceFilter {
    pub status: Option<InvoiceStatus>,
    pub lease_id: Option<String>,
    pub tenant_id: Option<String>,
}

/// The charges of `invoices`, in their order on each.
async fn lines_of(
    db: &Db,
    org: OrgId,
    invoices: &[&str],
) -> Result<HashMap<String, Vec<InvoiceLine>>> {
    let rows: Vec<LineRow> = db
        .all(
            &scope::select::<IC>(org)
                .column((IC::Table, IC::InvoiceId))
                .columns([
                    (C::Table, C::Id),
                    (C::Table, C::Kind),
                    (C::Table, C::Description),
                    (C::Table, C::DueDate),
                    (C::Table, C::AmountMinor),
                    (C::Table, C::PaidMinor),
                ])
                .inner_join(
                    C::Table,
                    Expr::col((C::Table, C::Id)).equals((IC::Table, IC::ChargeId)),
                )
                .and_where(Expr::col((IC::Table, IC::InvoiceId)).is_in(invoices.to_vec()))
                .order_by((IC::Table, IC::Position), Order::Asc)
                .to_owned(),
        )
        .await?;
    let mut out: HashMap<String, Vec<InvoiceLine>> = HashMap::new();
    for r in rows {
        let line = InvoiceLine {
            charge_id: parse_col("charges.id", &r.id)?,
            kind: parse_col("charges.kind", &r.kind)?,
            description: r.description,
            due_date: date_col("charges.due_date", &r.due_date)?,
            amount_minor: r.amount_minor,
            paid_minor: r.paid_minor,
        };
        out.entry(r.invoice_id).or_default().push(line);
    }
    Ok(out)
}

/// The invoices of one organisation.
pub struct InvoiceRepo<'a> {
    pub(crate) db: &'a Db,
    pub(crate) org: OrgId,
}

impl InvoiceRepo<'_> {
    pub async fn get(&self, id: InvoiceId) -> Result<Invoice> {
        let row: InvoiceRow = self.db.one(&BY_ID.with(key(self.org, id))).await?;
        let today = crate::leasing::leases::today_in(self.db, self.org).await?;
        let mut lines = lines_of(self.db, self.org, &[row.id.as_str()]).await?;
        let own = lines.remove(&row.id).unwrap_or_default();
        row.into_invoice(own, today)
    }

    /// Invoices, newest number first.
    pub async fn list(
        &self,
        f: &InvoiceFilter,
        req: impl Into<ListRequest>,
    ) -> Result<Page<Invoice>> {
        let today = crate::leasing::leases::today_in(self.db, self.org).await?;
        let mut filters = list::Filters::new(self.org);
        match f.status {
            None => {}
            Some(InvoiceStatus::Overdue) => filters.set(1, today.to_string()),
            Some(s @ (InvoiceStatus::Issued | InvoiceStatus::PartiallyPaid)) => {
                filters.set(0, s.as_str());
                filters.set(2, today.to_string());
            }
            Some(s) => filters.set(0, s.as_str()),
        }
        if let Some(l) = &f.lease_id {
            filters.set(3, l.clone());
        }
        if let Some(t) = &f.tenant_id {
            filters.set(4, t.clone());
        }
        let order = list::Order::by_column("-createdAt", I::Table, I::CreatedAt, I::Id, true);
        let key = |r: &InvoiceRow| vec![KeyPart::Int(r.created_at), KeyPart::Text(r.id.clone())];
        let page = list::counted(self.db, LIST.with(filters), &order, &req.into(), key, Ok).await?;
        let ids: Vec<&str> = page
            .items
            .iter()
            .map(|r: &InvoiceRow| r.id.as_str())
            .collect();
        let mut lines = lines_of(self.db, self.org, &ids).await?;
        let mut failed = None;
        let page = page.map(|r| {
            let own = lines.remove(&r.id).unwrap_or_default();
            r.into_invoice(own, today)
                .map_err(|e| failed = Some(e))
                .ok()
        });
        match failed {
            Some(e) => Err(e),
            None => Ok(page.map(|i| i.expect("every row converted"))),
        }
    }

    /// Groups open charges of one lease into a draft invoice with the next number.
    pub async fn create(&self, actor: &Actor, new: &NewInvoice) -> Result<Invoice> {
        let id = self
            .db
            .write(move |mut tx| async move {
                let (lease, _, today) =
                    super::payments::lease_of(&mut tx, self.org, new.payer).await?;
                let lease_id = lease.id.to_string();
                let charges =
                    invoiceable(&mut tx, self.org, &lease_id, new.charge_ids.as_deref()).await?;
                if charges.is_empty() {
                    return Err(StoreError::Invalid(vec![FieldError::new(
                        "chargeIds",
                        "there are no open charges on this lease that are not invoiced",
                    )]));
                }
                let issue_date = new.issue_date.unwrap_or(today);
                if new.due_date < issue_date {
                    return Err(StoreError::Invalid(vec![FieldError::new(
                        "dueDate",
                        "must be on or after the issue date",
                    )]));
                }
                let n = next_number(&mut tx, self.org, "invoice").await?;
                let id = InvoiceId::new();
                let now = Timestamp::now();
                let total: i64 = charges.iter().map(|c| c.amount_minor).sum();
                let paid: i64 = charges.iter().map(|c| c.paid_minor).sum();
                tx.exec(
                    &Query::insert()
                        .into_table(I::Table)
                        .columns(COLUMNS)
                        .values_panic([
                            id.to_string().into(),
                            self.org.to_string().into(),
                            format!("INV-{n:06}").into(),
                            lease_id.clone().into(),
                            lease.primary_tenant_id.to_string().into(),
                            lease.property_id.to_string().into(),
                            lease.unit_id.to_string().into(),
                            InvoiceStatus::Draft.as_str().into(),
                            issue_date.to_string().into(),
                            new.due_date.to_string().into(),
                            lease.rent.currency.clone().into(),
                            total.into(),
                            paid.into(),
                            new.notes.clone().into(),
                            Option::<i64>::None.into(),
                            Option::<i64>::None.into(),
                            actor.id.clone().into(),
                            now.0.into(),
                            now.0.into(),
                        ])
                        .to_owned(),
                )
                .await?;
                let mut rows = Query::insert()
                    .into_table(IC::Table)
                    .columns([
                        IC::OrgId,
                        IC::InvoiceId,
                        IC::ChargeId,
                        IC::Position,
                        IC::Active,
                    ])
                    .to_owned();
                for (i, c) in charges.iter().enumerate() {
                    rows.values_panic([
                        self.org.to_string().into(),
                        id.to_string().into(),
                        c.id.clone().into(),
                        (i as i64).into(),
                        1i64.into(),
                    ]);
                }
                tx.exec(&rows).await.map_err(|e| match e {
                    StoreError::Conflict(_) => StoreError::Refused(
                        "A charge asked for was put on another invoice at the same time.".into(),
                    ),
                    e => e,
                })?;
                let change = Change::<(), _> {
                    kind: EventKind::InvoiceCreated,
                    entity_id: &id.to_string(),
                    before: None,
                    after: Some(
                        &serde_json::json!({"number": format!("INV-{n:06}"), "totalMinor": total}),
                    ),
                };
                events::emit(&mut tx, self.org, actor, change).await?;
                tx.commit().await?;
                Ok(id)
            })
            .await?;
        self.get(id).await
    }

    /// Issues a draft: its status then follows its charges.
    pub async fn issue(&self, actor: &Actor, id: InvoiceId) -> Result<Invoice> {
        self.change(actor, id, EventKind::InvoiceIssued).await
    }

    /// Voids an invoice that is not void yet: it keeps its number, and its charges may go on
    /// another invoice. The charges themselves stand.
    pub async fn void(&self, actor: &Actor, id: InvoiceId) -> Result<Invoice> {
        self.change(actor, id, EventKind::InvoiceVoided).await
    }

    async fn change(&self, actor: &Actor, id: InvoiceId, kind: EventKind) -> Result<Invoice> {
        self.db
            .write(move |mut tx| async move {
                let row: InvoiceRow = tx.one(&BY_ID_LOCKED.with(key(self.org, id))).await?;
                let before: InvoiceStatus = parse_col("invoices.status", &row.status)?;
                let now = Timestamp::now();
                let mut values = vec![(I::UpdatedAt, now.0.into())];
                match (kind, before) {
                    (_, InvoiceStatus::Void) => {
                        return Err(StoreError::Refused("This invoice is void.".into()))
                    }
                    (EventKind::InvoiceIssued, InvoiceStatus::Draft) => {
                        let status = InvoiceStatus::from_totals(row.total_minor, row.paid_minor);
                        values.push((I::Status, status.as_str().into()));
                        values.push((I::IssuedAt, now.0.into()));
                    }
                    (EventKind::InvoiceIssued, _) => {
                        return Err(StoreError::Refused(
                            "This invoice is already issued.".into(),
                        ))
                    }
                    _ => {
                        values.push((I::Status, InvoiceStatus::Void.as_str().into()));
                        values.push((I::VoidedAt, now.0.into()));
                        tx.exec(
                            &scope::update::<IC>(self.org)
                                .value(IC::Active, Option::<i64>::None)
                                .and_where(Expr::col(IC::InvoiceId).eq(id.to_string()))
                                .to_owned(),
                        )
                        .await?;
                    }
                }
                tx.exec(
                    &scope::update_one::<I, _>(self.org, id)
                        .values(values)
                        .to_owned(),
                )
                .await?;
                let change = Change::<(), _> {
                    kind,
                    entity_id: &id.to_string(),
                    before: None,
                    after: Some(&serde_json::json!({"number": row.number})),
                };
                events::emit(&mut tx, self.org, actor, change).await?;
                tx.commit().await?;
                Ok(())
            })
            .await?;
        self.get(id).await
    }
}

impl<'a> crate::OrgScope<'a> {
    pub fn invoices(&self) -> InvoiceRepo<'a> {
        InvoiceRepo {
            db: self.db,
            org: self.org,
        }
    }
}
