//! What a client sends to create a lease, change its terms or move its status, and the checks
//! of each field on its own (the rules across fields are [`LeaseTerms::check`]).

use serde::Deserialize;

use super::{LateFee, LateFeeKind, LeaseTerms, RentFrequency};
use crate::id::{DocumentId, TenantId, UnitId};
use crate::leasing::LeaseStatus;
use crate::money::{Money, MoneyDto};
use crate::portfolio::nullable;
use crate::time::Date;
use crate::validation::{FieldError, Validator};

pub const TENANTS_MAX: usize = 6;
pub const LEASE_DOCUMENTS_MAX: usize = 20;
pub const LEASE_NOTES_MAX: usize = 5000;
pub const GRACE_DAYS_MAX: i64 = 60;
pub const REASON_MAX: usize = 500;

/// A late fee as sent.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LateFeeInput {
    /// Days after the due day before the fee applies, 0–60 (default 0).
    #[schema(minimum = 0, maximum = 60, example = 5)]
    pub grace_days: Option<i64>,
    #[schema(required = true, value_type = LateFeeKind)]
    pub kind: Option<String>,
    /// Required for `fixed`, not allowed for `percent`.
    pub amount: Option<MoneyDto>,
    /// Required for `percent` (1–10000, 100 = 1 %), not allowed for `fixed`.
    #[schema(minimum = 1, maximum = 10000, example = 500)]
    pub basis_points: Option<i64>,
}

/// `POST /api/leases`. Money is always `{amountMinor, currency}`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LeaseInput {
    #[schema(required = true, value_type = UnitId)]
    pub unit_id: Option<String>,
    /// 1–6 tenants of the organisation, each once; the first is the primary tenant.
    #[schema(required = true, value_type = Vec<TenantId>, min_items = 1, max_items = 6)]
    pub tenant_ids: Option<Vec<String>>,
    #[schema(required = true, value_type = String, format = Date, example = "2026-09-01")]
    pub start_date: Option<String>,
    /// After `startDate`; leave out (or `null`) for a periodic, month-to-month lease.
    #[schema(value_type = Option<String>, format = Date, example = "2027-08-31")]
    pub end_date: Option<String>,
    /// In the unit's currency when the unit has an asking rent.
    #[schema(required = true, value_type = MoneyDto)]
    pub rent: Option<MoneyDto>,
    /// Default `monthly`.
    #[schema(value_type = Option<RentFrequency>)]
    pub rent_frequency: Option<String>,
    /// 1–28 (day of the month) for monthly, quarterly and yearly rent; 1–7 (Monday = 1) for
    /// weekly and fortnightly. Default 1.
    #[schema(minimum = 1, maximum = 28, example = 1)]
    pub rent_due_day: Option<i64>,
    /// In the rent's currency.
    pub deposit: Option<MoneyDto>,
    pub late_fee: Option<LateFeeInput>,
    #[schema(
        max_length = 5000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
    )]
    pub notes: Option<String>,
    /// Documents of the organisation filed with the lease, at most 20.
    #[schema(value_type = Option<Vec<DocumentId>>, max_items = 20)]
    pub document_ids: Option<Vec<String>>,
}

/// `PATCH /api/leases/{id}`: terms, while the lease is `draft` or `pending_signature`. Only the
/// fields sent change; `null` clears `endDate`, `deposit`, `lateFee` and `notes`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LeasePatchInput {
    #[schema(value_type = Option<Vec<TenantId>>, min_items = 1, max_items = 6)]
    pub tenant_ids: Option<Vec<String>>,
    #[schema(value_type = Option<String>, format = Date)]
    pub start_date: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, format = Date)]
    pub end_date: Option<Option<String>>,
    pub rent: Option<MoneyDto>,
    #[schema(value_type = Option<RentFrequency>)]
    pub rent_frequency: Option<String>,
    #[schema(minimum = 1, maximum = 28)]
    pub rent_due_day: Option<i64>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<MoneyDto>)]
    pub deposit: Option<Option<MoneyDto>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<LateFeeInput>)]
    pub late_fee: Option<Option<LateFeeInput>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 5000, pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$")]
    pub notes: Option<Option<String>>,
}

/// `PATCH /api/leases/{id}/status`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LeaseStatusInput {
    #[schema(required = true, value_type = LeaseStatus)]
    pub status: Option<String>,
    #[schema(
        max_length = 500,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$",
        example = "Signed by both parties."
    )]
    pub reason: Option<String>,
    /// When the change takes effect; default today in the organisation's time zone.
    #[schema(value_type = Option<String>, format = Date)]
    pub effective_date: Option<String>,
}

/// A checked new lease.
#[derive(Debug, Clone)]
pub struct NewLease {
    pub unit_id: UnitId,
    pub tenant_ids: Vec<TenantId>,
    pub terms: LeaseTerms,
    pub notes: Option<String>,
    pub document_ids: Vec<DocumentId>,
}

/// A checked change of terms: fields sent, each on its own valid.
#[derive(Debug, Clone, Default)]
pub struct LeasePatch {
    pub tenant_ids: Option<Vec<TenantId>>,
    pub start_date: Option<Date>,
    pub end_date: Option<Option<Date>>,
    pub rent: Option<Money>,
    pub rent_frequency: Option<RentFrequency>,
    pub rent_due_day: Option<i64>,
    pub deposit: Option<Option<Money>>,
    pub late_fee: Option<Option<LateFee>>,
    pub notes: Option<Option<String>>,
}

/// A checked status change.
#[derive(Debug, Clone)]
pub struct StatusChangeRequest {
    pub status: LeaseStatus,
    pub reason: Option<String>,
    pub effective_date: Option<Date>,
}

fn ids<K: crate::id::IdKind>(
    v: &mut Validator,
    field: &str,
    raw: &[String],
    (min, max): (usize, usize),
) -> Option<Vec<crate::id::Id<K>>> {
    if raw.len() < min || raw.len() > max {
        v.error(field, format!("must list between {min} and {max} IDs"));
        return None;
    }
    let mut out: Vec<crate::id::Id<K>> = Vec::with_capacity(raw.len());
    let mut ok = true;
    for (i, r) in raw.iter().enumerate() {
        match r.parse::<crate::id::Id<K>>() {
            Ok(id) if out.contains(&id) => {
                v.error(&format!("{field}[{i}]"), "is listed more than once");
                ok = false;
            }
            Ok(id) => out.push(id),
            Err(e) => {
                v.error(&format!("{field}[{i}]"), e.to_string());
                ok = false;
            }
        }
    }
    ok.then_some(out)
}

fn date(v: &mut Validator, field: &str, raw: Option<&str>) -> Option<Date> {
    v.date(field, raw)
}

fn frequency(v: &mut Validator, raw: Option<&str>) -> Option<RentFrequency> {
    raw.and_then(|f| v.parse_enum::<RentFrequency>("rentFrequency", f.trim()))
}

impl LateFeeInput {
    fn validate(&self, v: &mut Validator) -> Option<LateFee> {
        let mut f = Validator::nested("lateFee");
        let grace_days = f.int_range("graceDays", self.grace_days.unwrap_or(0), 0, GRACE_DAYS_MAX);
        let kind = f
            .required("kind", self.kind.as_deref())
            .and_then(|k| f.parse_enum::<LateFeeKind>("kind", k.trim()));
        let amount = self
            .amount
            .as_ref()
            .and_then(|a| Money::validate_non_negative(&mut f, "amount", a));
        let basis_points = self
            .basis_points
            .and_then(|b| f.int_range("basisPoints", b, 1, 10_000));
        match kind {
            Some(LateFeeKind::Fixed) => {
                if self.amount.is_none() {
                    f.error("amount", "is required for a fixed fee");
                }
                if self.basis_points.is_some() {
                    f.error("basisPoints", "is only for a percent fee");
                }
            }
            Some(LateFeeKind::Percent) => {
                if self.basis_points.is_none() {
                    f.error("basisPoints", "is required for a percent fee");
                }
                if self.amount.is_some() {
                    f.error("amount", "is only for a fixed fee");
                }
            }
            None => {}
        }
        let ok = f.is_ok();
        v.absorb(f.into_errors());
        ok.then(|| LateFee {
            grace_days: grace_days.unwrap(),
            kind: kind.unwrap(),
            amount: amount.map(Money::to_dto),
            basis_points,
        })
    }
}

impl LeaseInput {
    pub fn validate(self) -> Result<NewLease, Vec<FieldError>> {
        let mut v = Validator::new();
        let unit_id = v.required("unitId", self.unit_id.as_deref()).and_then(|u| {
            u.parse::<UnitId>()
                .map_err(|e| v.error("unitId", e.to_string()))
                .ok()
        });
        let tenant_ids = v
            .required("tenantIds", self.tenant_ids.as_deref())
            .and_then(|t| ids(&mut v, "tenantIds", t, (1, TENANTS_MAX)));
        let start_date = v
            .required("startDate", self.start_date.as_deref())
            .and_then(|d| date(&mut v, "startDate", Some(d)));
        let end_date = date(&mut v, "endDate", self.end_date.as_deref());
        let rent = v
            .required("rent", self.rent.as_ref())
            .and_then(|r| Money::validate_non_negative(&mut v, "rent", r));
        let rent_frequency = frequency(&mut v, self.rent_frequency.as_deref());
        let deposit = self
            .deposit
            .as_ref()
            .map(|d| Money::validate_non_negative(&mut v, "deposit", d));
        let late_fee = self.late_fee.as_ref().map(|f| f.validate(&mut v));
        let notes = v.opt_multiline("notes", self.notes.as_deref(), LEASE_NOTES_MAX);
        let document_ids = match self.document_ids.as_deref() {
            Some(d) => ids(&mut v, "documentIds", d, (0, LEASE_DOCUMENTS_MAX)),
            None => Some(Vec::new()),
        };
        if !v.is_ok() {
            return Err(v.into_errors());
        }
        let terms = LeaseTerms {
            start_date: start_date.unwrap(),
            end_date,
            rent: rent.unwrap(),
            rent_frequency: rent_frequency.unwrap_or(RentFrequency::Monthly),
            rent_due_day: self.rent_due_day.unwrap_or(1),
            deposit: deposit.flatten(),
            late_fee: late_fee.flatten(),
        };
        // The rules across fields need the unit's currency: the store checks them with it
        // (`LeaseTerms::check`), together with the unit's own state, so all are reported at once.
        Ok(NewLease {
            unit_id: unit_id.unwrap(),
            tenant_ids: tenant_ids.unwrap(),
            terms,
            notes,
            document_ids: document_ids.unwrap(),
        })
    }
}

impl LeasePatchInput {
    pub fn validate(self) -> Result<LeasePatch, Vec<FieldError>> {
        let mut v = Validator::new();
        let p = LeasePatch {
            tenant_ids: self
                .tenant_ids
                .as_deref()
                .and_then(|t| ids(&mut v, "tenantIds", t, (1, TENANTS_MAX))),
            start_date: self
                .start_date
                .as_deref()
                .and_then(|d| date(&mut v, "startDate", Some(d))),
            end_date: self.end_date.map(|d| date(&mut v, "endDate", d.as_deref())),
            rent: self
                .rent
                .as_ref()
                .and_then(|r| Money::validate_non_negative(&mut v, "rent", r)),
            rent_frequency: frequency(&mut v, self.rent_frequency.as_deref()),
            rent_due_day: self.rent_due_day,
            deposit: self.deposit.map(|d| {
                d.as_ref()
                    .and_then(|d| Money::validate_non_negative(&mut v, "deposit", d))
            }),
            late_fee: self
                .late_fee
                .map(|f| f.as_ref().and_then(|f| f.validate(&mut v))),
            notes: self
                .notes
                .map(|n| v.opt_multiline("notes", n.as_deref(), LEASE_NOTES_MAX)),
        };
        v.finish(|| p)
    }
}

impl LeasePatch {
    /// The terms after the change.
    pub fn apply(&self, mut t: LeaseTerms) -> LeaseTerms {
        if let Some(d) = self.start_date {
            t.start_date = d;
        }
        if let Some(d) = self.end_date {
            t.end_date = d;
        }
        if let Some(r) = self.rent {
            t.rent = r;
        }
        if let Some(f) = self.rent_frequency {
            t.rent_frequency = f;
        }
        if let Some(d) = self.rent_due_day {
            t.rent_due_day = d;
        }
        if let Some(d) = self.deposit {
            t.deposit = d;
        }
        if let Some(f) = &self.late_fee {
            t.late_fee = f.clone();
        }
        t
    }
}

impl LeaseStatusInput {
    pub fn validate(self) -> Result<StatusChangeRequest, Vec<FieldError>> {
        let mut v = Validator::new();
        let status = v
            .required("status", self.status.as_deref())
            .and_then(|s| v.parse_enum::<LeaseStatus>("status", s.trim()));
        let reason = v.opt_multiline("reason", self.reason.as_deref(), REASON_MAX);
        let effective_date = date(&mut v, "effectiveDate", self.effective_date.as_deref());
        v.finish(|| StatusChangeRequest {
            status: status.unwrap(),
            reason,
            effective_date,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(errs: &[FieldError]) -> Vec<&str> {
        errs.iter().map(|e| e.field.as_str()).collect()
    }

    fn lease(extra: serde_json::Value) -> Result<NewLease, Vec<FieldError>> {
        let mut body = json!({
            "unitId": UnitId::new().to_string(), "tenantIds": [TenantId::new().to_string()],
            "startDate": "2026-09-01", "endDate": "2027-08-31",
            "rent": {"amountMinor": 185000, "currency": "CAD"}
        });
        for (k, val) in extra.as_object().unwrap() {
            body[k] = val.clone();
        }
        serde_json::from_value::<LeaseInput>(body)
            .unwrap()
            .validate()
    }

    #[test]
    fn defaults_and_every_field() {
        let l = lease(json!({})).unwrap();
        assert_eq!(l.terms.rent_frequency, RentFrequency::Monthly);
        assert_eq!(l.terms.rent_due_day, 1);
        let errs = serde_json::from_value::<LeaseInput>(json!({}))
            .unwrap()
            .validate()
            .unwrap_err();
        assert_eq!(fields(&errs), ["unitId", "tenantIds", "startDate", "rent"]);
        let t = TenantId::new().to_string();
        let errs = lease(json!({
            "tenantIds": [t, t], "startDate": "2026-02-30", "rentFrequency": "daily",
            "deposit": {"amountMinor": -1, "currency": "CAD"},
            "lateFee": {"kind": "percent", "amount": {"amountMinor": 5, "currency": "CAD"}},
        }))
        .unwrap_err();
        assert_eq!(
            fields(&errs),
            [
                "tenantIds[1]",
                "startDate",
                "rentFrequency",
                "deposit.amountMinor",
                "lateFee.basisPoints",
                "lateFee.amount"
            ]
        );
    }

    #[test]
    fn terms_are_checked_together() {
        let errs = lease(json!({
            "endDate": "2026-09-01", "rentDueDay": 29,
            "deposit": {"amountMinor": 1, "currency": "USD"},
            "lateFee": {"kind": "fixed", "amount": {"amountMinor": 5000, "currency": "EUR"}},
        }))
        .unwrap()
        .terms
        .check(None);
        assert_eq!(
            fields(&errs),
            [
                "endDate",
                "rentDueDay",
                "deposit.currency",
                "lateFee.amount.currency"
            ]
        );
        assert_eq!(errs[1].message, "must be between 1 and 28 for monthly rent");
        let weekly = lease(json!({"rentFrequency": "weekly", "rentDueDay": 8}))
            .unwrap()
            .terms
            .check(None);
        assert_eq!(weekly[0].message, "must be between 1 and 7 for weekly rent");
        let l = lease(json!({"endDate": null})).unwrap();
        assert!(l.terms.end_date.is_none());
        let errs = l.terms.check(Some("USD"));
        assert_eq!(fields(&errs), ["rent.currency"]);
        assert_eq!(errs[0].message, "must be the unit's currency, USD");
    }
}
