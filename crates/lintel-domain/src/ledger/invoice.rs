//! Invoices: a lease's open charges grouped under a number, with an issue and a due date. An
//! invoice never moves money; its status follows the payments applied to its charges.

use serde::{Deserialize, Serialize};

use super::payment::Payer;
use super::ChargeKind;
use crate::id::{ChargeId, InvoiceId, LeaseId, OrgId, PropertyId, TenantId, UnitId};
use crate::time::{Date, Timestamp};
use crate::validation::{FieldError, Validator};

crate::string_enum! {
    /// Where an invoice stands. `draft` until issued; then `issued`, `partially_paid` or `paid`
    /// as payments reach its charges, and `overdue` while issued and not paid after its due
    /// date; `void` once cancelled (it keeps its number).
    InvoiceStatus {
        Draft => "draft",
        Issued => "issued",
        PartiallyPaid => "partially_paid",
        Paid => "paid",
        Void => "void",
        Overdue => "overdue",
    }
}

impl InvoiceStatus {
    /// The status shown on `today`: the stored one, `overdue` for an issued invoice not paid
    /// in full after its due date.
    pub fn shown(self, due: Date, today: Date) -> InvoiceStatus {
        match self {
            InvoiceStatus::Issued | InvoiceStatus::PartiallyPaid if due < today => {
                InvoiceStatus::Overdue
            }
            s => s,
        }
    }

    /// The stored status of an issued invoice from its charges' totals.
    pub fn from_totals(total: i64, paid: i64) -> InvoiceStatus {
        if total > 0 && paid >= total {
            InvoiceStatus::Paid
        } else if paid > 0 {
            InvoiceStatus::PartiallyPaid
        } else {
            InvoiceStatus::Issued
        }
    }
}

/// A charge on an invoice, as it stands now.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceLine {
    pub charge_id: ChargeId,
    pub kind: ChargeKind,
    pub description: Option<String>,
    pub due_date: Date,
    pub amount_minor: i64,
    pub paid_minor: i64,
}

/// An invoice as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Invoice {
    pub id: InvoiceId,
    pub organisation_id: OrgId,
    /// `INV-000001`: per organisation, in order of creation, with no gaps.
    #[schema(example = "INV-000001")]
    pub number: String,
    pub lease_id: LeaseId,
    pub tenant_id: TenantId,
    pub property_id: PropertyId,
    pub unit_id: UnitId,
    pub status: InvoiceStatus,
    pub issue_date: Date,
    pub due_date: Date,
    pub currency: String,
    /// The charges' amounts, in minor units.
    pub total_minor: i64,
    /// Paid towards its charges so far.
    pub paid_minor: i64,
    /// Still owed: total less paid.
    pub balance_minor: i64,
    pub notes: Option<String>,
    pub lines: Vec<InvoiceLine>,
    pub issued_at: Option<Timestamp>,
    pub voided_at: Option<Timestamp>,
    pub created_by: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

pub const INVOICE_NOTES_MAX: usize = 2000;
pub const INVOICE_CHARGES_MAX: usize = 200;

/// `POST /api/invoices`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InvoiceInput {
    /// The lease invoiced; give this or `tenantId`.
    #[schema(value_type = Option<LeaseId>)]
    pub lease_id: Option<String>,
    /// The tenant invoiced; without `leaseId`, their one lease in force.
    #[schema(value_type = Option<TenantId>)]
    pub tenant_id: Option<String>,
    /// The open charges to group (of that lease, on no other invoice that is not void);
    /// default: every such charge.
    #[schema(value_type = Option<Vec<ChargeId>>, min_items = 1, max_items = 200)]
    pub charge_ids: Option<Vec<String>>,
    /// Default: today in the organisation's time zone.
    #[schema(value_type = Option<String>, format = Date, example = "2026-12-01")]
    pub issue_date: Option<String>,
    /// On or after the issue date.
    #[schema(required = true, value_type = String, format = Date, example = "2026-12-15")]
    pub due_date: Option<String>,
    #[schema(max_length = 2000, example = "Rent for December")]
    pub notes: Option<String>,
}

/// A validated [`InvoiceInput`].
#[derive(Debug, Clone)]
pub struct NewInvoice {
    pub payer: Payer,
    pub charge_ids: Option<Vec<ChargeId>>,
    pub issue_date: Option<Date>,
    pub due_date: Date,
    pub notes: Option<String>,
}

impl InvoiceInput {
    pub fn validate(self) -> Result<NewInvoice, Vec<FieldError>> {
        let mut v = Validator::new();
        let payer =
            super::payment::payer(&mut v, self.lease_id.as_deref(), self.tenant_id.as_deref());
        let charge_ids = self.charge_ids.map(|ids| {
            if ids.is_empty() {
                v.error("chargeIds", "must name at least one charge");
            }
            if ids.len() > INVOICE_CHARGES_MAX {
                v.error(
                    "chargeIds",
                    format!("must have at most {INVOICE_CHARGES_MAX} entries"),
                );
            }
            let mut out: Vec<ChargeId> = Vec::with_capacity(ids.len());
            for (i, raw) in ids.iter().enumerate() {
                let field = format!("chargeIds[{i}]");
                match raw.trim().parse::<ChargeId>() {
                    Ok(id) if out.contains(&id) => v.error(&field, "is named twice"),
                    Ok(id) => out.push(id),
                    Err(_) => v.error(&field, "must be a charge ID (chg_…)"),
                }
            }
            out
        });
        let issue_date = self
            .issue_date
            .as_deref()
            .and_then(|d| v.date("issueDate", Some(d)));
        let due_date = v
            .required("dueDate", self.due_date.as_deref())
            .and_then(|d| v.date("dueDate", Some(d)));
        if let (Some(i), Some(d)) = (issue_date, due_date) {
            if d < i {
                v.error("dueDate", "must be on or after the issue date");
            }
        }
        let notes = v.opt_text("notes", self.notes.as_deref(), INVOICE_NOTES_MAX);
        v.finish(|| NewInvoice {
            payer: payer.expect("valid"),
            charge_ids,
            issue_date,
            due_date: due_date.expect("valid"),
            notes: notes.filter(|n| !n.is_empty()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_follows_payments_and_the_due_date() {
        let d = |s| Date::parse(s).unwrap();
        assert_eq!(InvoiceStatus::from_totals(100, 0), InvoiceStatus::Issued);
        assert_eq!(
            InvoiceStatus::from_totals(100, 40),
            InvoiceStatus::PartiallyPaid
        );
        assert_eq!(InvoiceStatus::from_totals(100, 100), InvoiceStatus::Paid);
        let due = d("2026-12-15");
        assert_eq!(
            InvoiceStatus::Issued.shown(due, d("2026-12-16")),
            InvoiceStatus::Overdue
        );
        assert_eq!(
            InvoiceStatus::Issued.shown(due, d("2026-12-15")),
            InvoiceStatus::Issued
        );
        assert_eq!(
            InvoiceStatus::Paid.shown(due, d("2027-01-01")),
            InvoiceStatus::Paid
        );
        assert_eq!(
            InvoiceStatus::Draft.shown(due, d("2027-01-01")),
            InvoiceStatus::Draft
        );
    }

    #[test]
    fn every_bad_field_is_named() {
        let input = InvoiceInput {
            charge_ids: Some(vec!["chg_x".into()]),
            issue_date: Some("2026-12-10".into()),
            due_date: Some("2026-12-01".into()),
            ..InvoiceInput::default()
        };
        let mut fields: Vec<String> = input
            .validate()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        fields.sort();
        assert_eq!(fields, ["chargeIds[0]", "dueDate", "leaseId"]);
    }
}
