//! Health and readiness, and what a caller sees when the database fails: 503 with `Retry-After`
//! on an outage, an opaque 500 for a stored value this version cannot read, and a fail-secure
//! 403 for a plan it cannot read.

use crate::support::*;
use axum::http::StatusCode;
use lintel_domain::Plan;
use serde_json::json;

backend_test!(health_and_ready, |app| {
    let r = app.get("/api/health", &Client::Anon).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, json!({"success": true, "data": {"status": "ok"}}));
    let r = app.get("/api/ready", &Client::Anon).await;
    assert_eq!(r.status, StatusCode::OK);
    app.store().close().await;
    let r = app.get("/api/ready", &Client::Anon).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.body["success"], false);
});

backend_test!(server_errors_are_opaque, |app| {
    let org = app.org(Plan::Pro).await;
    let id = create_property(&app, &org.admin, "Corrupted").await;
    // A stored value this version cannot read: the answer must not say what or where.
    let db = lintel_store::Db::connect(&app.database_url(), &Default::default())
        .await
        .unwrap();
    db.raw(&format!(
        "UPDATE properties SET kind = 'castle' WHERE id = '{id}'"
    ))
    .await
    .unwrap();
    db.close().await;
    let r = app.get(&format!("/api/properties/{id}"), &org.admin).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(r.code(), "INTERNAL_ERROR");
    assert_eq!(r.body["requestId"], r.header("x-request-id"));
    let text = r.text.to_lowercase();
    for leak in [
        "select",
        "sqlx",
        "kind",
        "castle",
        "properties",
        "corrupt",
        ".rs",
    ] {
        assert!(!text.contains(leak), "500 body leaks {leak}: {}", r.text);
    }
});

backend_test!(database_outage_is_503_with_retry_after, |app| {
    let org = app.org(Plan::Pro).await;
    app.store().close().await;
    let r = app.get("/api/properties", &org.admin).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text);
    assert_eq!(r.code(), "SERVICE_UNAVAILABLE");
    assert!(r.header("retry-after").parse::<u64>().unwrap() >= 1);
    let text = r.text.to_lowercase();
    for leak in ["pool", "closed", "sqlx", "postgres", "sqlite"] {
        assert!(!text.contains(leak), "503 body leaks {leak}: {}", r.text);
    }
});

backend_test!(unreadable_plan_is_denied_fail_secure, |app| {
    let org = app.org(Plan::Business).await;
    let key = app.key(&org, lintel_domain::Role::Admin).await;
    assert_eq!(
        app.get("/api/properties", &key).await.status,
        StatusCode::OK
    );
    // The stored plan becomes something this version does not know.
    let db = lintel_store::Db::connect(&app.database_url(), &Default::default())
        .await
        .unwrap();
    db.raw(&format!(
        "UPDATE organisations SET plan = 'platinum' WHERE id = '{}'",
        org.id
    ))
    .await
    .unwrap();
    db.close().await;
    for client in [&org.admin, &key] {
        let r = app.get("/api/properties", client).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
        assert_eq!(r.code(), "PLAN_CONTEXT_UNAVAILABLE");
        assert!(r.body["upgradeUrl"].is_string());
    }
});
