//! Unit statuses and lists: status changes, filters and pagination.

use crate::support::units::*;
use crate::support::*;
use axum::http::StatusCode;
use lintel_domain::Plan;
use serde_json::json;

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
