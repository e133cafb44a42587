//! Buildings through HTTP on both backends: create, read, link properties, validate, keep names
//! unique, update.

mod access;
mod lists;

use crate::support::*;
use axum::http::{Method, StatusCode};
use lintel_domain::{PageRequest, Plan};
use lintel_store::audit::AuditFilter;
use serde_json::{json, Value};

fn building_body(name: &str) -> Value {
    json!({
        "name": name,
        "address": {"line1": "1 Quay Road", "city": "Halifax", "region": "NS", "country": "ca"},
        "numberOfUnits": 48,
        "description": "Waterfront tower",
        "amenities": [{"id": 4, "value": 1}, {"id": 11, "value": 2}]
    })
}

async fn create_building(app: &TestApp, client: &Client, name: &str) -> String {
    let r = app
        .post("/api/buildings", client, json!({ "name": name }))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.data()["id"].as_str().unwrap().to_string()
}

async fn audit_actions(
    app: &TestApp,
    org: &TestOrg,
    id: &str,
) -> Vec<(String, Option<Value>, Option<Value>)> {
    let filter = AuditFilter {
        entity_type: Some("building".into()),
        entity_id: Some(id.into()),
    };
    let page = PageRequest {
        page: 1,
        page_size: 25,
    };
    let trail = app
        .store()
        .org(org.id)
        .audit()
        .list(&filter, page)
        .await
        .unwrap();
    trail
        .items
        .into_iter()
        .map(|e| (e.action, e.before, e.after))
        .collect()
}

backend_test!(create_get_list_and_link_properties, |app| {
    let org = app.org(Plan::Pro).await;
    let r = app
        .post(
            "/api/buildings",
            &org.admin,
            building_body("Harbour View Tower"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let b = r.data().clone();
    let id = b["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("bldg_"));
    assert_eq!(b["organisationId"], org.id.to_string());
    assert_eq!(b["name"], "Harbour View Tower");
    assert_eq!(b["address"]["country"], "CA");
    assert_eq!(b["address"]["line1"], "1 Quay Road");
    assert_eq!(b["numberOfUnits"], 48);
    assert_eq!(b["description"], "Waterfront tower");
    assert_eq!(
        b["amenities"],
        json!([{"id": 4, "value": 1, "name": "Fitness center / gym"}, {"id": 11, "value": 2, "name": "Elevator"}])
    );
    assert_eq!(b["propertiesCount"], 0);

    // A minimal building has no address and no amenities.
    let bare = app
        .post("/api/buildings", &org.admin, json!({"name": "Annex"}))
        .await;
    assert_eq!(bare.status, StatusCode::CREATED, "{}", bare.text);
    assert!(bare.data()["address"].is_null());
    assert_eq!(bare.data()["amenities"], json!([]));

    // Properties link by buildingId; the count follows.
    for name in ["East Wing", "West Wing"] {
        let mut body = property_body(name);
        body["buildingId"] = json!(id);
        let p = app.post("/api/properties", &org.admin, body).await;
        assert_eq!(p.status, StatusCode::CREATED, "{}", p.text);
        assert_eq!(p.data()["buildingId"], id.as_str());
    }
    let got = app.get(&format!("/api/buildings/{id}"), &org.admin).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);
    assert_eq!(got.data()["propertiesCount"], 2);
    assert_eq!(got.data()["amenities"][0]["name"], "Fitness center / gym");

    let list = app.get("/api/buildings", &org.admin).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.data()["total"], 2);
    assert_eq!(list.data()["pageSize"], 20);
    assert_eq!(list.data()["items"][0]["name"], "Annex", "sorted by name");
    assert_eq!(list.data()["items"][1]["propertiesCount"], 2);
    let found = app.get("/api/buildings?q=harbour%20VIEW", &org.admin).await;
    assert_eq!(found.data()["total"], 1);
    assert_eq!(found.data()["items"][0]["id"], id.as_str());
    assert_eq!(
        app.get("/api/buildings?q=nowhere", &org.admin).await.data()["total"],
        0
    );

    // The store lookup the CLI uses.
    let by_name = app
        .store()
        .org(org.id)
        .buildings()
        .find_by_name("Harbour View Tower")
        .await
        .unwrap();
    assert_eq!(by_name.map(|b| b.id.to_string()), Some(id.clone()));
    assert!(app
        .store()
        .org(org.id)
        .buildings()
        .find_by_name("harbour")
        .await
        .unwrap()
        .is_none());

    let trail = audit_actions(&app, &org, &id).await;
    assert_eq!(trail.len(), 1);
    assert_eq!(trail[0].0, "building.create");
    assert!(trail[0].1.is_none());
    assert_eq!(trail[0].2.as_ref().unwrap()["name"], "Harbour View Tower");
});

backend_test!(validation_lists_every_field, |app| {
    let org = app.org(Plan::Pro).await;
    let r = app
        .post(
            "/api/buildings",
            &org.admin,
            json!({"name": " ", "address": {"line1": ""}, "numberOfUnits": -1,
                   "amenities": [{"id": 13, "value": 1}, {"id": 2, "value": 4}, {"id": 2, "value": 1}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.code(), "VALIDATION_ERROR");
    assert_eq!(
        r.fields(),
        [
            "name",
            "address.line1",
            "address.city",
            "address.country",
            "numberOfUnits",
            "amenities[0].id",
            "amenities[1].value",
            "amenities[2].id"
        ]
    );
    let missing = app.post("/api/buildings", &org.admin, json!({})).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(missing.fields(), ["name"]);
    let unknown = app
        .post(
            "/api/buildings",
            &org.admin,
            json!({"name": "x", "floors": 3}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.fields(), ["floors"]);

    let malformed = app
        .raw(
            Method::POST,
            "/api/buildings",
            &org.admin,
            Some(b"{\"name\":".to_vec()),
        )
        .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed.code(), "VALIDATION_ERROR");
    let wrong_type = app
        .post("/api/buildings", &org.admin, json!({"name": 42}))
        .await;
    assert_eq!(
        wrong_type.status,
        StatusCode::BAD_REQUEST,
        "{}",
        wrong_type.text
    );
    assert_eq!(wrong_type.fields(), ["name"]);
    let wrong_list = app
        .post(
            "/api/buildings",
            &org.admin,
            json!({"name": "x", "amenities": {"id": 1}}),
        )
        .await;
    assert_eq!(wrong_list.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        app.get("/api/buildings", &org.admin).await.data()["total"],
        0,
        "nothing was stored"
    );
});

backend_test!(names_are_unique_per_organisation, |app| {
    let org = app.org(Plan::Pro).await;
    let other = app.org(Plan::Pro).await;
    let first = create_building(&app, &org.admin, "Tower").await;
    let dup = app
        .post("/api/buildings", &org.admin, json!({"name": " Tower "}))
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT, "{}", dup.text);
    assert_eq!(dup.code(), "CONFLICT");
    // Another organisation may use the same name.
    create_building(&app, &other.admin, "Tower").await;
    let second = create_building(&app, &org.admin, "Annex").await;
    let rename = app
        .patch(
            &format!("/api/buildings/{second}"),
            &org.admin,
            json!({"name": "Tower"}),
        )
        .await;
    assert_eq!(rename.status, StatusCode::CONFLICT, "{}", rename.text);
    assert_eq!(
        app.get(&format!("/api/buildings/{second}"), &org.admin)
            .await
            .data()["name"],
        "Annex"
    );
    assert_eq!(
        app.get("/api/buildings", &org.admin).await.data()["total"],
        2
    );
    // Renaming a building to its own name is fine.
    let same = app
        .patch(
            &format!("/api/buildings/{first}"),
            &org.admin,
            json!({"name": "Tower"}),
        )
        .await;
    assert_eq!(same.status, StatusCode::OK);
    assert_eq!(
        audit_actions(&app, &org, &second).await.len(),
        1,
        "the failed rename left no entry"
    );
});

backend_test!(update_changes_only_sent_fields, |app| {
    let org = app.org(Plan::Pro).await;
    let r = app
        .post("/api/buildings", &org.admin, building_body("Old Name"))
        .await;
    let id = r.data()["id"].as_str().unwrap().to_string();
    let path = format!("/api/buildings/{id}");

    let r = app
        .patch(
            &path,
            &org.admin,
            json!({"name": "New Name", "address": null, "amenities": [{"id": 1, "value": 3}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.data()["name"], "New Name");
    assert!(r.data()["address"].is_null());
    assert_eq!(
        r.data()["amenities"],
        json!([{"id": 1, "value": 3, "name": "Bike storage"}])
    );
    assert_eq!(r.data()["numberOfUnits"], 48, "untouched");
    assert_eq!(r.data()["description"], "Waterfront tower", "untouched");

    let r = app
        .patch(
            &path,
            &org.admin,
            json!({"numberOfUnits": null, "description": null, "amenities": []}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let got = app.get(&path, &org.admin).await;
    assert!(got.data()["numberOfUnits"].is_null());
    assert!(got.data()["description"].is_null());
    assert_eq!(got.data()["amenities"], json!([]));
    assert_eq!(got.data()["name"], "New Name");

    let bad = app
        .patch(
            &path,
            &org.admin,
            json!({"name": "", "numberOfUnits": 100001, "address": {"city": "X"}}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        bad.fields(),
        ["name", "address.line1", "address.country", "numberOfUnits"]
    );
    let wrong = app
        .patch(&path, &org.admin, json!({"numberOfUnits": "many"}))
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        app.get(&path, &org.admin).await.data()["name"],
        "New Name",
        "unchanged after errors"
    );

    let trail = audit_actions(&app, &org, &id).await;
    let actions: Vec<&str> = trail.iter().map(|t| t.0.as_str()).collect();
    assert_eq!(
        actions,
        ["building.update", "building.update", "building.create"]
    );
    assert_eq!(trail[1].1.as_ref().unwrap()["name"], "Old Name");
    assert_eq!(trail[1].2.as_ref().unwrap()["name"], "New Name");
    assert_eq!(trail[1].1.as_ref().unwrap()["address"]["city"], "Halifax");
    assert!(trail[1].2.as_ref().unwrap()["address"].is_null());
});
