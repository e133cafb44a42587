//! Property lists: filters, search, sort and pagination, and the side-by-side comparison.

use crate::support::*;
use axum::http::StatusCode;
use lintel_domain::Plan;
use serde_json::json;

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
