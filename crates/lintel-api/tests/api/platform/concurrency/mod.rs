//! Concurrent writes on one organisation, through the real router: archive and restore racing on
//! one property, unit status changes racing bulk unit creations, and restores racing the plan's
//! property limit. No answer may be a 5xx, every answer must be one the API documents for the
//! race, and the final state must be exact: property states, unit counts by status through the
//! API and in the counter tables equal to a count over `units`, one audit entry per change.
//!
//! `LINTEL_CONCURRENCY_ROUNDS=N` multiplies the request counts (default 1, a few seconds);
//! docs/reliability.md records larger runs.

mod plan_limit;
mod units;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use crate::support::*;
use axum::http::StatusCode;
use futures::future::join_all;
use lintel_domain::{PageRequest, Plan};
use lintel_store::audit::AuditFilter;
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
