//! Prometheus metrics: off the public API by default, and behind their token when served on it
//! or on their own listener.

use crate::support::*;
use axum::http::StatusCode;

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
        app.get("/api/properties/prop_nope", &Client::Anon).await;
        app.get("/no/such/route", &Client::Anon).await;
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
        // Requests are counted under their route template, whatever answered them; a path no
        // route matched is `unmatched`.
        for series in [
            r#"lintel_http_requests_total{method="GET",route="/api/health",status="200"} 1"#,
            r#"lintel_http_requests_total{method="GET",route="/api/properties/{id}",status="401"} 1"#,
            r#"lintel_http_requests_total{method="GET",route="unmatched",status="404"} 1"#,
        ] {
            assert!(r.text.contains(series), "{series} in {}", r.text);
        }
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
