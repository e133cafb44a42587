//! Helpers for the unit tests.

use axum::http::StatusCode;
use lintel_domain::PageRequest;
use lintel_store::audit::AuditFilter;
use serde_json::{json, Value};

use super::*;

pub fn unit_body(name: &str) -> Value {
    json!({
        "name": name, "suite": "4B", "unitType": "duplex/triplex", "bedrooms": 2.5, "bathrooms": 1.5,
        "areaSqft": 850, "rent": {"amountMinor": 185000, "currency": "CAD"}, "furnishing": "furnished",
        "storage": "available", "parkingStalls": 1, "description": "Corner unit"
    })
}

pub async fn create_unit(app: &TestApp, client: &Client, prop: &str, body: Value) -> Value {
    let r = app
        .post(&format!("/api/properties/{prop}/units"), client, body)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.data().clone()
}

pub fn named(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| json!({"name": format!("U{i:03}")}))
        .collect()
}

pub async fn bulk(app: &TestApp, client: &Client, prop: &str, units: Vec<Value>) -> Resp {
    app.post(
        &format!("/api/properties/{prop}/units/bulk"),
        client,
        json!({ "units": units }),
    )
    .await
}

pub async fn units_total(app: &TestApp, client: &Client, query: &str) -> u64 {
    let r = app.get(&format!("/api/units?{query}"), client).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.data()["total"].as_u64().unwrap()
}

pub async fn audit_total(
    app: &TestApp,
    org: &TestOrg,
    entity_id: Option<&str>,
) -> (u64, Vec<String>) {
    let filter = AuditFilter {
        entity_type: Some("unit".into()),
        entity_id: entity_id.map(str::to_string),
    };
    let page = PageRequest {
        page: 1,
        page_size: 25,
    };
    let t = app
        .store()
        .org(org.id)
        .audit()
        .list(&filter, page)
        .await
        .unwrap();
    (t.total, t.items.into_iter().map(|e| e.action).collect())
}
