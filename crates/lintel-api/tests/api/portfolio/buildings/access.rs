//! Who may read and write buildings: roles, plans and other organisations.

use crate::support::*;
use axum::http::StatusCode;
use lintel_domain::{Plan, Role};
use serde_json::json;

use super::create_building;

backend_test!(auth_roles_and_tenancy, |app| {
    let org = app.org(Plan::Business).await;
    let other = app.org(Plan::Business).await;
    let id = create_building(&app, &org.admin, "Mine").await;
    let path = format!("/api/buildings/{id}");

    for r in [
        app.get("/api/buildings", &Client::Anon).await,
        app.get(&path, &Client::Anon).await,
        app.post("/api/buildings", &Client::Anon, json!({"name": "x"}))
            .await,
        app.patch(&path, &Client::Anon, json!({"name": "x"})).await,
    ] {
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.code(), "UNAUTHORIZED");
    }
    for role in [Role::Tenant, Role::Broker] {
        let c = app.member(&org, role).await;
        for r in [
            app.get("/api/buildings", &c).await,
            app.get(&path, &c).await,
        ] {
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{role}");
            assert_eq!(r.code(), "FORBIDDEN");
            assert_eq!(
                r.body["message"],
                "Forbidden: requires property_manager role or higher"
            );
        }
    }
    let pm = app.member(&org, Role::PropertyManager).await;
    assert_eq!(app.get(&path, &pm).await.status, StatusCode::OK);
    assert_eq!(app.get("/api/buildings", &pm).await.data()["total"], 1);
    for r in [
        app.post("/api/buildings", &pm, json!({"name": "Nope"}))
            .await,
        app.patch(&path, &pm, json!({"name": "Nope"})).await,
    ] {
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(r.code(), "FORBIDDEN");
        assert_eq!(
            r.body["message"],
            "Forbidden: requires landlord role or higher"
        );
    }
    let pm_key = app.key(&org, Role::PropertyManager).await;
    assert_eq!(
        app.post("/api/buildings", &pm_key, json!({"name": "Nope"}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let landlord = app.member(&org, Role::Landlord).await;
    assert_eq!(
        app.post("/api/buildings", &landlord, json!({"name": "Yes"}))
            .await
            .status,
        StatusCode::CREATED
    );
    let key = app.key(&org, Role::Admin).await;
    assert_eq!(
        app.post("/api/buildings", &key, json!({"name": "By key"}))
            .await
            .status,
        StatusCode::CREATED
    );

    // Another organisation's building answers 404, and cannot be linked.
    let r = app.get(&path, &other.admin).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.body["error"], "Building not found.");
    let r = app
        .patch(&path, &other.admin, json!({"name": "Stolen"}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.body["error"], "Building not found.");
    assert_eq!(
        app.get("/api/buildings", &other.admin).await.data()["total"],
        0
    );
    let mut body = property_body("Theirs");
    body["buildingId"] = json!(id);
    let link = app.post("/api/properties", &other.admin, body).await;
    assert_eq!(link.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(link.fields(), ["buildingId"]);
    let unchanged = app.get(&path, &org.admin).await;
    assert_eq!(unchanged.data()["name"], "Mine");
    assert_eq!(unchanged.data()["propertiesCount"], 0);
    for bad in [
        "prop_01jd9x4m2k8q7v5t3r1n0p6w8y",
        "bldg_x",
        "bldg_01jd9x4m2k8q7v5t3r1n0p6w8y",
    ] {
        let r = app.get(&format!("/api/buildings/{bad}"), &org.admin).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{bad}");
        assert_eq!(r.body["error"], "Building not found.");
    }
});
