//! Units through HTTP on both backends: create, read, validate, keep names unique, update.

mod access;
mod bulk;
mod lists;
mod names;

use crate::support::units::*;
use crate::support::*;
use axum::http::{Method, StatusCode};
use lintel_domain::Plan;
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
