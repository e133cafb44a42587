//! Units through HTTP on both backends: create, read, update, status, lists, access.

mod common;

use axum::http::{Method, StatusCode};
use common::units::*;
use common::*;
use lintel_domain::{Plan, Role};
use serde_json::json;

backend_test!(create_get_and_list, |app| {
    let org = app.org(Plan::Pro).await;
    let prop = create_property(&app, &org.admin, "Harbour View").await;
    let u = create_unit(&app, &org.admin, &prop, unit_body("Unit 4")).await;
    let id = u["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("unit_"));
    assert_eq!(u["organisationId"], org.id.to_string());
    assert_eq!(u["propertyId"], prop.as_str());
    assert_eq!(u["name"], "Unit 4");
    assert_eq!(u["suite"], "4B");
    assert_eq!(u["unitType"], "duplex/triplex");
    assert_eq!(
        (u["bedrooms"].as_f64(), u["bathrooms"].as_f64()),
        (Some(2.5), Some(1.5))
    );
    assert_eq!(u["areaSqft"], 850);
    assert_eq!(u["rent"], json!({"amountMinor": 185000, "currency": "CAD"}));
    assert_eq!(u["furnishing"], "furnished");
    assert_eq!(u["storage"], "available");
    assert_eq!(u["parkingStalls"], 1);
    assert_eq!(u["maxOccupancy"], 5, "bedrooms x 2, rounded up");
    assert_eq!(u["status"], "vacant");
    assert_eq!(u["description"], "Corner unit");

    // Defaults of a minimal unit.
    let m = create_unit(&app, &org.admin, &prop, json!({"name": "Studio"})).await;
    assert_eq!(m["unitType"], "apartment");
    assert_eq!(m["furnishing"], "unfurnished");
    assert_eq!(m["storage"], "not_available");
    assert_eq!(m["maxOccupancy"], 1);
    assert!(m["rent"].is_null() && m["suite"].is_null() && m["areaSqft"].is_null());

    let got = app.get(&format!("/api/units/{id}"), &org.admin).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);
    assert_eq!(got.data(), &u);

    let list = app
        .get(&format!("/api/units?propertyId={prop}"), &org.admin)
        .await;
    assert_eq!(list.data()["total"], 2);
    assert_eq!(list.data()["pageSize"], 20);
    assert_eq!(list.data()["items"][0]["id"], id.as_str(), "ordered by id");
    assert_eq!(list.data()["items"][1]["name"], "Studio");
    let p = app
        .get(&format!("/api/properties/{prop}"), &org.admin)
        .await;
    assert_eq!(p.data()["unitsCount"], 2);
    assert_eq!(p.data()["occupiedUnits"], 0);

    let (n, actions) = audit_total(&app, &org, Some(&id)).await;
    assert_eq!((n, actions), (1, vec!["unit.create".to_string()]));
});

backend_test!(names_are_unique_per_property_and_suite, |app| {
    let org = app.org(Plan::Pro).await;
    let prop = create_property(&app, &org.admin, "A").await;
    let other_prop = create_property(&app, &org.admin, "B").await;
    create_unit(&app, &org.admin, &prop, json!({"name": "101"})).await;
    let dup = app
        .post(
            &format!("/api/properties/{prop}/units"),
            &org.admin,
            json!({"name": " 101 "}),
        )
        .await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", dup.text);
    assert_eq!(dup.fields(), ["name"]);
    assert_eq!(
        dup.body["details"][0]["message"],
        "already exists in this property"
    );
    create_unit(
        &app,
        &org.admin,
        &prop,
        json!({"name": "101", "suite": "A"}),
    )
    .await;
    create_unit(&app, &org.admin, &other_prop, json!({"name": "101"})).await;
    assert_eq!(
        units_total(&app, &org.admin, &format!("propertyId={prop}")).await,
        2
    );
});

backend_test!(validation_lists_every_field, |app| {
    let org = app.org(Plan::Pro).await;
    let prop = create_property(&app, &org.admin, "A").await;
    let path = format!("/api/properties/{prop}/units");
    let r = app
        .post(
            &path,
            &org.admin,
            json!({"suite": "x".repeat(51), "unitType": "castle", "bedrooms": 1.25, "bathrooms": 51,
                   "areaSqft": -1, "rent": {"amountMinor": -5, "currency": "XXX"}, "furnishing": "yes",
                   "storage": "maybe", "parkingStalls": 1001, "maxOccupancy": 0, "status": "let"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.code(), "VALIDATION_ERROR");
    assert_eq!(
        r.fields(),
        [
            "name",
            "suite",
            "unitType",
            "bedrooms",
            "bathrooms",
            "areaSqft",
            "rent.amountMinor",
            "rent.currency",
            "furnishing",
            "storage",
            "parkingStalls",
            "maxOccupancy",
            "status"
        ]
    );
    let unknown = app
        .post(&path, &org.admin, json!({"name": "x", "floor": 3}))
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.fields(), ["floor"]);
    // Money is a closed object too (F6).
    let bogus = json!({"name": "x", "rent": {"amountMinor": 100, "currency": "CAD", "bogus": 1}});
    let unknown = app.post(&path, &org.admin, bogus).await;
    assert_eq!(
        unknown.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        unknown.text
    );
    assert_eq!(unknown.fields(), ["rent.bogus"]);
    let malformed = app
        .raw(
            Method::POST,
            &path,
            &org.admin,
            Some(b"{\"name\":".to_vec()),
        )
        .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed.code(), "VALIDATION_ERROR");
    let wrong_type = app
        .post(&path, &org.admin, json!({"name": "x", "bedrooms": "two"}))
        .await;
    assert_eq!(
        wrong_type.status,
        StatusCode::BAD_REQUEST,
        "{}",
        wrong_type.text
    );
    assert_eq!(wrong_type.fields(), ["bedrooms"]);
    let not_object = app.post(&path, &org.admin, json!(["x"])).await;
    assert_eq!(not_object.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        units_total(&app, &org.admin, "").await,
        0,
        "nothing was stored"
    );
    assert_eq!(audit_total(&app, &org, None).await.0, 0);
});

backend_test!(update_and_occupancy_default, |app| {
    let org = app.org(Plan::Pro).await;
    let prop = create_property(&app, &org.admin, "A").await;
    let id = create_unit(&app, &org.admin, &prop, json!({"name": "1", "bedrooms": 1})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    create_unit(&app, &org.admin, &prop, json!({"name": "2"})).await;
    let path = format!("/api/units/{id}");

    let r = app
        .patch(
            &path,
            &org.admin,
            json!({"bedrooms": 3, "rent": {"amountMinor": 99900, "currency": "USD"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.data()["maxOccupancy"],
        6,
        "unpinned occupancy follows the bedrooms"
    );
    assert_eq!(r.data()["rent"]["amountMinor"], 99900);
    let r = app
        .patch(&path, &org.admin, json!({"maxOccupancy": 2}))
        .await;
    assert_eq!(r.data()["maxOccupancy"], 2);
    let r = app
        .patch(
            &path,
            &org.admin,
            json!({"bedrooms": 4, "suite": "B", "rent": null}),
        )
        .await;
    assert_eq!(r.data()["maxOccupancy"], 2, "pinned occupancy stays");
    assert_eq!(r.data()["suite"], "B");
    assert!(r.data()["rent"].is_null());
    let r = app
        .patch(&path, &org.admin, json!({"maxOccupancy": null}))
        .await;
    assert_eq!(r.data()["maxOccupancy"], 8, "null resets to the default");
    let got = app.get(&path, &org.admin).await;
    assert_eq!(got.data()["maxOccupancy"], 8);
    assert_eq!(got.data()["bedrooms"].as_f64(), Some(4.0));
    assert_eq!(got.data()["name"], "1");

    // Renaming onto another unit's name + suite is reported on `name`; with a suite it is free.
    let clash = app
        .patch(&path, &org.admin, json!({"name": "2", "suite": null}))
        .await;
    assert_eq!(
        clash.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        clash.text
    );
    assert_eq!(clash.fields(), ["name"]);
    assert_eq!(
        app.patch(&path, &org.admin, json!({"name": "2"}))
            .await
            .status,
        StatusCode::OK
    );

    let bad = app
        .patch(&path, &org.admin, json!({"name": "", "bathrooms": 0.3, "areaSqft": 1000001, "status": "gone", "storage": "x"}))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        bad.fields(),
        ["name", "bathrooms", "areaSqft", "storage", "status"]
    );
    let wrong = app
        .patch(&path, &org.admin, json!({"parkingStalls": "two"}))
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    let unknown = app
        .patch(&path, &org.admin, json!({"propertyId": prop}))
        .await;
    assert_eq!(unknown.fields(), ["propertyId"]);
    assert_eq!(
        app.get(&path, &org.admin).await.data()["name"],
        "2",
        "unchanged after errors"
    );

    let (n, actions) = audit_total(&app, &org, Some(&id)).await;
    assert_eq!(n, 6);
    assert_eq!(actions[0], "unit.update");
    assert_eq!(actions[5], "unit.create");
});

backend_test!(status_changes_and_filters, |app| {
    let org = app.org(Plan::Pro).await;
    let prop = create_property(&app, &org.admin, "A").await;
    let r = bulk(&app, &org.admin, &prop, named(3)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.data()[1]["id"].as_str().unwrap().to_string();
    let path = format!("/api/units/{id}/status");

    let s = app
        .patch(&path, &org.admin, json!({"status": "occupied"}))
        .await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.text);
    assert_eq!(s.data()["status"], "occupied");
    let p = app
        .get(&format!("/api/properties/{prop}"), &org.admin)
        .await;
    assert_eq!(
        (
            p.data()["unitsCount"].as_i64(),
            p.data()["occupiedUnits"].as_i64()
        ),
        (Some(3), Some(1))
    );
    assert_eq!(units_total(&app, &org.admin, "status=occupied").await, 1);
    assert_eq!(
        units_total(
            &app,
            &org.admin,
            &format!("status=vacant&propertyId={prop}")
        )
        .await,
        2
    );
    // The same status again changes nothing and records nothing.
    assert_eq!(
        app.patch(&path, &org.admin, json!({"status": "occupied"}))
            .await
            .status,
        StatusCode::OK
    );
    let s = app
        .patch(&path, &org.admin, json!({"status": "maintenance"}))
        .await;
    assert_eq!(s.data()["status"], "maintenance");
    let p = app
        .get(&format!("/api/properties/{prop}"), &org.admin)
        .await;
    assert_eq!(p.data()["occupiedUnits"], 0);
    assert_eq!(
        app.get(&format!("/api/units/{id}"), &org.admin)
            .await
            .data()["status"],
        "maintenance"
    );

    for (body, field) in [
        (json!({"status": "let"}), "status"),
        (json!({}), "status"),
        (json!({"state": "vacant"}), "state"),
    ] {
        let r = app.patch(&path, &org.admin, body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.fields(), [field]);
    }
    assert_eq!(
        app.patch(&path, &org.admin, json!({"status": 1}))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    let (n, actions) = audit_total(&app, &org, Some(&id)).await;
    assert_eq!(
        (n, actions[0].as_str(), actions[1].as_str()),
        (3, "unit.status", "unit.status")
    );
});

backend_test!(list_filters_and_pagination, |app| {
    let org = app.org(Plan::Pro).await;
    let other = app.org(Plan::Pro).await;
    let a = create_property(&app, &org.admin, "A").await;
    let b = create_property(&app, &org.admin, "B").await;
    let theirs = create_property(&app, &other.admin, "C").await;
    assert_eq!(
        bulk(&app, &org.admin, &a, named(25)).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        bulk(&app, &org.admin, &b, named(2)).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        bulk(&app, &other.admin, &theirs, named(4)).await.status,
        StatusCode::CREATED
    );

    let p1 = app.get("/api/units", &org.admin).await;
    assert_eq!(p1.data()["total"], 27);
    assert_eq!(p1.data()["totalPages"], 2);
    assert_eq!(p1.data()["items"].as_array().unwrap().len(), 20);
    let ids: Vec<&str> = p1.data()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "ordered by id");
    let names: Vec<&str> = p1.data()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names[..3],
        ["U000", "U001", "U002"],
        "bulk rows keep their order"
    );
    let p2 = app.get("/api/units?page=2", &org.admin).await;
    assert_eq!(p2.data()["items"].as_array().unwrap().len(), 7);
    let small = app
        .get(
            &format!("/api/units?propertyId={a}&pageSize=10&page=3"),
            &org.admin,
        )
        .await;
    assert_eq!(
        (
            small.data()["total"].as_u64(),
            small.data()["totalPages"].as_u64()
        ),
        (Some(25), Some(3))
    );
    assert_eq!(small.data()["items"].as_array().unwrap().len(), 5);
    assert_eq!(
        units_total(&app, &org.admin, &format!("propertyId={b}")).await,
        2
    );
    assert_eq!(
        units_total(&app, &org.admin, &format!("propertyId={theirs}")).await,
        0,
        "another org's property"
    );
    assert_eq!(units_total(&app, &other.admin, "").await, 4);
    assert_eq!(
        app.get("/api/units?pageSize=100", &org.admin).await.data()["items"]
            .as_array()
            .unwrap()
            .len(),
        27
    );

    for (query, fields) in [
        ("pageSize=0", vec!["pageSize"]),
        ("pageSize=101", vec!["pageSize"]),
        ("page=0", vec!["page"]),
        (
            "propertyId=unit_01jd9x4m2k8q7v5t3r1n0p6w8y",
            vec!["propertyId"],
        ),
        ("propertyId=nope", vec!["propertyId"]),
        // Empty or padded is as malformed as any other non-ID, not "no filter" (F5).
        ("propertyId=", vec!["propertyId"]),
        ("propertyId=%20", vec!["propertyId"]),
        ("status=let", vec!["status"]),
        (
            "propertyId=x&status=y&page=0&pageSize=101",
            vec!["propertyId", "status", "page", "pageSize"],
        ),
    ] {
        let r = app.get(&format!("/api/units?{query}"), &org.admin).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert_eq!(r.fields(), fields, "{query}");
    }
});

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
