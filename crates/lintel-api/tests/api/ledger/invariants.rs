//! The ledger's invariants as property tests, through HTTP on a real database: any sequence of
//! charges, credit notes, payments by every method, refunds, returns and voids — refused or not
//! — keeps every entry balanced, the books sound, the lease's running balance equal to the sum
//! of its lines, and that balance equal to what the charges ask less the money that stands.
//!
//! Sequences are drawn by proptest from a fixed seed (the same cases on every run and both
//! databases); a failing case prints its operations.

use super::active_lease_with;
use super::payments::money;
use crate::support::*;
use axum::http::StatusCode;
use lintel_domain::Plan;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde_json::{json, Value};

/// Sequences per run, per database.
const CASES: usize = 24;

#[derive(Debug, Clone)]
enum Op {
    Charge(&'static str, i64, u32),
    Pay(&'static str, i64),
    Refund(usize, i64),
    Return(usize, i64),
    Void(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let kinds = vec!["rent", "fee", "utility", "credit", "deposit", "late_fee"];
    let methods = vec!["cash", "cheque", "bank_transfer", "card"];
    prop_oneof![
        3 => (prop::sample::select(kinds), 1i64..60_000, 1u32..=12)
            .prop_map(|(k, a, m)| Op::Charge(k, a, m)),
        3 => (prop::sample::select(methods), 1i64..90_000).prop_map(|(m, a)| Op::Pay(m, a)),
        1 => (0usize..16, 1i64..90_000).prop_map(|(i, a)| Op::Refund(i, a)),
        1 => (0usize..16, 0i64..3_000).prop_map(|(i, fee)| Op::Return(i, fee)),
        1 => (0usize..16).prop_map(Op::Void),
    ]
}

fn id(r: &Resp) -> Option<String> {
    r.status
        .is_success()
        .then(|| r.data()["id"].as_str().unwrap().to_string())
}

/// Runs `ops` on a new lease; answers what went wrong, if anything.
async fn run(app: &TestApp, ops: &[Op]) -> Result<(), String> {
    let org = app.org(Plan::Pro).await;
    let (lease, _) = active_lease_with(app, &org, "2027-01-01", json!({})).await;
    let (mut charges, mut payments) = (Vec::new(), Vec::new());
    for op in ops {
        let r = match op {
            Op::Charge(kind, amount, month) => {
                let body = json!({"kind": kind, "amount": money(*amount),
                                  "dueDate": format!("2027-{month:02}-01")});
                let r = app
                    .post(&format!("/api/leases/{lease}/charges"), &org.admin, body)
                    .await;
                charges.extend(id(&r));
                r
            }
            Op::Pay(method, amount) => {
                let mut body = json!({"leaseId": lease, "amount": money(*amount),
                                      "method": method, "receivedOn": "2026-11-01"});
                if *method == "cheque" {
                    body["chequeNumber"] = json!("000100");
                }
                let r = app.post("/api/payments", &org.admin, body).await;
                payments.extend(id(&r));
                r
            }
            Op::Refund(i, amount) if !payments.is_empty() => {
                let p = &payments[i % payments.len()];
                let body = json!({"amount": money(*amount), "reason": "Property test"});
                app.post(&format!("/api/payments/{p}/refund"), &org.admin, body)
                    .await
            }
            Op::Return(i, fee) if !payments.is_empty() => {
                let p = &payments[i % payments.len()];
                let mut body = json!({"reason": "Property test"});
                if *fee > 0 {
                    body["feeAmount"] = money(*fee);
                }
                app.post(&format!("/api/payments/{p}/return"), &org.admin, body)
                    .await
            }
            Op::Void(i) if !charges.is_empty() => {
                let c = &charges[i % charges.len()];
                app.post_empty(&format!("/api/charges/{c}/void"), &org.admin)
                    .await
            }
            _ => continue,
        };
        if r.status.is_server_error() || r.status == StatusCode::UNAUTHORIZED {
            return Err(format!("{op:?}: {}", r.text));
        }
    }
    check(app, &org, &lease).await
}

fn sum(items: &[Value], f: impl Fn(&Value) -> i64) -> i64 {
    items.iter().map(f).sum()
}

async fn all(app: &TestApp, org: &TestOrg, path: &str) -> Vec<Value> {
    let r = app.get(path, &org.admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.data()["items"].as_array().unwrap().clone()
}

async fn check(app: &TestApp, org: &TestOrg, lease: &str) -> Result<(), String> {
    let r = app.get("/api/ledger/integrity", &org.admin).await;
    if r.data()["sound"] != true {
        return Err(format!("integrity: {}", r.text));
    }
    let r = app
        .get("/api/ledger/trial-balance?asOf=2099-12-31", &org.admin)
        .await;
    if r.data()["balanced"] != true {
        return Err(format!("trial balance: {}", r.text));
    }
    let r = app
        .get(&format!("/api/leases/{lease}/ledger"), &org.admin)
        .await;
    let ledger = r.data();
    let lines = ledger["lines"].as_array().unwrap();
    let balance = ledger["balanceMinor"].as_i64().unwrap();
    let by_lines = sum(lines, |l| l["amountMinor"].as_i64().unwrap());
    let last = lines
        .last()
        .map_or(0, |l| l["balanceMinor"].as_i64().unwrap());
    if by_lines != balance || last != balance {
        return Err(format!(
            "lines add up to {by_lines}, end at {last}, balance {balance}"
        ));
    }
    // What the charges ask (credit notes lower it), less the money that stands (payments
    // received, less refunds; a returned payment stands no more).
    let charges = all(
        app,
        org,
        &format!("/api/charges?leaseId={lease}&pageSize=100"),
    )
    .await;
    let asked = sum(&charges, |c| {
        let amount = c["amount"]["amountMinor"].as_i64().unwrap();
        match (c["status"].as_str(), c["kind"].as_str()) {
            (Some("void"), _) => 0,
            (_, Some("credit")) => -amount,
            _ => amount,
        }
    });
    let payments = all(
        app,
        org,
        &format!("/api/payments?leaseId={lease}&pageSize=100"),
    )
    .await;
    let stands = sum(&payments, |p| match p["status"].as_str() {
        Some("failed" | "pending") => 0,
        _ => p["amount"]["amountMinor"].as_i64().unwrap() - p["refundedMinor"].as_i64().unwrap(),
    });
    if balance != asked - stands {
        return Err(format!(
            "balance {balance}, but charges ask {asked} and payments stand at {stands}"
        ));
    }
    // Every minor unit a payment applied is one a charge has been paid.
    let paid = sum(&charges, |c| c["paidMinor"].as_i64().unwrap());
    let applied = sum(&payments, |p| p["appliedMinor"].as_i64().unwrap());
    if paid != applied {
        return Err(format!("charges paid {paid}, payments applied {applied}"));
    }
    Ok(())
}

backend_test!(
    any_sequence_of_money_operations_keeps_the_books_sound,
    |app| {
        let strategy = prop::collection::vec(op(), 1..24);
        let mut runner = TestRunner::deterministic();
        for case in 0..CASES {
            let ops = strategy.new_tree(&mut runner).unwrap().current();
            if let Err(e) = run(&app, &ops).await {
                panic!("case {case}: {e}\noperations: {ops:#?}");
            }
        }
    }
);
