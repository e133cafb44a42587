//! The leasing rows of the table: tenants with their contacts and references, ID decisions,
//! leases with their late fees, changes of terms and of status, renewal offers and the answers
//! to them. A nested input is checked inside its parent, as the API receives it; a lease's terms
//! are also checked together, and a change of terms against a lease's, as the store checks
//! them before writing.

use lintel_domain::leasing::{
    IdDecisionInput, LeaseInput, LeasePatchInput, LeaseStatusInput, LeaseTerms, RenewalInput,
    RenewalResponseInput, TenantInput, TenantPatchInput,
};
use lintel_domain::FieldError;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use super::{run, Check};

fn tenant() -> Value {
    json!({"firstName": "Maria", "lastName": "Costa"})
}

fn lease() -> Value {
    json!({"unitId": "unit_01jd9x4m2k8q7v5t3r1n0p6w8y",
           "tenantIds": ["ten_01jdc8k5m3q7r9t1v3x5z7b9d1"], "startDate": "2026-09-01",
           "rent": {"amountMinor": 185000, "currency": "CAD"}})
}

/// The terms of [`lease`]: what a change of terms is applied to.
fn terms() -> LeaseTerms {
    let input: LeaseInput = serde_json::from_value(lease()).unwrap();
    input.validate().unwrap().terms
}

/// `body` as the `key` of a valid `parent` (the first item, when `item`), through the parent's
/// validator; the fields inside it are reported without the parent's prefix.
fn inside<T: DeserializeOwned>(
    mut parent: Value,
    key: &str,
    item: bool,
    body: Value,
    validate: impl FnOnce(T) -> Result<(), Vec<FieldError>>,
) -> Result<(), Vec<String>> {
    let prefix = if item {
        parent[key] = json!([body]);
        format!("{key}[0].")
    } else {
        parent[key] = body;
        format!("{key}.")
    };
    let strip = |f: String| f.strip_prefix(&prefix).map(str::to_string).unwrap_or(f);
    run(parent, validate).map_err(|fields| fields.into_iter().map(strip).collect())
}

fn tenant_valid(i: TenantInput) -> Result<(), Vec<FieldError>> {
    i.validate().map(drop)
}

/// Ok when `errs` is empty.
fn none(errs: Vec<FieldError>) -> Result<(), Vec<FieldError>> {
    if errs.is_empty() {
        Ok(())
    } else {
        Err(errs)
    }
}

/// Each field on its own, then the terms together, as the store checks them (with the unit's
/// currency: here there is none).
fn lease_valid(i: LeaseInput) -> Result<(), Vec<FieldError>> {
    none(i.validate()?.terms.check(None))
}

/// The leasing request-body schemas. A late fee has one row per kind: the field a kind needs
/// (`amount` for `fixed`, `basisPoints` for `percent`) is required by neither alone.
pub fn inputs() -> Vec<(&'static str, Value, Check)> {
    vec![
        ("TenantInput", tenant(), |b| run(b, tenant_valid)),
        ("TenantPatchInput", json!({}), |b| {
            run(b, |i: TenantPatchInput| i.validate().map(drop))
        }),
        (
            "ContactInput",
            json!({"name": "Ana Silva", "relationship": "Sister", "phone": "+1 902 555 0142",
                   "email": "ana@example.com"}),
            |b| inside(tenant(), "emergencyContact", false, b, tenant_valid),
        ),
        (
            "ReferenceInput",
            json!({"name": "Sam Ortiz", "relationship": "Previous landlord",
                   "phone": "(902) 555-0100", "email": "sam@example.com", "notes": "Two years."}),
            |b| inside(tenant(), "references", true, b, tenant_valid),
        ),
        ("IdDecisionInput", json!({"status": "verified"}), |b| {
            run(b, |i: IdDecisionInput| i.validate().map(drop))
        }),
        ("LeaseInput", lease(), |b| run(b, lease_valid)),
        ("LeasePatchInput", json!({}), |b| {
            run(b, |i: LeasePatchInput| {
                none(i.validate()?.apply(terms()).check(None))
            })
        }),
        (
            "LateFeeInput",
            json!({"kind": "fixed", "graceDays": 5,
                   "amount": {"amountMinor": 5000, "currency": "CAD"}}),
            |b| inside(lease(), "lateFee", false, b, lease_valid),
        ),
        (
            "LateFeeInput",
            json!({"kind": "percent", "graceDays": 5, "basisPoints": 500}),
            |b| inside(lease(), "lateFee", false, b, lease_valid),
        ),
        ("LeaseStatusInput", json!({"status": "active"}), |b| {
            run(b, |i: LeaseStatusInput| i.validate().map(drop))
        }),
        (
            "RenewalInput",
            json!({"leaseId": "lease_01jd9x4m2k8q7v5t3r1n0p6w8y", "offerExpiresOn": "2027-01-15",
                   "rent": {"amountMinor": 190000, "currency": "CAD"}}),
            |b| run(b, |i: RenewalInput| i.validate().map(drop)),
        ),
        ("RenewalResponseInput", json!({"decision": "accept"}), |b| {
            run(b, |i: RenewalResponseInput| i.validate().map(drop))
        }),
    ]
}
