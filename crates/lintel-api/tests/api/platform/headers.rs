//! The contract every route shares: envelope, errors, headers, limits.

use crate::support::*;
use axum::http::{Method, StatusCode};
use lintel_domain::Plan;

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

fn cors_for_app_example() -> lintel_api::ApiConfig {
    let mut c = test_config();
    c.cors_origins = vec!["https://app.example".into()];
    c
}

async fn with_origin(app: &TestApp, method: Method, origin: &str) -> axum::http::HeaderMap {
    let req = axum::http::Request::builder()
        .method(method)
        .uri("/api/properties")
        .header("origin", origin)
        .header("access-control-request-method", "PATCH")
        .body(axum::body::Body::empty())
        .unwrap();
    let res = tower::ServiceExt::oneshot(app.router.clone(), req)
        .await
        .unwrap();
    res.headers().clone()
}

backend_test_with!(
    cors_answers_configured_origins_only,
    cors_for_app_example(),
    |app| {
        let h = with_origin(&app, Method::GET, "https://app.example").await;
        let get = |name: &str| h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("");
        assert_eq!(get("access-control-allow-origin"), "https://app.example");
        assert_eq!(get("access-control-allow-credentials"), "true");
        assert!(get("access-control-expose-headers").contains("x-request-id"));
        assert!(get("vary").contains("origin"), "{h:?}");

        let h = with_origin(&app, Method::OPTIONS, "https://app.example").await;
        let get = |name: &str| h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("");
        assert_eq!(get("access-control-allow-origin"), "https://app.example");
        assert!(
            get("access-control-allow-methods").contains("PATCH"),
            "{h:?}"
        );

        for method in [Method::GET, Method::OPTIONS] {
            let h = with_origin(&app, method.clone(), "https://evil.example").await;
            assert!(
                !h.contains_key("access-control-allow-origin"),
                "{method}: {h:?}"
            );
        }

        // Not a CORS request: no CORS headers, but the same `Vary` (caches must still tell the
        // answers to CORS requests apart).
        let r = app.get("/api/health", &Client::Anon).await;
        assert!(r.header("access-control-allow-origin").is_empty());
        assert_eq!(
            r.header("vary"),
            "origin, access-control-request-method, access-control-request-headers"
        );
    }
);
