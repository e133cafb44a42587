//! Billing through HTTP: rent periods posted once each (prorated at either end), late fees once
//! per unpaid rent charge, the deposit and the rent already due on activation; concurrent runs
//! post nothing twice.

use crate::support::*;
use axum::http::StatusCode;
use lintel_domain::{Plan, Role};
use serde_json::{json, Value};

/// An active lease from `start` with `terms`; answers its ID.
async fn lease(app: &TestApp, org: &TestOrg, start: &str, terms: Value) -> String {
    super::active_lease_with(app, org, start, terms).await.0
}

/// The lease's charges of `kind`, oldest due first: (due date, amount, billing key).
async fn charges(app: &TestApp, org: &TestOrg, lease: &str, kind: &str) -> Vec<(String, i64)> {
    let r = app
        .get(
            &format!("/api/charges?leaseId={lease}&kind={kind}&pageSize=100"),
            &org.admin,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let mut out: Vec<(String, i64)> = r.data()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["dueDate"].as_str().unwrap().to_string(),
                c["amount"]["amountMinor"].as_i64().unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

async fn run(app: &TestApp, org: &TestOrg, through: &str) -> Resp {
    app.post(
        "/api/billing/run",
        &org.admin,
        json!({ "through": through }),
    )
    .await
}

backend_test!(
    rent_is_billed_once_per_period_with_proration_and_late_fees,
    |app| {
        let org = app.org(Plan::Pro).await;
        let terms = json!({
            "endDate": "2029-03-15",
            "deposit": {"amountMinor": 100000, "currency": "CAD"},
            "lateFee": {"graceDays": 5, "kind": "fixed", "amount": {"amountMinor": 5000, "currency": "CAD"}},
        });
        let lease = lease(&app, &org, "2028-12-20", terms).await;
        // Activation posts the deposit, due on the start day; no rent is due yet.
        assert_eq!(
            charges(&app, &org, &lease, "deposit").await,
            [("2028-12-20".to_string(), 100000)]
        );
        assert!(charges(&app, &org, &lease, "rent").await.is_empty());

        let r = run(&app, &org, "2029-02-01").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let d = r.data();
        assert_eq!(
            (
                d["through"].as_str(),
                d["rentCharges"].as_i64(),
                d["lateFees"].as_i64()
            ),
            (Some("2029-02-01"), Some(3), Some(2)),
            "{}",
            r.text
        );
        assert_eq!(d["depositCharges"], 0);
        // 12 days of December's 31, then whole months.
        assert_eq!(
            charges(&app, &org, &lease, "rent").await,
            [
                ("2028-12-20".to_string(), 120000),
                ("2029-01-01".to_string(), 310000),
                ("2029-02-01".to_string(), 310000),
            ]
        );
        let stub = &d["charges"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["billingKey"] == "rent:2028-12-20")
            .unwrap()
            .clone();
        assert_eq!(
            (stub["periodEnd"].as_str(), stub["kind"].as_str()),
            (Some("2028-12-31"), Some("rent"))
        );
        // Late fees apply the day after the grace days, for rent unpaid by then: February's rent
        // is not late yet on the 1st.
        assert_eq!(
            charges(&app, &org, &lease, "late_fee").await,
            [
                ("2028-12-26".to_string(), 5000),
                ("2029-01-07".to_string(), 5000)
            ]
        );

        // Again through the same day: nothing more. Further on, the last part to the end date
        // (15 of March's 31 days) and no rent after it; February's rent is paid, so no fee.
        let r = run(&app, &org, "2029-02-01").await;
        assert_eq!(
            (
                r.data()["rentCharges"].as_i64(),
                r.data()["lateFees"].as_i64()
            ),
            (Some(0), Some(0))
        );
        assert_eq!(r.data()["charges"], json!([]));
        let feb = app
            .get(
                &format!(
                    "/api/charges?leaseId={lease}&kind=rent&dueFrom=2029-02-01&dueTo=2029-02-01"
                ),
                &org.admin,
            )
            .await;
        let feb = feb.data()["items"][0]["id"].clone();
        let r = app
        .post(
            "/api/payments",
            &org.admin,
            json!({"leaseId": lease, "amount": {"amountMinor": 310000, "currency": "CAD"},
                   "method": "bank_transfer",
                   "allocations": [{"chargeId": feb, "amount": {"amountMinor": 310000, "currency": "CAD"}}]}),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let r = run(&app, &org, "2029-06-30").await;
        assert_eq!(
            (
                r.data()["rentCharges"].as_i64(),
                r.data()["lateFees"].as_i64()
            ),
            (Some(1), Some(1)),
            "{}",
            r.text
        );
        let rent = charges(&app, &org, &lease, "rent").await;
        assert_eq!(rent.last().unwrap(), &("2029-03-01".to_string(), 150000));
        assert_eq!(rent.len(), 4);
        let fees = charges(&app, &org, &lease, "late_fee").await;
        assert_eq!(fees.last().unwrap(), &("2029-03-07".to_string(), 5000));
        let r = app.get("/api/ledger/integrity", &org.admin).await;
        assert_eq!(r.data()["sound"], true, "{}", r.text);
    }
);

backend_test!(concurrent_runs_post_each_charge_once, |app| {
    let org = app.org(Plan::Pro).await;
    let terms = json!({"rentDueDay": 15, "rentFrequency": "monthly",
        "lateFee": {"graceDays": 0, "kind": "percent", "basisPoints": 250}});
    let mut leases = Vec::new();
    for _ in 0..3 {
        leases.push(lease(&app, &org, "2029-01-15", terms.clone()).await);
    }
    let runs = (0..4).map(|_| run(&app, &org, "2029-06-30"));
    let answers = futures::future::join_all(runs).await;
    let mut rent = 0;
    let mut fees = 0;
    for r in &answers {
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.data()["leases"], 3);
        rent += r.data()["rentCharges"].as_i64().unwrap();
        fees += r.data()["lateFees"].as_i64().unwrap();
    }
    // Six periods (15 January to 15 June) per lease and a fee (2.5 %) on each, once in all.
    assert_eq!((rent, fees), (18, 18));
    for l in &leases {
        let rent = charges(&app, &org, l, "rent").await;
        assert_eq!(rent.len(), 6);
        assert!(rent.iter().all(|(_, a)| *a == 310000));
        let fees = charges(&app, &org, l, "late_fee").await;
        assert_eq!(fees.len(), 6);
        assert!(fees.iter().all(|(_, a)| *a == 7750));
        assert_eq!(fees[0].0, "2029-01-16");
    }
    let r = app.get("/api/ledger/trial-balance", &org.admin).await;
    assert_eq!(r.data()["balanced"], true);
});

backend_test!(activation_back_fills_rent_already_due, |app| {
    let org = app.org(Plan::Pro).await;
    let terms = json!({"deposit": {"amountMinor": 50000, "currency": "CAD"},
        "lateFee": {"graceDays": 3, "kind": "fixed", "amount": {"amountMinor": 2500, "currency": "CAD"}}});
    let lease = lease(&app, &org, "2026-09-15", terms).await;
    let rent = charges(&app, &org, &lease, "rent").await;
    // 16 days of September's 30, then every month up to today.
    assert_eq!(rent[0], ("2026-09-15".to_string(), 165333));
    assert_eq!(rent[1], ("2026-10-01".to_string(), 310000));
    assert_eq!(rent[2], ("2026-11-01".to_string(), 310000));
    let ahead = (chrono::Utc::now().date_naive() + chrono::Duration::days(2)).to_string();
    assert!(rent.iter().all(|(due, _)| *due <= ahead), "{rent:?}");
    assert_eq!(
        charges(&app, &org, &lease, "deposit").await,
        [("2026-09-15".to_string(), 50000)]
    );
    // Activation posts no late fees; the next run does, for rent still unpaid.
    assert!(charges(&app, &org, &lease, "late_fee").await.is_empty());
    let r = run(&app, &org, "2026-11-30").await;
    assert_eq!(r.data()["rentCharges"], 0, "{}", r.text);
    assert_eq!(r.data()["lateFees"], 3, "{}", r.text);
});

backend_test!(billing_runs_are_admin_only_checked_and_scoped, |app| {
    let org = app.org(Plan::Pro).await;
    let other = app.org(Plan::Pro).await;
    let lease = lease(&app, &org, "2029-01-01", json!({})).await;
    let manager = app.member(&org, Role::PropertyManager).await;
    let r = app
        .post(
            "/api/billing/run",
            &manager,
            json!({"through": "2029-01-31"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let r = app
        .post(
            "/api/billing/run",
            &Client::Anon,
            json!({"through": "2029-01-31"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    for (body, field) in [
        (json!({}), "through"),
        (json!({"through": "2029-02-30"}), "through"),
        (json!({"through": "2099-01-01"}), "through"),
    ] {
        let r = app.post("/api/billing/run", &org.admin, body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert_eq!(r.fields(), [field]);
    }
    // Another organisation's run bills only its own leases.
    let r = run(&app, &other, "2029-01-31").await;
    assert_eq!(
        (
            r.data()["leases"].as_i64(),
            r.data()["rentCharges"].as_i64()
        ),
        (Some(0), Some(0))
    );
    assert!(charges(&app, &org, &lease, "rent").await.is_empty());
    // A retried run with its key answers the first response again.
    let body = json!({"through": "2029-01-31"});
    let first = app
        .post_keyed("/api/billing/run", &org.admin, "run-jan", body.clone())
        .await;
    assert_eq!(first.data()["rentCharges"], 1, "{}", first.text);
    let again = app
        .post_keyed("/api/billing/run", &org.admin, "run-jan", body)
        .await;
    assert_eq!(again.header("idempotent-replayed"), "true");
    assert_eq!(again.body, first.body);
    assert_eq!(charges(&app, &org, &lease, "rent").await.len(), 1);
});
