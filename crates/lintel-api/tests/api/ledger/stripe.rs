//! Stripe's webhook through HTTP: signatures checked on the raw body (rotation, staleness,
//! forgery), each event processed once, subscriptions setting the organisation's plan.

use crate::support::*;
use axum::http::{Method, StatusCode};
use lintel_domain::Plan;
use serde_json::{json, Value};

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

pub(crate) async fn deliver(app: &TestApp, body: &Value, signature: Option<String>) -> Resp {
    let bytes = serde_json::to_vec(body).unwrap();
    let extra: Vec<(&str, &str)> = signature
        .as_deref()
        .map(|s| vec![("stripe-signature", s)])
        .unwrap_or_default();
    app.raw_with(
        Method::POST,
        "/api/webhooks/stripe",
        &Client::Anon,
        Some("application/json"),
        Some(bytes),
        &extra,
    )
    .await
}

/// Delivers `body` signed now with the newer secret.
pub(crate) async fn signed(app: &TestApp, body: &Value) -> Resp {
    let bytes = serde_json::to_vec(body).unwrap();
    let sig = stripe_signature(STRIPE_SECRETS[1], now(), &bytes);
    deliver(app, body, Some(sig)).await
}

fn subscription(id: &str, kind: &str, org: &TestOrg, price: &str, status: &str) -> Value {
    json!({"id": id, "type": kind, "created": now(), "data": {"object": {
        "id": "sub_1", "object": "subscription", "status": status,
        "metadata": {"organisationId": org.id.to_string()},
        "items": {"data": [{"price": {"id": price}}]}
    }}})
}

async fn plan(app: &TestApp, org: &TestOrg) -> String {
    let r = app.get("/api/organisations/current", &org.admin).await;
    r.data()["plan"].as_str().unwrap().to_string()
}

backend_test!(subscription_events_set_the_plan_once_each, |app| {
    let org = app.org(Plan::Free).await;
    let created = subscription(
        "evt_sub_created",
        "customer.subscription.created",
        &org,
        "price_pro_test",
        "active",
    );
    let r = signed(&app, &created).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.data()["duplicate"], false);
    assert_eq!(plan(&app, &org).await, "pro");
    // API keys of a BUSINESS plan: the plan change reaches credentials at once.
    let upgraded = subscription(
        "evt_sub_updated",
        "customer.subscription.updated",
        &org,
        "price_business_test",
        "active",
    );
    signed(&app, &upgraded).await;
    assert_eq!(plan(&app, &org).await, "business");
    // A redelivery of the first event changes nothing.
    let r = signed(&app, &created).await;
    assert_eq!(
        (r.status, r.data()["duplicate"].as_bool()),
        (StatusCode::OK, Some(true))
    );
    assert_eq!(plan(&app, &org).await, "business");
    // Ended: back to FREE.
    let deleted = subscription(
        "evt_sub_deleted",
        "customer.subscription.deleted",
        &org,
        "price_business_test",
        "canceled",
    );
    signed(&app, &deleted).await;
    assert_eq!(plan(&app, &org).await, "free");
    // An event Lintel does not act on, or about an unknown price, is acknowledged.
    for body in [
        json!({"id": "evt_other", "type": "invoice.finalized", "data": {"object": {}}}),
        subscription(
            "evt_odd",
            "customer.subscription.updated",
            &org,
            "price_x",
            "active",
        ),
    ] {
        let r = signed(&app, &body).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    assert_eq!(plan(&app, &org).await, "free");
    // Each change once in the audit log.
    let path = format!("/api/audit-log?entityType=organisation&entityId={}", org.id);
    let r = app.get(&path, &org.admin).await;
    let changes = r.data()["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "organisation.plan")
        .count();
    assert_eq!(changes, 3, "{}", r.text);
});

backend_test!(only_genuine_recent_signatures_are_accepted, |app| {
    let org = app.org(Plan::Free).await;
    let body = subscription(
        "evt_forged",
        "customer.subscription.created",
        &org,
        "price_business_test",
        "active",
    );
    let bytes = serde_json::to_vec(&body).unwrap();
    let t = now();
    // Well beyond the 300 s tolerance either way, so a slow run (seconds between `t` and the
    // server reading its clock) cannot bring "ahead" back inside it.
    for (sig, why) in [
        (None, "missing"),
        (Some(stripe_signature("whsec_guess", t, &bytes)), "forged"),
        (
            Some(stripe_signature(STRIPE_SECRETS[1], t - 400, &bytes)),
            "stale",
        ),
        (
            Some(stripe_signature(STRIPE_SECRETS[1], t + 400, &bytes)),
            "ahead",
        ),
        (
            Some(stripe_signature(STRIPE_SECRETS[1], t, b"{}")),
            "another body",
        ),
        (Some("t=abc,v1=zz".to_string()), "malformed"),
    ] {
        let r = deliver(&app, &body, sig).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{why}: {}", r.text);
        assert_eq!(r.code(), "VALIDATION_ERROR", "{why}");
    }
    assert_eq!(plan(&app, &org).await, "free");
    // The older secret of a rotation still works; a signed body that is no event is refused.
    let r = deliver(
        &app,
        &body,
        Some(stripe_signature(STRIPE_SECRETS[0], t, &bytes)),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(plan(&app, &org).await, "business");
    let r = signed(&app, &json!({"hello": "world"})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
});

backend_test!(
    an_older_subscription_event_arriving_late_changes_nothing,
    |app| {
        let org = app.org(Plan::Free).await;
        let newer = subscription(
            "evt_newer",
            "customer.subscription.updated",
            &org,
            "price_business_test",
            "active",
        );
        let r = signed(&app, &newer).await;
        assert_eq!(r.data()["stale"], false, "{}", r.text);
        let mut older = subscription(
            "evt_older",
            "customer.subscription.created",
            &org,
            "price_pro_test",
            "active",
        );
        older["created"] = json!(now() - 120);
        let r = signed(&app, &older).await;
        assert_eq!(
            (r.status, r.data()["stale"].as_bool()),
            (StatusCode::OK, Some(true)),
            "{}",
            r.text
        );
        assert_eq!(plan(&app, &org).await, "business");
    }
);
