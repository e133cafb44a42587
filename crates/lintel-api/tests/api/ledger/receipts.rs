//! Receipts through HTTP: a real PDF whose text carries the amount in figures and words, the
//! receipt number, what was paid and any refund; only for payments that succeeded; a tenant's
//! own only.

use super::active_lease;
use super::payments::{money, post_charge};
use crate::support::*;
use axum::http::StatusCode;
use lintel_domain::{Plan, Role};
use serde_json::json;

/// The text of every page of a PDF response.
fn pdf_text(r: &Resp) -> String {
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.header("content-type"), "application/pdf");
    let doc = lopdf::Document::load_mem(&r.bytes).expect("a PDF");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    doc.extract_text(&pages).expect("its text")
}

backend_test!(
    a_receipt_is_a_pdf_with_the_amount_number_and_what_it_paid,
    |app| {
        let org = app.org(Plan::Pro).await;
        let (lease, _) = active_lease(&app, &org).await;
        post_charge(&app, &org, &lease, "rent", 185000, "2027-01-01").await;
        let body = json!({"leaseId": lease, "amount": money(200000), "method": "cheque",
                      "chequeNumber": "000417", "receivedOn": "2026-12-28"});
        let r = app.post("/api/payments", &org.admin, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let id = r.data()["id"].as_str().unwrap().to_string();
        let number = r.data()["receiptNumber"].as_str().unwrap().to_string();
        assert_eq!(number, "R-000001");

        let by_path = app
            .get(&format!("/api/payments/{id}/receipt"), &org.admin)
            .await;
        assert!(by_path.bytes.starts_with(b"%PDF-"));
        let text = pdf_text(&by_path);
        for want in [
            number.as_str(),
            "2,000.00 CAD",
            "Two thousand and 00/100 CAD",
            "1,850.00 CAD",
            "Cheque",
            "000417",
            "2026-12-28",
            "Cai Rent",
            "Charged",
            "101",
            "Held as credit",
            "150.00 CAD",
        ] {
            assert!(text.contains(want), "{want:?} not in {text}");
        }
        // The balance after it: 1,850.00 owed, 2,000.00 paid.
        assert!(text.contains("-150.00 CAD"), "{text}");
        let by_query = app
            .get(&format!("/api/payments/receipt?paymentId={id}"), &org.admin)
            .await;
        assert_eq!(pdf_text(&by_query), text);

        // A refund since is shown on it.
        let r = app
            .post(
                &format!("/api/payments/{id}/refund"),
                &org.admin,
                json!({"amount": money(15000), "reason": "Overpaid"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let text = pdf_text(
            &app.get(&format!("/api/payments/{id}/receipt"), &org.admin)
                .await,
        );
        assert!(
            text.contains("Overpaid") && text.contains("Total refunded"),
            "{text}"
        );
        assert!(text.contains("partially refunded"), "{text}");
    }
);

backend_test!(only_payments_that_succeeded_have_receipts, |app| {
    let org = app.org(Plan::Pro).await;
    let (lease, _) = active_lease(&app, &org).await;
    let body = json!({"leaseId": lease, "amount": money(5000), "method": "bank_transfer"});
    let r = app.post("/api/payments", &org.admin, body).await;
    let id = r.data()["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            &format!("/api/payments/{id}/return"),
            &org.admin,
            json!({"reason": "Account closed"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    for path in [
        format!("/api/payments/{id}/receipt"),
        format!("/api/payments/receipt?paymentId={id}"),
    ] {
        let r = app.get(&path, &org.admin).await;
        assert_eq!(
            (r.status, r.body["error"].as_str()),
            (
                StatusCode::CONFLICT,
                Some("Receipt is available only after successful payment confirmation.")
            ),
            "{}",
            r.text
        );
    }
});

backend_test!(receipts_are_scoped_checked_and_guarded, |app| {
    let org = app.org(Plan::Pro).await;
    let (lease, _) = active_lease(&app, &org).await;
    let body = json!({"leaseId": lease, "amount": money(5000), "method": "cash"});
    let r = app.post("/api/payments", &org.admin, body).await;
    let id = r.data()["id"].as_str().unwrap().to_string();
    let path = format!("/api/payments/{id}/receipt");
    let other = app.org(Plan::Pro).await;
    for r in [
        app.get(&path, &other.admin).await,
        app.get(
            &format!("/api/payments/receipt?paymentId={id}"),
            &other.admin,
        )
        .await,
    ] {
        assert_eq!(
            (r.status, r.body["error"].as_str()),
            (StatusCode::NOT_FOUND, Some("Payment not found."))
        );
    }
    assert_eq!(
        app.get(&path, &Client::Anon).await.status,
        StatusCode::UNAUTHORIZED
    );
    let broker = app.member(&org, Role::Broker).await;
    assert_eq!(app.get(&path, &broker).await.status, StatusCode::FORBIDDEN);
    // A tenant member without a profile of their own reads no receipt.
    let tenant = app.member(&org, Role::Tenant).await;
    assert_eq!(app.get(&path, &tenant).await.status, StatusCode::NOT_FOUND);
    for bad in ["", "?paymentId=", "?paymentId=lease_x"] {
        let r = app
            .get(&format!("/api/payments/receipt{bad}"), &org.admin)
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.text
        );
        assert_eq!(r.fields(), ["paymentId"], "{bad}");
    }
});

backend_test_with!(
    a_tenant_prints_their_own_receipts_only,
    crate::support::auth::relaxed(),
    |app| {
        let org = app.org(Plan::Pro).await;
        let (me, mine, theirs, _) = crate::ledger::payments::tenant_with_payments(&app, &org).await;
        let text = pdf_text(&app.get(&format!("/api/payments/{mine}/receipt"), &me).await);
        assert!(text.contains("10.00 CAD"), "{text}");
        let r = app
            .get(&format!("/api/payments/{theirs}/receipt"), &me)
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    }
);

backend_test!(
    concurrent_payments_get_receipt_numbers_without_gaps,
    |app| {
        let org = app.org(Plan::Pro).await;
        let (lease, _) = active_lease(&app, &org).await;
        let (other, _) = active_lease(&app, &org).await;
        // Half under an Idempotency-Key (numbered without a flush of their own, made durable by
        // the keeping of their answer), half without (numbered by a durable commit).
        let body = |i: i64| {
            let on = if i % 2 == 0 { &lease } else { &other };
            json!({"leaseId": on, "amount": money(1000 + i), "method": "cash"})
        };
        let (app, org) = (&app, &org);
        let pays = (0..12).map(|i| async move {
            let key = format!("receipt-{i}");
            let r = if i % 3 == 0 {
                app.post("/api/payments", &org.admin, body(i)).await
            } else {
                app.post_keyed("/api/payments", &org.admin, &key, body(i))
                    .await
            };
            (i, key, r)
        });
        let answers = futures::future::join_all(pays).await;
        let mut numbers: Vec<String> = Vec::new();
        for (i, key, r) in &answers {
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
            let number = r.data()["receiptNumber"].as_str().unwrap().to_string();
            // What the answer says is what is kept, and what a replay answers.
            let id = r.data()["id"].as_str().unwrap();
            let again = app.get(&format!("/api/payments/{id}"), &org.admin).await;
            assert_eq!(again.data()["receiptNumber"], number.as_str());
            if i % 3 != 0 {
                let replay = app
                    .post_keyed("/api/payments", &org.admin, key, body(*i))
                    .await;
                assert_eq!(replay.body, r.body);
            }
            numbers.push(number);
        }
        numbers.sort();
        let want: Vec<String> = (1..=12).map(|n| format!("R-{n:06}")).collect();
        assert_eq!(numbers, want);
    }
);

backend_test!(
    a_payment_left_without_a_number_is_numbered_when_needed,
    |app| {
        let org = app.org(Plan::Pro).await;
        let (lease, _) = active_lease(&app, &org).await;
        let pay = |amount: i64| {
            let body = json!({"leaseId": lease, "amount": money(amount), "method": "cash"});
            app.post("/api/payments", &org.admin, body)
        };
        let first = pay(1000).await;
        let id = first.data()["id"].as_str().unwrap().to_string();
        // As if the process stopped between the payment's commit and its numbering: the payment is
        // kept, its number not (and the counter not moved).
        let db = lintel_store::Db::connect(&app.database_url(), &Default::default())
            .await
            .unwrap();
        let unnumber = |payment: &str, last: i64| {
            format!(
                "UPDATE payments SET receipt_number = NULL WHERE id = '{payment}'; \
                 UPDATE org_counters SET last = {last} WHERE org_id = '{}' AND name = 'receipt'",
                org.id
            )
        };
        db.raw(&unnumber(&id, 0)).await.unwrap();
        let r = app.get(&format!("/api/payments/{id}"), &org.admin).await;
        assert_eq!(r.data()["receiptNumber"], serde_json::Value::Null);
        // Its receipt numbers it first.
        let text = pdf_text(
            &app.get(&format!("/api/payments/{id}/receipt"), &org.admin)
                .await,
        );
        assert!(text.contains("R-000001"), "{text}");
        let r = app.get(&format!("/api/payments/{id}"), &org.admin).await;
        assert_eq!(r.data()["receiptNumber"], "R-000001");
        // The next payment takes the next number.
        assert_eq!(pay(2000).await.data()["receiptNumber"], "R-000002");
        // And one left unnumbered is numbered by the next payment, in the order recorded.
        let third = pay(3000).await;
        let third_id = third.data()["id"].as_str().unwrap().to_string();
        db.raw(&unnumber(&third_id, 2)).await.unwrap();
        assert_eq!(pay(4000).await.data()["receiptNumber"], "R-000004");
        let r = app
            .get(&format!("/api/payments/{third_id}"), &org.admin)
            .await;
        assert_eq!(r.data()["receiptNumber"], "R-000003");
        db.close().await;
    }
);
