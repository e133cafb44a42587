//! Payments through HTTP: applied oldest first or as told, the rest held as credit and applied
//! to the next charges; refunds and returns re-open what they take back; the books stay sound.

use super::active_lease;
use crate::support::*;
use axum::http::StatusCode;
use lintel_domain::{Plan, Role};
use serde_json::{json, Value};

pub(crate) fn money(amount: i64) -> Value {
    json!({"amountMinor": amount, "currency": "CAD"})
}

pub(crate) async fn post_charge(
    app: &TestApp,
    org: &TestOrg,
    lease: &str,
    kind: &str,
    amount: i64,
    due: &str,
) -> String {
    let body = json!({"kind": kind, "amount": money(amount), "dueDate": due});
    let r = app
        .post(&format!("/api/leases/{lease}/charges"), &org.admin, body)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.data()["id"].as_str().unwrap().to_string()
}

async fn charge(app: &TestApp, org: &TestOrg, id: &str) -> Value {
    let r = app.get(&format!("/api/charges/{id}"), &org.admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.data().clone()
}

pub(crate) async fn assert_sound(app: &TestApp, org: &TestOrg) {
    let r = app.get("/api/ledger/integrity", &org.admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.data()["sound"], true, "{}", r.text);
    let r = app.get("/api/ledger/trial-balance", &org.admin).await;
    assert_eq!(
        r.data()["totals"][0]["debitsMinor"],
        r.data()["totals"][0]["creditsMinor"],
        "{}",
        r.text
    );
}

fn status_and_paid(c: &Value) -> (&str, i64) {
    (
        c["status"].as_str().unwrap(),
        c["paidMinor"].as_i64().unwrap(),
    )
}

backend_test!(
    payments_pay_oldest_first_and_hold_the_rest_as_credit,
    |app| {
        let org = app.org(Plan::Pro).await;
        let (lease, tenant) = active_lease(&app, &org).await;
        let deposit = post_charge(&app, &org, &lease, "deposit", 100000, "2026-01-01").await;
        let rent = post_charge(&app, &org, &lease, "rent", 185000, "2026-02-01").await;

        // Oldest first: the deposit in full, then part of the rent.
        let body = json!({"leaseId": lease, "amount": money(200000), "method": "cash",
                      "receivedOn": "2026-02-03", "reference": "Front desk"});
        let r = app.post("/api/payments", &org.admin, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let p = r.data().clone();
        assert!(p["id"].as_str().unwrap().starts_with("pay_"));
        assert_eq!(p["status"], "succeeded");
        assert_eq!(p["tenantId"], tenant);
        assert_eq!(
            (p["appliedMinor"].as_i64(), p["creditMinor"].as_i64()),
            (Some(200000), Some(0))
        );
        assert_eq!(p["receiptNumber"], "R-000001");
        assert_eq!(
            p["allocations"],
            json!([{"chargeId": deposit, "amountMinor": 100000},
               {"chargeId": rent, "amountMinor": 100000}])
        );
        assert_eq!(
            status_and_paid(&charge(&app, &org, &deposit).await),
            ("paid", 100000)
        );
        assert_eq!(
            status_and_paid(&charge(&app, &org, &rent).await),
            ("partially_paid", 100000)
        );
        // Its entry: undeposited funds debited, receivables credited.
        let r = app
            .get(
                &format!("/api/journal-entries/{}", p["entryId"].as_str().unwrap()),
                &org.admin,
            )
            .await;
        assert_eq!(r.data()["source"], "payment");
        assert_eq!(r.data()["lines"].as_array().unwrap().len(), 2);

        // Paid through the tenant, by transfer: the rent's rest, then credit.
        let body = json!({"tenantId": tenant, "amount": money(150000), "method": "bank_transfer",
                      "receivedOn": "2026-02-10"});
        let r = app.post("/api/payments", &org.admin, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let second = r.data()["id"].as_str().unwrap().to_string();
        assert_eq!(r.data()["leaseId"], lease);
        assert_eq!(
            (
                r.data()["appliedMinor"].as_i64(),
                r.data()["creditMinor"].as_i64()
            ),
            (Some(85000), Some(65000))
        );
        assert_eq!(r.data()["receiptNumber"], "R-000002");
        assert_eq!(
            status_and_paid(&charge(&app, &org, &rent).await),
            ("paid", 185000)
        );

        // The credit pays the next charge as it posts.
        let utility = post_charge(&app, &org, &lease, "utility", 30000, "2026-03-01").await;
        assert_eq!(
            status_and_paid(&charge(&app, &org, &utility).await),
            ("paid", 30000)
        );
        let r = app
            .get(&format!("/api/payments/{second}"), &org.admin)
            .await;
        assert_eq!(
            (
                r.data()["appliedMinor"].as_i64(),
                r.data()["creditMinor"].as_i64()
            ),
            (Some(115000), Some(35000))
        );

        // The lease's account: owed less paid, the credit held.
        let r = app
            .get(&format!("/api/leases/{lease}/ledger"), &org.admin)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let l = r.data();
        assert_eq!(l["balanceMinor"], -35000, "{}", r.text);
        assert_eq!(l["creditHeldMinor"], 35000);
        assert_eq!(l["depositHeldMinor"], 100000);
        let sources: Vec<&str> = l["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["source"].as_str().unwrap())
            .collect();
        assert_eq!(
            sources,
            [
                "charge",
                "charge",
                "payment",
                "payment",
                "charge",
                "credit_applied"
            ]
        );
        let running: Vec<i64> = l["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["balanceMinor"].as_i64().unwrap())
            .collect();
        assert_eq!(running, [100000, 285000, 85000, -65000, -35000, -35000]);

        // The tenant's detail carries their payments and balance.
        let r = app.get(&format!("/api/tenants/{tenant}"), &org.admin).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.data()["payments"].as_array().unwrap().len(), 2);
        assert_eq!(r.data()["payments"][0]["id"], second);
        assert_eq!(r.data()["balance"], money(-35000));

        // Filters.
        let r = app
            .get(
                "/api/payments?method=cash&from=2026-02-01&to=2026-02-05",
                &org.admin,
            )
            .await;
        assert_eq!(r.data()["total"], 1, "{}", r.text);
        let r = app
            .get(
                &format!("/api/payments?leaseId={lease}&status=succeeded"),
                &org.admin,
            )
            .await;
        assert_eq!(r.data()["total"], 2);
        assert_eq!(r.data()["items"][0]["id"], second);
        // By reference: exactly, after the same normalising as the body's text.
        let r = app
            .get("/api/payments?reference=%20Front%20desk", &org.admin)
            .await;
        assert_eq!(r.data()["total"], 1, "{}", r.text);
        assert_eq!(r.data()["items"][0]["reference"], "Front desk");
        let r = app.get("/api/payments?reference=Front", &org.admin).await;
        assert_eq!(r.data()["total"], 0, "{}", r.text);
        assert_sound(&app, &org).await;
    }
);

backend_test!(payments_follow_the_allocations_given, |app| {
    let org = app.org(Plan::Pro).await;
    let (lease, _) = active_lease(&app, &org).await;
    let old = post_charge(&app, &org, &lease, "rent", 100000, "2026-01-01").await;
    let new = post_charge(&app, &org, &lease, "fee", 5000, "2026-02-01").await;
    let body = json!({"leaseId": lease, "amount": money(20000), "method": "cheque",
                      "chequeNumber": "000451",
                      "allocations": [{"chargeId": new, "amount": money(5000)}]});
    let r = app.post("/api/payments", &org.admin, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.data()["chequeNumber"], "000451");
    assert_eq!(r.data()["creditMinor"], 15000);
    assert_eq!(
        status_and_paid(&charge(&app, &org, &new).await),
        ("paid", 5000)
    );
    assert_eq!(
        status_and_paid(&charge(&app, &org, &old).await),
        ("open", 0)
    );
    // A paid charge cannot be voided.
    let r = app
        .post_empty(&format!("/api/charges/{new}/void"), &org.admin)
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_sound(&app, &org).await;
});

backend_test!(payments_refuse_bad_fields_one_by_one, |app| {
    let org = app.org(Plan::Pro).await;
    let (lease, _) = active_lease(&app, &org).await;
    let rent = post_charge(&app, &org, &lease, "rent", 100000, "2026-01-01").await;
    let fields = |r: &Resp| -> Vec<String> {
        r.body["details"]
            .as_array()
            .unwrap_or(&vec![])
            .iter()
            .map(|d| d["field"].as_str().unwrap().to_string())
            .collect()
    };
    let r = app
        .post(
            "/api/payments",
            &org.admin,
            json!({"amount": {"amountMinor": 0, "currency": "CAD"}, "method": "cheque"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(
        fields(&r),
        ["leaseId", "amount.amountMinor", "chequeNumber"]
    );
    let r = app
        .post(
            "/api/payments",
            &org.admin,
            json!({"leaseId": lease, "amount": money(1000), "method": "wire",
                   "receivedOn": "2026-02-30"}),
        )
        .await;
    assert_eq!(fields(&r), ["method", "receivedOn"], "{}", r.text);
    // The lease's currency.
    let r = app
        .post(
            "/api/payments",
            &org.admin,
            json!({"leaseId": lease, "amount": {"amountMinor": 1000, "currency": "USD"},
                   "method": "cash"}),
        )
        .await;
    assert_eq!(fields(&r), ["amount.currency"], "{}", r.text);
    // Allocations beyond the charge, beyond the payment, or to a stranger charge.
    let r = app
        .post(
            "/api/payments",
            &org.admin,
            json!({"leaseId": lease, "amount": money(200000), "method": "cash",
                   "allocations": [{"chargeId": rent, "amount": money(150000)}]}),
        )
        .await;
    assert_eq!(
        fields(&r),
        ["allocations[0].amount.amountMinor"],
        "{}",
        r.text
    );
    let r = app
        .post(
            "/api/payments",
            &org.admin,
            json!({"leaseId": lease, "amount": money(1000), "method": "cash",
                   "allocations": [{"chargeId": rent, "amount": money(5000)}]}),
        )
        .await;
    assert_eq!(fields(&r), ["allocations"], "{}", r.text);
    let other = app.org(Plan::Pro).await;
    let (other_lease, _) = active_lease(&app, &other).await;
    let theirs = post_charge(&app, &other, &other_lease, "rent", 1000, "2026-01-01").await;
    let r = app
        .post(
            "/api/payments",
            &org.admin,
            json!({"leaseId": lease, "amount": money(1000), "method": "cash",
                   "allocations": [{"chargeId": theirs, "amount": money(1000)}]}),
        )
        .await;
    assert_eq!(fields(&r), ["allocations[0].chargeId"], "{}", r.text);
    // Another organisation's lease is not found.
    let r = app
        .post(
            "/api/payments",
            &org.admin,
            json!({"leaseId": other_lease, "amount": money(1000), "method": "cash"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    // Nothing was recorded.
    let r = app.get("/api/payments", &org.admin).await;
    assert_eq!(r.data()["total"], 0);
    assert_sound(&app, &org).await;
});

backend_test!(refunds_and_returns_reopen_what_they_take_back, |app| {
    let org = app.org(Plan::Pro).await;
    let (lease, _) = active_lease(&app, &org).await;
    let rent = post_charge(&app, &org, &lease, "rent", 100000, "2026-01-01").await;
    let body = json!({"leaseId": lease, "amount": money(120000), "method": "card"});
    let r = app.post("/api/payments", &org.admin, body).await;
    let card = r.data()["id"].as_str().unwrap().to_string();

    // The credit goes back first, then the rent re-opens.
    let path = format!("/api/payments/{card}/refund");
    let r = app
        .post(
            &path,
            &org.admin,
            json!({"amount": money(50000), "reason": "Overpaid"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let p = r.data();
    assert_eq!(p["status"], "partially_refunded");
    assert_eq!(
        (
            p["refundedMinor"].as_i64(),
            p["appliedMinor"].as_i64(),
            p["creditMinor"].as_i64()
        ),
        (Some(50000), Some(70000), Some(0))
    );
    assert_eq!(p["refunds"][0]["reason"], "Overpaid");
    assert_eq!(
        status_and_paid(&charge(&app, &org, &rent).await),
        ("partially_paid", 70000)
    );
    // Never more than remains; in the payment's currency.
    let r = app
        .post(&path, &org.admin, json!({"amount": money(70001)}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["details"][0]["field"], "amount.amountMinor");
    let r = app
        .post(
            &path,
            &org.admin,
            json!({"amount": {"amountMinor": 5, "currency": "EUR"}}),
        )
        .await;
    assert_eq!(
        r.body["details"][0]["field"], "amount.currency",
        "{}",
        r.text
    );
    let r = app
        .post(&path, &org.admin, json!({"amount": money(70000)}))
        .await;
    assert_eq!(r.data()["status"], "refunded", "{}", r.text);
    assert_eq!(
        status_and_paid(&charge(&app, &org, &rent).await),
        ("open", 0)
    );
    let r = app
        .post(&path, &org.admin, json!({"amount": money(1)}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    // A card payment is not returned.
    let r = app
        .post(
            &format!("/api/payments/{card}/return"),
            &org.admin,
            json!({"reason": "Bounced"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);

    // A bounced cheque: the rent re-opens, a fee is charged.
    let body = json!({"leaseId": lease, "amount": money(100000), "method": "cheque",
                      "chequeNumber": "77"});
    let r = app.post("/api/payments", &org.admin, body).await;
    let cheque = r.data()["id"].as_str().unwrap().to_string();
    assert_eq!(
        status_and_paid(&charge(&app, &org, &rent).await),
        ("paid", 100000)
    );
    let path = format!("/api/payments/{cheque}/return");
    let r = app
        .post(&path, &org.admin, json!({"feeAmount": money(2500)}))
        .await;
    assert_eq!(r.body["details"][0]["field"], "reason", "{}", r.text);
    let r = app
        .post(
            &path,
            &org.admin,
            json!({"reason": "Insufficient funds", "feeAmount": money(2500)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let p = r.data().clone();
    assert_eq!(p["status"], "failed");
    assert_eq!(p["return"]["reason"], "Insufficient funds");
    assert_eq!(p["appliedMinor"], 0);
    let fee = p["return"]["feeChargeId"].as_str().unwrap();
    let f = charge(&app, &org, fee).await;
    assert_eq!(
        (f["kind"].as_str(), f["amount"]["amountMinor"].as_i64()),
        (Some("fee"), Some(2500))
    );
    assert_eq!(
        status_and_paid(&charge(&app, &org, &rent).await),
        ("open", 0)
    );
    let r = app
        .post(&path, &org.admin, json!({"reason": "Again"}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    let r = app
        .get(&format!("/api/leases/{lease}/ledger"), &org.admin)
        .await;
    assert_eq!(r.data()["balanceMinor"], 102500, "{}", r.text);
    let r = app.get("/api/payments?status=failed", &org.admin).await;
    assert_eq!(r.data()["total"], 1);
    assert_sound(&app, &org).await;
});

backend_test!(payments_by_role_organisation_and_page, |app| {
    let org = app.org(Plan::Pro).await;
    let (lease, _) = active_lease(&app, &org).await;
    let body = json!({"leaseId": lease, "amount": money(1000), "method": "cash"});
    let r = app.post("/api/payments", &org.admin, body.clone()).await;
    let id = r.data()["id"].as_str().unwrap().to_string();
    let r = app.post("/api/payments", &Client::Anon, body.clone()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let broker = app.member(&org, Role::Broker).await;
    for (path, ok) in [
        ("/api/payments", false),
        (&format!("/api/payments/{id}")[..], false),
    ] {
        let r = app.get(path, &broker).await;
        assert_eq!((r.status == StatusCode::OK), ok, "{path}: {}", r.text);
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
    let r = app.post("/api/payments", &broker, body.clone()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let manager = app.member(&org, Role::PropertyManager).await;
    let r = app.post("/api/payments", &manager, body.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = app
        .post(
            &format!("/api/payments/{id}/refund"),
            &broker,
            json!({"amount": money(1)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A tenant member without a profile sees none.
    let tenant = app.member(&org, Role::Tenant).await;
    let r = app.get("/api/payments", &tenant).await;
    assert_eq!(
        (r.status, r.data()["total"].as_i64()),
        (StatusCode::OK, Some(0))
    );
    let r = app.get(&format!("/api/payments/{id}"), &tenant).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Another organisation's payment is not found.
    let other = app.org(Plan::Pro).await;
    for r in [
        app.get(&format!("/api/payments/{id}"), &other.admin).await,
        app.post(
            &format!("/api/payments/{id}/refund"),
            &other.admin,
            json!({"amount": money(1)}),
        )
        .await,
        app.post(
            &format!("/api/payments/{id}/return"),
            &other.admin,
            json!({"reason": "x"}),
        )
        .await,
    ] {
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    }
    // Pages.
    for bad in [
        "pageSize=0",
        "pageSize=101",
        "page=0",
        "status=paid",
        "method=gold",
        "from=x",
        "reference=%01",
    ] {
        let r = app.get(&format!("/api/payments?{bad}"), &org.admin).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.text
        );
    }
    let long = "r".repeat(201);
    let r = app
        .get(&format!("/api/payments?reference={long}"), &org.admin)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["details"][0]["field"], "reference", "{}", r.text);
    let r = app.get("/api/payments?pageSize=1", &org.admin).await;
    assert_eq!(
        (r.data()["total"].as_i64(), r.data()["totalPages"].as_i64()),
        (Some(2), Some(2))
    );
});

/// A tenant signed in to their own account, a payment of 10.00 on their lease and one on
/// another tenant's: (the tenant, their payment, the other payment, their lease).
pub(crate) async fn tenant_with_payments(
    app: &TestApp,
    org: &TestOrg,
) -> (Client, String, String, String) {
    let (lease, tenant) = active_lease(app, org).await;
    let (other_lease, _) = active_lease(app, org).await;
    let pay = |l: &str| json!({"leaseId": l, "amount": money(1000), "method": "cash"});
    let r = app.post("/api/payments", &org.admin, pay(&lease)).await;
    let mine = r.data()["id"].as_str().unwrap().to_string();
    let r = app
        .post("/api/payments", &org.admin, pay(&other_lease))
        .await;
    let theirs = r.data()["id"].as_str().unwrap().to_string();
    let email = json!({"email": format!("{tenant}@example.com")});
    let r = app
        .patch(&format!("/api/tenants/{tenant}"), &org.admin, email)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let me = crate::leasing::accounts::tenant_account(app, &org.admin, &tenant).await;
    (me, mine, theirs, lease)
}

backend_test_with!(
    a_tenant_reads_only_their_own_payments,
    crate::support::auth::relaxed(),
    |app| {
        let org = app.org(Plan::Pro).await;
        let (me, mine, theirs, lease) = tenant_with_payments(&app, &org).await;
        let pay = |l: &str| json!({"leaseId": l, "amount": money(1000), "method": "cash"});
        let r = app.get("/api/payments", &me).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.data()["total"], 1);
        assert_eq!(r.data()["items"][0]["id"], mine);
        let r = app.get(&format!("/api/payments/{mine}"), &me).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let r = app.get(&format!("/api/payments/{theirs}"), &me).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
        let r = app.post("/api/payments", &me, pay(&lease)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
);

backend_test!(
    the_integrity_check_finds_figures_changed_behind_its_back,
    |app| {
        let org = app.org(Plan::Pro).await;
        let (lease, _) = active_lease(&app, &org).await;
        let rent = post_charge(&app, &org, &lease, "rent", 100000, "2026-01-01").await;
        let body = json!({"leaseId": lease, "amount": money(130000), "method": "cash"});
        let r = app.post("/api/payments", &org.admin, body).await;
        let pay = r.data()["id"].as_str().unwrap().to_string();
        assert_sound(&app, &org).await;

        let db = lintel_store::Db::connect(&app.database_url(), &Default::default())
            .await
            .unwrap();
        db.raw(&format!(
            "UPDATE charges SET paid_minor = 90000 WHERE id = '{rent}'"
        ))
        .await
        .unwrap();
        db.raw(&format!(
            "UPDATE payments SET applied_minor = 110000 WHERE id = '{pay}'"
        ))
        .await
        .unwrap();
        let r = app.get("/api/ledger/integrity", &org.admin).await;
        assert_eq!(r.data()["sound"], false, "{}", r.text);
        let found: Vec<(&str, &str)> = r.data()["discrepancies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| (d["kind"].as_str().unwrap(), d["recordId"].as_str().unwrap()))
            .collect();
        assert_eq!(
            found,
            [
                ("charge_paid_mismatch", rent.as_str()),
                ("payment_totals_mismatch", pay.as_str()),
                ("credit_mismatch", lease.as_str()),
            ],
            "{}",
            r.text
        );
    }
);
