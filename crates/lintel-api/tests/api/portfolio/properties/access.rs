//! Who may read and write properties: roles, plans and other organisations.

use crate::support::*;
use axum::http::StatusCode;
use lintel_domain::{Plan, Role};
use serde_json::json;

backend_test!(auth_roles_and_tenancy, |app| {
    let org = app.org(Plan::Pro).await;
    let other = app.org(Plan::Pro).await;
    let id = create_property(&app, &org.admin, "Mine").await;

    let anon = app.get("/api/properties", &Client::Anon).await;
    assert_eq!(anon.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anon.code(), "UNAUTHORIZED");
    assert_eq!(anon.body["error"], "Unauthorized");

    for role in [Role::Tenant, Role::Broker] {
        let c = app.member(&org, role).await;
        let r = app.get("/api/properties", &c).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{role}");
        assert_eq!(r.code(), "FORBIDDEN");
        assert_eq!(
            r.body["message"],
            "Forbidden: requires property_manager role or higher"
        );
    }
    let pm = app.member(&org, Role::PropertyManager).await;
    assert_eq!(
        app.get(&format!("/api/properties/{id}"), &pm).await.status,
        StatusCode::OK
    );
    let w = app
        .post("/api/properties", &pm, property_body("Nope"))
        .await;
    assert_eq!(w.status, StatusCode::FORBIDDEN);
    assert_eq!(
        w.body["message"],
        "Forbidden: requires landlord role or higher"
    );
    let landlord = app.member(&org, Role::Landlord).await;
    assert_eq!(
        app.post("/api/properties", &landlord, property_body("Yes"))
            .await
            .status,
        StatusCode::CREATED
    );

    // Another organisation's record answers 404, never data.
    let r = app
        .get(&format!("/api/properties/{id}"), &other.admin)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.body["error"], "Property not found.");
    let r = app
        .patch(
            &format!("/api/properties/{id}"),
            &other.admin,
            json!({"name": "Stolen"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .post_empty(&format!("/api/properties/{id}/archive"), &other.admin)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("/api/properties", &other.admin).await.data()["total"],
        0
    );
    let unchanged = app.get(&format!("/api/properties/{id}"), &org.admin).await;
    assert_eq!(unchanged.data()["name"], "Mine");
    // A malformed or wrong-kind ID is simply not found.
    for bad in ["unit_01jd9x4m2k8q7v5t3r1n0p6w8y", "prop_x", "..%2F..%2Fetc"] {
        let r = app.get(&format!("/api/properties/{bad}"), &org.admin).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{bad}");
    }
    // Writes with a session cookie need the CSRF token.
    let Client::Session { cookie, .. } = org.admin.clone() else {
        unreachable!()
    };
    let r = app
        .post(
            "/api/properties",
            &Client::SessionNoCsrf { cookie },
            property_body("x"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
});
