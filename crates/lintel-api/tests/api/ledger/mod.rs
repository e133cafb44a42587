//! The ledger through HTTP on both backends: the chart of accounts, the journal, balances.

mod billing;
mod card;
mod charges;
mod idempotency;
mod invariants;
mod invoices;
mod journal;
mod payments;
mod receipts;
mod stripe;

use crate::support::units::{create_unit, unit_body};
use crate::support::*;
use axum::http::StatusCode;
use lintel_domain::{Plan, Role};
use serde_json::json;

/// An active lease (rent 1,850.00 CAD, from 2027-01-01) of a new unit; answers the lease and
/// its tenant.
pub(crate) async fn active_lease(app: &TestApp, org: &TestOrg) -> (String, String) {
    let rent = json!({"rent": {"amountMinor": 185000, "currency": "CAD"}});
    active_lease_with(app, org, "2027-01-01", rent).await
}

/// A lease of a new unit starting on `start`, with `terms` over the defaults (rent 3,100.00 CAD
/// due on the 1st), moved to `active`; answers the lease and its tenant.
pub(crate) async fn active_lease_with(
    app: &TestApp,
    org: &TestOrg,
    start: &str,
    terms: serde_json::Value,
) -> (String, String) {
    let property = create_property(app, &org.admin, "Charged").await;
    let u = create_unit(app, &org.admin, &property, unit_body("101")).await["id"].clone();
    let r = app
        .post(
            "/api/tenants",
            &org.admin,
            json!({"firstName": "Cai", "lastName": "Rent"}),
        )
        .await;
    let t = r.data()["id"].as_str().unwrap().to_string();
    let mut body = json!({"unitId": u, "tenantIds": [t], "startDate": start,
                          "rent": {"amountMinor": 310000, "currency": "CAD"}});
    for (k, v) in terms.as_object().unwrap() {
        body[k] = v.clone();
    }
    let r = app.post("/api/leases", &org.admin, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let lease = r.data()["id"].as_str().unwrap().to_string();
    let r = app
        .patch(
            &format!("/api/leases/{lease}/status"),
            &org.admin,
            json!({"status": "active"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    (lease, t)
}

backend_test!(every_organisation_has_the_system_accounts, |app| {
    let org = app.org(Plan::Free).await;
    let r = app.get("/api/accounts", &org.admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let items = r.data()["items"].as_array().unwrap().clone();
    let chart: Vec<(&str, &str, &str)> = items
        .iter()
        .map(|a| {
            (
                a["code"].as_str().unwrap(),
                a["system"].as_str().unwrap(),
                a["type"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        chart,
        [
            ("1000", "operating_bank", "asset"),
            ("1010", "undeposited_funds", "asset"),
            ("1200", "accounts_receivable", "asset"),
            ("2000", "accounts_payable", "liability"),
            ("2100", "security_deposits_held", "liability"),
            ("2200", "prepaid_rent", "liability"),
            ("3000", "owner_equity", "equity"),
            ("4000", "rental_income", "income"),
            ("4100", "late_fee_income", "income"),
            ("4900", "other_income", "income"),
            ("5000", "maintenance_expense", "expense"),
        ]
    );
    // A system account can be renamed, never archived.
    let id = items[7]["id"].as_str().unwrap();
    let r = app
        .patch(
            &format!("/api/accounts/{id}"),
            &org.admin,
            json!({"name": "Rent"}),
        )
        .await;
    assert_eq!(
        (r.status, r.data()["name"].as_str()),
        (StatusCode::OK, Some("Rent")),
        "{}",
        r.text
    );
    let r = app
        .post_empty(&format!("/api/accounts/{id}/archive"), &org.admin)
        .await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (
            StatusCode::CONFLICT,
            Some("System accounts cannot be archived.")
        )
    );
});

backend_test!(custom_accounts, |app| {
    let org = app.org(Plan::Pro).await;
    let body = json!({"code": "6100", "name": "Landscaping", "type": "expense"});
    let r = app.post("/api/accounts", &org.admin, body.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let a = r.data().clone();
    let id = a["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("acct_"));
    assert_eq!(
        (a["type"].as_str(), a["system"].is_null()),
        (Some("expense"), true)
    );
    let r = app.post("/api/accounts", &org.admin, body).await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (
            StatusCode::CONFLICT,
            Some("An account with this code already exists.")
        )
    );
    let r = app
        .patch(
            &format!("/api/accounts/{id}"),
            &org.admin,
            json!({"code": "1000"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    // The type is fixed.
    let r = app
        .patch(
            &format!("/api/accounts/{id}"),
            &org.admin,
            json!({"type": "asset"}),
        )
        .await;
    assert_eq!(r.fields(), ["type"]);
    let r = app
        .post(
            "/api/accounts",
            &org.admin,
            json!({"code": "-1", "name": "", "type": "cash"}),
        )
        .await;
    assert_eq!(r.fields(), ["code", "name", "type"]);
    let r = app
        .post_empty(&format!("/api/accounts/{id}/archive"), &org.admin)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.data()["archivedAt"].is_string());
    let r = app.get("/api/accounts?pageSize=101", &org.admin).await;
    assert_eq!(r.fields(), ["pageSize"]);
    assert_eq!(
        app.get("/api/accounts", &org.admin).await.data()["total"],
        12
    );
});

backend_test!(who_may_see_and_change_accounts, |app| {
    let org = app.org(Plan::Business).await;
    let other = app.org(Plan::Business).await;
    let r = app.get("/api/accounts", &org.admin).await;
    let id = r.data()["items"][0]["id"].as_str().unwrap().to_string();
    let path = format!("/api/accounts/{id}");
    assert_eq!(
        app.get("/api/accounts", &Client::Anon).await.status,
        StatusCode::UNAUTHORIZED
    );
    for role in [Role::Tenant, Role::Broker] {
        let c = app.member(&org, role).await;
        assert_eq!(
            app.get("/api/accounts", &c).await.status,
            StatusCode::FORBIDDEN
        );
    }
    let pm = app.key(&org, Role::PropertyManager).await;
    assert_eq!(app.get(&path, &pm).await.status, StatusCode::OK);
    let landlord = app.member(&org, Role::Landlord).await;
    let body = json!({"code": "7000", "name": "Fees", "type": "expense"});
    let r = app.post("/api/accounts", &landlord, body).await;
    assert_eq!(
        (r.status, r.body["message"].as_str()),
        (
            StatusCode::FORBIDDEN,
            Some("Forbidden: requires admin role or higher")
        )
    );
    for r in [
        app.get(&path, &other.admin).await,
        app.patch(&path, &other.admin, json!({"name": "x"})).await,
        app.post_empty(&format!("{path}/archive"), &other.admin)
            .await,
    ] {
        assert_eq!(
            (r.status, r.body["error"].as_str()),
            (StatusCode::NOT_FOUND, Some("Account not found."))
        );
    }
});
