//! Idempotency-Key on the money operations: replays answer the first response and change
//! nothing, a reused key on another request is refused, concurrent retries record once.

use super::active_lease;
use super::payments::{assert_sound, money};
use crate::support::*;
use axum::http::StatusCode;
use lintel_domain::{Plan, Role};
use serde_json::json;

async fn count(app: &TestApp, org: &TestOrg) -> i64 {
    let r = app.get("/api/payments", &org.admin).await;
    r.data()["total"].as_i64().unwrap()
}

backend_test!(a_retried_payment_answers_the_first_response, |app| {
    let org = app.org(Plan::Pro).await;
    let (lease, _) = active_lease(&app, &org).await;
    let body = json!({"leaseId": lease, "amount": money(5000), "method": "cash"});
    let first = app
        .post_keyed("/api/payments", &org.admin, "pay-1", body.clone())
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    assert!(first.headers.get("idempotent-replayed").is_none());
    let again = app
        .post_keyed("/api/payments", &org.admin, "pay-1", body.clone())
        .await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);
    assert_eq!(again.headers.get("idempotent-replayed").unwrap(), "true");
    assert_eq!(again.body, first.body);
    assert_eq!(count(&app, &org).await, 1);

    // The same key on another body is refused; nothing happens.
    let other = json!({"leaseId": lease, "amount": money(5001), "method": "cash"});
    let r = app
        .post_keyed("/api/payments", &org.admin, "pay-1", other.clone())
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["code"], "IDEMPOTENCY_KEY_REUSED");
    assert_eq!(count(&app, &org).await, 1);

    // A refused request keeps no answer: fixed, it goes through under the same key.
    let bad = json!({"leaseId": lease, "amount": money(0), "method": "cash"});
    let r = app
        .post_keyed("/api/payments", &org.admin, "pay-2", bad)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = app
        .post_keyed("/api/payments", &org.admin, "pay-2", other)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(count(&app, &org).await, 2);

    // Keys belong to the credential: another's same key is its own.
    let manager = app.member(&org, Role::PropertyManager).await;
    let r = app
        .post_keyed("/api/payments", &manager, "pay-1", body.clone())
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert!(r.headers.get("idempotent-replayed").is_none());
    assert_eq!(count(&app, &org).await, 3);

    // Without a key, each request is its own.
    app.post("/api/payments", &org.admin, body.clone()).await;
    app.post("/api/payments", &org.admin, body).await;
    assert_eq!(count(&app, &org).await, 5);

    // A refund replays too.
    let id = first.data()["id"].as_str().unwrap();
    let path = format!("/api/payments/{id}/refund");
    let refund = json!({"amount": money(1000)});
    let a = app
        .post_keyed(&path, &org.admin, "refund-1", refund.clone())
        .await;
    let b = app.post_keyed(&path, &org.admin, "refund-1", refund).await;
    assert_eq!(
        (a.status, b.status),
        (StatusCode::OK, StatusCode::OK),
        "{}",
        b.text
    );
    assert_eq!(b.data()["refunds"].as_array().unwrap().len(), 1);
    assert_eq!(b.headers.get("idempotent-replayed").unwrap(), "true");
    // A malformed key is a 400.
    let r = app
        .post_keyed(&path, &org.admin, "has space", json!({"amount": money(1)}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_sound(&app, &org).await;
});

backend_test!(fifty_concurrent_retries_record_one_payment, |app| {
    let org = app.org(Plan::Pro).await;
    let (lease, _) = active_lease(&app, &org).await;
    let body = json!({"leaseId": lease, "amount": money(7000), "method": "bank_transfer"});
    let tries = (0..50).map(|_| app.post_keyed("/api/payments", &org.admin, "same", body.clone()));
    let answers = futures::future::join_all(tries).await;
    let mut created = 0;
    let mut ids = std::collections::BTreeSet::new();
    for r in &answers {
        match r.status {
            StatusCode::CREATED => {
                created += 1;
                ids.insert(r.data()["id"].as_str().unwrap().to_string());
            }
            StatusCode::CONFLICT => assert_eq!(r.body["code"], "IDEMPOTENCY_KEY_IN_USE"),
            other => panic!("{other}: {}", r.text),
        }
    }
    assert!(created >= 1);
    assert_eq!(ids.len(), 1, "every success is the same payment");
    assert_eq!(count(&app, &org).await, 1);
    // Once finished, a retry replays.
    let r = app
        .post_keyed("/api/payments", &org.admin, "same", body)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.headers.get("idempotent-replayed").unwrap(), "true");
    assert_sound(&app, &org).await;
});
