//! Lease writes: create, change terms, move status. Locks in the global order
//! ([`crate::locks`]): the organisation (only to count leases in force against the plan), the
//! unit's property, the unit, then the lease, then the unit counters. Every write to one unit's
//! leases holds the unit's lock, so two leases of a unit never come into force over each other.

use lintel_domain::leasing::{Lease, LeasePatch, LeaseStatus, NewLease, StatusChangeRequest};
use lintel_domain::portfolio::Unit;
use lintel_domain::{
    Actor, Cap, Date, DocumentId, EventKind, FieldError, LeaseId, OrgId, TenantId, Timestamp,
};
use sea_query::{Alias, Expr, Query, SimpleExpr};

use super::status::move_status;
use super::{get_in, LeaseRepo, COLUMNS};
use crate::db::{Count, Tx};
use crate::documents::Documents;
use crate::error::{Result, StoreError};
use crate::events::{self, Change};
use crate::identity::schema::Organisations as O;
use crate::leasing::schema::{
    LeaseDocuments as LD, LeaseStatusHistory as H, LeaseTenants as LT, Leases as L, Tenants as T,
};
use crate::locks;
use crate::portfolio::units::lock_unit_any;
use crate::scope;

#[derive(serde::Deserialize)]
struct Zone {
    timezone: String,
}

fn zone_of(org: OrgId) -> sea_query::SelectStatement {
    Query::select()
        .column(O::Timezone)
        .from(O::Table)
        .and_where(Expr::col(O::Id).eq(org.to_string()))
        .to_owned()
}

/// Today in the organisation's time zone, inside `tx`.
pub(crate) async fn today(tx: &mut Tx, org: OrgId) -> Result<Date> {
    let zone: Zone = tx.one(&zone_of(org)).await?;
    Ok(Date::today_in(&zone.timezone))
}

/// Today in the organisation's time zone, read outside a transaction.
pub(crate) async fn today_in(db: &crate::db::Db, org: OrgId) -> Result<Date> {
    let zone: Zone = db.one(&zone_of(org)).await?;
    Ok(Date::today_in(&zone.timezone))
}

/// The unit of a lease, locked with its property. An unknown unit is `Missing("Unit")`.
pub(crate) async fn lock_unit_of(
    tx: &mut Tx,
    org: OrgId,
    unit: lintel_domain::UnitId,
) -> Result<(Unit, bool)> {
    match lock_unit_any(tx, org, unit).await {
        Ok(((unit, _), archived)) => Ok((unit, archived)),
        Err(StoreError::NotFound) => Err(StoreError::Missing("Unit")),
        Err(e) => Err(e),
    }
}

/// Refuses with `Missing(name)` unless every ID is a row of `T` in the organisation.
async fn all_exist<Tb: scope::OrgTable>(
    tx: &mut Tx,
    org: OrgId,
    ids: Vec<String>,
    name: &'static str,
) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let n = ids.len() as i64;
    let c: Count = tx
        .one(
            &scope::select::<Tb>(org)
                .expr_as(Expr::col((Tb::TABLE, Tb::ID)).count(), Alias::new("n"))
                .and_where(Expr::col((Tb::TABLE, Tb::ID)).is_in(ids))
                .to_owned(),
        )
        .await?;
    if c.n == n {
        Ok(())
    } else {
        Err(StoreError::Missing(name))
    }
}

fn late_fee_json(lease: &Lease) -> Result<Option<String>> {
    lease
        .late_fee
        .as_ref()
        .map(|f| {
            serde_json::to_string(f).map_err(|e| StoreError::Corrupt(format!("late fee: {e}")))
        })
        .transpose()
}

/// Every stored column of a lease, in [`COLUMNS`] order.
fn values(l: &Lease) -> Result<Vec<SimpleExpr>> {
    Ok(vec![
        l.id.to_string().into(),
        l.organisation_id.to_string().into(),
        l.unit_id.to_string().into(),
        l.property_id.to_string().into(),
        l.status.as_str().into(),
        l.start_date.to_string().into(),
        l.end_date.map(|d| d.to_string()).into(),
        l.end_date
            .map_or("9999-12-31".to_string(), |d| d.to_string())
            .into(),
        l.rent.amount_minor.into(),
        l.rent.currency.clone().into(),
        l.rent_frequency.as_str().into(),
        l.rent_due_day.into(),
        l.deposit.as_ref().map(|d| d.amount_minor).into(),
        late_fee_json(l)?.into(),
        l.notes.clone().into(),
        l.renewal_of_lease_id.map(|r| r.to_string()).into(),
        l.created_by.clone().into(),
        l.created_at.0.into(),
        l.updated_at.0.into(),
    ])
}

/// Writes the tenants of a lease (primary first), replacing those it had.
async fn write_tenants(tx: &mut Tx, l: &Lease, replace: bool) -> Result<()> {
    if replace {
        tx.exec(
            &scope::delete::<LT>(l.organisation_id)
                .and_where(Expr::col(LT::LeaseId).eq(l.id.to_string()))
                .to_owned(),
        )
        .await?;
    }
    let mut rows = Query::insert()
        .into_table(LT::Table)
        .columns([LT::OrgId, LT::LeaseId, LT::TenantId, LT::Position])
        .to_owned();
    for (i, t) in l.tenant_ids.iter().enumerate() {
        rows.values_panic([
            l.organisation_id.to_string().into(),
            l.id.to_string().into(),
            t.to_string().into(),
            (i as i64).into(),
        ]);
    }
    tx.defer(rows).await
}

/// Writes the documents filed with a new lease.
async fn write_documents(tx: &mut Tx, l: &Lease) -> Result<()> {
    if l.document_ids.is_empty() {
        return Ok(());
    }
    let mut rows = Query::insert()
        .into_table(LD::Table)
        .columns([LD::OrgId, LD::LeaseId, LD::DocumentId])
        .to_owned();
    for d in &l.document_ids {
        rows.values_panic([
            l.organisation_id.to_string().into(),
            l.id.to_string().into(),
            d.to_string().into(),
        ]);
    }
    tx.defer(rows).await
}

/// Records one status change in the lease's history.
pub(super) async fn record(
    tx: &mut Tx,
    actor: &Actor,
    l: &Lease,
    from: Option<LeaseStatus>,
    effective: Date,
    reason: Option<&str>,
) -> Result<()> {
    tx.defer(
        Query::insert()
            .into_table(H::Table)
            .columns([
                H::Id,
                H::OrgId,
                H::LeaseId,
                H::FromStatus,
                H::ToStatus,
                H::EffectiveDate,
                H::Reason,
                H::ChangedBy,
                H::ChangedAt,
            ])
            .values_panic([
                lintel_domain::EventId::new().to_string().into(),
                l.organisation_id.to_string().into(),
                l.id.to_string().into(),
                from.map(|s| s.as_str()).into(),
                l.status.as_str().into(),
                effective.to_string().into(),
                reason.map(str::to_string).into(),
                actor.id.clone().into(),
                Timestamp::now().0.into(),
            ])
            .to_owned(),
    )
    .await
}

/// Inserts a new lease (status `draft`, or `status` for a renewal's successor) with its
/// tenants, documents, first history entry and `lease.create` event. The unit must be locked.
pub(crate) async fn insert_lease(
    tx: &mut Tx,
    actor: &Actor,
    unit: &Unit,
    new: &NewLease,
    status: LeaseStatus,
    renewal_of: Option<LeaseId>,
) -> Result<Lease> {
    let org = unit.organisation_id;
    let errs = new
        .terms
        .check(unit.rent.as_ref().map(|r| r.currency.as_str()));
    if !errs.is_empty() {
        return Err(StoreError::Invalid(errs));
    }
    let tenants = new.tenant_ids.iter().map(TenantId::to_string).collect();
    all_exist::<T>(tx, org, tenants, "Tenant").await?;
    let docs = new.document_ids.iter().map(DocumentId::to_string).collect();
    all_exist::<Documents>(tx, org, docs, "Document").await?;
    let now = Timestamp::now();
    let mut lease = Lease {
        id: LeaseId::new(),
        organisation_id: org,
        unit_id: unit.id,
        property_id: unit.property_id,
        status,
        start_date: new.terms.start_date,
        end_date: None,
        rent: new.terms.rent.to_dto(),
        rent_frequency: new.terms.rent_frequency,
        rent_due_day: 1,
        deposit: None,
        late_fee: None,
        notes: new.notes.clone(),
        tenant_ids: new.tenant_ids.clone(),
        primary_tenant_id: new.tenant_ids[0],
        document_ids: new.document_ids.clone(),
        renewal_of_lease_id: renewal_of,
        created_by: actor.id.clone(),
        created_at: now,
        updated_at: now,
    };
    lease.set_terms(new.terms.clone());
    tx.defer(
        Query::insert()
            .into_table(L::Table)
            .columns(COLUMNS)
            .values_panic(values(&lease)?)
            .to_owned(),
    )
    .await?;
    write_tenants(tx, &lease, false).await?;
    write_documents(tx, &lease).await?;
    let day = today(tx, org).await?;
    record(tx, actor, &lease, None, day, None).await?;
    let change = Change::<(), _> {
        kind: EventKind::LeaseCreated,
        entity_id: &lease.id.to_string(),
        before: None,
        after: Some(&lease),
    };
    events::emit(tx, org, actor, change).await?;
    Ok(lease)
}

/// Writes the changed columns of a lease and emits `kind`.
pub(super) async fn save(
    tx: &mut Tx,
    actor: &Actor,
    kind: EventKind,
    before: &Lease,
    after: &mut Lease,
) -> Result<()> {
    after.updated_at = Timestamp::now();
    let vals = values(after)?;
    let pairs: Vec<(L, SimpleExpr)> = COLUMNS.into_iter().zip(vals).skip(2).collect();
    tx.exec(
        &scope::update_one::<L, _>(after.organisation_id, after.id)
            .values(pairs)
            .to_owned(),
    )
    .await?;
    let change = Change {
        kind,
        entity_id: &after.id.to_string(),
        before: Some(before),
        after: Some(&*after),
    };
    events::emit(tx, after.organisation_id, actor, change).await
}

impl LeaseRepo<'_> {
    /// Creates a lease as `draft`. An unknown unit, tenant or document is `Missing`; a unit of
    /// an archived property, or terms that do not hold together, are `Invalid`.
    pub async fn create(&self, actor: &Actor, new: &NewLease) -> Result<Lease> {
        self.db
            .write(move |mut tx| async move {
                let (unit, archived) = lock_unit_of(&mut tx, self.org, new.unit_id).await?;
                // Every failing field at once: the unit's state and the terms against it.
                let mut errs = Vec::new();
                if archived {
                    errs.push(FieldError::new("unitId", "is in an archived property"));
                }
                errs.extend(
                    new.terms
                        .check(unit.rent.as_ref().map(|r| r.currency.as_str())),
                );
                if !errs.is_empty() {
                    return Err(StoreError::Invalid(errs));
                }
                let lease =
                    insert_lease(&mut tx, actor, &unit, new, LeaseStatus::Draft, None).await?;
                tx.commit().await?;
                Ok(lease)
            })
            .await
    }

    /// The lease and its unit, locked in the global order.
    async fn lock(&self, tx: &mut Tx, id: LeaseId) -> Result<(Lease, Unit, bool)> {
        let unlocked = get_in(tx, self.org, id, false).await?;
        let (unit, archived) = lock_unit_of(tx, self.org, unlocked.unit_id).await?;
        let lease = get_in(tx, self.org, id, true).await?;
        Ok((lease, unit, archived))
    }

    /// Changes the terms of a `draft` or `pending_signature` lease (`Refused` otherwise).
    pub async fn update(&self, actor: &Actor, id: LeaseId, patch: &LeasePatch) -> Result<Lease> {
        self.db
            .write(move |mut tx| async move {
                let (before, unit, _) = self.lock(&mut tx, id).await?;
                if !before.status.terms_editable() {
                    return Err(StoreError::Refused(format!(
                        "Lease terms can only change while the lease is draft or pending_signature; it is {}.",
                        before.status
                    )));
                }
                let terms = before
                    .terms()
                    .ok_or_else(|| StoreError::Corrupt(format!("lease {id}: currency")))?;
                let terms = patch.apply(terms);
                let errs = terms.check(unit.rent.as_ref().map(|r| r.currency.as_str()));
                if !errs.is_empty() {
                    return Err(StoreError::Invalid(errs));
                }
                let mut after = before.clone();
                after.set_terms(terms);
                if let Some(n) = &patch.notes {
                    after.notes = n.clone();
                }
                if let Some(t) = &patch.tenant_ids {
                    let ids = t.iter().map(TenantId::to_string).collect();
                    all_exist::<T>(&mut tx, self.org, ids, "Tenant").await?;
                    after.tenant_ids = t.clone();
                    after.primary_tenant_id = t[0];
                    write_tenants(&mut tx, &after, true).await?;
                }
                save(&mut tx, actor, EventKind::LeaseUpdated, &before, &mut after).await?;
                tx.commit().await?;
                Ok(after)
            })
            .await
    }

    /// Moves a lease's status through the state machine (see [`move_status`]).
    pub async fn change_status(
        &self,
        actor: &Actor,
        id: LeaseId,
        req: &StatusChangeRequest,
        cap: Cap,
    ) -> Result<Lease> {
        self.db
            .write(move |mut tx| async move {
                if req.status.is_in_force() && cap.is_limited() {
                    locks::org(&mut tx, self.org).await?;
                }
                let (lease, unit, _) = self.lock(&mut tx, id).await?;
                let after = move_status(&mut tx, actor, lease, &unit, req, cap).await?;
                tx.commit().await?;
                Ok(after)
            })
            .await
    }
}
