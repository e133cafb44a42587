//! A write request dropped while its transaction waits for the database (a client that hangs
//! up, a proxy timeout) must leave nothing behind: no half-open transaction returned to the pool,
//! no held write lock, no row. Each round blocks the request on a lock held by an outside
//! connection, cancels it, releases the lock, and checks that the next writes go through.

use std::time::Duration;

use crate::support::*;
use axum::http::StatusCode;
use lintel_domain::Plan;
use serde_json::json;
use sqlx::{Connection, Executor};

const ROUNDS: usize = 4;

/// An outside connection holding the lock a write needs: SQLite's write lock
/// (`BEGIN IMMEDIATE`), or on PostgreSQL the organisation row the plan-limit check locks.
enum Blocker {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl Blocker {
    async fn hold(app: &TestApp, org: &TestOrg) -> Blocker {
        let url = app.database_url();
        if app.backend == "sqlite" {
            let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
            c.execute("BEGIN IMMEDIATE").await.unwrap();
            Blocker::Sqlite(c)
        } else {
            let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
            c.execute("BEGIN").await.unwrap();
            sqlx::query("SELECT id FROM organisations WHERE id = $1 FOR UPDATE")
                .bind(org.id.to_string())
                .execute(&mut c)
                .await
                .unwrap();
            Blocker::Postgres(c)
        }
    }

    async fn release(self) {
        match self {
            Blocker::Sqlite(mut c) => c.execute("ROLLBACK").await.map(drop).unwrap(),
            Blocker::Postgres(mut c) => c.execute("ROLLBACK").await.map(drop).unwrap(),
        }
    }
}

fn property(name: &str) -> serde_json::Value {
    json!({
        "name": name,
        "type": "residential",
        "address": {"line1": "1 Main St", "city": "Springfield", "country": "US"}
    })
}

backend_test!(a_cancelled_write_leaves_no_open_transaction, |app| {
    // PRO caps properties, so a create locks the organisation row on PostgreSQL.
    let org = app.org(Plan::Pro).await;
    for round in 0..ROUNDS {
        let blocker = Blocker::hold(&app, &org).await;
        let cancelled = tokio::time::timeout(
            Duration::from_millis(300),
            app.post(
                "/api/properties",
                &org.admin,
                property(&format!("cancelled {round}")),
            ),
        )
        .await;
        assert!(cancelled.is_err(), "the write should still be waiting");
        blocker.release().await;

        let r = app
            .post(
                "/api/properties",
                &org.admin,
                property(&format!("kept {round}")),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "round {round}: {}", r.text);
    }
    // Every pooled connection is usable for writes, and only the acknowledged rows exist.
    for n in 0..8 {
        let r = app
            .post(
                "/api/properties",
                &org.admin,
                property(&format!("after {n}")),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    let list = app.get("/api/properties?pageSize=100", &org.admin).await;
    let mut names: Vec<String> = list.data()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(names.len(), ROUNDS + 8, "{names:?}");
    assert!(
        names.iter().all(|n| !n.starts_with("cancelled")),
        "{names:?}"
    );
});

/// A small deterministic generator, so a failure can be replayed.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }

    /// Lets `task` (a request on another worker thread) run for a random while, then drops it:
    /// waiting for the writer or a row lock, in BEGIN, mid-statement, in COMMIT, or after it.
    async fn cancel_at_random<T>(&mut self, task: tokio::task::JoinHandle<T>) {
        for _ in 0..self.below(64) {
            tokio::task::yield_now().await;
        }
        if self.below(4) == 0 {
            tokio::time::sleep(Duration::from_micros(self.below(3_000))).await;
        }
        task.abort();
        let _ = task.await;
    }
}

const CANCELLED_WRITES: usize = 400;

// Rate limiting is off: every request that got as far as the limiter is charged, cancelled or
// not, and how many of the 400 get that far depends on timing (about 100 of them, against the
// admin's 120 a minute), so with limits on a check write now and then answered 429.
backend_test_with!(
    writes_cancelled_at_random_moments_leave_the_pool_healthy,
    unlimited_config(),
    |app| {
        let app = std::sync::Arc::new(app);
        let org = app.org(Plan::Business).await;
        let mut rng = Lcg(7);
        for i in 0..CANCELLED_WRITES {
            let (a, client) = (app.clone(), org.admin.clone());
            let task = tokio::spawn(async move {
                a.post("/api/properties", &client, property(&format!("maybe {i}")))
                    .await
            });
            rng.cancel_at_random(task).await;
            if i % 50 == 49 {
                let r = tokio::time::timeout(
                    Duration::from_secs(5),
                    app.post(
                        "/api/properties",
                        &org.admin,
                        property(&format!("check {i}")),
                    ),
                )
                .await
                .expect("a write hung: a cancelled request left the database locked");
                assert_eq!(r.status, StatusCode::CREATED, "after {i}: {}", r.text);
            }
        }
    }
);

backend_test_with!(
    cancelled_locking_writes_release_their_locks,
    unlimited_config(),
    |app| {
        // PRO caps properties: a restore locks the organisation row and then the property, an
        // archive the property. A request dropped while it holds them must not keep them.
        let app = std::sync::Arc::new(app);
        let org = app.org(Plan::Pro).await;
        let id = create_property(&app, &org.admin, "Toggled").await;
        let mut rng = Lcg(11);
        for i in 0..CANCELLED_WRITES / 2 {
            let verb = if i % 2 == 0 { "archive" } else { "restore" };
            let path = format!("/api/properties/{id}/{verb}");
            let (a, client) = (app.clone(), org.admin.clone());
            let task = tokio::spawn(async move { a.post_empty(&path, &client).await });
            rng.cancel_at_random(task).await;
            if i % 50 == 49 {
                for verb in ["restore", "archive", "restore"] {
                    let path = format!("/api/properties/{id}/{verb}");
                    let r = tokio::time::timeout(
                        Duration::from_secs(5),
                        app.post_empty(&path, &org.admin),
                    )
                    .await
                    .expect("a write hung: a cancelled request kept its row lock");
                    assert_eq!(r.status, StatusCode::OK, "after {i}: {}", r.text);
                }
            }
        }
        create_property(&app, &org.admin, "After").await;
    }
);
