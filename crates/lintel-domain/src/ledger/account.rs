//! The chart of accounts: the system accounts every organisation has from its creation, and the
//! custom accounts its admins add.

use serde::{Deserialize, Serialize};

use crate::id::{AccountId, OrgId};
use crate::time::Timestamp;
use crate::validation::{FieldError, Validator};

crate::string_enum! {
    /// What an account records. Assets and expenses grow with debits; liabilities, equity and
    /// income grow with credits.
    AccountType {
        Asset => "asset",
        Liability => "liability",
        Equity => "equity",
        Income => "income",
        Expense => "expense",
    }
}

impl AccountType {
    /// Whether a debit increases the account's balance.
    pub fn debit_normal(self) -> bool {
        matches!(self, AccountType::Asset | AccountType::Expense)
    }
}

crate::string_enum! {
    /// The accounts the ledger itself posts to; each organisation has one of each.
    SystemAccount {
        OperatingBank => "operating_bank",
        UndepositedFunds => "undeposited_funds",
        AccountsReceivable => "accounts_receivable",
        SecurityDepositsHeld => "security_deposits_held",
        PrepaidRent => "prepaid_rent",
        RentalIncome => "rental_income",
        LateFeeIncome => "late_fee_income",
        OtherIncome => "other_income",
        MaintenanceExpense => "maintenance_expense",
        AccountsPayable => "accounts_payable",
        OwnerEquity => "owner_equity",
    }
}

impl SystemAccount {
    /// Its code, name and type in a new chart of accounts.
    pub fn chart(self) -> (&'static str, &'static str, AccountType) {
        use AccountType::*;
        match self {
            SystemAccount::OperatingBank => ("1000", "Operating bank", Asset),
            SystemAccount::UndepositedFunds => ("1010", "Undeposited funds", Asset),
            SystemAccount::AccountsReceivable => ("1200", "Accounts receivable (tenants)", Asset),
            SystemAccount::SecurityDepositsHeld => ("2100", "Security deposits held", Liability),
            SystemAccount::PrepaidRent => ("2200", "Prepaid rent and tenant credit", Liability),
            SystemAccount::AccountsPayable => ("2000", "Accounts payable", Liability),
            SystemAccount::OwnerEquity => ("3000", "Owner equity", Equity),
            SystemAccount::RentalIncome => ("4000", "Rental income", Income),
            SystemAccount::LateFeeIncome => ("4100", "Late-fee income", Income),
            SystemAccount::OtherIncome => ("4900", "Other income", Income),
            SystemAccount::MaintenanceExpense => ("5000", "Maintenance and repairs", Expense),
        }
    }
}

/// An account as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    pub id: AccountId,
    pub organisation_id: OrgId,
    #[schema(example = "4000")]
    pub code: String,
    #[schema(example = "Rental income")]
    pub name: String,
    #[serde(rename = "type")]
    pub kind: AccountType,
    /// The ledger's own account this is (`null` for a custom account). System accounts cannot
    /// be archived.
    pub system: Option<SystemAccount>,
    pub archived_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

pub const ACCOUNT_NAME_MAX: usize = 120;
pub const ACCOUNT_CODE_MAX: usize = 20;
/// An account code: letters, digits, `.` and `-`.
pub const ACCOUNT_CODE_PATTERN: &str = r"^[A-Za-z0-9][A-Za-z0-9.-]*$";

fn code_ok(code: &str) -> bool {
    let mut chars = code.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

/// A code is taken exactly as sent (no trimming): letters, digits, `.` and `-`.
fn code(v: &mut Validator, raw: Option<&str>) -> Option<String> {
    let c = raw?;
    if c.chars().count() > ACCOUNT_CODE_MAX {
        v.error(
            "code",
            format!("must be at most {ACCOUNT_CODE_MAX} characters"),
        );
        return None;
    }
    if !code_ok(c) {
        v.error(
            "code",
            "must be letters, digits, '.' or '-', starting with a letter or digit",
        );
        return None;
    }
    Some(c.to_string())
}

/// `POST /api/accounts`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccountInput {
    /// Unique in the organisation.
    #[schema(required = true, value_type = String, min_length = 1, max_length = 20,
        pattern = r"^[A-Za-z0-9][A-Za-z0-9.-]*$", example = "6100")]
    pub code: Option<String>,
    #[schema(required = true, value_type = String, min_length = 1, max_length = 120,
        pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*[^\x00-\x20\x7f-\xa0\u1680\u180e\u2000-\u200d\u2028-\u202f\u205f-\u2064\u2066-\u2069\u3000\ufeff][^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$",
        example = "Landscaping")]
    pub name: Option<String>,
    /// Fixed at creation.
    #[serde(rename = "type")]
    #[schema(required = true, value_type = AccountType)]
    pub kind: Option<String>,
}

/// A checked new account.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub code: String,
    pub name: String,
    pub kind: AccountType,
}

impl AccountInput {
    pub fn validate(self) -> Result<NewAccount, Vec<FieldError>> {
        let mut v = Validator::new();
        let code_given = v.required("code", self.code.as_deref()).is_some();
        let code = if code_given {
            code(&mut v, self.code.as_deref())
        } else {
            None
        };
        let name = v
            .required("name", self.name.as_deref())
            .and_then(|n| v.text("name", n, 1, ACCOUNT_NAME_MAX));
        let kind = v
            .required("type", self.kind.as_deref())
            .and_then(|k| v.parse_enum::<AccountType>("type", k.trim()));
        v.finish(|| NewAccount {
            code: code.unwrap(),
            name: name.unwrap(),
            kind: kind.unwrap(),
        })
    }
}

/// `PATCH /api/accounts/{id}`: the name and the code; the type never changes.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccountPatchInput {
    #[schema(
        min_length = 1,
        max_length = 20,
        pattern = r"^[A-Za-z0-9][A-Za-z0-9.-]*$"
    )]
    pub code: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 120,
        pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*[^\x00-\x20\x7f-\xa0\u1680\u180e\u2000-\u200d\u2028-\u202f\u205f-\u2064\u2066-\u2069\u3000\ufeff][^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
    )]
    pub name: Option<String>,
}

/// A checked change of an account.
#[derive(Debug, Clone, Default)]
pub struct AccountPatch {
    pub code: Option<String>,
    pub name: Option<String>,
}

impl AccountPatchInput {
    pub fn validate(self) -> Result<AccountPatch, Vec<FieldError>> {
        let mut v = Validator::new();
        let code = code(&mut v, self.code.as_deref());
        let name = self
            .name
            .as_deref()
            .and_then(|n| v.text("name", n, 1, ACCOUNT_NAME_MAX));
        v.finish(|| AccountPatch { code, name })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_has_unique_codes_and_the_named_accounts() {
        let mut codes: Vec<&str> = SystemAccount::ALL.iter().map(|a| a.chart().0).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), SystemAccount::ALL.len());
        assert_eq!(
            SystemAccount::SecurityDepositsHeld.chart().2,
            AccountType::Liability
        );
        assert!(AccountType::Asset.debit_normal() && !AccountType::Income.debit_normal());
    }

    #[test]
    fn accounts_are_checked() {
        let errs = AccountInput {
            code: Some("-x".into()),
            name: Some(" ".into()),
            kind: Some("cash".into()),
        }
        .validate()
        .unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["code", "name", "type"]);
        let ok = AccountInput {
            code: Some("6100".into()),
            name: Some("Landscaping".into()),
            kind: Some("expense".into()),
        }
        .validate()
        .unwrap();
        assert_eq!(ok.kind, AccountType::Expense);
        assert!(code_ok("4000.10-a") && !code_ok("") && !code_ok("a b"));
    }
}
