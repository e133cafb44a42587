//! Minimal valid request bodies, one per request-body schema of the document, and the query
//! values some operations need. An operation whose body schema is missing here is reported as
//! not covered, so a new write cannot slip past the sweeps.

use serde_json::{json, Value};

use super::fixtures::{unique, Fixtures};
use super::spec::{ref_name, Operation};
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
        _ => return None,
    })
}

/// The query string an operation needs to succeed (`?ids=…` for comparisons, `?propertyId=…`),
/// built from the parameters' types and names; empty when none is needed.
pub fn query(op: &Operation, fx: &Fixtures) -> String {
    let mut parts = Vec::new();
    for p in op.query_params() {
        let value = match (p.name.as_str(), ref_name(&p.schema)) {
            ("ids", _) => Some(format!("{},{}", fx.property, fx.property2)),
            (_, Some(r)) => fx.id_for(r),
            _ => None,
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
