//! The ledger rows of the table: accounts, and manual journal entries with their lines. A line
//! is checked inside an entry, with a second line that mirrors it so that the entry balances
//! whenever the line itself is valid.

use lintel_domain::ledger::{
    AccountInput, AccountPatchInput, BillingRunInput, ChargeInput, InvoiceInput, ManualEntryInput,
    PaymentInput, RefundInput, ReturnInput,
};
use serde_json::{json, Value};

use super::{run, Check};

/// The line on the other side of `line`, for the same amount.
fn mirror(line: &Value) -> Value {
    let mut m = json!({"accountId": "acct_01jdc8k5m3q7r9t1v3x5z7b9d1"});
    match (line.get("debit"), line.get("credit")) {
        (Some(d), None) => m["credit"] = d.clone(),
        (None, Some(c)) => m["debit"] = c.clone(),
        _ => m["credit"] = json!({"amountMinor": 1, "currency": "CAD"}),
    }
    m
}

/// `line` as the first line of an entry, through the entry's validator, its fields reported
/// without the `lines[0].` prefix; the mirror line's own errors are left out.
fn in_entry(line: Value) -> Result<(), Vec<String>> {
    let body = json!({"entryDate": "2026-11-30", "lines": [line.clone(), mirror(&line)]});
    let out = run(body, |i: ManualEntryInput| i.validate().map(drop));
    out.or_else(|fields| {
        let own: Vec<String> = fields
            .into_iter()
            .filter(|f| !f.starts_with("lines[1]") && f != "lines")
            .map(|f| f.strip_prefix("lines[0].").map(str::to_string).unwrap_or(f))
            .collect();
        if own.is_empty() {
            Ok(())
        } else {
            Err(own)
        }
    })
}

/// `allocation` as the only allocation of a payment large enough for it, its fields reported
/// without the `allocations[0].` prefix; the payment's own errors are left out.
fn in_payment(allocation: Value) -> Result<(), Vec<String>> {
    let body = json!({"leaseId": "lease_01jdc8k5m3q7r9t1v3x5z7b9d1",
                      "amount": {"amountMinor": 10_000_000_000_000_i64, "currency": "CAD"},
                      "method": "cash", "allocations": [allocation]});
    run(body, |i: PaymentInput| i.validate().map(drop)).or_else(|fields| {
        let own: Vec<String> = fields
            .into_iter()
            .filter(|f| f == "*" || f.starts_with("allocations[0]"))
            .map(|f| f.trim_start_matches("allocations[0].").to_string())
            .collect();
        if own.is_empty() {
            Ok(())
        } else {
            Err(own)
        }
    })
}

pub fn inputs() -> Vec<(&'static str, Value, Check)> {
    vec![
        (
            "AccountInput",
            json!({"code": "6100", "name": "Landscaping", "type": "expense"}),
            |b| run(b, |i: AccountInput| i.validate().map(drop)),
        ),
        ("AccountPatchInput", json!({}), |b| {
            run(b, |i: AccountPatchInput| i.validate().map(drop))
        }),
        (
            "ManualEntryInput",
            json!({"entryDate": "2026-11-30", "lines": [
                {"accountId": "acct_01jdc8k5m3q7r9t1v3x5z7b9d1", "debit": {"amountMinor": 500, "currency": "CAD"}},
                {"accountId": "acct_01jdc8k5m3q7r9t1v3x5z7b9d2", "credit": {"amountMinor": 500, "currency": "CAD"}}
            ]}),
            |b| run(b, |i: ManualEntryInput| i.validate().map(drop)),
        ),
        (
            "ChargeInput",
            json!({"kind": "rent", "amount": {"amountMinor": 185000, "currency": "CAD"},
                   "dueDate": "2026-12-01"}),
            |b| run(b, |i: ChargeInput| i.validate().map(drop)),
        ),
        ("BillingRunInput", json!({"through": "2026-12-31"}), |b| {
            let today = lintel_domain::Date::parse("2026-11-30").unwrap();
            run(b, |i: BillingRunInput| i.validate(today).map(drop))
        }),
        (
            "CardCheckoutInput",
            json!({"leaseId": "lease_01jdc8k5m3q7r9t1v3x5z7b9d1",
                   "amount": {"amountMinor": 2500, "currency": "CAD"}}),
            |b| {
                run(b, |i: lintel_domain::ledger::CardCheckoutInput| {
                    i.validate().map(drop)
                })
            },
        ),
        ("BillingCheckoutInput", json!({"plan": "pro"}), |b| {
            run(b, |i: lintel_domain::BillingCheckoutInput| {
                i.validate().map(drop)
            })
        }),
        (
            "InvoiceInput",
            json!({"leaseId": "lease_01jdc8k5m3q7r9t1v3x5z7b9d1",
                   "chargeIds": ["chg_01jdc8k5m3q7r9t1v3x5z7b9d1"], "dueDate": "2026-12-15"}),
            |b| run(b, |i: InvoiceInput| i.validate().map(drop)),
        ),
        // Named through the tenant instead: leaseId is then not needed.
        (
            "InvoiceInput",
            json!({"tenantId": "ten_01jdc8k5m3q7r9t1v3x5z7b9d1", "dueDate": "2026-12-15"}),
            |b| run(b, |i: InvoiceInput| i.validate().map(drop)),
        ),
        (
            "PaymentInput",
            json!({"leaseId": "lease_01jdc8k5m3q7r9t1v3x5z7b9d1",
                   "amount": {"amountMinor": 185000, "currency": "CAD"}, "method": "cash"}),
            |b| run(b, |i: PaymentInput| i.validate().map(drop)),
        ),
        // A cheque carries its number: the variant in which chequeNumber's bounds are checked.
        (
            "PaymentInput",
            json!({"tenantId": "ten_01jdc8k5m3q7r9t1v3x5z7b9d1",
                   "amount": {"amountMinor": 185000, "currency": "CAD"}, "method": "cheque",
                   "chequeNumber": "000123"}),
            |b| run(b, |i: PaymentInput| i.validate().map(drop)),
        ),
        (
            "AllocationInput",
            json!({"chargeId": "chg_01jdc8k5m3q7r9t1v3x5z7b9d1",
                   "amount": {"amountMinor": 500, "currency": "CAD"}}),
            in_payment,
        ),
        (
            "RefundInput",
            json!({"amount": {"amountMinor": 500, "currency": "CAD"}}),
            |b| run(b, |i: RefundInput| i.validate().map(drop)),
        ),
        ("ReturnInput", json!({"reason": "Cheque returned"}), |b| {
            run(b, |i: ReturnInput| i.validate().map(drop))
        }),
        // A line takes a debit or a credit: one row for each.
        (
            "EntryLineInput",
            json!({"accountId": "acct_01jdc8k5m3q7r9t1v3x5z7b9d1", "debit": {"amountMinor": 500, "currency": "CAD"}}),
            in_entry,
        ),
        (
            "EntryLineInput",
            json!({"accountId": "acct_01jdc8k5m3q7r9t1v3x5z7b9d1", "credit": {"amountMinor": 500, "currency": "CAD"}}),
            in_entry,
        ),
    ]
}
