//! Concurrent writes on one organisation, through the real router: archive and restore racing on
//! one property, unit status changes racing bulk unit creations, and restores racing the plan's
//! property limit. No answer may be a 5xx, every answer must be one the API documents for the
//! race, and the final state must be exact: property states, unit counts by status through the
//! API and in the counter tables equal to a count over `units`, one audit entry per change.
//!
//! `LINTEL_CONCURRENCY_ROUNDS=N` multiplies the request counts (default 1, a few seconds);
//! docs/reliability.md records larger runs.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use axum::http::StatusCode;
use common::*;
use futures::future::join_all;
use lintel_domain::{PageRequest, Plan};
use lintel_store::audit::AuditFilter;
use serde_json::{json, Value};
use sqlx::Connection;

fn scale() -> usize {
    std::env::var("LINTEL_CONCURRENCY_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1usize)
        .max(1)
}

/// Status tallies of one mix, printed for the record.
#[derive(Default)]
struct Tally(BTreeMap<u16, usize>);

impl Tally {
    fn add(&mut self, r: &Resp, allowed: &[StatusCode], what: &str) {
        assert!(
            allowed.contains(&r.status),
            "{what}: unexpected {} {}",
            r.status,
            r.text
        );
        *self.0.entry(r.status.as_u16()).or_default() += 1;
    }
    fn report(&self, app: &TestApp, mix: &str, started: Instant) {
        let requests: usize = self.0.values().sum();
        eprintln!(
            "[{}] {mix}: {requests} requests, statuses {:?}, write retries so far {}, {} ms",
            app.backend,
            self.0,
            app.store().write_retries(),
            started.elapsed().as_millis()
        );
    }
}

/// Runs every future at once on the runtime's worker threads and collects their answers.
async fn parallel<F>(futs: Vec<F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futs.into_iter().map(tokio::spawn).collect();
    join_all(handles)
        .await
        .into_iter()
        .map(|r| r.expect("request task panicked"))
        .collect()
}

/// Rows of `(key, key, count)` read straight from the test's database.
async fn rows(app: &TestApp, sql: &str) -> Vec<(String, String, i64)> {
    let url = app.database_url();
    if app.backend == "sqlite" {
        let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query_as(sql).fetch_all(&mut c).await.unwrap()
    } else {
        let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::query_as(sql).fetch_all(&mut c).await.unwrap()
    }
}

/// The organisation's audit entries of `entity_type`, oldest first.
async fn audit(app: &TestApp, org: &TestOrg, entity_type: &str) -> Vec<lintel_domain::AuditEntry> {
    let filter = AuditFilter {
        entity_type: Some(entity_type.into()),
        entity_id: None,
    };
    let mut out = Vec::new();
    for page in 1.. {
        let p = app
            .store()
            .org(org.id)
            .audit()
            .list(
                &filter,
                PageRequest {
                    page,
                    page_size: 500,
                },
            )
            .await
            .unwrap();
        let done = p.items.len() < 500;
        out.extend(p.items);
        if done {
            break;
        }
    }
    out.reverse();
    out
}

async fn property_state(app: &TestApp, org: &TestOrg, id: &str) -> bool {
    let r = app.get(&format!("/api/properties/{id}"), &org.admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    !r.data()["archivedAt"].is_null()
}

backend_test_with!(
    archive_and_restore_race_on_one_property,
    unlimited_config(),
    |app| {
        let started = Instant::now();
        let app = Arc::new(app);
        // PRO caps properties, so every restore checks the limit under the organisation's lock.
        let org = Arc::new(app.org(Plan::Pro).await);
        let id = create_property(&app, &org.admin, "Contested").await;
        let n = 50 * scale();
        let futs = (0..n)
            .map(|i| {
                let (app, org, id) = (app.clone(), org.clone(), id.clone());
                async move {
                    let verb = if i % 2 == 0 { "archive" } else { "restore" };
                    let path = format!("/api/properties/{id}/{verb}");
                    (verb, app.post_empty(&path, &org.admin).await)
                }
            })
            .collect();
        let mut tally = Tally::default();
        for (verb, r) in parallel(futs).await {
            tally.add(&r, &[StatusCode::OK], verb);
            let archived = !r.data()["archivedAt"].is_null();
            assert_eq!(archived, verb == "archive", "{verb} answered {}", r.text);
        }
        // Each recorded change starts from the state the previous one left: archive, restore, ….
        let entries: Vec<_> = audit(&app, &org, "property")
            .await
            .into_iter()
            .filter(|e| e.action != "property.create")
            .collect();
        let mut archived = false;
        for e in &entries {
            let before = &e.before.as_ref().unwrap()["archivedAt"];
            let after = &e.after.as_ref().unwrap()["archivedAt"];
            assert_eq!(before.is_null(), !archived, "{}: stale before", e.action);
            archived = !after.is_null();
            let expected = if archived {
                "property.archive"
            } else {
                "property.restore"
            };
            assert_eq!(e.action, expected, "changes must alternate");
        }
        assert!(!entries.is_empty() && entries.len() <= n);
        assert_eq!(property_state(&app, &org, &id).await, archived);
        tally.report(&app, "archive/restore on one property", started);
    }
);

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

async fn restore_all(
    app: &Arc<TestApp>,
    org: &Arc<TestOrg>,
    targets: Vec<String>,
) -> Vec<(String, Resp)> {
    let futs = targets
        .into_iter()
        .map(|id| {
            let (app, org) = (app.clone(), org.clone());
            async move {
                let r = app
                    .post_empty(&format!("/api/properties/{id}/restore"), &org.admin)
                    .await;
                (id, r)
            }
        })
        .collect();
    parallel(futs).await
}

async fn active_ids(app: &TestApp, org: &TestOrg) -> Vec<String> {
    let r = app.get("/api/properties?pageSize=100", &org.admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.data()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect()
}

backend_test_with!(restores_race_the_plan_limit, unlimited_config(), |app| {
    let started = Instant::now();
    let app = Arc::new(app);
    // FREE allows 3 active properties: 2 stay active, 5 are archived.
    let org = Arc::new(app.org(Plan::Free).await);
    let mut active = vec![
        create_property(&app, &org.admin, "Kept A").await,
        create_property(&app, &org.admin, "Kept B").await,
    ];
    let mut archived = Vec::new();
    for i in 0..5 {
        let id = create_property(&app, &org.admin, &format!("Stored {i}")).await;
        let r = app
            .post_empty(&format!("/api/properties/{id}/archive"), &org.admin)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        archived.push(id);
    }
    let (mut tally, mut restores) = (Tally::default(), 0usize);
    for _ in 0..scale() {
        // 25 restores of the same property: it fits, so every one answers 200 and one restores.
        let same = archived[0].clone();
        for (_, r) in restore_all(&app, &org, vec![same.clone(); 25]).await {
            tally.add(&r, &[StatusCode::OK], "restore of one property");
        }
        restores += 1;
        let mut now = active_ids(&app, &org).await;
        now.sort();
        let mut want = active.clone();
        want.push(same.clone());
        want.sort();
        assert_eq!(now, want);
        let r = app
            .post_empty(&format!("/api/properties/{same}/archive"), &org.admin)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);

        // 25 restores spread over the 5 archived properties: exactly one fits. Its restores all
        // answer 200; every other one is a true 403 PLAN_LIMIT_EXCEEDED.
        let targets = (0..25)
            .map(|i| archived[i % archived.len()].clone())
            .collect();
        let answers = restore_all(&app, &org, targets).await;
        let now = active_ids(&app, &org).await;
        assert_eq!(now.len(), 3, "{now:?}");
        let winner = now.iter().find(|id| !active.contains(id)).unwrap().clone();
        for (id, r) in &answers {
            tally.add(
                r,
                &[StatusCode::OK, StatusCode::FORBIDDEN],
                "restore within the limit",
            );
            if *id == winner {
                assert_eq!(r.status, StatusCode::OK, "{}", r.text);
            } else {
                assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
                assert_eq!(r.code(), "PLAN_LIMIT_EXCEEDED");
            }
        }
        restores += 1;
        // Swap: the winner stays active, one of the kept ones takes its place in the archive.
        let out = active.remove(0);
        let r = app
            .post_empty(&format!("/api/properties/{out}/archive"), &org.admin)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        archived.retain(|id| *id != winner);
        archived.push(out);
        active.push(winner);
    }
    let entries = audit(&app, &org, "property").await;
    let restored = entries
        .iter()
        .filter(|e| e.action == "property.restore")
        .count();
    assert_eq!(
        restored, restores,
        "one property.restore per restore that changed something"
    );
    tally.report(&app, "restores against the plan limit", started);
});
