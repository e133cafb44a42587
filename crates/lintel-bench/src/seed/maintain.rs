//! Keeps PostgreSQL's planner statistics current while the seed grows the tables, as autovacuum
//! would (it analyses a table once about 10 % of it has changed). Without it, on a server whose
//! autovacuum is off (this machine's is), every plan is made for the empty tables the migrations
//! left, and inserting gets slower with every batch.

use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::Mutex;
use tokio_postgres::{Client, NoTls};

pub struct Analyzer {
    client: Option<Mutex<Client>>,
    /// The unit count at which the next ANALYZE runs.
    next: AtomicU64,
}

/// Units created before the first ANALYZE.
const FIRST: u64 = 2_000;

impl Analyzer {
    /// A no-op on SQLite (`url` not PostgreSQL).
    pub async fn connect(url: &str) -> anyhow::Result<Analyzer> {
        let client = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let (client, conn) = tokio_postgres::connect(url, NoTls).await?;
            tokio::spawn(async move {
                if let Err(e) = conn.await {
                    eprintln!("seed: maintenance connection: {e}");
                }
            });
            Some(Mutex::new(client))
        } else {
            None
        };
        Ok(Analyzer {
            client,
            next: AtomicU64::new(FIRST),
        })
    }

    /// Called with the number of units created so far: analyses once it has grown by 10 %.
    pub async fn progress(&self, done: u64) -> anyhow::Result<()> {
        let Some(client) = &self.client else {
            return Ok(());
        };
        let next = self.next.load(Ordering::Relaxed);
        if done < next {
            return Ok(());
        }
        // Only the caller that moves the threshold runs it.
        let after = (done + done / 10).max(done + 1);
        if self
            .next
            .compare_exchange(next, after, Ordering::AcqRel, Ordering::Relaxed)
            .is_err()
        {
            return Ok(());
        }
        client
            .lock()
            .await
            .batch_execute("ANALYZE units; ANALYZE audit_log; ANALYZE properties")
            .await?;
        Ok(())
    }
}
