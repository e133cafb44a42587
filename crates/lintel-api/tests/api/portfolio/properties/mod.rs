//! Properties through HTTP on both backends: create, read, validate, update, archive, restore,
//! and the FREE plan's cap.

mod access;
mod lists;

use crate::support::*;
use axum::http::StatusCode;
use lintel_domain::Plan;
use serde_json::json;

backend_test!(create_get_and_list, |app| {
    let org = app.org(Plan::Pro).await;
    let r = app
        .post("/api/properties", &org.admin, property_body("Harbour View"))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let p = r.data().clone();
    assert!(p["id"].as_str().unwrap().starts_with("prop_"));
    assert_eq!(p["status"], "active");
    assert_eq!(p["address"]["country"], "CA");
    assert_eq!(p["unitsCount"], 0);
    assert_eq!(p["occupiedUnits"], 0);
    assert_eq!(p["organisationId"], org.id.to_string());

    let id = p["id"].as_str().unwrap();
    let got = app.get(&format!("/api/properties/{id}"), &org.admin).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.data()["name"], "Harbour View");

    create_property(&app, &org.admin, "Alder Court").await;
    let list = app.get("/api/properties", &org.admin).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.data()["total"], 2);
    assert_eq!(list.data()["page"], 1);
    assert_eq!(list.data()["pageSize"], 12);
    assert_eq!(list.data()["totalPages"], 1);
    assert_eq!(
        list.data()["items"][0]["name"],
        "Alder Court",
        "sorted by name"
    );
    assert_eq!(list.body["success"], true);
});

backend_test!(validation_lists_every_field, |app| {
    let org = app.org(Plan::Pro).await;
    let r = app
        .post(
            "/api/properties",
            &org.admin,
            json!({"type": "castle", "status": "sold", "address": {"line1": "", "country": "Canada"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.code(), "VALIDATION_ERROR");
    assert_eq!(
        r.fields(),
        [
            "name",
            "type",
            "status",
            "address.line1",
            "address.city",
            "address.country"
        ]
    );
    let unknown = app
        .post(
            "/api/properties",
            &org.admin,
            json!({"name": "x", "colour": "red"}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.fields(), ["colour"]);

    let malformed = app
        .raw(
            axum::http::Method::POST,
            "/api/properties",
            &org.admin,
            Some(b"{\"name\":".to_vec()),
        )
        .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed.code(), "VALIDATION_ERROR");
    let wrong_type = app
        .post("/api/properties", &org.admin, json!({"name": 42}))
        .await;
    assert_eq!(
        wrong_type.status,
        StatusCode::BAD_REQUEST,
        "{}",
        wrong_type.text
    );
    assert_eq!(wrong_type.fields(), ["name"]);
    let list = app.get("/api/properties", &org.admin).await;
    assert_eq!(list.data()["total"], 0, "nothing was stored");
});

backend_test!(update_archive_restore, |app| {
    let org = app.org(Plan::Pro).await;
    let id = create_property(&app, &org.admin, "Old Name").await;
    let r = app
        .patch(
            &format!("/api/properties/{id}"),
            &org.admin,
            json!({"name": "New Name", "description": "Sunny", "status": "maintenance"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.data()["name"], "New Name");
    assert_eq!(r.data()["status"], "maintenance");
    let r = app
        .patch(
            &format!("/api/properties/{id}"),
            &org.admin,
            json!({"description": null}),
        )
        .await;
    assert_eq!(r.data()["description"], serde_json::Value::Null);
    assert_eq!(r.data()["name"], "New Name");
    let bad = app
        .patch(
            &format!("/api/properties/{id}"),
            &org.admin,
            json!({"type": "boat", "name": ""}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.fields(), ["name", "type"]);

    let a = app
        .post_empty(&format!("/api/properties/{id}/archive"), &org.admin)
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.data()["archivedAt"].is_string());
    assert_eq!(
        app.get("/api/properties", &org.admin).await.data()["total"],
        0
    );
    let archived = app
        .get("/api/properties?availability=archived", &org.admin)
        .await;
    assert_eq!(archived.data()["total"], 1);
    let locked = app
        .patch(
            &format!("/api/properties/{id}"),
            &org.admin,
            json!({"name": "x"}),
        )
        .await;
    assert_eq!(locked.status, StatusCode::CONFLICT);
    let r = app
        .post_empty(&format!("/api/properties/{id}/restore"), &org.admin)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.data()["archivedAt"].is_null());
    assert_eq!(
        app.get("/api/properties", &org.admin).await.data()["total"],
        1
    );

    // Every write left an audit entry with before and after.
    let trail = app
        .store()
        .org(org.id)
        .audit()
        .list(
            &lintel_store::audit::AuditFilter {
                entity_type: Some("property".into()),
                entity_id: Some(id.clone()),
            },
            lintel_domain::PageRequest {
                page: 1,
                page_size: 25,
            },
        )
        .await
        .unwrap();
    let actions: Vec<&str> = trail.items.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "property.restore",
            "property.archive",
            "property.update",
            "property.update",
            "property.create"
        ]
    );
    assert_eq!(trail.items[3].before.as_ref().unwrap()["name"], "Old Name");
    assert_eq!(trail.items[3].after.as_ref().unwrap()["name"], "New Name");
    assert_eq!(
        trail.items[2].before.as_ref().unwrap()["description"],
        "Sunny"
    );
    assert!(trail.items[2].after.as_ref().unwrap()["description"].is_null());
    assert_eq!(
        trail.items[4].actor_id.as_deref(),
        Some(org.admin_id.to_string().as_str())
    );
});

backend_test!(free_plan_allows_three_properties, |app| {
    let org = app.org(Plan::Free).await;
    for i in 0..3 {
        create_property(&app, &org.admin, &format!("P{i}")).await;
    }
    let r = app
        .post("/api/properties", &org.admin, property_body("Fourth"))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "PLAN_LIMIT_EXCEEDED");
    assert!(r.body["upgradeUrl"].is_string());
    assert_eq!(
        app.get("/api/properties", &org.admin).await.data()["total"],
        3
    );
});
