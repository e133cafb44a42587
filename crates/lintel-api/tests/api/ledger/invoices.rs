//! Invoices through HTTP: numbered without gaps, issued, following the payments on their
//! charges, overdue past their due date, voided keeping their number, printed as PDF.

use super::active_lease;
use super::payments::{money, post_charge};
use crate::support::*;
use axum::http::StatusCode;
use lintel_domain::{Plan, Role};
use serde_json::json;

async fn invoice(app: &TestApp, org: &TestOrg, body: serde_json::Value) -> Resp {
    app.post("/api/invoices", &org.admin, body).await
}

async fn pay(app: &TestApp, org: &TestOrg, lease: &str, charge: &str, amount: i64) {
    let body = json!({"leaseId": lease, "amount": money(amount), "method": "cash",
                      "allocations": [{"chargeId": charge, "amount": money(amount)}]});
    let r = app.post("/api/payments", &org.admin, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

backend_test!(
    an_invoice_groups_open_charges_and_follows_their_payments,
    |app| {
        let org = app.org(Plan::Pro).await;
        let (lease, tenant) = active_lease(&app, &org).await;
        let jan = post_charge(&app, &org, &lease, "rent", 185000, "2027-01-01").await;
        let feb = post_charge(&app, &org, &lease, "rent", 185000, "2027-02-01").await;
        post_charge(&app, &org, &lease, "credit", 1000, "2027-01-01").await;
        // Named through the tenant: their one lease in force; the credit note is not invoiced.
        let r = invoice(
            &app,
            &org,
            json!({"tenantId": tenant, "issueDate": "2026-12-01", "dueDate": "2099-01-15",
               "notes": "Rent for January and February"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let d = r.data().clone();
        let id = d["id"].as_str().unwrap().to_string();
        assert!(id.starts_with("inv_"));
        assert_eq!(
            (
                d["number"].as_str(),
                d["status"].as_str(),
                d["leaseId"].as_str()
            ),
            (Some("INV-000001"), Some("draft"), Some(lease.as_str()))
        );
        assert_eq!(
            (d["totalMinor"].as_i64(), d["paidMinor"].as_i64()),
            (Some(370000), Some(0))
        );
        let lines: Vec<&str> = d["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["chargeId"].as_str().unwrap())
            .collect();
        assert_eq!(lines, [jan.as_str(), feb.as_str()]);
        // Nothing is left to invoice.
        let r = invoice(
            &app,
            &org,
            json!({"leaseId": lease, "dueDate": "2099-01-15"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert_eq!(r.fields(), ["chargeIds"]);

        let path = format!("/api/invoices/{id}");
        let r = app.post_empty(&format!("{path}/issue"), &org.admin).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.data()["status"], "issued");
        assert!(r.data()["issuedAt"].is_string());
        let r = app.post_empty(&format!("{path}/issue"), &org.admin).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
        // A charge on an invoice is voided only after the invoice.
        let r = app
            .post_empty(&format!("/api/charges/{feb}/void"), &org.admin)
            .await;
        assert_eq!(
            (r.status, r.body["error"].as_str()),
            (
                StatusCode::CONFLICT,
                Some("This charge is on invoice INV-000001: void the invoice first.")
            )
        );
        pay(&app, &org, &lease, &jan, 185000).await;
        pay(&app, &org, &lease, &feb, 100000).await;
        let r = app.get(&path, &org.admin).await;
        assert_eq!(
            (
                r.data()["status"].as_str(),
                r.data()["paidMinor"].as_i64(),
                r.data()["balanceMinor"].as_i64()
            ),
            (Some("partially_paid"), Some(285000), Some(85000))
        );
        pay(&app, &org, &lease, &feb, 85000).await;
        assert_eq!(app.get(&path, &org.admin).await.data()["status"], "paid");

        // Printed.
        let r = app.get(&format!("{path}/pdf"), &org.admin).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.header("content-type"), "application/pdf");
        let doc = lopdf::Document::load_mem(&r.bytes).unwrap();
        let text = doc.extract_text(&[1]).unwrap();
        for want in [
            "INV-000001",
            "3,700.00 CAD",
            "2099-01-15",
            "Cai Rent",
            "paid",
        ] {
            assert!(text.contains(want), "{want:?} not in {text}");
        }

        // Void keeps the number; the charges may go on another invoice.
        let r = app.post_empty(&format!("{path}/void"), &org.admin).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(
            (r.data()["status"].as_str(), r.data()["number"].as_str()),
            (Some("void"), Some("INV-000001"))
        );
        let r = app.post_empty(&format!("{path}/void"), &org.admin).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        let mar = post_charge(&app, &org, &lease, "utility", 4000, "2027-03-01").await;
        let body = json!({"leaseId": lease, "chargeIds": [mar], "dueDate": "2099-03-15"});
        let second = invoice(&app, &org, body.clone()).await;
        assert_eq!(second.data()["number"], "INV-000002", "{}", second.text);
        let r = invoice(&app, &org, body.clone()).await;
        assert_eq!(
            (r.status, r.fields()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                vec!["chargeIds[0]".to_string()]
            )
        );
        let second = second.data()["id"].as_str().unwrap().to_string();
        app.post_empty(&format!("/api/invoices/{second}/void"), &org.admin)
            .await;
        let r = invoice(&app, &org, body).await;
        assert_eq!(r.data()["number"], "INV-000003", "{}", r.text);
    }
);

backend_test!(issued_invoices_past_due_are_overdue, |app| {
    let org = app.org(Plan::Pro).await;
    let (lease, _) = active_lease(&app, &org).await;
    let old = post_charge(&app, &org, &lease, "rent", 185000, "2026-01-01").await;
    let new = post_charge(&app, &org, &lease, "rent", 185000, "2027-01-01").await;
    let late = json!({"leaseId": lease, "chargeIds": [old],
                      "issueDate": "2026-01-01", "dueDate": "2026-01-15"});
    let late = invoice(&app, &org, late).await.data()["id"].clone();
    let fine = json!({"leaseId": lease, "chargeIds": [new], "dueDate": "2099-01-15"});
    let fine = invoice(&app, &org, fine).await.data()["id"].clone();
    for id in [&late, &fine] {
        let id = id.as_str().unwrap();
        let r = app
            .post_empty(&format!("/api/invoices/{id}/issue"), &org.admin)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    let ids = |r: &Resp| -> Vec<serde_json::Value> {
        r.data()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].clone())
            .collect()
    };
    let r = app.get("/api/invoices?status=overdue", &org.admin).await;
    assert_eq!(ids(&r), std::slice::from_ref(&late), "{}", r.text);
    assert_eq!(r.data()["items"][0]["status"], "overdue");
    let r = app.get("/api/invoices?status=issued", &org.admin).await;
    assert_eq!(ids(&r), std::slice::from_ref(&fine), "{}", r.text);
    let r = app
        .get(&format!("/api/invoices?leaseId={lease}"), &org.admin)
        .await;
    assert_eq!(r.data()["total"], 2);
    let r = app.get("/api/invoices?status=draft", &org.admin).await;
    assert_eq!(r.data()["total"], 0);
});

backend_test!(concurrent_invoices_are_numbered_without_gaps, |app| {
    let org = app.org(Plan::Pro).await;
    let (lease, _) = active_lease(&app, &org).await;
    let mut charges = Vec::new();
    for m in 1..=8 {
        let due = format!("2027-{m:02}-01");
        charges.push(post_charge(&app, &org, &lease, "rent", 1000, &due).await);
    }
    let creates = charges.iter().map(|c| {
        let body = json!({"leaseId": lease, "chargeIds": [c], "dueDate": "2099-01-01"});
        app.post("/api/invoices", &org.admin, body)
    });
    let answers = futures::future::join_all(creates).await;
    let mut numbers: Vec<String> = answers
        .iter()
        .map(|r| {
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
            r.data()["number"].as_str().unwrap().to_string()
        })
        .collect();
    numbers.sort();
    let want: Vec<String> = (1..=8).map(|n| format!("INV-{n:06}")).collect();
    assert_eq!(numbers, want);
});

backend_test!(invoices_are_checked_guarded_and_scoped, |app| {
    let org = app.org(Plan::Pro).await;
    let (lease, _) = active_lease(&app, &org).await;
    let (other_lease, _) = active_lease(&app, &org).await;
    let theirs = post_charge(&app, &org, &other_lease, "rent", 1000, "2027-01-01").await;
    post_charge(&app, &org, &lease, "rent", 1000, "2027-01-01").await;
    for (body, want) in [
        (json!({"dueDate": "2099-01-01"}), vec!["leaseId"]),
        (json!({"leaseId": lease}), vec!["dueDate"]),
        (
            json!({"leaseId": lease, "issueDate": "2027-02-01", "dueDate": "2027-01-01"}),
            vec!["dueDate"],
        ),
        (
            json!({"leaseId": lease, "chargeIds": ["x"], "dueDate": "2099-01-01"}),
            vec!["chargeIds[0]"],
        ),
        (
            json!({"leaseId": lease, "chargeIds": [theirs], "dueDate": "2099-01-01"}),
            vec!["chargeIds[0]"],
        ),
        (
            json!({"leaseId": lease, "chargeIds": [], "dueDate": "2099-01-01"}),
            vec!["chargeIds"],
        ),
    ] {
        let r = invoice(&app, &org, body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.text
        );
        assert_eq!(r.fields(), want, "{body}");
    }
    let r = invoice(
        &app,
        &org,
        json!({"leaseId": lease, "dueDate": "2099-01-01"}),
    )
    .await;
    let id = r.data()["id"].as_str().unwrap().to_string();
    let path = format!("/api/invoices/{id}");
    for role in [Role::Broker, Role::Tenant] {
        let who = app.member(&org, role).await;
        for r in [
            app.get("/api/invoices", &who).await,
            app.get(&path, &who).await,
            app.get(&format!("{path}/pdf"), &who).await,
            app.post_empty(&format!("{path}/issue"), &who).await,
            app.post(
                "/api/invoices",
                &who,
                json!({"leaseId": lease, "dueDate": "2099-01-01"}),
            )
            .await,
        ] {
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{role:?}: {}", r.text);
        }
    }
    assert_eq!(
        app.get("/api/invoices", &Client::Anon).await.status,
        StatusCode::UNAUTHORIZED
    );
    let other = app.org(Plan::Pro).await;
    for r in [
        app.get(&path, &other.admin).await,
        app.get(&format!("{path}/pdf"), &other.admin).await,
        app.post_empty(&format!("{path}/issue"), &other.admin).await,
        app.post_empty(&format!("{path}/void"), &other.admin).await,
    ] {
        assert_eq!(
            (r.status, r.body["error"].as_str()),
            (StatusCode::NOT_FOUND, Some("Invoice not found.")),
            "{}",
            r.text
        );
    }
    assert_eq!(
        app.get("/api/invoices", &other.admin).await.data()["total"],
        0
    );
    let r = invoice(
        &app,
        &other,
        json!({"leaseId": lease, "dueDate": "2099-01-01"}),
    )
    .await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("Lease not found.")),
        "{}",
        r.text
    );
    for bad in ["pageSize=0", "pageSize=101", "status=late", "leaseId=x"] {
        let r = app.get(&format!("/api/invoices?{bad}"), &org.admin).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.text
        );
    }
});
