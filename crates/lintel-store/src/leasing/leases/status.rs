//! Moving a lease's status: the one place `leases.status` changes after creation. The state
//! machine's rules, overlaps with the unit's other leases in force, the plan's cap, the history,
//! the unit's occupancy, the tenants' status and their notifications, in the caller's
//! transaction.

use lintel_domain::comms::{NewNotification, NotificationType};
use lintel_domain::leasing::{Lease, LeaseStatus, StatusChangeRequest, TenantStatus};
use lintel_domain::portfolio::{Unit, UnitStatus};
use lintel_domain::{Actor, Cap, EventKind, LeaseId, Lifecycle, Limit, OrgId, TenantId};
use sea_query::{Alias, Expr};

use super::writes::{record, save, today};
use super::LeaseRow;
use crate::db::{Count, Tx};
use crate::error::{Result, StoreError};
use crate::leasing::schema::{LeaseTenants as LT, Leases as L, Tenants as T};
use crate::portfolio::units::write_status;
use crate::scope;

#[derive(serde::Deserialize)]
struct StatusOf {
    tenant_id: String,
    status: String,
}

/// Brings the status of `tenants` in line with their leases.
async fn restatus_tenants(tx: &mut Tx, org: OrgId, tenants: &[TenantId]) -> Result<()> {
    let ids: Vec<String> = tenants.iter().map(TenantId::to_string).collect();
    let rows: Vec<StatusOf> = tx
        .all(
            &scope::select::<LT>(org)
                .column((LT::Table, LT::TenantId))
                .column((L::Table, L::Status))
                .inner_join(
                    L::Table,
                    Expr::col((L::Table, L::Id)).equals((LT::Table, LT::LeaseId)),
                )
                .and_where(Expr::col((LT::Table, LT::TenantId)).is_in(ids.clone()))
                .to_owned(),
        )
        .await?;
    for id in ids {
        let statuses = rows
            .iter()
            .filter(|r| r.tenant_id == id)
            .filter_map(|r| r.status.parse::<LeaseStatus>().ok());
        let mut status = TenantStatus::Prospect;
        for s in statuses {
            if s.is_in_force() {
                status = TenantStatus::Current;
                break;
            }
            if matches!(s, LeaseStatus::Ended | LeaseStatus::Terminated) {
                status = TenantStatus::Past;
            }
        }
        tx.exec(
            &scope::update::<T>(org)
                .value(T::Status, status.as_str())
                .and_where(Expr::col(T::Id).eq(id))
                .and_where(Expr::col(T::Status).ne(status.as_str()))
                .to_owned(),
        )
        .await?;
    }
    Ok(())
}

/// The other leases of `unit` in force.
async fn in_force_on_unit(
    tx: &mut Tx,
    org: OrgId,
    unit: lintel_domain::UnitId,
    except: LeaseId,
) -> Result<Vec<Lease>> {
    let in_force = LeaseStatus::in_force_names();
    let rows: Vec<LeaseRow> = tx
        .all(
            &super::select(org)
                .and_where(Expr::col((L::Table, L::UnitId)).eq(unit.to_string()))
                .and_where(Expr::col((L::Table, L::Status)).is_in(in_force))
                .and_where(Expr::col((L::Table, L::Id)).ne(except.to_string()))
                .to_owned(),
        )
        .await?;
    rows.into_iter().map(LeaseRow::into_lease).collect()
}

pub(crate) async fn count_in_force(tx: &mut Tx, org: OrgId) -> Result<u64> {
    let in_force = LeaseStatus::in_force_names();
    let c: Count = tx
        .one(
            &scope::select::<L>(org)
                .expr_as(Expr::col(L::Id).count(), Alias::new("n"))
                .and_where(Expr::col(L::Status).is_in(in_force))
                .to_owned(),
        )
        .await?;
    Ok(c.n.max(0) as u64)
}

/// Moves a lease (read locked, its unit locked) to `req.status` inside `tx`: the rules of the
/// state machine, the overlap with other leases of the unit, the plan's cap on leases in force,
/// the history, the event, the unit's occupancy and the tenants' status; coming into force, the
/// deposit and the rent already due are billed.
pub(crate) async fn move_status(
    tx: &mut Tx,
    actor: &Actor,
    lease: Lease,
    unit: &Unit,
    req: &StatusChangeRequest,
    cap: Cap,
) -> Result<Lease> {
    let org = lease.organisation_id;
    let to = req.status;
    lease.status.check(to)?;
    let day = today(tx, org).await?;
    let effective = req.effective_date.unwrap_or(day);
    if to.is_in_force() && !lease.status.is_in_force() {
        let others = in_force_on_unit(tx, org, lease.unit_id, lease.id).await?;
        if let Some(other) = others
            .iter()
            .find(|o| o.overlaps(lease.start_date, lease.end_date))
        {
            return Err(StoreError::LeaseOverlap(other.id.to_string()));
        }
        if let Some(max) = cap.exceeded_by(count_in_force(tx, org).await?, 1) {
            return Err(StoreError::LimitReached {
                limit: Limit::LeasesInForce,
                max,
            });
        }
    }
    let before = lease;
    let mut after = before.clone();
    after.status = to;
    save(
        tx,
        actor,
        EventKind::LeaseStatusChanged,
        &before,
        &mut after,
    )
    .await?;
    record(
        tx,
        actor,
        &after,
        Some(before.status),
        effective,
        req.reason.as_deref(),
    )
    .await?;
    if to.is_in_force() && after.start_date <= day && unit.status != UnitStatus::Occupied {
        write_status(tx, org, actor, unit, UnitStatus::Occupied).await?;
    }
    if matches!(to, LeaseStatus::Ended | LeaseStatus::Terminated)
        && unit.status == UnitStatus::Occupied
    {
        let others = in_force_on_unit(tx, org, after.unit_id, after.id).await?;
        if !others.iter().any(|o| o.overlaps(day, Some(day))) {
            write_status(tx, org, actor, unit, UnitStatus::Vacant).await?;
        }
    }
    restatus_tenants(tx, org, &after.tenant_ids).await?;
    if to.is_in_force() && !before.status.is_in_force() {
        // Coming into force: the deposit, and every rent period already due (back-filled for a
        // lease that started before today).
        let what = crate::ledger::billing::Billing {
            deposit: true,
            late_fees: false,
        };
        crate::ledger::billing::bill_lease(tx, org, actor, &after, day, what).await?;
    }
    let note = NewNotification {
        kind: NotificationType::LeaseStatusChanged,
        title: format!("Your lease is now {}", to.as_str().replace('_', " ")),
        body: format!(
            "The lease from {} changed from {} to {} on {effective}.",
            after.start_date, before.status, to
        ),
        entity_type: Some("lease"),
        entity_id: Some(after.id.to_string()),
    };
    super::tell_tenants(tx, &after, note).await?;
    Ok(after)
}
