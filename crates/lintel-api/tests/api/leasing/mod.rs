//! Tenancy through HTTP on both backends: tenants (and their ID checks), leases and their state
//! machine, occupancy, overlaps, the plan's cap on leases in force.

pub(crate) mod accounts;
mod leases;
mod renewals;
mod status;
mod tenants;

use crate::support::units::{create_unit, unit_body};
use crate::support::*;
use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

/// A tenant body.
pub fn tenant_body(first: &str, last: &str) -> Value {
    json!({
        "firstName": first, "lastName": last,
        "email": format!("{}.{}@example.com", first.to_lowercase(), last.to_lowercase()),
        "phone": "+1 902 555 0100"
    })
}

pub async fn create_tenant(app: &TestApp, client: &Client, first: &str, last: &str) -> String {
    let r = app
        .post("/api/tenants", client, tenant_body(first, last))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.data()["id"].as_str().unwrap().to_string()
}

/// A property with one unit (rent in CAD); answers the property and unit IDs.
pub async fn unit(app: &TestApp, client: &Client, name: &str) -> (String, String) {
    let property = create_property(app, client, name).await;
    let u = create_unit(app, client, &property, unit_body("101")).await;
    (property, u["id"].as_str().unwrap().to_string())
}

/// A lease body for `unit` and `tenants`, from `start` to `end`.
pub fn lease_body(unit: &str, tenants: &[&str], start: &str, end: Option<&str>) -> Value {
    json!({
        "unitId": unit, "tenantIds": tenants, "startDate": start, "endDate": end,
        "rent": {"amountMinor": 185000, "currency": "CAD"}
    })
}

pub async fn create_lease(app: &TestApp, client: &Client, body: Value) -> String {
    let r = app.post("/api/leases", client, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.data()["id"].as_str().unwrap().to_string()
}

/// `PATCH /api/leases/{id}/status`.
pub async fn set_status(app: &TestApp, client: &Client, lease: &str, status: &str) -> Resp {
    app.patch(
        &format!("/api/leases/{lease}/status"),
        client,
        json!({ "status": status }),
    )
    .await
}

/// `PUT path` with a JSON body.
pub async fn put(app: &TestApp, path: &str, client: &Client, body: Value) -> Resp {
    app.raw(
        Method::PUT,
        path,
        client,
        Some(body.to_string().into_bytes()),
    )
    .await
}
