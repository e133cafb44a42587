//! A lease with everything about it that its page shows: tenants, unit, property, history.

use lintel_domain::leasing::lease::{LeaseProperty, LeaseTenant, LeaseUnit};
use lintel_domain::leasing::{LeaseDetail, StatusChange};
use lintel_domain::{LeaseId, Timestamp};
use sea_query::{Expr, Order};

use super::{date_col, LeaseRepo};
use crate::error::{parse_col, Result, StoreError};
use crate::leasing::schema::{LeaseStatusHistory as H, Tenants as T};
use crate::portfolio::schema::{Properties as P, Units as U};
use crate::scope;

#[derive(serde::Deserialize)]
struct HistoryRow {
    from_status: Option<String>,
    to_status: String,
    effective_date: String,
    reason: Option<String>,
    changed_by: Option<String>,
    changed_at: i64,
}

#[derive(serde::Deserialize)]
struct TenantBrief {
    id: String,
    first_name: String,
    last_name: String,
    email: Option<String>,
}

#[derive(serde::Deserialize)]
struct UnitBrief {
    id: String,
    name: String,
    suite: Option<String>,
    status: String,
    property_name: String,
}

impl LeaseRepo<'_> {
    /// A lease with its tenants, unit, property and status history.
    pub async fn detail(&self, id: LeaseId) -> Result<LeaseDetail> {
        let lease = self.get(id).await?;
        let tenants: Vec<TenantBrief> = self
            .db
            .all(
                &scope::select::<T>(self.org)
                    .columns([T::Id, T::FirstName, T::LastName, T::Email].map(|c| (T::Table, c)))
                    .and_where(
                        Expr::col((T::Table, T::Id))
                            .is_in(lease.tenant_ids.iter().map(|t| t.to_string())),
                    )
                    .to_owned(),
            )
            .await?;
        let mut brief = Vec::with_capacity(tenants.len());
        for (i, id) in lease.tenant_ids.iter().enumerate() {
            let t = tenants
                .iter()
                .find(|t| t.id == id.to_string())
                .ok_or_else(|| {
                    StoreError::Corrupt(format!("lease {} names tenant {id}", lease.id))
                })?;
            brief.push(LeaseTenant {
                id: *id,
                first_name: t.first_name.clone(),
                last_name: t.last_name.clone(),
                email: t.email.clone(),
                primary: i == 0,
            });
        }
        let unit: UnitBrief = self
            .db
            .one(
                &scope::select::<U>(self.org)
                    .columns([U::Id, U::Name, U::Suite, U::Status].map(|c| (U::Table, c)))
                    .expr_as(
                        Expr::col((P::Table, P::Name)),
                        sea_query::Alias::new("property_name"),
                    )
                    .inner_join(
                        P::Table,
                        Expr::col((P::Table, P::Id)).equals((U::Table, U::PropertyId)),
                    )
                    .and_where(Expr::col((U::Table, U::Id)).eq(lease.unit_id.to_string()))
                    .to_owned(),
            )
            .await?;
        let history: Vec<HistoryRow> = self
            .db
            .all(
                &scope::select::<H>(self.org)
                    .columns([
                        H::FromStatus,
                        H::ToStatus,
                        H::EffectiveDate,
                        H::Reason,
                        H::ChangedBy,
                        H::ChangedAt,
                    ])
                    .and_where(Expr::col(H::LeaseId).eq(id.to_string()))
                    .order_by(H::Id, Order::Asc)
                    .to_owned(),
            )
            .await?;
        let status_history = history
            .into_iter()
            .map(|h| {
                Ok(StatusChange {
                    from: h
                        .from_status
                        .as_deref()
                        .map(|s| parse_col("lease_status_history.from_status", s))
                        .transpose()?,
                    to: parse_col("lease_status_history.to_status", &h.to_status)?,
                    effective_date: date_col(
                        "lease_status_history.effective_date",
                        &h.effective_date,
                    )?,
                    reason: h.reason,
                    changed_by: h.changed_by,
                    changed_at: Timestamp(h.changed_at),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(LeaseDetail {
            unit: LeaseUnit {
                id: parse_col("units.id", &unit.id)?,
                name: unit.name,
                suite: unit.suite,
                status: parse_col("units.status", &unit.status)?,
            },
            property: LeaseProperty {
                id: lease.property_id,
                name: unit.property_name,
            },
            lease,
            tenants: brief,
            status_history,
        })
    }
}
