//! Minimal valid request bodies, one per request-body schema of the document (JSON, or the
//! parts of a `multipart/form-data` form), and the query values some operations need. An
//! operation whose body schema is missing here is reported as not covered, so a new write
//! cannot slip past the sweeps.

use serde_json::{json, Value};

use super::fixtures::{lease_body, renewal_body, tenant_body, unique, Fixtures, LEASE_YEAR};
use super::spec::{ref_name, Media, Operation};
use crate::support::form::{Form, PDF};
use crate::support::{property_body, PASSWORD};

/// A valid body for the schema `name`, fresh (unique names and emails) on every call.
pub fn valid(name: &str, fx: &Fixtures) -> Option<Value> {
    let n = unique();
    Some(match name {
        "RegisterInput" => json!({
            "email": format!("reg-{n}@example.com"),
            "password": PASSWORD,
            "name": "Reg User",
            "organisationName": format!("Reg Org {n}"),
        }),
        "LoginInput" => json!({"email": fx.login_email, "password": PASSWORD}),
        "NewApiKeyInput" => json!({"name": format!("Key {n}"), "role": "tenant"}),
        "NewMemberInput" => json!({
            "email": format!("new-{n}@example.com"),
            "name": "New Member",
            "role": "tenant",
            "password": "initial-secret-42",
        }),
        "MemberPatchInput" => json!({"role": "broker"}),
        "NewInvitationInput" => json!({"email": format!("inv-{n}@example.com"), "role": "tenant"}),
        "AcceptInvitationInput" => json!({
            "token": fx.invite_token,
            "password": PASSWORD,
            "name": "Invited Person",
        }),
        "PasswordChangeInput" => json!({
            "currentPassword": PASSWORD,
            "newPassword": format!("changed-{n}"),
        }),
        "NewOrganisationInput" => json!({"name": format!("Second Org {n}")}),
        "SwitchOrganisationInput" => json!({"organisationId": fx.org.id.to_string()}),
        "BuildingInput" => json!({"name": format!("Building {n}")}),
        "BuildingPatchInput" => json!({"description": format!("Changed {n}")}),
        "PropertyInput" => property_body(&format!("Property {n}")),
        "PropertyPatchInput" => json!({"description": format!("Changed {n}")}),
        "UnitInput" => json!({"name": format!("Unit {n}")}),
        "BulkUnitsInput" => json!({"units": [{"name": format!("Bulk {n}")}]}),
        "UnitPatchInput" => json!({"description": format!("Changed {n}")}),
        "UnitStatusInput" => json!({"status": "maintenance"}),
        "OrganisationSettingsInput" => json!({
            "name": format!("Alpha Org {n}"),
            "timezone": "America/Halifax",
            "baseCurrency": "CAD",
        }),
        "TenantInput" => tenant_body("Tess", &n),
        "TenantPatchInput" => json!({"notes": format!("Changed {n}")}),
        "IdDecisionInput" => json!({"status": "verified", "note": "Passport checked."}),
        // The year after the fixture lease's: drafts never overlap, and neither would this.
        "LeaseInput" => lease_body(&fx.unit, &[&fx.leasing.tenant], LEASE_YEAR + 1),
        "LeasePatchInput" => json!({"notes": format!("Changed {n}")}),
        // From the fixture's draft; terms can still change after it.
        "LeaseStatusInput" => json!({"status": "pending_signature"}),
        // The one lease in force without an offer: a second open offer would be a 409.
        "RenewalInput" => renewal_body(&fx.leasing.offerable),
        "RenewalResponseInput" => json!({"decision": "decline", "comment": "Moving out."}),
        // Codes are at most 20 characters and unique: the suffix's last ten.
        "AccountInput" => json!({
            "code": format!("X{}", &n[n.len() - 10..]),
            "name": format!("Account {n}"),
            "type": "expense",
        }),
        "AccountPatchInput" => json!({"name": format!("Renamed {n}")}),
        "ChargeInput" => json!({
            "kind": "utility", "amount": {"amountMinor": 1500, "currency": "CAD"},
            "dueDate": "2070-03-01", "description": format!("Water {n}"),
        }),
        "PaymentInput" => json!({
            "leaseId": fx.leasing.in_force, "amount": {"amountMinor": 1000, "currency": "CAD"},
            "method": "cash", "reference": format!("Payment {n}"),
        }),
        "RefundInput" => json!({
            "amount": {"amountMinor": 1, "currency": "CAD"}, "reason": format!("Refund {n}"),
        }),
        "ReturnInput" => json!({"reason": format!("Returned {n}")}),
        "BillingRunInput" => json!({"through": "2026-01-31"}),
        "BillingCheckoutInput" => json!({"plan": "pro"}),
        "CardCheckoutInput" => json!({
            "leaseId": fx.leasing.in_force, "amount": {"amountMinor": 2500, "currency": "CAD"},
        }),
        // An event Lintel acknowledges without acting on it.
        "StripeEvent" => json!({
            "id": format!("evt_sweep_{n}"), "type": "invoice.finalized", "data": {"object": {}},
        }),
        "InvoiceInput" => json!({
            "leaseId": fx.leasing.in_force, "chargeIds": [fx.invoiceable],
            "dueDate": "2070-05-15", "notes": format!("Invoice {n}"),
        }),
        "ManualEntryInput" => {
            json!({"entryDate": "2026-02-01", "memo": format!("Entry {n}"), "lines": [
                {"accountId": fx.account, "debit": {"amountMinor": 100, "currency": "CAD"}},
                {"accountId": fx.equity_account, "credit": {"amountMinor": 100, "currency": "CAD"}},
            ]})
        }
        _ => return None,
    })
}

/// One part of a `multipart/form-data` body.
#[derive(Debug, Clone)]
pub enum Part {
    /// A text field, as bytes so that a case can send some that are not UTF-8.
    Text(Vec<u8>),
    /// A file: its `filename` (left out when `None`) and bytes.
    File {
        name: Option<String>,
        bytes: Vec<u8>,
    },
}

/// A form's parts, named, in order.
pub type Parts = Vec<(String, Part)>;

/// A text part.
pub fn text(name: &str, value: &str) -> (String, Part) {
    (name.to_string(), Part::Text(value.as_bytes().to_vec()))
}

/// A valid form for the multipart schema `name`, fresh (a unique file name) on every call.
pub fn valid_form(name: &str, fx: &Fixtures) -> Option<Parts> {
    let file = Part::File {
        name: Some(format!("Lease {}.pdf", unique())),
        bytes: PDF.to_vec(),
    };
    Some(match name {
        "DocumentUpload" => vec![
            ("file".to_string(), file),
            text("entityType", "property"),
            text("entityId", &fx.property),
            text("category", "lease"),
        ],
        // The tenant and the category come from the path.
        "IdDocumentUpload" => vec![("file".to_string(), file)],
        _ => return None,
    })
}

/// `parts` written out as a form. File parts say `application/octet-stream`: the server must
/// tell the kind from the bytes, not from what the client claims.
pub fn form(parts: &Parts) -> Form {
    parts
        .iter()
        .fold(Form::new(), |f, (name, part)| match part {
            // A part without a filename is a text field.
            Part::Text(value) => f.file(name, None, None, value),
            Part::File { name: file, bytes } => f.file(
                name,
                file.as_deref(),
                Some("application/octet-stream"),
                bytes,
            ),
        })
}

/// The operation's body as sent, fresh on every call: its `Content-Type` and bytes, JSON or a
/// form by the media type the document gives; `None` when it takes no body. A schema with no
/// valid body here is sent as JSON `null` or an empty form (the coverage check names it).
pub fn request(op: &Operation, fx: &Fixtures) -> Option<(String, Vec<u8>)> {
    let body = op.body.as_ref()?;
    Some(match body.media {
        Media::Multipart => {
            let parts = valid_form(&body.schema, fx).unwrap_or_default();
            (Form::content_type(), form(&parts).body())
        }
        _ => {
            let json = valid(&body.schema, fx).unwrap_or(Value::Null);
            let bytes = json.to_string().into_bytes();
            ("application/json".to_string(), bytes)
        }
    })
}

/// The query string an operation needs to succeed (`?ids=…` for comparisons, `?propertyId=…`,
/// a download link's `?expires=…&signature=…`), built from the parameters' types and names;
/// empty when none is needed.
pub fn query(op: &Operation, fx: &Fixtures) -> String {
    let mut parts = Vec::new();
    for p in op.query_params() {
        let value = match (p.name.as_str(), ref_name(&p.schema)) {
            ("ids", _) => Some(format!("{},{}", fx.property, fx.property2)),
            (name, Some(_)) => fx.param_id(op, name),
            (name, None) => fx.link_param(name),
        };
        if let Some(v) = value {
            parts.push(format!("{}={v}", p.name));
        }
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// Required query parameters for which [`query`] has no value (not covered).
pub fn missing_query(op: &Operation, fx: &Fixtures) -> Vec<String> {
    let q = query(op, fx);
    op.query_params()
        .filter(|p| p.required && !q.contains(&format!("{}=", p.name)))
        .map(|p| p.name.clone())
        .collect()
}
