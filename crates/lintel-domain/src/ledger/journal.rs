//! Posted journal entries as the API shows them, the manual entry an admin sends, and balances.

use serde::{Deserialize, Serialize};

use super::entry::{BalancedEntry, Dimensions, Line, Side};
use super::AccountType;
use crate::id::{AccountId, JournalEntryId, LeaseId, OrgId, PropertyId, TenantId, UnitId};
use crate::money::{Money, MoneyDto};
use crate::time::{Date, Timestamp};
use crate::validation::{FieldError, Validator};

crate::string_enum! {
    /// What posted an entry.
    EntrySource {
        /// An admin's entry (an owner contribution, an expense).
        Manual => "manual",
        /// The mirror of an earlier entry.
        Reversal => "reversal",
        Charge => "charge",
        Payment => "payment",
        Refund => "refund",
        /// A payment that came back unpaid (a bounced cheque, a failed transfer).
        PaymentReturn => "payment_return",
        /// A tenant's credit applied to a new charge.
        CreditApplied => "credit_applied",
    }
}

/// One line of a posted entry.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JournalLine {
    pub account_id: AccountId,
    pub side: Side,
    pub amount: MoneyDto,
    #[serde(flatten)]
    pub dims: Dimensions,
}

/// A posted entry. Entries are never changed or deleted: a correction is a reversal.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JournalEntry {
    pub id: JournalEntryId,
    pub organisation_id: OrgId,
    pub entry_date: Date,
    pub memo: Option<String>,
    pub source: EntrySource,
    /// The record that posted it (a charge, a payment), if any.
    pub source_id: Option<String>,
    /// The entry this one reverses.
    pub reversal_of_id: Option<JournalEntryId>,
    /// The entry that reverses this one.
    pub reversed_by_id: Option<JournalEntryId>,
    pub lines: Vec<JournalLine>,
    pub created_by: Option<String>,
    pub created_at: Timestamp,
}

/// One line of a manual entry: an account and a debit or a credit.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EntryLineInput {
    #[schema(required = true, value_type = AccountId)]
    pub account_id: Option<String>,
    /// Exactly one of `debit` and `credit`, more than zero.
    pub debit: Option<MoneyDto>,
    pub credit: Option<MoneyDto>,
    #[schema(value_type = Option<PropertyId>)]
    pub property_id: Option<String>,
    #[schema(value_type = Option<UnitId>)]
    pub unit_id: Option<String>,
    #[schema(value_type = Option<LeaseId>)]
    pub lease_id: Option<String>,
    #[schema(value_type = Option<TenantId>)]
    pub tenant_id: Option<String>,
}

/// `POST /api/journal-entries`: a manual entry whose debits equal its credits in every
/// currency.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ManualEntryInput {
    #[schema(required = true, value_type = String, format = Date, example = "2026-11-30")]
    pub entry_date: Option<String>,
    #[schema(
        max_length = 500,
        pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$",
        example = "Owner contribution"
    )]
    pub memo: Option<String>,
    /// 2–100 lines.
    #[schema(required = true, value_type = Vec<EntryLineInput>, min_items = 2, max_items = 100)]
    pub lines: Option<Vec<EntryLineInput>>,
}

/// A checked manual entry.
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub entry_date: Date,
    pub memo: Option<String>,
    pub entry: BalancedEntry,
}

pub const ENTRY_LINES_MAX: usize = 100;
pub const MEMO_MAX: usize = 500;

pub(super) fn opt_id<T: std::str::FromStr>(
    v: &mut Validator,
    field: &str,
    raw: Option<&str>,
) -> Option<T>
where
    T::Err: std::fmt::Display,
{
    raw?.parse()
        .map_err(|e: T::Err| v.error(field, e.to_string()))
        .ok()
}

impl ManualEntryInput {
    pub fn validate(self) -> Result<NewEntry, Vec<FieldError>> {
        let mut v = Validator::new();
        let entry_date = v
            .required("entryDate", self.entry_date.as_deref())
            .and_then(|d| v.date("entryDate", Some(d)));
        let memo = v.opt_text("memo", self.memo.as_deref(), MEMO_MAX);
        let raw = v.required("lines", self.lines).unwrap_or_default();
        if !raw.is_empty() && !(2..=ENTRY_LINES_MAX).contains(&raw.len()) {
            v.error(
                "lines",
                format!("must have between 2 and {ENTRY_LINES_MAX} lines"),
            );
        }
        let mut lines = Vec::with_capacity(raw.len());
        for (i, l) in raw.into_iter().enumerate() {
            let f = |name: &str| format!("lines[{i}].{name}");
            let account = v
                .required(&f("accountId"), l.account_id.as_deref())
                .and_then(|a| opt_id::<AccountId>(&mut v, &f("accountId"), Some(a)));
            let (side, money) = match (&l.debit, &l.credit) {
                (Some(d), None) => (Side::Debit, Some(d)),
                (None, Some(c)) => (Side::Credit, Some(c)),
                _ => {
                    v.error(&f("debit"), "give exactly one of debit and credit");
                    (Side::Debit, None)
                }
            };
            let field = f(side.as_str());
            let amount = money.and_then(|m| Money::validate_positive(&mut v, &field, m));
            let dims = Dimensions {
                property_id: opt_id(&mut v, &f("propertyId"), l.property_id.as_deref()),
                unit_id: opt_id(&mut v, &f("unitId"), l.unit_id.as_deref()),
                lease_id: opt_id(&mut v, &f("leaseId"), l.lease_id.as_deref()),
                tenant_id: opt_id(&mut v, &f("tenantId"), l.tenant_id.as_deref()),
            };
            if let (Some(account), Some(amount)) = (account, amount) {
                lines.push(Line {
                    account,
                    side,
                    amount,
                    dims,
                });
            }
        }
        if !v.is_ok() {
            return Err(v.into_errors());
        }
        let entry =
            BalancedEntry::new(lines).map_err(|e| vec![FieldError::new("lines", e.to_string())])?;
        Ok(NewEntry {
            entry_date: entry_date.expect("checked"),
            memo,
            entry,
        })
    }
}

/// An account's totals in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CurrencyBalance {
    #[schema(example = "CAD")]
    pub currency: String,
    pub debits_minor: i64,
    pub credits_minor: i64,
    /// On the account's normal side: debits less credits for assets and expenses, credits less
    /// debits for liabilities, equity and income.
    pub balance_minor: i64,
}

impl CurrencyBalance {
    pub fn new(kind: AccountType, currency: String, debits: i64, credits: i64) -> Self {
        let balance_minor = if kind.debit_normal() {
            debits - credits
        } else {
            credits - debits
        };
        CurrencyBalance {
            currency,
            debits_minor: debits,
            credits_minor: credits,
            balance_minor,
        }
    }
}

/// `GET /api/accounts/{id}/balance`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountBalance {
    pub account_id: AccountId,
    #[serde(rename = "type")]
    pub kind: AccountType,
    /// Entries dated on or before this day count.
    pub as_of: Date,
    pub balances: Vec<CurrencyBalance>,
}

/// One account's row of the trial balance, in one currency.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrialBalanceRow {
    pub account_id: AccountId,
    pub code: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: AccountType,
    #[serde(flatten)]
    pub totals: CurrencyBalance,
}

/// `GET /api/ledger/trial-balance`: every account with lines, and per currency the totals,
/// whose debits equal their credits in a sound ledger.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrialBalance {
    pub as_of: Date,
    /// The organisation's base currency, whose totals come first.
    #[schema(example = "CAD")]
    pub base_currency: String,
    pub rows: Vec<TrialBalanceRow>,
    /// Per currency, the base currency first, then the others alphabetically.
    pub totals: Vec<CurrencyBalance>,
    /// Whether debits equal credits in every currency.
    pub balanced: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(lines: serde_json::Value) -> Result<NewEntry, Vec<FieldError>> {
        let body = json!({"entryDate": "2026-11-30", "memo": "Owner contribution", "lines": lines});
        serde_json::from_value::<ManualEntryInput>(body)
            .unwrap()
            .validate()
    }

    #[test]
    fn a_manual_entry_must_balance() {
        let (a, b) = (AccountId::new().to_string(), AccountId::new().to_string());
        let ok = entry(json!([
            {"accountId": a, "debit": {"amountMinor": 100000, "currency": "CAD"}},
            {"accountId": b, "credit": {"amountMinor": 100000, "currency": "CAD"}},
        ]))
        .unwrap();
        assert_eq!(ok.entry.lines().len(), 2);
        let errs = entry(json!([
            {"accountId": a, "debit": {"amountMinor": 100000, "currency": "CAD"}},
            {"accountId": b, "credit": {"amountMinor": 90000, "currency": "CAD"}},
        ]))
        .unwrap_err();
        assert_eq!(errs[0].field, "lines");
        assert!(
            errs[0].message.contains("differ in CAD"),
            "{}",
            errs[0].message
        );
        let errs = entry(json!([
            {"accountId": "x", "debit": {"amountMinor": 0, "currency": "CAD"}},
            {"accountId": b, "debit": {"amountMinor": 1, "currency": "CAD"}, "credit": {"amountMinor": 1, "currency": "CAD"}},
        ]))
        .unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "lines[0].accountId",
                "lines[0].debit.amountMinor",
                "lines[1].debit"
            ]
        );
        assert_eq!(
            CurrencyBalance::new(AccountType::Income, "CAD".into(), 100, 350).balance_minor,
            250
        );
    }
}

crate::string_enum! {
    /// A way the journal can be unsound.
    DiscrepancyKind {
        /// An entry's lines do not balance in a currency.
        UnbalancedEntry => "unbalanced_entry",
        /// An entry with fewer than two lines.
        EntryWithoutLines => "entry_without_lines",
        /// A line dated otherwise than its entry.
        LineDateMismatch => "line_date_mismatch",
        /// A line on an account that is not the organisation's.
        LineOnUnknownAccount => "line_on_unknown_account",
        /// A line whose entry is not there, or is another organisation's.
        OrphanLine => "orphan_line",
        /// A reversal whose lines do not undo the entry it reverses.
        ReversalDoesNotMirror => "reversal_does_not_mirror",
        /// A charge whose paid total or status disagrees with the payments allocated to it.
        ChargePaidMismatch => "charge_paid_mismatch",
        /// A payment whose applied or refunded total or status disagrees with its allocations
        /// and refunds.
        PaymentTotalsMismatch => "payment_totals_mismatch",
        /// A lease whose credit held in prepaid rent differs from its payments' unapplied
        /// amounts.
        CreditMismatch => "credit_mismatch",
        /// An account's kept totals for a day and currency differ from its lines'.
        AccountTotalsMismatch => "account_totals_mismatch",
    }
}

/// One finding of the integrity check, with the IDs to look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Discrepancy {
    pub kind: DiscrepancyKind,
    pub entry_id: Option<String>,
    pub line_id: Option<String>,
    pub account_id: Option<String>,
    /// The charge, payment or lease it is about, for the findings on them.
    pub record_id: Option<String>,
    /// What was found, in words and figures.
    pub detail: String,
}

/// `GET /api/ledger/integrity`: every rule of the journal recomputed from its rows.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IntegrityReport {
    /// Whose books were checked.
    pub organisation_id: crate::id::OrgId,
    /// No discrepancy found.
    pub sound: bool,
    pub entries_checked: i64,
    pub lines_checked: i64,
    pub discrepancies: Vec<Discrepancy>,
}
