//! Properties through HTTP on both backends.

mod common;

use axum::http::StatusCode;
use common::*;
use lintel_domain::{Plan, Role};
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

backend_test!(filters_search_sort_and_pagination, |app| {
    let org = app.org(Plan::Business).await;
    for name in ["Beta House", "Alpha 100% Tower", "Gamma_Court"] {
        create_property(&app, &org.admin, name).await;
    }
    let commercial = json!({"name": "Delta Offices", "type": "commercial", "status": "inactive",
        "address": {"line1": "9 Rue Neuve", "city": "Lyon", "country": "fr"}});
    assert_eq!(
        app.post("/api/properties", &org.admin, commercial)
            .await
            .status,
        StatusCode::CREATED
    );

    let q = |s: &str| format!("/api/properties?{s}");
    assert_eq!(
        app.get(&q("type=commercial"), &org.admin).await.data()["total"],
        1
    );
    assert_eq!(
        app.get(&q("status=inactive"), &org.admin).await.data()["total"],
        1
    );
    assert_eq!(app.get(&q("q=LYON"), &org.admin).await.data()["total"], 1);
    assert_eq!(
        app.get(&q("q=100%25"), &org.admin).await.data()["total"],
        1,
        "% matches literally"
    );
    assert_eq!(
        app.get(&q("q=a_c"), &org.admin).await.data()["total"],
        1,
        "_ matches literally"
    );
    let desc = app.get(&q("sort=-name"), &org.admin).await;
    assert_eq!(desc.data()["items"][0]["name"], "Gamma_Court");
    let p2 = app.get(&q("page=2&pageSize=3"), &org.admin).await;
    assert_eq!(p2.data()["items"].as_array().unwrap().len(), 1);
    assert_eq!(p2.data()["totalPages"], 2);
    assert_eq!(p2.data()["total"], 4);

    for bad in [
        "pageSize=0",
        "pageSize=101",
        "page=0",
        "page=abc",
        "status=sold",
        "sort=size",
        "availability=all",
        // Search text: at most 200 characters, no control character anywhere.
        "q=a%0A",
        "q=%09a",
        "q=a%C2%87b",
    ] {
        let r = app.get(&q(bad), &org.admin).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.text
        );
        assert_eq!(r.code(), "VALIDATION_ERROR");
    }
    let both = app.get(&q("page=0&pageSize=1000"), &org.admin).await;
    assert_eq!(both.fields(), ["page", "pageSize"]);
    let max = app.get(&q("pageSize=100"), &org.admin).await;
    assert_eq!(max.status, StatusCode::OK);
    let long = app
        .get(&q(&format!("q={}", "a".repeat(201))), &org.admin)
        .await;
    assert_eq!(long.fields(), ["q"]);
    let longest = app
        .get(&q(&format!("q={}", "a".repeat(200))), &org.admin)
        .await;
    assert_eq!(longest.status, StatusCode::OK);
    let blank = app.get(&q("q=%20%20"), &org.admin).await;
    assert_eq!(blank.data()["total"], 4, "blank search means no search");
});

backend_test!(compare_side_by_side, |app| {
    let org = app.org(Plan::Business).await;
    let a = create_property(&app, &org.admin, "A").await;
    let b = create_property(&app, &org.admin, "B").await;
    let r = app
        .get(&format!("/api/properties/compare?ids={a},{b}"), &org.admin)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let cols = r.data().as_array().unwrap();
    assert_eq!(cols.len(), 2);
    assert_eq!(cols[0]["id"], a);
    assert_eq!(cols[0]["unitsCount"], 0);
    assert_eq!(cols[0]["vacancyRate"], 0.0);
    for bad in [
        format!("ids={a}"),
        format!("ids={a},{a}"),
        "ids=x,y".to_string(),
        String::new(),
        // Exactly as documented: no empty entries, no spaces.
        "ids=".to_string(),
        format!("ids={a},,{b}"),
        format!("ids={a},{b},"),
        format!("ids={a},%20{b}"),
    ] {
        let r = app
            .get(&format!("/api/properties/compare?{bad}"), &org.admin)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(r.fields(), ["ids"]);
    }
    let other = app.org(Plan::Business).await;
    let theirs = create_property(&app, &other.admin, "Theirs").await;
    let r = app
        .get(
            &format!("/api/properties/compare?ids={a},{theirs}"),
            &org.admin,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
});
