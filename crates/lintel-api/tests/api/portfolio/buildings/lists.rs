//! Building lists: pagination bounds and search.

use axum::http::StatusCode;
use lintel_domain::Plan;
use serde_json::json;

use super::create_building;

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
