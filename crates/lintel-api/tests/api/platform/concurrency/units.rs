//! Unit status changes racing bulk unit creations on one property: the counts by status through
//! the API and in the counter tables equal a count over `units`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use crate::support::*;
use axum::http::StatusCode;
use lintel_domain::Plan;
use serde_json::{json, Value};

use super::{audit, parallel, rows, scale, Tally};

/// Units of one property by status, read through the API.
async fn api_counts(app: &TestApp, org: &TestOrg, prop: &str) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for s in ["vacant", "occupied", "maintenance", "unavailable"] {
        let q = format!("/api/units?propertyId={prop}&status={s}&pageSize=1");
        let r = app.get(&q, &org.admin).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        out.insert(s.to_string(), r.data()["total"].as_u64().unwrap());
    }
    out
}

const STATUSES: [&str; 4] = ["occupied", "maintenance", "unavailable", "vacant"];

type Call = std::pin::Pin<Box<dyn std::future::Future<Output = Vec<(&'static str, Resp)>> + Send>>;

backend_test_with!(
    status_changes_race_bulk_creations,
    unlimited_config(),
    |app| {
        let started = Instant::now();
        let app = Arc::new(app);
        // PRO caps units, so bulk creations check the limit under the organisation's lock.
        let org = Arc::new(app.org(Plan::Pro).await);
        let props = [
            create_property(&app, &org.admin, "Busy").await,
            create_property(&app, &org.admin, "Neighbour").await,
        ];
        let seed: Vec<Value> = (0..8).map(|i| json!({"name": format!("E{i}")})).collect();
        let path = format!("/api/properties/{}/units/bulk", props[0]);
        let r = app.post(&path, &org.admin, json!({ "units": seed })).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let existing: Vec<String> = r
            .data()
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["id"].as_str().unwrap().into())
            .collect();
        let mut current: Vec<&str> = vec!["vacant"; existing.len()];
        let (mut tally, mut created, mut changes) = (Tally::default(), existing.len(), 0usize);
        for round in 0..4 * scale() {
            let mut calls: Vec<Call> = Vec::new();
            // Each existing unit belongs to one task, which moves it through three statuses.
            for (k, unit) in existing.iter().enumerate() {
                let seq: Vec<&'static str> =
                    (0..3).map(|j| STATUSES[(round + k + j) % 4]).collect();
                for s in &seq {
                    changes += usize::from(*s != current[k]);
                    current[k] = s;
                }
                let (app, org, unit) = (app.clone(), org.clone(), unit.clone());
                calls.push(Box::pin(async move {
                    let path = format!("/api/units/{unit}/status");
                    let mut out = Vec::new();
                    for s in seq {
                        let r = app.patch(&path, &org.admin, json!({ "status": s })).await;
                        out.push(("status", r));
                    }
                    out
                }));
            }
            // Bulk creations in both properties at the same time.
            for b in 0..4 {
                let (app, org, prop) = (app.clone(), org.clone(), props[b % 2].clone());
                let units: Vec<Value> = (0..6)
                .map(|i| json!({"name": format!("R{round}B{b}U{i}"), "status": STATUSES[(b + i) % 4]}))
                .collect();
                created += units.len();
                calls.push(Box::pin(async move {
                    let path = format!("/api/properties/{prop}/units/bulk");
                    let r = app.post(&path, &org.admin, json!({ "units": units })).await;
                    vec![("bulk", r)]
                }));
            }
            for (what, r) in parallel(calls).await.into_iter().flatten() {
                let ok = if what == "bulk" {
                    StatusCode::CREATED
                } else {
                    StatusCode::OK
                };
                tally.add(&r, &[ok], what);
            }
        }
        // Exact counts: over `units` itself, in both counter tables, and through the API.
        let units = rows(&app, "SELECT property_id, status, COUNT(*) FROM units GROUP BY property_id, status ORDER BY 1, 2").await;
        let counters = rows(
            &app,
            "SELECT property_id, status, n FROM unit_counts WHERE n <> 0 ORDER BY 1, 2",
        )
        .await;
        assert_eq!(counters, units, "unit_counts drifted from units");
        let by_org = rows(
            &app,
            "SELECT org_id, status, COUNT(*) FROM units GROUP BY org_id, status ORDER BY 1, 2",
        )
        .await;
        let org_counters = rows(
            &app,
            "SELECT org_id, status, n FROM org_unit_counts WHERE n <> 0 ORDER BY 1, 2",
        )
        .await;
        assert_eq!(org_counters, by_org, "org_unit_counts drifted from units");
        assert_eq!(units.iter().map(|r| r.2).sum::<i64>() as usize, created);
        for prop in &props {
            for (s, n) in api_counts(&app, &org, prop).await {
                let db = units
                    .iter()
                    .find(|r| &r.0 == prop && r.1 == s)
                    .map_or(0, |r| r.2);
                assert_eq!(n as i64, db, "{prop} {s}");
            }
        }
        for (unit, status) in existing.iter().zip(&current) {
            let r = app.get(&format!("/api/units/{unit}"), &org.admin).await;
            assert_eq!(r.data()["status"], *status, "{unit}");
        }
        let entries = audit(&app, &org, "unit").await;
        let count = |a: &str| entries.iter().filter(|e| e.action == a).count();
        assert_eq!(count("unit.create"), created, "one unit.create per unit");
        assert_eq!(count("unit.status"), changes, "one unit.status per change");
        tally.report(&app, "status changes during bulk creations", started);
    }
);
