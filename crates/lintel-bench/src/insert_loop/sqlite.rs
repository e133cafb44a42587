//! The raw insert loop on SQLite: one connection per worker thread, Lintel's pragmas, writers
//! queued on a process mutex (as Lintel's are) so none waits in SQLite's busy handler.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;

use super::{RowValues, WorkerOut, INSERT_COLUMNS};

fn open(path: &str) -> anyhow::Result<rusqlite::Connection> {
    let c = rusqlite::Connection::open(path).with_context(|| format!("opening {path}"))?;
    c.busy_timeout(Duration::from_secs(10))?;
    // Lintel's settings (lintel-store db.rs): WAL, synchronous=FULL, foreign keys.
    c.pragma_update(None, "journal_mode", "wal")?;
    c.pragma_update(None, "synchronous", "full")?;
    c.pragma_update(None, "foreign_keys", "on")?;
    c.pragma_update(None, "temp_store", "memory")?;
    Ok(c)
}

fn insert_one(
    c: &rusqlite::Connection,
    sql: &str,
    org: &str,
    v: &RowValues,
) -> rusqlite::Result<()> {
    c.execute_batch("BEGIN IMMEDIATE")?;
    let r = c.prepare_cached(sql).and_then(|mut st| {
        st.execute(rusqlite::params![
            v.id,
            org,
            Option::<String>::None,
            v.name,
            "residential",
            "active",
            v.line1,
            Option::<String>::None,
            "Halifax",
            "NS",
            "B3J 1A1",
            "CA",
            Option::<String>::None,
            v.search_text,
            v.now,
            v.now,
        ])
    });
    match r {
        Ok(_) => c.execute_batch("COMMIT"),
        Err(e) => {
            let _ = c.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

pub fn run(
    path: &str,
    org: &str,
    workers: usize,
    run_for: Duration,
) -> anyhow::Result<Vec<WorkerOut>> {
    let sql = format!("INSERT INTO properties ({INSERT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)");
    let writer = Arc::new(Mutex::new(()));
    let conns = (0..workers.max(1))
        .map(|_| open(path))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let started = Instant::now();
    let handles: Vec<_> = conns
        .into_iter()
        .enumerate()
        .map(|(w, c)| {
            let (sql, org, writer) = (sql.clone(), org.to_string(), writer.clone());
            std::thread::spawn(move || {
                let mut out = WorkerOut::default();
                let mut n = 0u64;
                while started.elapsed() < run_for {
                    let v = RowValues::next(w, n);
                    n += 1;
                    let t = Instant::now();
                    let guard = writer.lock().unwrap_or_else(|p| p.into_inner());
                    let r = insert_one(&c, &sql, &org, &v);
                    drop(guard);
                    out.record("insert-loop", t, r);
                }
                out
            })
        })
        .collect();
    Ok(handles
        .into_iter()
        .map(|h| h.join().unwrap_or_default())
        .collect())
}
