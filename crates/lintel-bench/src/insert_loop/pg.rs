//! The raw insert loop on PostgreSQL: one tokio-postgres client per worker, `BEGIN`, one
//! prepared `INSERT`, `COMMIT`.

use std::time::{Duration, Instant};

use anyhow::Context;
use tokio_postgres::NoTls;

use super::{RowValues, WorkerOut, INSERT_COLUMNS};

async fn worker(
    url: String,
    org: String,
    w: usize,
    started: Instant,
    run_for: Duration,
) -> anyhow::Result<WorkerOut> {
    let (mut client, conn) = tokio_postgres::connect(&url, NoTls)
        .await
        .context("connecting to PostgreSQL")?;
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            eprintln!("insert-loop: connection: {e}");
        }
    });
    let sql = format!("INSERT INTO properties ({INSERT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)");
    let stmt = client.prepare(&sql).await?;
    let mut out = WorkerOut::default();
    let mut n = 0u64;
    let none: Option<String> = None;
    while started.elapsed() < run_for {
        let v = RowValues::next(w, n);
        n += 1;
        let t = Instant::now();
        let r = async {
            let tx = client.transaction().await?;
            tx.execute(
                &stmt,
                &[
                    &v.id,
                    &org,
                    &none,
                    &v.name,
                    &"residential",
                    &"active",
                    &v.line1,
                    &none,
                    &"Halifax",
                    &"NS",
                    &"B3J 1A1",
                    &"CA",
                    &none,
                    &v.search_text,
                    &v.now,
                    &v.now,
                ],
            )
            .await?;
            tx.commit().await
        }
        .await;
        out.record("insert-loop", t, r);
    }
    Ok(out)
}

pub async fn run(
    url: &str,
    org: &str,
    workers: usize,
    run_for: Duration,
) -> anyhow::Result<Vec<WorkerOut>> {
    let started = Instant::now();
    let tasks: Vec<_> = (0..workers.max(1))
        .map(|w| {
            tokio::spawn(worker(
                url.to_string(),
                org.to_string(),
                w,
                started,
                run_for,
            ))
        })
        .collect();
    let mut outs = Vec::with_capacity(tasks.len());
    for t in tasks {
        outs.push(t.await??);
    }
    Ok(outs)
}
