//! Card payments through Stripe Checkout, end to end: a pending payment and its session, then
//! Stripe's signed events moving it — confirmed, failed, refunded — once each, forward only,
//! whatever order they arrive in.

use super::payments::{money, post_charge, tenant_with_payments};
use super::stripe::signed;
use crate::support::stripe::{sent, stand_in};
use crate::support::*;
use axum::http::StatusCode;
use lintel_domain::{Plan, Role};
use serde_json::{json, Value};

fn event(id: &str, kind: &str, object: Value) -> Value {
    json!({"id": id, "type": kind, "created": chrono::Utc::now().timestamp(),
           "data": {"object": object}})
}

fn session_completed(id: &str, payment: &str) -> Value {
    event(
        id,
        "checkout.session.completed",
        json!({
        "id": "cs_1", "object": "checkout.session", "payment_status": "paid",
        "payment_intent": format!("pi_{payment}"), "metadata": {"paymentId": payment}}),
    )
}

fn intent(id: &str, kind: &str, payment: &str) -> Value {
    event(
        id,
        kind,
        json!({
        "id": format!("pi_{payment}"), "object": "payment_intent",
        "metadata": {"paymentId": payment},
        "last_payment_error": {"code": "card_declined", "message": "Your card was declined."}}),
    )
}

/// `charge.refunded` with Stripe's running total; found by its PaymentIntent only.
fn refunded(id: &str, payment: &str, total: i64) -> Value {
    event(
        id,
        "charge.refunded",
        json!({
        "id": format!("ch_{payment}"), "object": "charge", "amount_refunded": total,
        "payment_intent": format!("pi_{payment}"), "metadata": {}}),
    )
}

async fn deliver_ok(app: &TestApp, body: &Value) -> Value {
    let r = signed(app, body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.data().clone()
}

async fn payment(app: &TestApp, org: &TestOrg, id: &str) -> Value {
    let r = app.get(&format!("/api/payments/{id}"), &org.admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.data().clone()
}

async fn sound(app: &TestApp, org: &TestOrg) {
    let r = app.get("/api/ledger/integrity", &org.admin).await;
    assert_eq!(r.data()["sound"], true, "{}", r.text);
}

/// Entries the payment posted (its own and its refunds').
async fn entries_of(app: &TestApp, org: &TestOrg, lease: &str, id: &str) -> usize {
    let r = app
        .get(&format!("/api/leases/{lease}/ledger"), &org.admin)
        .await;
    r.data()["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["sourceId"] == id)
        .count()
}

backend_test_with!(
    a_tenant_pays_their_lease_by_card,
    stand_in(crate::support::auth::relaxed()).await,
    |app| {
        let org = app.org(Plan::Pro).await;
        let (me, _, _, lease) = tenant_with_payments(&app, &org).await;
        let rent = post_charge(&app, &org, &lease, "rent", 100000, "2026-01-01").await;
        // No amount: what the lease owes now (the rent less the 10.00 cash paid before).
        let r = app
            .post("/api/payments/checkout", &me, json!({"leaseId": lease}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let p = r.data()["payment"].clone();
        let id = p["id"].as_str().unwrap().to_string();
        assert_eq!(
            (&p["status"], &p["method"], &p["amount"]),
            (&json!("pending"), &json!("card"), &money(99000))
        );
        assert_eq!(
            (&p["entryId"], &p["receiptNumber"]),
            (&Value::Null, &Value::Null)
        );
        let url = r.data()["url"].as_str().unwrap().to_string();
        assert_eq!(p["stripeCheckoutSessionId"], r.data()["sessionId"]);
        for (name, want) in [
            ("mode", "payment"),
            ("payment", id.as_str()),
            ("intent_payment", id.as_str()),
            ("amount", "99000"),
            ("currency", "cad"),
        ] {
            assert_eq!(sent(&url, name), want, "{name} in {url}");
        }
        // Pending: no receipt, nothing paid yet.
        let r = app.get(&format!("/api/payments/{id}/receipt"), &me).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
        let r = app.get(&format!("/api/payments/{id}"), &me).await;
        assert_eq!(r.data()["status"], "pending");
        assert_eq!(entries_of(&app, &org, &lease, &id).await, 0);

        // A declined card, then a success on the same page.
        let failed = intent("evt_c_fail", "payment_intent.payment_failed", &id);
        deliver_ok(&app, &failed).await;
        let p = payment(&app, &org, &id).await;
        assert_eq!(
            (&p["status"], &p["failureReason"]),
            (&json!("failed"), &json!("Your card was declined."))
        );
        let completed = session_completed("evt_c_done", &id);
        deliver_ok(&app, &completed).await;
        let p = payment(&app, &org, &id).await;
        assert_eq!(p["status"], "succeeded", "{p}");
        assert_eq!(p["failureReason"], Value::Null);
        assert_eq!(p["stripePaymentIntentId"], format!("pi_{id}"));
        assert!(p["receiptNumber"].as_str().unwrap().starts_with("R-"));
        assert_eq!(p["allocations"][0]["chargeId"], rent);
        assert_eq!(p["appliedMinor"], 99000);
        let r = app
            .get(
                &format!("/api/charges?leaseId={lease}&status=paid"),
                &org.admin,
            )
            .await;
        assert_eq!(r.data()["total"], 1, "{}", r.text);
        // The same success again, by redelivery or by its PaymentIntent, and a late failure:
        // nothing more.
        let r = deliver_ok(&app, &completed).await;
        assert_eq!(r["duplicate"], true);
        deliver_ok(
            &app,
            &intent("evt_c_pi_ok", "payment_intent.succeeded", &id),
        )
        .await;
        deliver_ok(
            &app,
            &intent("evt_c_late", "payment_intent.payment_failed", &id),
        )
        .await;
        let p = payment(&app, &org, &id).await;
        assert_eq!(p["status"], "succeeded");
        assert_eq!(entries_of(&app, &org, &lease, &id).await, 1);
        let r = app.get(&format!("/api/payments/{id}/receipt"), &me).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        sound(&app, &org).await;

        // Refunds are made in Stripe and recorded from its running total.
        let r = app
            .post(
                &format!("/api/payments/{id}/refund"),
                &org.admin,
                json!({"amount": money(100)}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
        assert!(r.text.contains("refund it in Stripe"), "{}", r.text);
        deliver_ok(&app, &refunded("evt_c_r1", &id, 40000)).await;
        deliver_ok(&app, &refunded("evt_c_r1b", &id, 40000)).await;
        let p = payment(&app, &org, &id).await;
        assert_eq!(
            (&p["status"], &p["refundedMinor"]),
            (&json!("partially_refunded"), &json!(40000))
        );
        deliver_ok(&app, &refunded("evt_c_r2", &id, 99000)).await;
        let p = payment(&app, &org, &id).await;
        assert_eq!(
            (&p["status"], &p["refundedMinor"]),
            (&json!("refunded"), &json!(99000))
        );
        assert_eq!(p["refunds"].as_array().unwrap().len(), 2);
        assert_eq!(p["refunds"][0]["reason"], "Refunded in Stripe");
        let r = app
            .get(&format!("/api/leases/{lease}/ledger"), &org.admin)
            .await;
        assert_eq!(r.data()["dueNowMinor"], 99000, "{}", r.text);
        sound(&app, &org).await;

        // Only their own leases.
        let (other, _) = crate::ledger::active_lease(&app, &org).await;
        let r = app
            .post(
                "/api/payments/checkout",
                &me,
                json!({"leaseId": other, "amount": money(500)}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
        assert_eq!(r.body["error"], "Lease not found.");
    }
);

backend_test_with!(
    a_refund_reported_before_the_success_confirms_it_first,
    stand_in(test_config()).await,
    |app| {
        let org = app.org(Plan::Pro).await;
        let (lease, _) = crate::ledger::active_lease(&app, &org).await;
        let body = json!({"leaseId": lease, "amount": money(20000)});
        let r = app.post("/api/payments/checkout", &org.admin, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let id = r.data()["payment"]["id"].as_str().unwrap().to_string();
        // The PaymentIntent is learnt from its first event; the refund names only it.
        deliver_ok(
            &app,
            &intent("evt_o_fail", "payment_intent.payment_failed", &id),
        )
        .await;
        deliver_ok(&app, &refunded("evt_o_r", &id, 5000)).await;
        let p = payment(&app, &org, &id).await;
        assert_eq!(
            (&p["status"], &p["refundedMinor"], &p["creditMinor"]),
            (&json!("partially_refunded"), &json!(5000), &json!(15000))
        );
        assert!(p["entryId"].is_string());
        for e in [
            intent("evt_o_ok", "payment_intent.succeeded", &id),
            session_completed("evt_o_done", &id),
        ] {
            deliver_ok(&app, &e).await;
        }
        assert_eq!(entries_of(&app, &org, &lease, &id).await, 2);
        // An expired session of another pending payment fails it; a later success still lands.
        let body = json!({"leaseId": lease, "amount": money(700)});
        let r = app.post("/api/payments/checkout", &org.admin, body).await;
        let other = r.data()["payment"]["id"].as_str().unwrap().to_string();
        let expired = event(
            "evt_o_exp",
            "checkout.session.expired",
            json!({"id": "cs_2", "object": "checkout.session", "metadata": {"paymentId": other}}),
        );
        deliver_ok(&app, &expired).await;
        let p = payment(&app, &org, &other).await;
        assert_eq!(p["status"], "failed");
        // Events about payments that are not here, or not made through Checkout, do nothing.
        let (cash_lease, _) = crate::ledger::active_lease(&app, &org).await;
        let cash = json!({"leaseId": cash_lease, "amount": money(900), "method": "card"});
        let r = app.post("/api/payments", &org.admin, cash).await;
        let manual = r.data()["id"].as_str().unwrap().to_string();
        for e in [
            refunded("evt_o_manual", &manual, 900),
            session_completed("evt_o_unknown", "pay_01J0000000000000000000000Z"),
        ] {
            let r = deliver_ok(&app, &e).await;
            assert_eq!(r["duplicate"], false);
        }
        assert_eq!(payment(&app, &org, &manual).await["refundedMinor"], 0);
        sound(&app, &org).await;
    }
);

backend_test_with!(
    card_checkout_checks_its_input_and_its_callers,
    stand_in(test_config()).await,
    |app| {
        let org = app.org(Plan::Pro).await;
        let (lease, _) = crate::ledger::active_lease(&app, &org).await;
        for (body, field) in [
            (json!({}), "leaseId"),
            (json!({"leaseId": "unit_x"}), "leaseId"),
            (
                json!({"leaseId": lease, "amount": money(0)}),
                "amount.amountMinor",
            ),
            (
                json!({"leaseId": lease, "amount": {"amountMinor": 500, "currency": "USD"}}),
                "amount.currency",
            ),
            // Nothing owed now (the lease starts next year) and no amount.
            (json!({"leaseId": lease}), "amount"),
            (json!({"leaseId": lease, "extra": 1}), "extra"),
        ] {
            let r = app
                .post("/api/payments/checkout", &org.admin, body.clone())
                .await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{body}: {}",
                r.text
            );
            assert_eq!(r.fields(), [field], "{body}");
        }
        let body = json!({"leaseId": lease, "amount": money(5000)});
        let r = app
            .post("/api/payments/checkout", &Client::Anon, body.clone())
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        let broker = app.member(&org, Role::Broker).await;
        let r = app
            .post("/api/payments/checkout", &broker, body.clone())
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
        // A tenant member with no tenant profile pays no lease.
        let tenant = app.member(&org, Role::Tenant).await;
        let r = app
            .post("/api/payments/checkout", &tenant, body.clone())
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
        // Another organisation's lease is not found.
        let other = app.org(Plan::Pro).await;
        let r = app
            .post("/api/payments/checkout", &other.admin, body.clone())
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
        // A retry under its key: the same payment and session, once.
        let first = app
            .post_keyed("/api/payments/checkout", &org.admin, "card-1", body.clone())
            .await;
        assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
        let again = app
            .post_keyed("/api/payments/checkout", &org.admin, "card-1", body)
            .await;
        assert_eq!(again.header("idempotent-replayed"), "true");
        assert_eq!(again.data(), first.data());
        let r = app
            .get(
                &format!("/api/payments?leaseId={lease}&status=pending"),
                &org.admin,
            )
            .await;
        assert_eq!(r.data()["total"], 1, "{}", r.text);
    }
);

backend_test!(card_checkout_needs_stripe_configured_and_reachable, |app| {
    let org = app.org(Plan::Pro).await;
    let (lease, _) = crate::ledger::active_lease(&app, &org).await;
    let body = json!({"leaseId": lease, "amount": money(5000)});
    let r = app.post("/api/payments/checkout", &org.admin, body).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(r.text.contains("stripe.secret_key"), "{}", r.text);
});

backend_test_with!(
    a_checkout_stripe_cannot_open_fails_its_payment,
    {
        let mut c = test_config();
        c.stripe.secret_key = Some("sk_test_unreachable".into());
        c.stripe.api_base = "http://127.0.0.1:9".into();
        c
    },
    |app| {
        let org = app.org(Plan::Pro).await;
        let (lease, _) = crate::ledger::active_lease(&app, &org).await;
        let body = json!({"leaseId": lease, "amount": money(5000)});
        let r = app.post("/api/payments/checkout", &org.admin, body).await;
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text);
        let r = app
            .get(&format!("/api/payments?leaseId={lease}"), &org.admin)
            .await;
        let p = &r.data()["items"][0];
        assert_eq!(p["status"], "failed", "{}", r.text);
        assert_eq!(p["failureReason"], "Stripe could not be reached");
        sound(&app, &org).await;
    }
);
