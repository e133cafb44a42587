//! `lintel-bench payment-loop`: scenario 7's payments without HTTP — what the database work of
//! a payment costs through `lintel_store`, the API's own data layer.
//!
//! `--concurrency` workers each loop for `--seconds` doing what `POST /api/payments` under a
//! fresh `Idempotency-Key` does below the HTTP layer: claim the key, record a cash payment of a
//! random amount into one of the seed's leases (its entry, allocations, charges, daily totals,
//! event, audit entry and receipt number), keep the answer for the key. No request parsing,
//! authentication, JSON or socket: the gap between this rate and the API's is what the HTTP
//! layer costs, and the gap between this rate and the raw single-row insert loop is what the
//! payment's own rows cost. Prints one JSON line, in the insert loop's shape.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::insert_loop::{print_summary, WorkerOut};
use anyhow::Context;
use clap::Args;
use lintel_domain::ledger::PaymentInput;
use lintel_domain::money::MoneyDto;
use lintel_domain::{Actor, OrgId};
use lintel_store::idempotency::{self, Claimed};
use lintel_store::{ConnectOptions, Store};

#[derive(Args)]
pub struct PaymentLoopArgs {
    /// `sqlite://path/file.db` or `postgres://…`, seeded by `seed-ledger`.
    #[arg(long)]
    db: String,
    /// The seed file `seed-ledger` wrote (its `orgId` and `leaseIds`).
    #[arg(long)]
    seed: PathBuf,
    /// Concurrent workers (and connections: Lintel's default pool is as large).
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct SeedFile {
    org_id: String,
    lease_ids: Vec<String>,
}

/// One payment as the API makes it, under a key of its own.
async fn pay(store: &Store, org: OrgId, lease: &str, key: &str) -> anyhow::Result<()> {
    let keys = store.org(org).idempotency();
    let amount = 100 + rand::random::<u32>() % 49_900;
    let Claimed::New(claim) = keys.claim("payment-loop", key, key).await? else {
        anyhow::bail!("the fresh key {key} was not free");
    };
    let input = PaymentInput {
        lease_id: Some(lease.to_string()),
        amount: Some(MoneyDto {
            amount_minor: i64::from(amount),
            currency: "CAD".into(),
        }),
        method: Some("cash".into()),
        ..Default::default()
    }
    .validate()
    .map_err(|e| anyhow::anyhow!("payment input: {e:?}"))?;
    let scope = store.org(org);
    let made = idempotency::scope(claim.clone(), async {
        scope.payments().create(&Actor::system(), &input).await
    })
    .await;
    let (status, body) = match &made {
        Ok(p) => (201, format!("{{\"id\":\"{}\"}}", p.id)),
        Err(e) => (500, format!("{{\"error\":\"{e}\"}}")),
    };
    keys.finish(&claim, status, &body).await?;
    made?;
    Ok(())
}

pub fn run(a: PaymentLoopArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&a.seed)
        .with_context(|| format!("reading {}", a.seed.display()))?;
    let seed: SeedFile = serde_json::from_str(&text).context("reading the seed file")?;
    anyhow::ensure!(!seed.lease_ids.is_empty(), "the seed file names no leases");
    let org: OrgId = seed
        .org_id
        .parse()
        .map_err(|_| anyhow::anyhow!("bad orgId"))?;
    let run_for = Duration::from_secs_f64(a.seconds);
    crate::runtime()?.block_on(async move {
        let opts = ConnectOptions {
            max_connections: a.concurrency.max(1) as u32,
            acquire_timeout: Duration::from_secs(60),
        };
        let store = Arc::new(Store::connect(&a.db, &opts).await.context("connecting")?);
        let backend = match store.backend() {
            lintel_store::Backend::Sqlite => "sqlite",
            lintel_store::Backend::Postgres => "postgres",
        };
        let leases = Arc::new(seed.lease_ids);
        let started = Instant::now();
        let tasks: Vec<_> = (0..a.concurrency.max(1))
            .map(|w| {
                let (store, leases) = (store.clone(), leases.clone());
                tokio::spawn(async move {
                    let mut out = WorkerOut::default();
                    let mut n = 0u64;
                    while started.elapsed() < run_for {
                        n += 1;
                        let lease = &leases[rand::random::<usize>() % leases.len()];
                        let key = format!("loop-{w}-{n}-{:016x}", rand::random::<u64>());
                        let t = Instant::now();
                        out.record("payment-loop", t, pay(&store, org, lease, &key).await);
                    }
                    out
                })
            })
            .collect();
        let mut outs = Vec::with_capacity(tasks.len());
        for t in tasks {
            outs.push(t.await?);
        }
        print_summary(backend, a.concurrency, started, &outs)
    })
}
