//! Versioned migrations, applied the same way on both backends.
//!
//! Each migration is one SQL file in `migrations/` named `NNNN_what_it_does.sql` (one file per
//! change of one context), written in the subset both databases accept. The build finds them
//! (`build.rs`), embeds them in the binary in version order, and each is applied in its own
//! transaction with a row in `lintel_migrations`; a few are followed by Rust code ([`then`]).
//! On PostgreSQL an advisory lock keeps two starting processes from applying the same step twice.

use futures::future::BoxFuture;

use crate::db::{Backend, Db, Tx};
use crate::error::Result;
use crate::Timestamp;

/// Rust code a migration needs after its SQL, in the same transaction (for what SQL cannot
/// compute the same way on both databases).
type Step = for<'a> fn(&'a mut Tx) -> BoxFuture<'a, Result<()>>;

mod found {
    include!(concat!(env!("OUT_DIR"), "/migrations.rs"));
}

/// Rust code that follows a migration's SQL in its transaction, by version.
fn then(version: i64) -> Option<Step> {
    match version {
        3 => Some(rekey_units),
        9 => Some(setup_ledger),
        _ => None,
    }
}

fn rekey_units(tx: &mut Tx) -> BoxFuture<'_, Result<()>> {
    Box::pin(crate::portfolio::unit_keys::rekey(tx))
}

fn setup_ledger(tx: &mut Tx) -> BoxFuture<'_, Result<()>> {
    Box::pin(crate::ledger::setup::backfill(tx))
}

/// SQL a migration needs in each backend's own dialect (triggers), run after its portable SQL.
fn dialect(version: i64, backend: Backend) -> Option<&'static str> {
    match version {
        9 => Some(crate::ledger::setup::triggers(backend)),
        18 => crate::ledger::setup::entry_reference_indexes(backend),
        _ => None,
    }
}

/// An arbitrary constant naming Lintel's migration lock.
const PG_LOCK_KEY: i64 = 0x6c69_6e74_656c;

#[derive(serde::Deserialize)]
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
    for &(version, name, sql) in found::FOUND.iter().filter(|m| m.0 <= last) {
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
                    .and_where(sea_query::Expr::col(sea_query::Alias::new("version")).eq(version))
                    .to_owned(),
            )
            .await?;
        if done.is_some_and(|d| d.version == version) {
            continue;
        }
        tx.raw(sql).await?;
        if let Some(sql) = dialect(version, tx.backend()) {
            tx.raw(sql).await?;
        }
        if let Some(step) = then(version) {
            step(&mut tx).await?;
        }
        tx.exec(
            &sea_query::Query::insert()
                .into_table(sea_query::Alias::new("lintel_migrations"))
                .columns(["version", "name", "applied_at"].map(sea_query::Alias::new))
                .values_panic([version.into(), name.into(), Timestamp::now().0.into()])
                .to_owned(),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(version, name, "applied migration");
        ran += 1;
    }
    Ok(ran)
}
