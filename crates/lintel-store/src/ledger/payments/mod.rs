//! Payments: read with what they paid and their refunds, listed with filters. Writes are in
//! `writes.rs`; moving money between payments and charges is `settle.rs`.

mod card;
mod writes;
pub(crate) use card::card_report;
pub(crate) use writes::lease_of;

use lintel_domain::ledger::{
    Allocation, Payment, PaymentMethod, PaymentReturn, PaymentStatus, Refund,
};
use lintel_domain::money::MoneyDto;
use lintel_domain::{Date, KeyPart, ListRequest, OrgId, Page, PaymentId, TenantId, Timestamp};
use sea_query::{Expr, Order, SelectStatement};

use crate::db::Db;
use crate::error::{parse_col, Result};
use crate::leasing::leases::date_col;
use crate::leasing::schema::LeaseTenants as LT;
use crate::list;
use crate::prepared::{key, slot, Prepared};
use crate::scope::{self, OrgRef};

crate::iden::table! {
    pub enum Payments = "payments" {
        Id = "id",
        OrgId = "org_id",
        LeaseId = "lease_id",
        TenantId = "tenant_id",
        PropertyId = "property_id",
        UnitId = "unit_id",
        AmountMinor = "amount_minor",
        Currency = "currency",
        Method = "method",
        Status = "status",
        ReceivedOn = "received_on",
        Reference = "reference",
        ChequeNumber = "cheque_number",
        AppliedMinor = "applied_minor",
        RefundedMinor = "refunded_minor",
        ReturnedMinor = "returned_minor",
        EntryId = "entry_id",
        ReturnedOn = "returned_on",
        ReturnReason = "return_reason",
        ReturnEntryId = "return_entry_id",
        ReturnFeeChargeId = "return_fee_charge_id",
        FailureReason = "failure_reason",
        ReceiptNumber = "receipt_number",
        StripeSessionId = "stripe_session_id",
        StripePaymentIntent = "stripe_payment_intent",
        CreatedBy = "created_by",
        CreatedAt = "created_at",
        UpdatedAt = "updated_at",
    }
}

crate::iden::table! {
    pub enum PaymentAllocations = "payment_allocations" {
        Id = "id",
        OrgId = "org_id",
        PaymentId = "payment_id",
        ChargeId = "charge_id",
        AmountMinor = "amount_minor",
        EntryId = "entry_id",
        CreatedAt = "created_at",
    }
}

crate::iden::table! {
    pub enum PaymentRefunds = "payment_refunds" {
        Id = "id",
        OrgId = "org_id",
        PaymentId = "payment_id",
        AmountMinor = "amount_minor",
        Currency = "currency",
        Reason = "reason",
        EntryId = "entry_id",
        CreatedBy = "created_by",
        CreatedAt = "created_at",
    }
}

crate::scope::org_tables!(Payments, PaymentAllocations, PaymentRefunds);

use PaymentAllocations as PA;
use PaymentRefunds as PR;
use Payments as P;

pub(crate) const COLUMNS: [P; 28] = [
    P::Id,
    P::OrgId,
    P::LeaseId,
    P::TenantId,
    P::PropertyId,
    P::UnitId,
    P::AmountMinor,
    P::Currency,
    P::Method,
    P::Status,
    P::ReceivedOn,
    P::Reference,
    P::ChequeNumber,
    P::AppliedMinor,
    P::RefundedMinor,
    P::ReturnedMinor,
    P::EntryId,
    P::ReturnedOn,
    P::ReturnReason,
    P::ReturnEntryId,
    P::ReturnFeeChargeId,
    P::FailureReason,
    P::ReceiptNumber,
    P::StripeSessionId,
    P::StripePaymentIntent,
    P::CreatedBy,
    P::CreatedAt,
    P::UpdatedAt,
];

#[derive(Debug, Clone, serde::Deserialize)]
pub(crate) struct PaymentRow {
    pub id: String,
    pub org_id: String,
    pub lease_id: String,
    pub tenant_id: String,
    pub property_id: String,
    pub unit_id: String,
    pub amount_minor: i64,
    pub currency: String,
    pub method: String,
    pub status: String,
    pub received_on: String,
    pub reference: Option<String>,
    pub cheque_number: Option<String>,
    pub applied_minor: i64,
    pub refunded_minor: i64,
    pub returned_minor: i64,
    pub entry_id: Option<String>,
    pub returned_on: Option<String>,
    pub return_reason: Option<String>,
    pub return_entry_id: Option<String>,
    pub return_fee_charge_id: Option<String>,
    pub failure_reason: Option<String>,
    pub receipt_number: Option<String>,
    pub stripe_session_id: Option<String>,
    pub stripe_payment_intent: Option<String>,
    pub created_by: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl PaymentRow {
    /// Held as credit: received, not applied, refunded or returned.
    pub(crate) fn credit(&self) -> i64 {
        if self.entry_id.is_none() {
            return 0;
        }
        self.amount_minor - self.applied_minor - self.refunded_minor - self.returned_minor
    }

    pub(crate) fn status(&self) -> Result<PaymentStatus> {
        parse_col("payments.status", &self.status)
    }

    pub(crate) fn method(&self) -> Result<PaymentMethod> {
        parse_col("payments.method", &self.method)
    }

    fn into_payment(self) -> Result<Payment> {
        fn opt<T: std::str::FromStr>(col: &str, v: &Option<String>) -> Result<Option<T>>
        where
            T::Err: std::fmt::Display,
        {
            v.as_deref().map(|x| parse_col(col, x)).transpose()
        }
        let returned = match (&self.returned_on, &self.return_entry_id) {
            (Some(on), Some(entry)) => Some(PaymentReturn {
                returned_on: date_col("payments.returned_on", on)?,
                reason: self.return_reason.clone().unwrap_or_default(),
                entry_id: parse_col("payments.return_entry_id", entry)?,
                fee_charge_id: opt("payments.return_fee_charge_id", &self.return_fee_charge_id)?,
            }),
            _ => None,
        };
        Ok(Payment {
            id: parse_col("payments.id", &self.id)?,
            organisation_id: parse_col("payments.org_id", &self.org_id)?,
            lease_id: parse_col("payments.lease_id", &self.lease_id)?,
            tenant_id: parse_col("payments.tenant_id", &self.tenant_id)?,
            property_id: parse_col("payments.property_id", &self.property_id)?,
            unit_id: parse_col("payments.unit_id", &self.unit_id)?,
            credit_minor: self.credit(),
            amount: MoneyDto {
                amount_minor: self.amount_minor,
                currency: self.currency.clone(),
            },
            method: self.method()?,
            status: self.status()?,
            received_on: date_col("payments.received_on", &self.received_on)?,
            reference: self.reference,
            cheque_number: self.cheque_number,
            applied_minor: self.applied_minor,
            refunded_minor: self.refunded_minor,
            allocations: Vec::new(),
            refunds: Vec::new(),
            returned,
            entry_id: opt("payments.entry_id", &self.entry_id)?,
            failure_reason: self.failure_reason,
            receipt_number: self.receipt_number,
            stripe_checkout_session_id: self.stripe_session_id,
            stripe_payment_intent_id: self.stripe_payment_intent,
            created_by: self.created_by,
            created_at: Timestamp(self.created_at),
            updated_at: Timestamp(self.updated_at),
        })
    }
}

pub(crate) fn select(org: impl Into<OrgRef>) -> SelectStatement {
    scope::select::<P>(org)
        .columns(COLUMNS.map(|c| (P::Table, c)))
        .to_owned()
}

static BY_ID: Prepared<SelectStatement, 2> = Prepared::new(|| {
    let mut q = select(OrgRef::Slot);
    q.and_where(Expr::col((P::Table, P::Id)).eq(slot(1)));
    q
});

pub(crate) static BY_ID_LOCKED: Prepared<SelectStatement, 2> = Prepared::new(|| {
    let mut q = select(OrgRef::Slot);
    q.and_where(Expr::col((P::Table, P::Id)).eq(slot(1)))
        .lock(sea_query::LockType::NoKeyUpdate);
    q
});

/// `GET /api/payments`: filter 0 a lease, 1 the payer, 2 a property, 3 the status, 4 the method,
/// 5 received on or after, 6 received on or before, 7 on a lease this tenant is on.
static LIST: list::List = list::List::new(
    || select(OrgRef::Slot),
    || scope::count::<P>(OrgRef::Slot),
    |q, on| {
        let cols = [P::LeaseId, P::TenantId, P::PropertyId, P::Status, P::Method];
        on.equal(q, P::Table, &cols);
        on.between(q, (P::Table, P::ReceivedOn), 5, 6);
        if on.has(7) {
            q.and_where(
                Expr::col((P::Table, P::LeaseId)).in_subquery(
                    scope::select_with::<LT, P>()
                        .column((LT::Table, LT::LeaseId))
                        .and_where(Expr::col((LT::Table, LT::TenantId)).eq(list::On::slot(7)))
                        .to_owned(),
                ),
            );
        }
        if on.has(8) {
            q.and_where(Expr::col((P::Table, P::Reference)).eq(list::On::slot(8)));
        }
    },
);

/// Filters of `GET /api/payments`.
#[derive(Debug, Clone, Default)]
pub struct PaymentFilter {
    pub lease_id: Option<String>,
    pub tenant_id: Option<String>,
    pub property_id: Option<String>,
    pub status: Option<PaymentStatus>,
    pub method: Option<PaymentMethod>,
    pub from: Option<Date>,
    pub to: Option<Date>,
    /// Only payments on leases this tenant is on (a tenant reading their own).
    pub visible_to: Option<TenantId>,
    /// Exactly this reference.
    pub reference: Option<String>,
}

#[derive(serde::Deserialize)]
struct AllocationRow {
    payment_id: String,
    charge_id: String,
    amount_minor: i64,
}

#[derive(serde::Deserialize)]
struct RefundRow {
    id: String,
    payment_id: String,
    amount_minor: i64,
    currency: String,
    reason: Option<String>,
    entry_id: String,
    created_by: Option<String>,
    created_at: i64,
}

/// The payments of `rows` with what each paid (net, per charge, in the order first paid) and
/// their refunds.
async fn complete(db: &Db, org: OrgId, rows: Vec<PaymentRow>) -> Result<Vec<Payment>> {
    let mut out = rows
        .into_iter()
        .map(PaymentRow::into_payment)
        .collect::<Result<Vec<_>>>()?;
    if out.is_empty() {
        return Ok(out);
    }
    let ids: Vec<String> = out.iter().map(|p| p.id.to_string()).collect();
    let aq = scope::select::<PA>(org)
        .columns([PA::PaymentId, PA::ChargeId, PA::AmountMinor])
        .and_where(Expr::col(PA::PaymentId).is_in(ids.clone()))
        .order_by(PA::CreatedAt, Order::Asc)
        .order_by(PA::Id, Order::Asc)
        .to_owned();
    let rq = scope::select::<PR>(org)
        .columns([
            PR::Id,
            PR::PaymentId,
            PR::AmountMinor,
            PR::Currency,
            PR::Reason,
            PR::EntryId,
            PR::CreatedBy,
            PR::CreatedAt,
        ])
        .and_where(Expr::col(PR::PaymentId).is_in(ids))
        .order_by(PR::CreatedAt, Order::Asc)
        .order_by(PR::Id, Order::Asc)
        .to_owned();
    let allocs: Vec<AllocationRow> = db.all(&aq).await?;
    let refunds: Vec<RefundRow> = db.all(&rq).await?;
    for p in &mut out {
        let id = p.id.to_string();
        let mut net: Vec<Allocation> = Vec::new();
        for a in allocs.iter().filter(|a| a.payment_id == id) {
            let charge = parse_col("payment_allocations.charge_id", &a.charge_id)?;
            match net.iter_mut().find(|n| n.charge_id == charge) {
                Some(n) => n.amount_minor += a.amount_minor,
                None => net.push(Allocation {
                    charge_id: charge,
                    amount_minor: a.amount_minor,
                }),
            }
        }
        net.retain(|n| n.amount_minor != 0);
        p.allocations = net;
        for r in refunds.iter().filter(|r| r.payment_id == id) {
            p.refunds.push(Refund {
                id: parse_col("payment_refunds.id", &r.id)?,
                amount: MoneyDto {
                    amount_minor: r.amount_minor,
                    currency: r.currency.clone(),
                },
                reason: r.reason.clone(),
                entry_id: parse_col("payment_refunds.entry_id", &r.entry_id)?,
                created_by: r.created_by.clone(),
                created_at: Timestamp(r.created_at),
            });
        }
    }
    Ok(out)
}

/// The payments of one organisation.
pub struct PaymentRepo<'a> {
    pub(crate) db: &'a Db,
    pub(crate) org: OrgId,
}

impl PaymentRepo<'_> {
    pub async fn get(&self, id: PaymentId) -> Result<Payment> {
        let row: PaymentRow = self.db.one(&BY_ID.with(key(self.org, id))).await?;
        let mut one = complete(self.db, self.org, vec![row]).await?;
        Ok(one.remove(0))
    }

    /// Payments by the day received, newest first.
    pub async fn list(
        &self,
        f: &PaymentFilter,
        req: impl Into<ListRequest>,
    ) -> Result<Page<Payment>> {
        let mut filters = list::Filters::new(self.org);
        let ids = [(0, &f.lease_id), (1, &f.tenant_id), (2, &f.property_id)];
        for (i, v) in ids {
            if let Some(v) = v {
                filters.set(i, v.clone());
            }
        }
        if let Some(s) = f.status {
            filters.set(3, s.as_str());
        }
        if let Some(m) = f.method {
            filters.set(4, m.as_str());
        }
        if let Some(d) = f.from {
            filters.set(5, d.to_string());
        }
        if let Some(d) = f.to {
            filters.set(6, d.to_string());
        }
        if let Some(t) = f.visible_to {
            filters.set(7, t.to_string());
        }
        if let Some(r) = &f.reference {
            filters.set(8, r.clone());
        }
        let order = list::Order::by_column("-receivedOn", P::Table, P::ReceivedOn, P::Id, true);
        let key = |r: &PaymentRow| {
            vec![
                KeyPart::Text(r.received_on.clone()),
                KeyPart::Text(r.id.clone()),
            ]
        };
        let page = list::counted(self.db, LIST.with(filters), &order, &req.into(), key, Ok).await?;
        let items = complete(self.db, self.org, page.items).await?;
        Ok(Page {
            items,
            page: page.page,
            page_size: page.page_size,
            total: page.total,
            total_pages: page.total_pages,
            next_cursor: page.next_cursor,
        })
    }

    /// Whether a payment is on a lease this tenant is on.
    pub async fn visible_to(&self, id: PaymentId, tenant: TenantId) -> Result<bool> {
        let p: PaymentRow = self.db.one(&BY_ID.with(key(self.org, id))).await?;
        let found: Option<LeaseOf> = self
            .db
            .opt(
                &scope::select::<LT>(self.org)
                    .column(LT::LeaseId)
                    .and_where(Expr::col(LT::LeaseId).eq(p.lease_id))
                    .and_where(Expr::col(LT::TenantId).eq(tenant.to_string()))
                    .to_owned(),
            )
            .await?;
        Ok(found.is_some())
    }

    /// What the leases `tenant` is on owe, per currency (negative when in credit).
    pub async fn balance_of_tenant(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<lintel_domain::money::MoneyDto>> {
        super::lease_ledger::of_tenant(self.db, self.org, tenant).await
    }

    /// The tenant's latest payments (as payer or on a lease they are on), newest first.
    pub async fn of_tenant(&self, tenant: TenantId, limit: u64) -> Result<Vec<Payment>> {
        let rows: Vec<PaymentRow> = self
            .db
            .all(
                &select(self.org)
                    .and_where(
                        Expr::col((P::Table, P::LeaseId)).in_subquery(
                            scope::select_with::<LT, P>()
                                .column((LT::Table, LT::LeaseId))
                                .and_where(
                                    Expr::col((LT::Table, LT::TenantId)).eq(tenant.to_string()),
                                )
                                .to_owned(),
                        ),
                    )
                    .order_by((P::Table, P::ReceivedOn), Order::Desc)
                    .order_by((P::Table, P::Id), Order::Desc)
                    .limit(limit)
                    .to_owned(),
            )
            .await?;
        complete(self.db, self.org, rows).await
    }
}

#[derive(serde::Deserialize)]
struct LeaseOf {
    #[allow(dead_code)]
    lease_id: String,
}

impl<'a> crate::OrgScope<'a> {
    pub fn payments(&self) -> PaymentRepo<'a> {
        PaymentRepo {
            db: self.db,
            org: self.org,
        }
    }
}
