//! `GET /api/billing`: the plan, its features, and each limit with its usage.

use crate::support::*;
use axum::http::StatusCode;
use lintel_domain::{Plan, Role};
use serde_json::Value;

fn limit<'a>(r: &'a Resp, name: &str) -> &'a Value {
    r.data()["limits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["limit"] == name)
        .unwrap_or_else(|| panic!("{name} in {}", r.text))
}

backend_test!(billing_shows_the_plan_its_limits_and_usage, |app| {
    let org = app.org(Plan::Free).await;
    let other = app.org(Plan::Business).await;
    let (lease, _) = crate::ledger::active_lease(&app, &org).await;
    assert!(lease.starts_with("lease_"));
    create_property(&app, &other.admin, "Elsewhere").await;

    let r = app.get("/api/billing", &org.admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        (r.data()["plan"].as_str(), r.data()["planLabel"].as_str()),
        (Some("free"), Some("FREE"))
    );
    assert_eq!(r.data()["features"], serde_json::json!([]));
    let used = |name: &str| {
        let l = limit(&r, name);
        (l["max"].as_i64(), l["used"].as_i64())
    };
    assert_eq!(used("properties"), (Some(3), Some(1)));
    assert_eq!(used("units"), (Some(100), Some(1)));
    assert_eq!(used("members"), (Some(5), Some(1)));
    assert_eq!(used("leases_in_force"), (Some(10), Some(1)));
    assert_eq!(used("document_bytes"), (Some(100 * 1024 * 1024), Some(0)));

    let r = app.get("/api/billing", &other.admin).await;
    assert_eq!(r.data()["plan"], "business");
    assert_eq!(r.data()["features"], serde_json::json!(["api_access"]));
    assert!(limit(&r, "properties")["max"].is_null());
    assert_eq!(limit(&r, "properties")["used"], 1);
    assert_eq!(limit(&r, "leases_in_force")["used"], 0);

    let manager = app.member(&org, Role::PropertyManager).await;
    assert_eq!(
        app.get("/api/billing", &manager).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/api/billing", &Client::Anon).await.status,
        StatusCode::UNAUTHORIZED
    );
});

backend_test_with!(
    an_upgrade_starts_a_subscription_checkout,
    crate::support::stripe::stand_in(test_config()).await,
    |app| {
        let org = app.org(Plan::Free).await;
        let r = app
            .post(
                "/api/billing/checkout",
                &org.admin,
                serde_json::json!({"plan": "pro"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let url = r.data()["url"].as_str().unwrap();
        for want in [
            "mode=subscription".to_string(),
            "price=price_pro_test".to_string(),
            format!("org={}", org.id),
            "success=%2Fsettings%2Fbilling%3Fcheckout%3Dsuccess".to_string(),
        ] {
            assert!(url.contains(&want), "{want} not in {url}");
        }
        assert!(r.data()["sessionId"].as_str().unwrap().starts_with("cs_"));
        // Business buys its own price; a retry with its key gets the same session.
        let body = serde_json::json!({"plan": "business"});
        let first = app
            .post_keyed(
                "/api/billing/checkout",
                &org.admin,
                "upgrade-1",
                body.clone(),
            )
            .await;
        assert!(first.data()["url"]
            .as_str()
            .unwrap()
            .contains("price=price_business_test"));
        let again = app
            .post_keyed("/api/billing/checkout", &org.admin, "upgrade-1", body)
            .await;
        assert_eq!(again.data()["sessionId"], first.data()["sessionId"]);
        for (body, field) in [
            (serde_json::json!({"plan": "free"}), "plan"),
            (serde_json::json!({}), "plan"),
        ] {
            let r = app.post("/api/billing/checkout", &org.admin, body).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
            assert_eq!(r.fields(), [field]);
        }
        let manager = app.member(&org, Role::PropertyManager).await;
        let body = serde_json::json!({"plan": "pro"});
        let r = app
            .post("/api/billing/checkout", &manager, body.clone())
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = app.post("/api/billing/checkout", &Client::Anon, body).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
);

backend_test_with!(
    checkout_needs_stripe_configured_and_reachable,
    {
        let mut c = test_config();
        c.stripe.secret_key = Some("sk_test_nowhere".into());
        // Nothing listens on the discard port.
        c.stripe.api_base = "http://127.0.0.1:9".into();
        c
    },
    |app| {
        let org = app.org(Plan::Free).await;
        let body = serde_json::json!({"plan": "pro"});
        let r = app.post("/api/billing/checkout", &org.admin, body).await;
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text);
    }
);

backend_test!(checkout_without_stripe_is_a_conflict, |app| {
    let org = app.org(Plan::Free).await;
    let body = serde_json::json!({"plan": "pro"});
    let r = app.post("/api/billing/checkout", &org.admin, body).await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (
            StatusCode::CONFLICT,
            Some("Online payments are not configured: set stripe.secret_key and stripe.prices.")
        )
    );
});
