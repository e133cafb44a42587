//! `lintel-bench seed`: one BUSINESS-plan organisation with `--properties` properties and
//! `--units` units, created through `lintel_store` exactly as the API creates them (validated
//! inputs, one transaction per property and per batch of up to 500 units, audit entries and all).

mod data;
pub mod ledger;
mod maintain;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Args;
use futures::{StreamExt, TryStreamExt};
use indicatif::{ProgressBar, ProgressStyle};
use lintel_app::identity::{create_organisation, issue_api_key, Origin};
use lintel_domain::identity::RegisterInput;
use lintel_domain::portfolio::BulkUnitsInput;
use lintel_domain::{Actor, FieldError, Limit, OrgId, Plan, PropertyId, Role};
use lintel_store::{Backend, ConnectOptions, Store};
use rand::seq::SliceRandom;
use serde::Serialize;

/// The most units one `create_many` call takes (the API's bulk limit).
const BATCH: usize = 500;

#[derive(Args)]
pub struct SeedArgs {
    /// `sqlite://path/file.db` or `postgres://…` (migrated here if needed).
    #[arg(long)]
    db: String,
    /// Units in all.
    #[arg(long)]
    units: usize,
    /// Properties the units are spread over.
    #[arg(long)]
    properties: usize,
    /// Where to write the seed file (API key, organisation, sample of property IDs).
    #[arg(long)]
    out: PathBuf,
    /// Properties created concurrently (SQLite queues the writers; PostgreSQL gains from it).
    #[arg(long, default_value_t = 8)]
    jobs: usize,
    /// How many property IDs (random) the seed file lists.
    #[arg(long, default_value_t = 10_000)]
    sample: usize,
    /// Database pool size (Lintel's default).
    #[arg(long, default_value_t = 16)]
    max_connections: u32,
}

/// What the load scripts read.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SeedFile {
    backend: &'static str,
    org_id: String,
    api_key: String,
    properties: usize,
    units: usize,
    seconds: f64,
    units_per_second: f64,
    property_ids: Vec<String>,
}

pub async fn run(a: SeedArgs) -> anyhow::Result<()> {
    if a.properties == 0 || a.units < a.properties {
        bail!("--units must be at least --properties, and --properties at least 1");
    }
    let (store, backend) = connect(&a.db, a.max_connections).await?;

    let started = Instant::now();
    let (org, api_key) = organisation(&store, a.units).await?;
    let progress = Progress {
        bar: progress_bar(a.units as u64),
        done: AtomicU64::new(0),
        analyzer: maintain::Analyzer::connect(&a.db).await?,
    };
    let ids: Vec<PropertyId> = futures::stream::iter(0..a.properties)
        .map(|i| {
            property(
                &store,
                org,
                i,
                data::units_of(i, a.properties, a.units),
                &progress,
            )
        })
        .buffer_unordered(a.jobs.max(1))
        .try_collect()
        .await?;
    progress.bar.finish_and_clear();
    store.close().await;
    let seconds = started.elapsed().as_secs_f64();

    let mut sample: Vec<String> = ids.iter().map(ToString::to_string).collect();
    sample.shuffle(&mut rand::thread_rng());
    sample.truncate(a.sample);
    let file = SeedFile {
        backend,
        org_id: org.to_string(),
        api_key,
        properties: a.properties,
        units: a.units,
        seconds,
        units_per_second: a.units as f64 / seconds,
        property_ids: sample,
    };
    if let Some(dir) = a.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&a.out, serde_json::to_vec_pretty(&file)?)
        .with_context(|| format!("writing {}", a.out.display()))?;
    eprintln!(
        "seeded {backend}: {} properties, {} units in {seconds:.1} s ({:.0} units/s)",
        a.properties, a.units, file.units_per_second
    );
    Ok(())
}

/// The store at `url`, migrated, and its backend's name.
async fn connect(url: &str, max_connections: u32) -> anyhow::Result<(Store, &'static str)> {
    let opts = ConnectOptions {
        max_connections,
        acquire_timeout: Duration::from_secs(60),
    };
    let store = Store::connect(url, &opts).await.context("connecting")?;
    store.migrate().await.context("migrating")?;
    let backend = match store.backend() {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    Ok((store, backend))
}

/// Creates the organisation, its admin and an admin API key (BUSINESS plan: keys work).
async fn organisation(store: &Store, units: usize) -> anyhow::Result<(OrgId, String)> {
    let stamp = chrono::Utc::now().timestamp_millis();
    let reg = RegisterInput {
        email: Some(format!("bench-{units}-{stamp}@lintel.example")),
        password: Some("benchmark-password-2026".into()),
        name: Some("Benchmark Admin".into()),
        organisation_name: Some(format!("Benchmark organisation ({units} units)")),
    }
    .validate()
    .map_err(|e| invalid("the benchmark organisation".into(), e))?;
    let origin = Origin {
        plan: Plan::Business,
        demo_slug: None,
    };
    let (org, _) = create_organisation(store, reg, origin)
        .await
        .context("creating the organisation")?;
    let system = Actor::system();
    let name = "Benchmark key".to_string();
    let (_, secret) = issue_api_key(store, &system, org.id, name, Role::Admin)
        .await
        .context("issuing the API key")?;
    Ok((org.id, secret))
}

fn invalid(what: String, errors: Vec<FieldError>) -> anyhow::Error {
    anyhow::anyhow!("{what} fails validation: {errors:?}")
}

/// How far the seed is; keeps PostgreSQL's statistics current on the way.
struct Progress {
    bar: ProgressBar,
    done: AtomicU64,
    analyzer: maintain::Analyzer,
}

impl Progress {
    async fn add(&self, units: u64) -> anyhow::Result<()> {
        self.bar.inc(units);
        let total = self.bar.length().unwrap_or(0);
        let before = self.done.fetch_add(units, Ordering::Relaxed);
        let after = before + units;
        // Without a terminal the bar draws nothing: print a line at every tenth instead.
        if !std::io::stderr().is_terminal()
            && total > 0
            && before * 10 / total != after * 10 / total
        {
            eprintln!("  seeding: {after}/{total} units");
        }
        self.analyzer.progress(after).await
    }
}

/// Creates property `i` and its `count` units, in batches of up to [`BATCH`].
async fn property(
    store: &Store,
    org: OrgId,
    i: usize,
    count: usize,
    progress: &Progress,
) -> anyhow::Result<PropertyId> {
    let scope = store.org(org);
    let actor = Actor::system();
    let new = data::property(i)
        .validate()
        .map_err(|e| invalid(format!("property {i}"), e))?;
    let plan = Plan::Business;
    let created = scope
        .properties()
        .create(&actor, new, plan.cap(Limit::Properties))
        .await
        .with_context(|| format!("creating property {i}"))?;
    let mut from = 0;
    while from < count {
        let to = (from + BATCH).min(count);
        let rows = BulkUnitsInput {
            units: Some(data::units(i, from, to)),
        }
        .validate()
        .map_err(|e| invalid(format!("units of property {i}"), e))?;
        scope
            .units()
            .create_many(&actor, created.id, rows, plan.cap(Limit::Units))
            .await
            .with_context(|| format!("creating the units of property {i}"))?;
        progress.add((to - from) as u64).await?;
        from = to;
    }
    Ok(created.id)
}

fn progress_bar(total: u64) -> ProgressBar {
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} seeding [{elapsed_precise}] {wide_bar} {pos}/{len} units ({per_sec}, {eta})",
        )
        .expect("a valid template"),
    );
    bar
}
