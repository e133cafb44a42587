//! Leases: the contract between an organisation and its tenants for a unit, which charges and
//! payments will point at. Its terms are checked as a whole ([`LeaseTerms::check`]) on create
//! and on every change; its status moves only through [`super::LeaseStatus`]'s rules.

mod input;

use serde::{Deserialize, Serialize};

pub use input::{
    LateFeeInput, LeaseInput, LeasePatch, LeasePatchInput, LeaseStatusInput, NewLease,
    StatusChangeRequest,
};

use super::LeaseStatus;
use crate::id::{DocumentId, LeaseId, OrgId, PropertyId, TenantId, UnitId};
use crate::money::{Money, MoneyDto};
use crate::time::{Date, Timestamp};
use crate::validation::FieldError;

crate::string_enum! {
    /// How often rent falls due.
    RentFrequency {
        Weekly => "weekly",
        Fortnightly => "fortnightly",
        Monthly => "monthly",
        Quarterly => "quarterly",
        Yearly => "yearly",
    }
}

impl RentFrequency {
    /// The range of `rentDueDay`: a weekday (1 = Monday) for weekly and fortnightly rent, a
    /// day of the month (1–28, so every month has it) otherwise.
    pub fn due_days(self) -> (i64, i64) {
        match self {
            RentFrequency::Weekly | RentFrequency::Fortnightly => (1, 7),
            _ => (1, 28),
        }
    }
}

crate::string_enum! {
    /// How a late fee is worked out.
    LateFeeKind {
        /// A fixed amount (`amount`).
        Fixed => "fixed",
        /// A share of the rent due (`basisPoints`, 100 = 1 %).
        Percent => "percent",
    }
}

/// What is charged when rent is late, after `graceDays`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LateFee {
    pub grace_days: i64,
    pub kind: LateFeeKind,
    /// For `fixed`.
    pub amount: Option<MoneyDto>,
    /// For `percent`: 1–10000 (100 = 1 %).
    pub basis_points: Option<i64>,
}

/// The terms of a lease that are checked together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseTerms {
    pub start_date: Date,
    pub end_date: Option<Date>,
    pub rent: Money,
    pub rent_frequency: RentFrequency,
    pub rent_due_day: i64,
    pub deposit: Option<Money>,
    pub late_fee: Option<LateFee>,
}

impl LeaseTerms {
    /// The rules across fields: the end after the start, the due day in its frequency's range,
    /// every amount in the rent's currency (and the unit's, when it has one).
    pub fn check(&self, unit_currency: Option<&str>) -> Vec<FieldError> {
        let mut errs = Vec::new();
        if self.end_date.is_some_and(|end| end <= self.start_date) {
            errs.push(FieldError::new("endDate", "must be after startDate"));
        }
        let (lo, hi) = self.rent_frequency.due_days();
        if !(lo..=hi).contains(&self.rent_due_day) {
            let msg = format!(
                "must be between {lo} and {hi} for {} rent",
                self.rent_frequency
            );
            errs.push(FieldError::new("rentDueDay", msg));
        }
        let currency = self.rent.currency.code();
        if let Some(unit) = unit_currency.filter(|u| *u != currency) {
            errs.push(FieldError::new(
                "rent.currency",
                format!("must be the unit's currency, {unit}"),
            ));
        }
        if self.deposit.is_some_and(|d| d.currency.code() != currency) {
            errs.push(FieldError::new(
                "deposit.currency",
                format!("must be the rent's currency, {currency}"),
            ));
        }
        if let Some(amount) = self.late_fee.as_ref().and_then(|f| f.amount.as_ref()) {
            if amount.currency != currency {
                let msg = format!("must be the rent's currency, {currency}");
                errs.push(FieldError::new("lateFee.amount.currency", msg));
            }
        }
        errs
    }
}

/// A lease as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Lease {
    pub id: LeaseId,
    pub organisation_id: OrgId,
    pub unit_id: UnitId,
    pub property_id: PropertyId,
    pub status: LeaseStatus,
    pub start_date: Date,
    /// `null`: periodic (month to month) until notice is given.
    pub end_date: Option<Date>,
    pub rent: MoneyDto,
    pub rent_frequency: RentFrequency,
    pub rent_due_day: i64,
    pub deposit: Option<MoneyDto>,
    pub late_fee: Option<LateFee>,
    pub notes: Option<String>,
    /// The tenants on the lease, the primary tenant first.
    pub tenant_ids: Vec<TenantId>,
    pub primary_tenant_id: TenantId,
    pub document_ids: Vec<DocumentId>,
    /// The lease this one renews, when it came from an accepted renewal offer.
    pub renewal_of_lease_id: Option<LeaseId>,
    pub created_by: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Lease {
    /// The terms as stored, for checking a change.
    pub fn terms(&self) -> Option<LeaseTerms> {
        let money = |m: &MoneyDto| {
            crate::money::Currency::parse(&m.currency).map(|currency| Money {
                amount_minor: m.amount_minor,
                currency,
            })
        };
        Some(LeaseTerms {
            start_date: self.start_date,
            end_date: self.end_date,
            rent: money(&self.rent)?,
            rent_frequency: self.rent_frequency,
            rent_due_day: self.rent_due_day,
            deposit: match &self.deposit {
                Some(d) => Some(money(d)?),
                None => None,
            },
            late_fee: self.late_fee.clone(),
        })
    }

    /// Writes `terms` over the lease's.
    pub fn set_terms(&mut self, t: LeaseTerms) {
        self.start_date = t.start_date;
        self.end_date = t.end_date;
        self.rent = t.rent.to_dto();
        self.rent_frequency = t.rent_frequency;
        self.rent_due_day = t.rent_due_day;
        self.deposit = t.deposit.map(Money::to_dto);
        self.late_fee = t.late_fee;
    }

    /// Whether the lease's dates overlap `other`'s (an open end runs for ever).
    pub fn overlaps(&self, start: Date, end: Option<Date>) -> bool {
        let ends_after_other_starts = self.end_date.is_none_or(|e| e >= start);
        let starts_before_other_ends = end.is_none_or(|e| self.start_date <= e);
        ends_after_other_starts && starts_before_other_ends
    }
}

/// One change of a lease's status.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusChange {
    /// `null` for the lease's creation.
    pub from: Option<LeaseStatus>,
    pub to: LeaseStatus,
    pub effective_date: Date,
    pub reason: Option<String>,
    /// The user or API key that made the change.
    pub changed_by: Option<String>,
    pub changed_at: Timestamp,
}

/// A tenant on a lease, in the lease's details.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LeaseTenant {
    pub id: TenantId,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub primary: bool,
}

/// The unit of a lease, in the lease's details.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LeaseUnit {
    pub id: UnitId,
    pub name: String,
    pub suite: Option<String>,
    pub status: crate::portfolio::UnitStatus,
}

/// The property of a lease, in the lease's details.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LeaseProperty {
    pub id: PropertyId,
    pub name: String,
}

/// A lease with its tenants, unit, property and status history (`GET /api/leases/{id}`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LeaseDetail {
    #[serde(flatten)]
    pub lease: Lease,
    pub tenants: Vec<LeaseTenant>,
    pub unit: LeaseUnit,
    pub property: LeaseProperty,
    /// Oldest first.
    pub status_history: Vec<StatusChange>,
}
