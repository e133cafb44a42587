//! The contract every route shares: envelope, errors, headers, limits.

mod common;

use axum::http::{Method, StatusCode};
use common::*;
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

backend_test!(every_response_carries_the_contract_headers, |app| {
    let org = app.org(Plan::Pro).await;
    for (path, client) in [
        ("/api/health", &Client::Anon),
        ("/api/properties", &org.admin),
        ("/nope", &Client::Anon),
    ] {
        let r = app.get(path, client).await;
        for h in [
            "x-request-id",
            "x-response-time-ms",
            "x-db-query-time-ms",
            "x-content-type-options",
        ] {
            assert!(!r.header(h).is_empty(), "{path} lacks {h}");
        }
        assert!(r.header("x-response-time-ms").parse::<f64>().is_ok());
        assert!(r.header("x-request-id").starts_with("req_"));
    }
    let listed = app.get("/api/properties", &org.admin).await;
    let db: f64 = listed.header("x-db-query-time-ms").parse().unwrap();
    let total: f64 = listed.header("x-response-time-ms").parse().unwrap();
    assert!(db > 0.0 && db <= total, "db {db} total {total}");
});

backend_test!(unknown_routes_methods_and_bodies, |app| {
    let org = app.org(Plan::Pro).await;
    let r = app.get("/api/does-not-exist", &Client::Anon).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "NOT_FOUND");
    assert_eq!(r.body["success"], false);
    let r = app
        .raw(Method::PUT, "/api/properties", &org.admin, None)
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.code(), "METHOD_NOT_ALLOWED");

    let big = format!("{{\"name\":\"{}\"}}", "x".repeat(1024 * 1024 + 10));
    let r = app
        .raw(
            Method::POST,
            "/api/properties",
            &org.admin,
            Some(big.into_bytes()),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.code(), "PAYLOAD_TOO_LARGE");

    for body in [
        &b"not json"[..],
        b"[1,2]",
        b"\xff\xfe",
        b"",
        b"{\"name\": \"a\0\"}",
    ] {
        let r = app
            .raw(
                Method::POST,
                "/api/properties",
                &org.admin,
                Some(body.to_vec()),
            )
            .await;
        assert!(r.status.is_client_error(), "{:?} -> {}", body, r.status);
        assert_eq!(r.code(), "VALIDATION_ERROR", "{:?}", body);
    }
    let deep = "[".repeat(5000) + &"]".repeat(5000);
    let r = app
        .raw(
            Method::POST,
            "/api/properties",
            &org.admin,
            Some(deep.into_bytes()),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        app.get("/api/properties", &org.admin).await.data()["total"],
        0
    );
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

backend_test!(preflight_answers_carry_rate_limit_headers, |app| {
    let req = axum::http::Request::builder()
        .method(Method::OPTIONS)
        .uri("/api/properties")
        .header("origin", "https://app.example")
        .header("access-control-request-method", "GET")
        .body(axum::body::Body::empty())
        .unwrap();
    let res = tower::ServiceExt::oneshot(app.router.clone(), req)
        .await
        .unwrap();
    for h in [
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
        "x-request-id",
    ] {
        assert!(res.headers().contains_key(h), "preflight lacks {h}");
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

fn metrics_behind_a_token() -> lintel_api::ApiConfig {
    let mut c = test_config();
    c.metrics_on_api = true;
    c.metrics_token = Some("scrape-token-0123456789".into());
    c
}

backend_test!(metrics_are_not_on_the_public_api_by_default, |app| {
    let r = app.get("/metrics", &Client::Anon).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::NOT_FOUND, "NOT_FOUND"),
        "{}",
        r.text
    );
});

backend_test_with!(
    metrics_on_the_api_port_need_their_token,
    metrics_behind_a_token(),
    |app| {
        app.get("/api/health", &Client::Anon).await;
        for (who, client) in [
            ("nobody", Client::Anon),
            (
                "a wrong token",
                Client::Key("scrape-token-wrong-0000".into()),
            ),
        ] {
            let r = app.get("/metrics", &client).await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{who}: {}", r.text);
            assert!(r.header("www-authenticate").starts_with("Bearer"), "{who}");
        }
        let r = app
            .get("/metrics", &Client::Key("scrape-token-0123456789".into()))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert!(r.text.contains("lintel_http_requests_total"), "{}", r.text);
        // The separate listener's router serves metrics and nothing else.
        let alone = lintel_api::metrics_router(app.state.clone());
        let send = |uri: &str, token: Option<&str>| {
            let mut b = axum::http::Request::get(uri);
            if let Some(t) = token {
                b = b.header("authorization", format!("Bearer {t}"));
            }
            tower::ServiceExt::oneshot(alone.clone(), b.body(axum::body::Body::empty()).unwrap())
        };
        let r = send("/metrics", Some("scrape-token-0123456789"))
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let r = send("/metrics", None).await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let r = send("/api/health", None).await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
    }
);

/// The API explorer sends the session's CSRF token (from the `lintel_csrf` cookie) on writes,
/// so a person signed in with the form can use it for the whole API; its page policy allows the
/// script (served as a file from this origin).
#[tokio::test]
async fn the_api_explorer_sends_the_csrf_token_on_writes() {
    let app = TestApp::sqlite().await;
    let r = app
        .get("/api/docs/ui/swagger-initializer.js", &Client::Anon)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.text.contains("requestInterceptor: lintelCsrf"),
        "{}",
        r.text
    );
    assert!(r.text.contains("lintel_csrf=") && r.text.contains("X-CSRF-Token"));
    assert!(r.text.contains("SwaggerUIBundle({") && r.text.contains("/api/docs"));
    assert!(r
        .header("content-security-policy")
        .contains("script-src 'self'"));
}
