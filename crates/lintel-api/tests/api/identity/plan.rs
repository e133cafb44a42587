//! `GET /api/billing`: the plan, its features, and each limit with its usage.

use crate::support::*;
use axum::http::StatusCode;
use lintel_domain::{Plan, Role};
use serde_json::Value;

fn limit<'a>(r: &'a Resp, name: &str) -> &'a Value {
    r.data()["limits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["limit"] == name)
        .unwrap_or_else(|| panic!("{name} in {}", r.text))
}

backend_test!(billing_shows_the_plan_its_limits_and_usage, |app| {
    let org = app.org(Plan::Free).await;
    let other = app.org(Plan::Business).await;
    let (lease, _) = crate::ledger::active_lease(&app, &org).await;
    assert!(lease.starts_with("lease_"));
    create_property(&app, &other.admin, "Elsewhere").await;

    let r = app.get("/api/billing", &org.admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        (r.data()["plan"].as_str(), r.data()["planLabel"].as_str()),
        (Some("free"), Some("FREE"))
    );
    assert_eq!(r.data()["features"], serde_json::json!([]));
    let used = |name: &str| {
        let l = limit(&r, name);
        (l["max"].as_i64(), l["used"].as_i64())
    };
    assert_eq!(used("properties"), (Some(3), Some(1)));
    assert_eq!(used("units"), (Some(100), Some(1)));
    assert_eq!(used("members"), (Some(5), Some(1)));
    assert_eq!(used("leases_in_force"), (Some(10), Some(1)));
    assert_eq!(used("document_bytes"), (Some(100 * 1024 * 1024), Some(0)));

    let r = app.get("/api/billing", &other.admin).await;
    assert_eq!(r.data()["plan"], "business");
    assert_eq!(r.data()["features"], serde_json::json!(["api_access"]));
    assert!(limit(&r, "properties")["max"].is_null());
    assert_eq!(limit(&r, "properties")["used"], 1);
    assert_eq!(limit(&r, "leases_in_force")["used"], 0);

    let manager = app.member(&org, Role::PropertyManager).await;
    assert_eq!(
        app.get("/api/billing", &manager).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/api/billing", &Client::Anon).await.status,
        StatusCode::UNAUTHORIZED
    );
});
