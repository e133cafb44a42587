//! Charges: each posted as a journal entry against receivables in the same transaction, voided
//! by reversing that entry while nothing is paid towards it.

use lintel_domain::leasing::LeaseStatus;
use lintel_domain::ledger::{
    BalancedEntry, Charge, ChargeKind, ChargeStatus, EntrySource, NewCharge,
};
use lintel_domain::money::MoneyDto;
use lintel_domain::{
    Actor, ChargeId, Date, EventKind, FieldError, KeyPart, LeaseId, ListRequest, OrgId, Page,
    Timestamp,
};
use sea_query::{Expr, Query, SelectStatement};

use super::posting::{post, system_accounts, Posting};
use crate::db::{Db, Tx};
use crate::error::{parse_col, Result, StoreError};
use crate::events::{self, Change};
use crate::list;
use crate::prepared::{key, slot, Prepared};
use crate::scope::{self, OrgRef};

crate::iden::table! {
    pub enum Charges = "charges" {
        Id = "id",
        OrgId = "org_id",
        LeaseId = "lease_id",
        TenantId = "tenant_id",
        PropertyId = "property_id",
        UnitId = "unit_id",
        Kind = "kind",
        AmountMinor = "amount_minor",
        Currency = "currency",
        DueDate = "due_date",
        Description = "description",
        Status = "status",
        PaidMinor = "paid_minor",
        EntryId = "entry_id",
        VoidEntryId = "void_entry_id",
        BillingKey = "billing_key",
        PeriodEnd = "period_end",
        CreatedBy = "created_by",
        CreatedAt = "created_at",
        UpdatedAt = "updated_at",
    }
}

crate::scope::org_tables!(Charges);

use Charges as C;

const COLUMNS: [C; 20] = [
    C::Id,
    C::OrgId,
    C::LeaseId,
    C::TenantId,
    C::PropertyId,
    C::UnitId,
    C::Kind,
    C::AmountMinor,
    C::Currency,
    C::DueDate,
    C::Description,
    C::Status,
    C::PaidMinor,
    C::EntryId,
    C::VoidEntryId,
    C::BillingKey,
    C::PeriodEnd,
    C::CreatedBy,
    C::CreatedAt,
    C::UpdatedAt,
];

#[derive(serde::Deserialize)]
struct ChargeRow {
    id: String,
    org_id: String,
    lease_id: String,
    tenant_id: String,
    property_id: String,
    unit_id: String,
    kind: String,
    amount_minor: i64,
    currency: String,
    due_date: String,
    description: Option<String>,
    status: String,
    paid_minor: i64,
    entry_id: String,
    void_entry_id: Option<String>,
    billing_key: Option<String>,
    period_end: Option<String>,
    created_by: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl ChargeRow {
    fn into_charge(self) -> Result<Charge> {
        Ok(Charge {
            id: parse_col("charges.id", &self.id)?,
            organisation_id: parse_col("charges.org_id", &self.org_id)?,
            lease_id: parse_col("charges.lease_id", &self.lease_id)?,
            tenant_id: parse_col("charges.tenant_id", &self.tenant_id)?,
            property_id: parse_col("charges.property_id", &self.property_id)?,
            unit_id: parse_col("charges.unit_id", &self.unit_id)?,
            kind: parse_col("charges.kind", &self.kind)?,
            amount: MoneyDto {
                amount_minor: self.amount_minor,
                currency: self.currency,
            },
            due_date: crate::leasing::leases::date_col("charges.due_date", &self.due_date)?,
            description: self.description,
            status: parse_col("charges.status", &self.status)?,
            paid_minor: self.paid_minor,
            entry_id: parse_col("charges.entry_id", &self.entry_id)?,
            void_entry_id: self
                .void_entry_id
                .as_deref()
                .map(|v| parse_col("charges.void_entry_id", v))
                .transpose()?,
            billing_key: self.billing_key,
            period_end: self
                .period_end
                .as_deref()
                .map(|d| crate::leasing::leases::date_col("charges.period_end", d))
                .transpose()?,
            created_by: self.created_by,
            created_at: Timestamp(self.created_at),
            updated_at: Timestamp(self.updated_at),
        })
    }
}

fn select(org: impl Into<OrgRef>) -> SelectStatement {
    scope::select::<C>(org)
        .columns(COLUMNS.map(|c| (C::Table, c)))
        .to_owned()
}

static BY_ID: Prepared<SelectStatement, 2> = Prepared::new(|| {
    let mut q = select(OrgRef::Slot);
    q.and_where(Expr::col((C::Table, C::Id)).eq(slot(1)));
    q
});

static BY_ID_LOCKED: Prepared<SelectStatement, 2> = Prepared::new(|| {
    let mut q = select(OrgRef::Slot);
    q.and_where(Expr::col((C::Table, C::Id)).eq(slot(1)))
        .lock(sea_query::LockType::NoKeyUpdate);
    q
});

/// `GET /api/charges`: filter 0 a lease, 1 a tenant, 2 a property, 3 the kind, 4 the status,
/// 5 due on or after, 6 due on or before.
static LIST: list::List = list::List::new(
    || select(OrgRef::Slot),
    || scope::count::<C>(OrgRef::Slot),
    |q, on| {
        let cols = [C::LeaseId, C::TenantId, C::PropertyId, C::Kind, C::Status];
        on.equal(q, C::Table, &cols);
        on.between(q, (C::Table, C::DueDate), 5, 6);
    },
);

/// Filters of `GET /api/charges`.
#[derive(Debug, Clone, Default)]
pub struct ChargeFilter {
    pub lease_id: Option<String>,
    pub tenant_id: Option<String>,
    pub property_id: Option<String>,
    pub kind: Option<ChargeKind>,
    pub status: Option<ChargeStatus>,
    pub due_from: Option<Date>,
    pub due_to: Option<Date>,
}

/// The charges of one organisation.
pub struct ChargeRepo<'a> {
    pub(crate) db: &'a Db,
    pub(crate) org: OrgId,
}

impl ChargeRepo<'_> {
    pub async fn get(&self, id: ChargeId) -> Result<Charge> {
        let row: ChargeRow = self.db.one(&BY_ID.with(key(self.org, id))).await?;
        row.into_charge()
    }

    /// Charges by due date, newest first.
    pub async fn list(
        &self,
        f: &ChargeFilter,
        req: impl Into<ListRequest>,
    ) -> Result<Page<Charge>> {
        let mut filters = list::Filters::new(self.org);
        for (i, v) in [(0, &f.lease_id), (1, &f.tenant_id), (2, &f.property_id)] {
            if let Some(v) = v {
                filters.set(i, v.clone());
            }
        }
        if let Some(k) = f.kind {
            filters.set(3, k.as_str());
        }
        if let Some(s) = f.status {
            filters.set(4, s.as_str());
        }
        if let Some(d) = f.due_from {
            filters.set(5, d.to_string());
        }
        if let Some(d) = f.due_to {
            filters.set(6, d.to_string());
        }
        let order = list::Order::by_column("-dueDate", C::Table, C::DueDate, C::Id, true);
        let key = |r: &ChargeRow| {
            vec![
                KeyPart::Text(r.due_date.clone()),
                KeyPart::Text(r.id.clone()),
            ]
        };
        list::counted(
            self.db,
            LIST.with(filters),
            &order,
            &req.into(),
            key,
            ChargeRow::into_charge,
        )
        .await
    }

    /// Posts a charge on a lease that is or was in force, in the lease's currency: the charge
    /// and its entry in one transaction, with any credit the tenants hold applied to it.
    pub async fn create(&self, actor: &Actor, lease: LeaseId, new: &NewCharge) -> Result<Charge> {
        let id = self
            .db
            .write(move |mut tx| async move {
                let l = match crate::leasing::leases::for_money(&mut tx, self.org, lease).await {
                    Err(StoreError::NotFound) => return Err(StoreError::Missing("Lease")),
                    other => other?.0,
                };
                let charge = post_charge(&mut tx, self.org, actor, &l, new).await?;
                tx.commit().await?;
                Ok(charge.id)
            })
            .await?;
        self.get(id).await
    }

    /// A lease's account: its movements with a running balance, what is due now and the
    /// deposit held.
    pub async fn lease_ledger(&self, lease: LeaseId) -> Result<lintel_domain::ledger::LeaseLedger> {
        let leases = crate::leasing::leases::LeaseRepo {
            db: self.db,
            org: self.org,
        };
        let l = leases.get(lease).await?;
        super::lease_ledger::of_lease(self.db, self.org, lease, l.rent.currency).await
    }

    /// Voids a charge nothing is paid towards: its entry is reversed, today.
    pub async fn void(&self, actor: &Actor, id: ChargeId) -> Result<Charge> {
        let original = self.get(id).await?;
        let entry = super::journal::JournalRepo {
            db: self.db,
            org: self.org,
        }
        .get(original.entry_id)
        .await?;
        let reversal = super::journal::mirror_of(&entry)?;
        let reversal = &reversal;
        self.db
            .write(move |mut tx| async move {
                let row: ChargeRow = tx.one(&BY_ID_LOCKED.with(key(self.org, id))).await?;
                let before = row.into_charge()?;
                if before.status == ChargeStatus::Void {
                    return Err(StoreError::Refused("This charge is already void.".into()));
                }
                if let Some(n) = super::invoices::invoice_holding(&mut tx, self.org, id).await? {
                    return Err(StoreError::Refused(format!(
                        "This charge is on invoice {n}: void the invoice first."
                    )));
                }
                if before.paid_minor > 0 {
                    return Err(StoreError::Refused(
                        "A charge with payments towards it cannot be voided: refund them first."
                            .into(),
                    ));
                }
                let date = crate::leasing::leases::today(&mut tx, self.org).await?;
                let memo = format!("Void of charge {id}");
                let posting = Posting {
                    date,
                    memo: Some(memo.as_str()),
                    source: EntrySource::Reversal,
                    source_id: Some(id.to_string()),
                    reversal_of: Some(before.entry_id),
                    system_accounts: false,
                };
                let posted = post(&mut tx, self.org, actor, posting, reversal).await?;
                let mut after = before.clone();
                after.status = ChargeStatus::Void;
                after.void_entry_id = Some(posted.id);
                after.updated_at = Timestamp::now();
                tx.exec(
                    &scope::update_one::<C, _>(self.org, id)
                        .values([
                            (C::Status, after.status.as_str().into()),
                            (C::VoidEntryId, posted.id.to_string().into()),
                            (C::UpdatedAt, after.updated_at.0.into()),
                        ])
                        .to_owned(),
                )
                .await?;
                let change = Change {
                    kind: EventKind::ChargeVoided,
                    entity_id: &id.to_string(),
                    before: Some(&before),
                    after: Some(&after),
                };
                events::emit(&mut tx, self.org, actor, change).await?;
                tx.commit().await?;
                Ok(after)
            })
            .await
    }
}

/// Posts a charge on lease `l` (read locked in `tx`), then applies the tenants' credit to it.
pub(crate) async fn post_charge(
    tx: &mut Tx,
    org: OrgId,
    actor: &Actor,
    l: &lintel_domain::leasing::Lease,
    new: &NewCharge,
) -> Result<Charge> {
    if matches!(
        l.status,
        LeaseStatus::Draft | LeaseStatus::PendingSignature | LeaseStatus::Cancelled
    ) {
        return Err(StoreError::Refused(format!(
            "Charges are posted on leases that are or were in force; this one is {}.",
            l.status
        )));
    }
    if new.amount.currency.code() != l.rent.currency {
        let msg = format!("must be the lease's currency, {}", l.rent.currency);
        return Err(StoreError::Invalid(vec![FieldError::new(
            "amount.currency",
            msg,
        )]));
    }
    let (d, c) = new.kind.accounts();
    let [debit, credit] = system_accounts(tx, org, [d, c]).await?;
    let dims = super::settle::lease_dims(l);
    let entry = BalancedEntry::transfer(debit, credit, new.amount, dims)
        .map_err(|e| StoreError::Invalid(vec![FieldError::new("amount", e.to_string())]))?;
    let id = ChargeId::new();
    let memo = format!("{} charge", new.kind);
    let posting = Posting {
        date: new.due_date,
        memo: Some(memo.as_str()),
        source: EntrySource::Charge,
        source_id: Some(id.to_string()),
        reversal_of: None,
        system_accounts: true,
    };
    let posted = post(tx, org, actor, posting, &entry).await?;
    let now = Timestamp::now();
    let charge = Charge {
        id,
        organisation_id: org,
        lease_id: l.id,
        tenant_id: l.primary_tenant_id,
        property_id: l.property_id,
        unit_id: l.unit_id,
        kind: new.kind,
        amount: new.amount.to_dto(),
        due_date: new.due_date,
        description: new.description.clone(),
        status: ChargeStatus::Open,
        paid_minor: 0,
        entry_id: posted.id,
        void_entry_id: None,
        billing_key: new.billing_key.clone(),
        period_end: new.period_end,
        created_by: actor.id.clone(),
        created_at: now,
        updated_at: now,
    };
    let c = &charge;
    tx.defer(
        Query::insert()
            .into_table(C::Table)
            .columns(COLUMNS)
            .values_panic([
                c.id.to_string().into(),
                org.to_string().into(),
                c.lease_id.to_string().into(),
                c.tenant_id.to_string().into(),
                c.property_id.to_string().into(),
                c.unit_id.to_string().into(),
                c.kind.as_str().into(),
                c.amount.amount_minor.into(),
                c.amount.currency.clone().into(),
                c.due_date.to_string().into(),
                c.description.clone().into(),
                c.status.as_str().into(),
                0i64.into(),
                c.entry_id.to_string().into(),
                Option::<String>::None.into(),
                c.billing_key.clone().into(),
                c.period_end.map(|d| d.to_string()).into(),
                c.created_by.clone().into(),
                now.0.into(),
                now.0.into(),
            ])
            .to_owned(),
    )
    .await?;
    let change = Change::<(), _> {
        kind: EventKind::ChargePosted,
        entity_id: &id.to_string(),
        before: None,
        after: Some(c),
    };
    events::emit(tx, org, actor, change).await?;
    if new.kind != ChargeKind::Credit {
        super::settle::apply_credit(tx, org, actor, l, new.due_date).await?;
    }
    Ok(charge)
}

impl<'a> crate::OrgScope<'a> {
    pub fn charges(&self) -> ChargeRepo<'a> {
        ChargeRepo {
            db: self.db,
            org: self.org,
        }
    }
}
