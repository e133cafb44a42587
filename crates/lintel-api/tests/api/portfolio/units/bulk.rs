//! Units through HTTP on both backends: archived properties, bulk creation, plan caps.

use crate::support::units::*;
use crate::support::*;
use axum::http::StatusCode;
use lintel_domain::Plan;
use serde_json::{json, Value};

backend_test!(archived_property_is_read_only, |app| {
    let org = app.org(Plan::Pro).await;
    let prop = create_property(&app, &org.admin, "A").await;
    let id = create_unit(&app, &org.admin, &prop, json!({"name": "1"})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        app.post_empty(&format!("/api/properties/{prop}/archive"), &org.admin)
            .await
            .status,
        StatusCode::OK
    );
    for r in [
        app.post(
            &format!("/api/properties/{prop}/units"),
            &org.admin,
            json!({"name": "2"}),
        )
        .await,
        bulk(&app, &org.admin, &prop, named(2)).await,
        app.patch(
            &format!("/api/units/{id}"),
            &org.admin,
            json!({"name": "x"}),
        )
        .await,
        app.patch(
            &format!("/api/units/{id}/status"),
            &org.admin,
            json!({"status": "occupied"}),
        )
        .await,
    ] {
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
        assert_eq!(r.code(), "CONFLICT");
    }
    // Reads still work; nothing changed.
    let u = app.get(&format!("/api/units/{id}"), &org.admin).await;
    assert_eq!(
        (u.data()["name"].as_str(), u.data()["status"].as_str()),
        (Some("1"), Some("vacant"))
    );
    assert_eq!(units_total(&app, &org.admin, "").await, 1);
    assert_eq!(
        app.post_empty(&format!("/api/properties/{prop}/restore"), &org.admin)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.patch(
            &format!("/api/units/{id}"),
            &org.admin,
            json!({"name": "x"})
        )
        .await
        .status,
        StatusCode::OK
    );
});

backend_test!(bulk_all_or_nothing, |app| {
    let org = app.org(Plan::Pro).await;
    let prop = create_property(&app, &org.admin, "Tower").await;

    let r = bulk(&app, &org.admin, &prop, named(500)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let rows = r.data().as_array().unwrap();
    assert_eq!(rows.len(), 500);
    assert_eq!(
        (rows[0]["name"].as_str(), rows[499]["name"].as_str()),
        (Some("U000"), Some("U499"))
    );
    assert!(rows.iter().all(|u| u["propertyId"] == prop.as_str()));
    assert_eq!(
        units_total(&app, &org.admin, &format!("propertyId={prop}")).await,
        500
    );
    let p = app
        .get(&format!("/api/properties/{prop}"), &org.admin)
        .await;
    assert_eq!(p.data()["unitsCount"], 500);
    let (n, actions) = audit_total(&app, &org, None).await;
    assert_eq!(n, 500, "one audit entry per unit");
    assert!(actions.iter().all(|a| a == "unit.create"));
    let first = rows[0]["id"].as_str().unwrap();
    assert_eq!(audit_total(&app, &org, Some(first)).await.0, 1);

    let second = create_property(&app, &org.admin, "Second").await;
    let too_many = bulk(&app, &org.admin, &second, named(501)).await;
    assert_eq!(too_many.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(too_many.fields(), ["units"]);
    for body in [json!({"units": []}), json!({})] {
        let r = app
            .post(
                &format!("/api/properties/{second}/units/bulk"),
                &org.admin,
                body,
            )
            .await;
        assert_eq!(
            (r.status, r.fields()),
            (StatusCode::UNPROCESSABLE_ENTITY, vec!["units".to_string()])
        );
    }

    // Bad rows among many: every one named, nothing stored.
    let mut rows = named(50);
    rows[7] = json!({"name": "Bad", "bedrooms": 0.3, "status": "let"});
    rows[31] = json!({"suite": "x"});
    rows[40] = json!({"name": "U001"});
    let r = bulk(&app, &org.admin, &second, rows).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(
        r.fields(),
        [
            "units[7].bedrooms",
            "units[7].status",
            "units[31].name",
            "units[40].name"
        ]
    );
    let wrong = bulk(
        &app,
        &org.admin,
        &second,
        vec![json!({"name": "A"}), json!({"name": 5})],
    )
    .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert_eq!(wrong.fields(), ["units[1].name"]);

    // Rows clashing with units already in the property are named, checked before inserting.
    create_unit(&app, &org.admin, &second, json!({"name": "U002"})).await;
    create_unit(
        &app,
        &org.admin,
        &second,
        json!({"name": "U004", "suite": "A"}),
    )
    .await;
    let mut rows = named(6);
    rows[4] = json!({"name": "U004", "suite": "B"});
    let r = bulk(&app, &org.admin, &second, rows).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.fields(), ["units[2].name"]);
    assert_eq!(
        r.body["details"][0]["message"],
        "already exists in this property"
    );
    assert_eq!(
        units_total(&app, &org.admin, &format!("propertyId={second}")).await,
        2,
        "nothing inserted"
    );
    assert_eq!(audit_total(&app, &org, None).await.0, 502);
});

backend_test!(free_plan_caps_units, |app| {
    let org = app.org(Plan::Free).await;
    let a = create_property(&app, &org.admin, "A").await;
    let b = create_property(&app, &org.admin, "B").await;
    assert_eq!(
        bulk(&app, &org.admin, &a, named(99)).await.status,
        StatusCode::CREATED
    );

    // A batch that would pass the cap is refused whole.
    let r = bulk(&app, &org.admin, &b, named(2)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(r.code(), "PLAN_LIMIT_EXCEEDED");
    assert_eq!(r.body["upgradeUrl"], "/settings/billing");
    assert_eq!(r.body["currentPlan"], "FREE");
    assert_eq!(units_total(&app, &org.admin, "").await, 99);

    // The cap counts every unit of the organisation, across properties.
    create_unit(&app, &org.admin, &b, json!({"name": "100th"})).await;
    let r = app
        .post(
            &format!("/api/properties/{a}/units"),
            &org.admin,
            json!({"name": "101st"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "PLAN_LIMIT_EXCEEDED");
    assert!(r.body["upgradeUrl"].is_string());
    assert_eq!(units_total(&app, &org.admin, "").await, 100);
    // Updates are not creations.
    let id = app.get("/api/units", &org.admin).await.data()["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        app.patch(
            &format!("/api/units/{id}"),
            &org.admin,
            json!({"bedrooms": 1})
        )
        .await
        .status,
        StatusCode::OK
    );
    // At the cap, an archived property is still a 409 and another organisation's a 404: the
    // property is checked before the plan.
    let r = app
        .post_empty(&format!("/api/properties/{b}/archive"), &org.admin)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = bulk(&app, &org.admin, &b, named(1)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    let other = app.org(Plan::Free).await;
    let theirs = create_property(&app, &other.admin, "Theirs").await;
    let r = bulk(&app, &org.admin, &theirs, named(1)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
});

backend_test!(counts_and_deep_pages_stay_exact, |app| {
    let org = app.org(Plan::Business).await;
    let p1 = create_property(&app, &org.admin, "One").await;
    let p2 = create_property(&app, &org.admin, "Two").await;
    let statuses = ["vacant", "occupied", "maintenance", "unavailable"];
    let rows: Vec<_> = (0..30)
        .map(|i| json!({"name": format!("U{i:02}"), "status": statuses[i % 4]}))
        .collect();
    assert_eq!(
        bulk(&app, &org.admin, &p1, rows).await.status,
        StatusCode::CREATED
    );
    let rows: Vec<_> = (0..5).map(|i| json!({"name": format!("V{i}")})).collect();
    assert_eq!(
        bulk(&app, &org.admin, &p2, rows).await.status,
        StatusCode::CREATED
    );

    // Move some units between statuses, by both routes.
    let all = app
        .get(
            &format!("/api/units?propertyId={p1}&pageSize=100"),
            &org.admin,
        )
        .await;
    let ids: Vec<String> = all.data()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect();
    for id in &ids[..6] {
        let r = app
            .patch(
                &format!("/api/units/{id}/status"),
                &org.admin,
                json!({"status": "occupied"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
    }
    for id in &ids[6..9] {
        let r = app
            .patch(
                &format!("/api/units/{id}"),
                &org.admin,
                json!({"status": "vacant"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
    }

    // Every filter's total equals the rows it lists.
    let mut filters = vec![
        String::new(),
        format!("propertyId={p1}"),
        format!("propertyId={p2}"),
    ];
    for s in statuses {
        filters.push(format!("status={s}"));
        filters.push(format!("propertyId={p1}&status={s}"));
    }
    for f in &filters {
        let r = app
            .get(&format!("/api/units?pageSize=100&{f}"), &org.admin)
            .await;
        let listed = r.data()["items"].as_array().unwrap().len() as u64;
        assert_eq!(
            r.data()["total"].as_u64().unwrap(),
            listed,
            "total for {f:?}"
        );
    }
    let p = app.get(&format!("/api/properties/{p1}"), &org.admin).await;
    let occupied = app
        .get(
            &format!("/api/units?propertyId={p1}&status=occupied"),
            &org.admin,
        )
        .await;
    assert_eq!(p.data()["unitsCount"], 30);
    assert_eq!(p.data()["occupiedUnits"], occupied.data()["total"]);

    // Deep pages read the same rows as one long page.
    let long = app.get("/api/units?pageSize=100", &org.admin).await;
    let long: Vec<Value> = long.data()["items"].as_array().unwrap().clone();
    let page3 = app.get("/api/units?page=3&pageSize=10", &org.admin).await;
    assert_eq!(page3.data()["items"].as_array().unwrap()[..], long[20..30]);
    let last = app.get("/api/units?page=4&pageSize=10", &org.admin).await;
    assert_eq!(last.data()["items"].as_array().unwrap()[..], long[30..35]);
    let past = app.get("/api/units?page=9&pageSize=10", &org.admin).await;
    assert_eq!(past.data()["items"].as_array().unwrap().len(), 0);
    assert_eq!(past.data()["total"], 35);
});
