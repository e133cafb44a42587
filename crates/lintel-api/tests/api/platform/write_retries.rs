//! A write transaction that loses a lock conflict on PostgreSQL (deadlock_detected `40P01`,
//! serialization_failure `40001`), at a statement or at `COMMIT`, is run again from the start; one
//! that loses every attempt answers 503 `SERVICE_UNAVAILABLE` with `Retry-After`, never 500, and
//! leaves nothing behind. The losses are made on purpose by a trigger that raises the code for
//! the first N attempts (a sequence counts attempts: it is not rolled back with them).

use crate::support::*;
use axum::http::StatusCode;
use lintel_domain::Plan;
use sqlx::{Connection, Executor, PgConnection};

const SETUP: &str = r#"
CREATE SEQUENCE attempts;
CREATE TABLE losses (n BIGINT NOT NULL, code TEXT NOT NULL);
INSERT INTO losses VALUES (0, '40P01');
CREATE FUNCTION lose() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE l losses%ROWTYPE;
BEGIN
    SELECT * INTO l FROM losses;
    IF nextval('attempts') <= l.n THEN
        RAISE EXCEPTION 'simulated lock conflict' USING ERRCODE = l.code;
    END IF;
    RETURN NEW;
END $$;
"#;

/// The next writes lose `n` times with `code`.
async fn lose(c: &mut PgConnection, n: i64, code: &str) {
    sqlx::query("UPDATE losses SET n = $1, code = $2")
        .bind(n)
        .bind(code)
        .execute(&mut *c)
        .await
        .unwrap();
    c.execute("ALTER SEQUENCE attempts RESTART").await.unwrap();
}

/// How many attempts ran since the last [`lose`].
async fn attempts(c: &mut PgConnection) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT last_value FROM attempts")
        .fetch_one(&mut *c)
        .await
        .unwrap();
    n
}

async fn count(c: &mut PgConnection, sql: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&mut *c).await.unwrap();
    n
}

backend_test!(lost_lock_conflicts_are_retried_then_answered_503, |app| {
    let org = app.org(Plan::Business).await;
    if app.backend == "sqlite" {
        // One write transaction at a time: nothing to lose, nothing retried.
        create_property(&app, &org.admin, "Calm").await;
        assert_eq!(app.store().write_retries(), 0);
        return;
    }
    let mut c = PgConnection::connect(&app.database_url()).await.unwrap();
    c.execute(SETUP).await.unwrap();
    c.execute(
        "CREATE TRIGGER lose BEFORE INSERT ON properties FOR EACH ROW EXECUTE FUNCTION lose()",
    )
    .await
    .unwrap();

    // Two deadlocks at the INSERT, then a win: one property, one audit entry.
    lose(&mut c, 2, "40P01").await;
    let id = create_property(&app, &org.admin, "Third time").await;
    assert_eq!(attempts(&mut c).await, 3);
    assert_eq!(app.store().write_retries(), 2);
    let sql = format!("SELECT COUNT(*) FROM audit_log WHERE entity_id = '{id}'");
    assert_eq!(count(&mut c, &sql).await, 1);

    // Losing every attempt: the first run and three retries, then 503 with Retry-After.
    lose(&mut c, 1_000, "40001").await;
    let r = app
        .post("/api/properties", &org.admin, property_body("Never"))
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text);
    assert_eq!(r.code(), "SERVICE_UNAVAILABLE");
    assert_eq!(r.header("retry-after"), "1");
    assert!(!r.text.contains("simulated"), "{}", r.text);
    assert_eq!(attempts(&mut c).await, 4);
    assert_eq!(app.store().write_retries(), 5);
    let sql = "SELECT COUNT(*) FROM properties WHERE name = 'Never'";
    assert_eq!(count(&mut c, sql).await, 0);

    // A loss at COMMIT (a deferred check on the audit entry) is retried the same way.
    c.execute("DROP TRIGGER lose ON properties").await.unwrap();
    c.execute(
        "CREATE CONSTRAINT TRIGGER lose_at_commit AFTER INSERT ON audit_log \
         DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION lose()",
    )
    .await
    .unwrap();
    lose(&mut c, 1, "40001").await;
    let r = app
        .post_empty(&format!("/api/properties/{id}/archive"), &org.admin)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(attempts(&mut c).await, 2);
    assert_eq!(app.store().write_retries(), 6);
    let sql = format!(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'property.archive' AND entity_id = '{id}'"
    );
    assert_eq!(count(&mut c, &sql).await, 1);
});
