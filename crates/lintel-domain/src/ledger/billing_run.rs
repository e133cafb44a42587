//! `POST /api/billing/run`: what a billing run is asked for and what it reports.

use serde::{Deserialize, Serialize};

use super::Charge;
use crate::time::Date;
use crate::validation::{FieldError, Validator};

/// How far past today a run may bill: rent is posted ahead of time, but not for years ahead.
pub const BILLING_AHEAD_DAYS: i64 = 3 * 366;

/// `POST /api/billing/run`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BillingRunInput {
    /// Bill every lease in force for rent due on or before this day, and late fees that apply
    /// by then. At most three years after today.
    #[schema(required = true, value_type = String, format = Date, example = "2026-12-31")]
    pub through: Option<String>,
}

impl BillingRunInput {
    /// The day to bill through, given today in the organisation's time zone.
    pub fn validate(self, today: Date) -> Result<Date, Vec<FieldError>> {
        let mut v = Validator::new();
        let through = v
            .required("through", self.through.as_deref())
            .and_then(|d| v.date("through", Some(d)));
        if let Some(t) = through {
            if t > today.add_days(BILLING_AHEAD_DAYS) {
                v.error("through", "must be at most three years after today");
            }
        }
        v.finish(|| through.expect("present when valid"))
    }
}

/// What a billing run posted. Running it again through the same day posts nothing more.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BillingRun {
    pub through: Option<Date>,
    /// Leases in force looked at.
    pub leases: u64,
    /// Rent charges posted.
    pub rent_charges: u64,
    /// Late fees posted.
    pub late_fees: u64,
    /// Deposit charges posted (only when a lease is activated).
    pub deposit_charges: u64,
    /// Every charge posted, oldest due first.
    pub charges: Vec<Charge>,
}

impl BillingRun {
    /// Adds what one lease's billing posted.
    pub fn add(&mut self, posted: Vec<Charge>) {
        use super::ChargeKind;
        self.leases += 1;
        for c in &posted {
            match c.kind {
                ChargeKind::Rent => self.rent_charges += 1,
                ChargeKind::LateFee => self.late_fees += 1,
                ChargeKind::Deposit => self.deposit_charges += 1,
                _ => {}
            }
        }
        self.charges.extend(posted);
    }
}
