//! `lintel-bench insert-loop`: the raw durable write rate of the database Lintel writes to.
//!
//! `--concurrency` workers each loop for `--seconds`: `BEGIN; INSERT INTO properties (…) VALUES
//! (…); COMMIT`, one row per transaction, into the same `properties` table Lintel's
//! `POST /api/properties` writes (same columns, indexes and foreign keys), with the same
//! durability settings as Lintel (SQLite: WAL, `synchronous=FULL`, writers queued on a mutex
//! and `BEGIN IMMEDIATE`; PostgreSQL: the server's own, `synchronous_commit` as configured).
//! Prints one JSON line.

mod pg;
mod sqlite;

use std::time::{Duration, Instant};

use clap::Args;
use lintel_domain::{PropertyId, Timestamp};
use serde::Serialize;

use crate::stats::percentile;

#[derive(Args)]
pub struct InsertArgs {
    /// `sqlite://path/file.db` or `postgres://…`, already seeded.
    #[arg(long)]
    db: String,
    /// The organisation the rows belong to (the seed file's `orgId`).
    #[arg(long)]
    org: String,
    /// Concurrent writers.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
}

/// The insert statement's columns (what `PropertyRepo::create` writes).
pub const INSERT_COLUMNS: &str = "id, org_id, building_id, name, kind, status, address_line1, \
    address_line2, city, region, postal_code, country, description, search_text, created_at, \
    updated_at";

/// One row's values, in [`INSERT_COLUMNS`] order (building_id is NULL).
pub struct RowValues {
    pub id: String,
    pub name: String,
    pub line1: String,
    pub search_text: String,
    pub now: i64,
}

impl RowValues {
    pub fn next(worker: usize, n: u64) -> RowValues {
        let name = format!("Raw insert {worker}-{n}");
        let line1 = format!("{} Raw Street", n % 997 + 1);
        RowValues {
            id: PropertyId::new().to_string(),
            search_text: format!(
                "{} {} halifax ns b3j 1a1 ca",
                name.to_lowercase(),
                line1.to_lowercase()
            ),
            name,
            line1,
            now: Timestamp::now().0,
        }
    }
}

/// What every worker reports: its per-write latencies and failed writes.
#[derive(Default)]
pub struct WorkerOut {
    pub latencies: Vec<Duration>,
    pub errors: u64,
}

impl WorkerOut {
    /// Counts one write begun at `t`: its latency, or a failure (the first printed, as `what`'s).
    pub fn record<E: std::fmt::Display>(&mut self, what: &str, t: Instant, r: Result<(), E>) {
        match r {
            Ok(()) => self.latencies.push(t.elapsed()),
            Err(e) => {
                if self.errors == 0 {
                    eprintln!("{what}: {e}");
                }
                self.errors += 1;
            }
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Summary {
    backend: &'static str,
    concurrency: usize,
    seconds: f64,
    writes: usize,
    errors: u64,
    rate: f64,
    p50_ms: f64,
    p99_ms: f64,
}

pub fn run(a: InsertArgs) -> anyhow::Result<()> {
    let deadline = Duration::from_secs_f64(a.seconds);
    let started = Instant::now();
    let (backend, outs) = if let Some(path) = crate::floor::sqlite_path(&a.db) {
        (
            "sqlite",
            sqlite::run(path, &a.org, a.concurrency, deadline)?,
        )
    } else {
        let outs = crate::runtime()?.block_on(pg::run(&a.db, &a.org, a.concurrency, deadline))?;
        ("postgres", outs)
    };
    print_summary(backend, a.concurrency, started, &outs)
}

/// Prints the JSON line of a loop that started at `started` and whose workers answered `outs`.
pub fn print_summary(
    backend: &'static str,
    concurrency: usize,
    started: Instant,
    outs: &[WorkerOut],
) -> anyhow::Result<()> {
    let seconds = started.elapsed().as_secs_f64();
    let mut ms: Vec<f64> = outs
        .iter()
        .flat_map(|o| o.latencies.iter().map(|d| d.as_secs_f64() * 1000.0))
        .collect();
    ms.sort_by(f64::total_cmp);
    let s = Summary {
        backend,
        concurrency,
        seconds,
        writes: ms.len(),
        errors: outs.iter().map(|o| o.errors).sum(),
        rate: ms.len() as f64 / seconds,
        p50_ms: percentile(&ms, 50.0),
        p99_ms: percentile(&ms, 99.0),
    };
    println!("{}", serde_json::to_string(&s)?);
    Ok(())
}
