//! Versioned migrations, applied the same way on both backends.
//!
//! Each migration is one SQL file in `migrations/`, written in the subset both databases accept,
//! embedded in the binary and applied in its own transaction with a row in `lintel_migrations`.
//! On PostgreSQL an advisory lock keeps two starting processes from applying the same step twice.

use futures::future::BoxFuture;

use crate::db::{Backend, Db, Tx};
use crate::error::Result;
use crate::Timestamp;

/// Rust code a migration needs after its SQL, in the same transaction (for what SQL cannot
/// compute the same way on both databases).
type Step = for<'a> fn(&'a mut Tx) -> BoxFuture<'a, Result<()>>;

struct Migration {
    version: i64,
    name: &'static str,
    sql: &'static str,
    then: Option<Step>,
}

fn rekey_units(tx: &mut Tx) -> BoxFuture<'_, Result<()>> {
    Box::pin(crate::unit_keys::rekey(tx))
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sql: include_str!("../migrations/0001_foundation.sql"),
        then: None,
    },
    Migration {
        version: 2,
        name: "unit_counts",
        sql: include_str!("../migrations/0002_unit_counts.sql"),
        then: None,
    },
    Migration {
        version: 3,
        name: "unit_name_key",
        sql: include_str!("../migrations/0003_unit_name_key.sql"),
        then: Some(rekey_units),
    },
    Migration {
        version: 4,
        name: "memberships",
        sql: include_str!("../migrations/0004_memberships.sql"),
        then: None,
    },
];

/// An arbitrary constant naming Lintel's migration lock.
const PG_LOCK_KEY: i64 = 0x6c69_6e74_656c;

#[derive(sqlx::FromRow)]
struct Applied {
    version: i64,
}

/// Applies every migration not yet recorded; returns how many ran.
pub async fn run(db: &Db) -> Result<usize> {
    run_until(db, i64::MAX).await
}

/// Applies the migrations not yet recorded up to `last` (inclusive); returns how many ran.
pub(crate) async fn run_until(db: &Db, last: i64) -> Result<usize> {
    db.raw(
        "CREATE TABLE IF NOT EXISTS lintel_migrations (
            version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )
    .await?;
    let mut ran = 0;
    for m in MIGRATIONS.iter().filter(|m| m.version <= last) {
        let mut tx = db.begin().await?;
        if tx.backend() == Backend::Postgres {
            tx.raw(&format!("SELECT pg_advisory_xact_lock({PG_LOCK_KEY})"))
                .await?;
        }
        let done: Option<Applied> = tx
            .opt(
                &sea_query::Query::select()
                    .column(sea_query::Alias::new("version"))
                    .from(sea_query::Alias::new("lintel_migrations"))
                    .and_where(sea_query::Expr::col(sea_query::Alias::new("version")).eq(m.version))
                    .to_owned(),
            )
            .await?;
        if done.is_some_and(|d| d.version == m.version) {
            continue;
        }
        tx.raw(m.sql).await?;
        if let Some(step) = m.then {
            step(&mut tx).await?;
        }
        tx.exec(
            &sea_query::Query::insert()
                .into_table(sea_query::Alias::new("lintel_migrations"))
                .columns(["version", "name", "applied_at"].map(sea_query::Alias::new))
                .values_panic([m.version.into(), m.name.into(), Timestamp::now().0.into()])
                .to_owned(),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(version = m.version, name = m.name, "applied migration");
        ran += 1;
    }
    Ok(ran)
}
