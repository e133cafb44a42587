//! The server always makes the request ID; a client's `X-Request-Id` is kept beside it as the
//! correlation ID, so it can never pose as one of ours.

use axum::http::{header, Method, Request, StatusCode};
use lintel_domain::Plan;

use super::helpers::*;

backend_test!(client_request_ids_become_correlation_ids, |app| {
    let org = app.org(Plan::Pro).await;
    let Client::Session { cookie, csrf } = &org.admin else {
        unreachable!()
    };
    let create = |sent: &str| {
        Request::builder()
            .method(Method::POST)
            .uri("/api/properties")
            .header(header::COOKIE, format!("lintel_session={cookie}"))
            .header("x-csrf-token", csrf.as_str())
            .header(header::CONTENT_TYPE, "application/json")
            .header("x-request-id", sent)
            .body(axum::body::Body::from(
                property_body("Correlated").to_string(),
            ))
            .unwrap()
    };
    // Even a value shaped like one of ours is only the client's correlation ID.
    let forged = "req_01jdc8k5m3q7r9t1v3x5z7b9d1";
    let r = send(&app, create(forged)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let ours = r.header("x-request-id").to_string();
    assert!(ours.starts_with("req_") && ours != forged, "{ours}");
    assert_eq!(r.header("x-correlation-id"), forged);
    let trail = audit(&app, &org.admin).await;
    let entry = trail
        .iter()
        .find(|e| e["action"] == "property.create")
        .unwrap();
    assert_eq!(
        (entry["requestId"].as_str(), entry["correlationId"].as_str()),
        (Some(ours.as_str()), Some(forged))
    );

    // Unusable values are dropped; the answer still has our ID.
    for bad in ["has spaces", &"x".repeat(65)] {
        let r = send(&app, create(bad)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert!(r.header("x-request-id").starts_with("req_"));
        assert_eq!(r.header("x-correlation-id"), "");
    }
    let r = app.get("/api/health", &Client::Anon).await;
    assert!(
        r.header("x-request-id").starts_with("req_") && r.header("x-correlation-id").is_empty()
    );
});
