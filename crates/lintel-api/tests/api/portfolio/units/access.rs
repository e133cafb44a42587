//! Who may read and write units: roles, plans and other organisations.

use crate::support::units::*;
use crate::support::*;
use axum::http::StatusCode;
use lintel_domain::{Plan, Role};
use serde_json::json;

backend_test!(auth_roles_and_tenancy, |app| {
    let org = app.org(Plan::Business).await;
    let other = app.org(Plan::Business).await;
    let prop = create_property(&app, &org.admin, "Mine").await;
    let id = create_unit(&app, &org.admin, &prop, json!({"name": "1"})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (unit, status) = (
        format!("/api/units/{id}"),
        format!("/api/units/{id}/status"),
    );
    let (create, bulk_path) = (
        format!("/api/properties/{prop}/units"),
        format!("/api/properties/{prop}/units/bulk"),
    );
    let one = json!({"name": "2"});
    let many = json!({"units": [{"name": "3"}]});

    for r in [
        app.get("/api/units", &Client::Anon).await,
        app.get(&unit, &Client::Anon).await,
        app.post(&create, &Client::Anon, one.clone()).await,
        app.post(&bulk_path, &Client::Anon, many.clone()).await,
        app.patch(&unit, &Client::Anon, one.clone()).await,
        app.patch(&status, &Client::Anon, json!({"status": "occupied"}))
            .await,
    ] {
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.code(), "UNAUTHORIZED");
    }
    for role in [Role::Tenant, Role::Broker] {
        let c = app.member(&org, role).await;
        for r in [app.get("/api/units", &c).await, app.get(&unit, &c).await] {
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{role}");
            assert_eq!(r.code(), "FORBIDDEN");
            assert_eq!(
                r.body["message"],
                "Forbidden: requires property_manager role or higher"
            );
        }
    }
    let pm = app.member(&org, Role::PropertyManager).await;
    assert_eq!(app.get(&unit, &pm).await.status, StatusCode::OK);
    assert_eq!(app.get("/api/units", &pm).await.data()["total"], 1);
    for r in [
        app.post(&create, &pm, one.clone()).await,
        app.post(&bulk_path, &pm, many.clone()).await,
        app.patch(&unit, &pm, one.clone()).await,
        app.patch(&status, &pm, json!({"status": "occupied"})).await,
    ] {
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(r.code(), "FORBIDDEN");
        assert_eq!(
            r.body["message"],
            "Forbidden: requires landlord role or higher"
        );
    }
    let landlord = app.member(&org, Role::Landlord).await;
    assert_eq!(
        app.post(&create, &landlord, one.clone()).await.status,
        StatusCode::CREATED
    );
    let key = app.key(&org, Role::Landlord).await;
    assert_eq!(
        app.post(&bulk_path, &key, many.clone()).await.status,
        StatusCode::CREATED
    );
    assert_eq!(units_total(&app, &org.admin, "").await, 3);

    // Another organisation's unit or property answers 404 and changes nothing.
    for r in [
        app.get(&unit, &other.admin).await,
        app.patch(&unit, &other.admin, json!({"name": "Stolen"}))
            .await,
        app.patch(&status, &other.admin, json!({"status": "occupied"}))
            .await,
    ] {
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(r.body["error"], "Unit not found.");
    }
    for r in [
        app.post(&create, &other.admin, one.clone()).await,
        app.post(&bulk_path, &other.admin, many.clone()).await,
    ] {
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(r.body["error"], "Property not found.");
    }
    assert_eq!(units_total(&app, &other.admin, "").await, 0);
    let unchanged = app.get(&unit, &org.admin).await;
    assert_eq!(
        (
            unchanged.data()["name"].as_str(),
            unchanged.data()["status"].as_str()
        ),
        (Some("1"), Some("vacant"))
    );
    assert_eq!(units_total(&app, &org.admin, "").await, 3);
    for bad in [
        "prop_01jd9x4m2k8q7v5t3r1n0p6w8y",
        "unit_x",
        "unit_01jd9x4m2k8q7v5t3r1n0p6w8y",
    ] {
        let r = app.get(&format!("/api/units/{bad}"), &org.admin).await;
        assert_eq!(
            (r.status, r.body["error"].as_str()),
            (StatusCode::NOT_FOUND, Some("Unit not found.")),
            "{bad}"
        );
    }
    let r = app
        .post("/api/properties/unit_x/units", &org.admin, one.clone())
        .await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("Property not found."))
    );
});
