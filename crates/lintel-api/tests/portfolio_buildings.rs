//! Buildings through HTTP on both backends.

mod common;

use axum::http::{Method, StatusCode};
use common::*;
use lintel_domain::{PageRequest, Plan, Role};
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

backend_test!(pagination_bounds, |app| {
    let org = app.org(Plan::Pro).await;
    for name in ["C", "A", "B"] {
        create_building(&app, &org.admin, name).await;
    }
    let p1 = app.get("/api/buildings?pageSize=2", &org.admin).await;
    assert_eq!(p1.status, StatusCode::OK);
    assert_eq!(p1.data()["total"], 3);
    assert_eq!(p1.data()["totalPages"], 2);
    assert_eq!(p1.data()["pageSize"], 2);
    let names: Vec<&str> = p1.data()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["A", "B"]);
    let p2 = app
        .get("/api/buildings?page=2&pageSize=2", &org.admin)
        .await;
    assert_eq!(p2.data()["page"], 2);
    assert_eq!(p2.data()["items"].as_array().unwrap().len(), 1);
    assert_eq!(p2.data()["items"][0]["name"], "C");
    let beyond = app
        .get("/api/buildings?page=3&pageSize=2", &org.admin)
        .await;
    assert_eq!(beyond.status, StatusCode::OK);
    assert_eq!(beyond.data()["items"], json!([]));
    assert_eq!(
        app.get("/api/buildings?pageSize=100", &org.admin)
            .await
            .status,
        StatusCode::OK
    );

    for (query, field) in [
        ("pageSize=0", "pageSize"),
        ("pageSize=101", "pageSize"),
        ("page=0", "page"),
        ("page=abc", "page"),
        ("pageSize=1.5", "pageSize"),
    ] {
        let r = app
            .get(&format!("/api/buildings?{query}"), &org.admin)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert_eq!(r.fields(), [field], "{query}");
    }
    let both = app
        .get("/api/buildings?page=0&pageSize=101", &org.admin)
        .await;
    assert_eq!(both.fields(), ["page", "pageSize"]);
    let long = format!("/api/buildings?q={}", "x".repeat(201));
    assert_eq!(app.get(&long, &org.admin).await.fields(), ["q"]);
});

backend_test!(search_is_case_insensitive_beyond_ascii, |app| {
    let org = app.org(Plan::Pro).await;
    let id = create_building(&app, &org.admin, "ÉCOLE Tower").await;
    create_building(&app, &org.admin, "Harbour Court").await;
    let r = app.get("/api/buildings?q=%C3%A9cole", &org.admin).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.data()["total"], 1, "{}", r.text);
    assert_eq!(r.data()["items"][0]["id"], id);
    let renamed = app
        .patch(
            &format!("/api/buildings/{id}"),
            &org.admin,
            json!({"name": "Ölfabrik"}),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK);
    assert_eq!(
        app.get("/api/buildings?q=%C3%B6LF", &org.admin)
            .await
            .data()["total"],
        1
    );
    assert_eq!(
        app.get("/api/buildings?q=ecole", &org.admin).await.data()["total"],
        0
    );
});
