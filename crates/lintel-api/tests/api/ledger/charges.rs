//! Charges through HTTP: each posted as a journal entry against receivables, voided by its
//! reversal while unpaid; the books stay sound.

use super::active_lease;
use crate::support::units::{create_unit, unit_body};
use crate::support::*;
use axum::http::StatusCode;
use lintel_domain::{Plan, Role};
use serde_json::{json, Value};

fn charge(kind: &str, amount: i64) -> Value {
    json!({"kind": kind, "amount": {"amountMinor": amount, "currency": "CAD"},
           "dueDate": "2026-12-01", "description": format!("{kind} for December")})
}

async fn receivables(app: &TestApp, org: &TestOrg) -> i64 {
    let r = app.get("/api/accounts", &org.admin).await;
    let ar = r.data()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["system"] == "accounts_receivable")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .get(
            &format!("/api/accounts/{ar}/balance?asOf=2099-12-31"),
            &org.admin,
        )
        .await;
    r.data()["balances"][0]["balanceMinor"]
        .as_i64()
        .unwrap_or(0)
}

backend_test!(charges_post_to_the_journal_and_void_by_reversal, |app| {
    let org = app.org(Plan::Pro).await;
    let (lease, tenant) = active_lease(&app, &org).await;
    let path = format!("/api/leases/{lease}/charges");
    let r = app.post(&path, &org.admin, charge("rent", 185000)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let c = r.data().clone();
    let id = c["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("chg_"));
    assert_eq!(
        (c["status"].as_str(), c["tenantId"].as_str()),
        (Some("open"), Some(tenant.as_str()))
    );
    let entry = c["entryId"].as_str().unwrap();
    let e = app
        .get(&format!("/api/journal-entries/{entry}"), &org.admin)
        .await;
    assert_eq!(
        (e.data()["source"].as_str(), e.data()["sourceId"].as_str()),
        (Some("charge"), Some(id.as_str()))
    );
    assert_eq!(e.data()["lines"][0]["leaseId"], lease);
    assert_eq!(receivables(&app, &org).await, 185000);

    // A deposit is held, not earned; a credit note lowers what is owed.
    let r = app.post(&path, &org.admin, charge("deposit", 185000)).await;
    let deposit_entry = r.data()["entryId"].as_str().unwrap().to_string();
    let e = app
        .get(&format!("/api/journal-entries/{deposit_entry}"), &org.admin)
        .await;
    let accounts = app.get("/api/accounts", &org.admin).await;
    let held = accounts.data()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["system"] == "security_deposits_held")
        .unwrap()["id"]
        .clone();
    assert_eq!(e.data()["lines"][1]["accountId"], held);
    app.post(&path, &org.admin, charge("credit", 5000)).await;
    assert_eq!(receivables(&app, &org).await, 185000 + 185000 - 5000);

    // Void: the entry is reversed, once; the charge's entry is corrected only through it.
    let r = app
        .post_empty(&format!("/api/journal-entries/{entry}/reverse"), &org.admin)
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    let r = app
        .post_empty(&format!("/api/charges/{id}/void"), &org.admin)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.data()["status"], "void");
    assert!(r.data()["voidEntryId"].is_string());
    let r = app
        .post_empty(&format!("/api/charges/{id}/void"), &org.admin)
        .await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (StatusCode::CONFLICT, Some("This charge is already void."))
    );
    assert_eq!(receivables(&app, &org).await, 185000 - 5000);
    let r = app.get("/api/ledger/integrity", &org.admin).await;
    assert_eq!(r.data()["sound"], true, "{}", r.text);
    let r = app.get("/api/ledger/trial-balance", &org.admin).await;
    assert_eq!(r.data()["balanced"], true);

    // Lists and filters.
    let r = app
        .get(
            &format!("/api/charges?leaseId={lease}&status=open"),
            &org.admin,
        )
        .await;
    assert_eq!(r.data()["total"], 2, "{}", r.text);
    let r = app
        .get(
            "/api/charges?kind=deposit&dueFrom=2026-12-01&dueTo=2026-12-01",
            &org.admin,
        )
        .await;
    assert_eq!(r.data()["total"], 1);
    let r = app.get("/api/charges?status=void", &org.admin).await;
    assert_eq!(r.data()["items"][0]["id"], id);
});

backend_test!(a_leases_account_line_by_line, |app| {
    let org = app.org(Plan::Pro).await;
    let (lease, _) = active_lease(&app, &org).await;
    let path = format!("/api/leases/{lease}/charges");
    let mut past = charge("rent", 185000);
    past["dueDate"] = json!("2020-11-01");
    app.post(&path, &org.admin, past).await;
    let mut deposit = charge("deposit", 100000);
    deposit["dueDate"] = json!("2020-12-01");
    app.post(&path, &org.admin, deposit).await;
    let mut future = charge("rent", 185000);
    future["dueDate"] = json!("2099-01-01");
    app.post(&path, &org.admin, future).await;
    let mut credit = charge("credit", 5000);
    credit["dueDate"] = json!("2020-11-15");
    app.post(&path, &org.admin, credit).await;
    let r = app
        .get(&format!("/api/leases/{lease}/ledger"), &org.admin)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let l = r.data();
    let amounts: Vec<(i64, i64)> = l["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["amountMinor"].as_i64().unwrap(),
                x["balanceMinor"].as_i64().unwrap(),
            )
        })
        .collect();
    // Due on 2020-11-01, 2020-11-15, 2020-12-01 (the deposit) and 2099-01-01, in that order.
    assert_eq!(
        amounts,
        [
            (185000, 185000),
            (-5000, 180000),
            (100000, 280000),
            (185000, 465000)
        ]
    );
    assert_eq!(l["balanceMinor"], 465000);
    assert_eq!(l["dueNowMinor"], 280000);
    assert_eq!(l["depositHeldMinor"], 100000);
    assert_eq!(l["currency"], "CAD");
    let other = app.org(Plan::Pro).await;
    let r = app
        .get(&format!("/api/leases/{lease}/ledger"), &other.admin)
        .await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("Lease not found."))
    );
});

backend_test!(refused_charges, |app| {
    let org = app.org(Plan::Pro).await;
    let other = app.org(Plan::Pro).await;
    let (lease, _) = active_lease(&app, &org).await;
    let path = format!("/api/leases/{lease}/charges");
    let mut usd = charge("rent", 100);
    usd["amount"]["currency"] = json!("USD");
    let r = app.post(&path, &org.admin, usd).await;
    assert_eq!(r.fields(), ["amount.currency"]);
    assert_eq!(
        r.body["details"][0]["message"],
        "must be the lease's currency, CAD"
    );
    let r = app.post(&path, &org.admin, json!({"kind": "tip", "amount": {"amountMinor": 0, "currency": "CAD"}, "dueDate": "soon"})).await;
    assert_eq!(r.fields(), ["kind", "amount.amountMinor", "dueDate"]);
    let r = app.post(&path, &other.admin, charge("rent", 100)).await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("Lease not found."))
    );
    // A draft lease takes no charge.
    let (_, t) = active_lease(&app, &org).await;
    let property = create_property(&app, &org.admin, "Draft").await;
    let u = create_unit(&app, &org.admin, &property, unit_body("1")).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let body = json!({"unitId": u, "tenantIds": [t], "startDate": "2027-01-01", "rent": {"amountMinor": 1, "currency": "CAD"}});
    let draft = app.post("/api/leases", &org.admin, body).await.data()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .post(
            &format!("/api/leases/{draft}/charges"),
            &org.admin,
            charge("rent", 100),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);

    // Roles and other organisations.
    let r = app.post(&path, &org.admin, charge("fee", 2500)).await;
    let id = r.data()["id"].as_str().unwrap().to_string();
    let broker = app.member(&org, Role::Broker).await;
    for r in [
        app.get("/api/charges", &broker).await,
        app.post(&path, &broker, charge("fee", 1)).await,
        app.post_empty(&format!("/api/charges/{id}/void"), &broker)
            .await,
    ] {
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
    for r in [
        app.get(&format!("/api/charges/{id}"), &other.admin).await,
        app.post_empty(&format!("/api/charges/{id}/void"), &other.admin)
            .await,
    ] {
        assert_eq!(
            (r.status, r.body["error"].as_str()),
            (StatusCode::NOT_FOUND, Some("Charge not found."))
        );
    }
    assert_eq!(
        app.get("/api/charges", &other.admin).await.data()["total"],
        0
    );
    assert_eq!(
        app.get("/api/charges", &Client::Anon).await.status,
        StatusCode::UNAUTHORIZED
    );
    let r = app
        .get("/api/charges?pageSize=101&kind=tip&dueFrom=x", &org.admin)
        .await;
    let mut fields = r.fields();
    fields.sort();
    assert_eq!(fields, ["dueFrom", "kind", "pageSize"]);
});
