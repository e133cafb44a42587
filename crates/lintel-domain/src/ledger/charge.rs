//! Charges: what a lease's tenants owe (rent, a deposit, a late fee, a utility, a fee) or are
//! credited, each posted as a journal entry against receivables.

use serde::{Deserialize, Serialize};

use super::SystemAccount;
use crate::id::{ChargeId, JournalEntryId, LeaseId, OrgId, PropertyId, TenantId, UnitId};
use crate::money::{Money, MoneyDto};
use crate::time::{Date, Timestamp};
use crate::validation::{FieldError, Validator};

crate::string_enum! {
    /// What a charge is for.
    ChargeKind {
        Rent => "rent",
        Deposit => "deposit",
        LateFee => "late_fee",
        Utility => "utility",
        Fee => "fee",
        /// A credit note: lowers what the tenants owe.
        Credit => "credit",
        Other => "other",
    }
}

impl ChargeKind {
    /// The accounts its entry debits and credits: receivables against the income or liability
    /// it earns; a credit note the other way round.
    pub fn accounts(self) -> (SystemAccount, SystemAccount) {
        use SystemAccount::*;
        match self {
            ChargeKind::Rent => (AccountsReceivable, RentalIncome),
            ChargeKind::Deposit => (AccountsReceivable, SecurityDepositsHeld),
            ChargeKind::LateFee => (AccountsReceivable, LateFeeIncome),
            ChargeKind::Utility | ChargeKind::Fee | ChargeKind::Other => {
                (AccountsReceivable, OtherIncome)
            }
            ChargeKind::Credit => (RentalIncome, AccountsReceivable),
        }
    }
}

crate::string_enum! {
    /// Where a charge stands: `open` until something is paid towards it, `void` once reversed.
    ChargeStatus {
        Open => "open",
        PartiallyPaid => "partially_paid",
        Paid => "paid",
        Void => "void",
    }
}

/// A charge as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Charge {
    pub id: ChargeId,
    pub organisation_id: OrgId,
    pub lease_id: LeaseId,
    /// The lease's primary tenant.
    pub tenant_id: TenantId,
    pub property_id: PropertyId,
    pub unit_id: UnitId,
    pub kind: ChargeKind,
    pub amount: MoneyDto,
    pub due_date: Date,
    pub description: Option<String>,
    pub status: ChargeStatus,
    /// Paid towards it so far, in minor units.
    pub paid_minor: i64,
    /// The journal entry that posted it.
    pub entry_id: JournalEntryId,
    /// The reversal that voided it.
    pub void_entry_id: Option<JournalEntryId>,
    /// What billing posted it for: `rent:<period start>`, `deposit` (on activation) or
    /// `late_fee:<rent charge>`; `null` for a charge posted by hand.
    #[schema(example = "rent:2026-12-01")]
    pub billing_key: Option<String>,
    /// The last day a rent charge covers (its period runs from `dueDate`).
    pub period_end: Option<Date>,
    pub created_by: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

pub const CHARGE_DESCRIPTION_MAX: usize = 500;

/// `POST /api/leases/{id}/charges`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChargeInput {
    #[schema(required = true, value_type = ChargeKind)]
    pub kind: Option<String>,
    /// More than zero, in the lease's currency.
    #[schema(required = true, value_type = MoneyDto)]
    pub amount: Option<MoneyDto>,
    #[schema(required = true, value_type = String, format = Date, example = "2026-12-01")]
    pub due_date: Option<String>,
    #[schema(
        max_length = 500,
        pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$",
        example = "December rent"
    )]
    pub description: Option<String>,
}

/// A checked charge; its currency is checked against the lease's by the store.
#[derive(Debug, Clone)]
pub struct NewCharge {
    pub kind: ChargeKind,
    pub amount: Money,
    pub due_date: Date,
    pub description: Option<String>,
    /// What a billing run posts it for (`rent:<period start>`, `deposit`, `late_fee:<charge>`):
    /// one charge per key and lease. `None` for a charge posted by hand.
    pub billing_key: Option<String>,
    /// The last day a rent charge covers.
    pub period_end: Option<Date>,
}

impl ChargeInput {
    pub fn validate(self) -> Result<NewCharge, Vec<FieldError>> {
        let mut v = Validator::new();
        let kind = v
            .required("kind", self.kind.as_deref())
            .and_then(|k| v.parse_enum::<ChargeKind>("kind", k.trim()));
        let amount = v
            .required("amount", self.amount.as_ref())
            .and_then(|a| Money::validate_positive(&mut v, "amount", a));
        let due_date = v
            .required("dueDate", self.due_date.as_deref())
            .and_then(|d| v.date("dueDate", Some(d)));
        let description = v.opt_text(
            "description",
            self.description.as_deref(),
            CHARGE_DESCRIPTION_MAX,
        );
        v.finish(|| NewCharge {
            kind: kind.unwrap(),
            amount: amount.unwrap(),
            due_date: due_date.unwrap(),
            description,
            billing_key: None,
            period_end: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_posts_against_receivables() {
        for k in ChargeKind::ALL {
            let (debit, credit) = k.accounts();
            assert!(
                debit == SystemAccount::AccountsReceivable
                    || credit == SystemAccount::AccountsReceivable
            );
            assert_ne!(debit, credit);
        }
        assert_eq!(
            ChargeKind::Deposit.accounts().1,
            SystemAccount::SecurityDepositsHeld
        );
        let errs = ChargeInput {
            kind: Some("rent".into()),
            amount: Some(MoneyDto {
                amount_minor: 0,
                currency: "CAD".into(),
            }),
            due_date: Some("2026-13-01".into()),
            description: None,
        }
        .validate()
        .unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["amount.amountMinor", "dueDate"]);
    }
}

/// One movement on a lease's account: a charge, a credit, a payment or a reversal.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LeaseLedgerLine {
    pub entry_id: JournalEntryId,
    pub date: Date,
    pub source: super::EntrySource,
    /// The charge or payment that posted it.
    pub source_id: Option<String>,
    pub memo: Option<String>,
    /// What it adds to what the tenants owe (negative when it lowers it).
    pub amount_minor: i64,
    /// What the tenants owe after it.
    pub balance_minor: i64,
}

/// `GET /api/leases/{id}/ledger`: the lease's account, line by line with a running balance.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LeaseLedger {
    pub lease_id: LeaseId,
    #[schema(example = "CAD")]
    pub currency: String,
    /// Oldest first.
    pub lines: Vec<LeaseLedgerLine>,
    /// Owed for everything posted, due or not, less the credit held (negative when the
    /// tenants are in credit).
    pub balance_minor: i64,
    /// Owed for what is due today or earlier (in the organisation's time zone).
    pub due_now_minor: i64,
    /// Security deposits held for the lease.
    pub deposit_held_minor: i64,
    /// Paid in advance and not yet applied to a charge (prepaid rent).
    pub credit_held_minor: i64,
}
