//! `lintel-bench seed-ledger`: an organisation whose journal holds `--lines` lines, for the
//! payments and ledger scenarios.
//!
//! Its leases are made through `lintel_store` as the API makes them: `--leases` active leases
//! (from the start of this year, their rent back-filled on activation) that the payments
//! scenario pays into, and one lease ten years old whose rent was paid every month — the lease
//! whose ledger is read. The rest of the lines, up to `--lines`, are owner contributions and
//! expenses (two-line entries on the bank and an equity, income or expense account, spread
//! over ten years), written in bulk by SQL in the journal's own shape: lines before their entry
//! (the database checks each entry balances), each account's daily totals added up from them.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context};
use clap::Args;
use lintel_domain::leasing::{LeaseInput, LeaseStatus, StatusChangeRequest, TenantInput};
use lintel_domain::ledger::{PaymentInput, SystemAccount};
use lintel_domain::money::MoneyDto;
use lintel_domain::portfolio::{BulkUnitsInput, UnitInput};
use lintel_domain::{Actor, Cap, Limit, OrgId, Plan};
use lintel_store::{Backend, ConnectOptions, Db, Store};
use serde::Serialize;

use super::{data, invalid, organisation};

#[derive(Args)]
pub struct LedgerArgs {
    /// `sqlite://path/file.db` or `postgres://…` (migrated here if needed).
    #[arg(long)]
    db: String,
    /// Journal lines in all (the leases' own lines count towards it).
    #[arg(long)]
    lines: usize,
    /// Active leases the payments scenario pays into.
    #[arg(long, default_value_t = 50)]
    leases: usize,
    /// Where to write the seed file.
    #[arg(long)]
    out: PathBuf,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LedgerFile {
    backend: &'static str,
    org_id: String,
    api_key: String,
    /// The ten-year-old lease whose ledger is read.
    ledger_lease_id: String,
    /// Its lines.
    ledger_lease_lines: usize,
    /// The leases payments are made into.
    lease_ids: Vec<String>,
    lines: usize,
    seconds: f64,
}

/// The entries written in one bulk statement.
const BULK: usize = 50_000;
/// Filler entry IDs: `je_` and 26 digits (valid ULID characters), before every real ID.
const FILLER_PREFIX: &str = "je_0000000000";

pub async fn run(a: LedgerArgs) -> anyhow::Result<()> {
    let (store, backend) = super::connect(&a.db, 16).await?;
    let opts = ConnectOptions {
        max_connections: 4,
        acquire_timeout: Duration::from_secs(60),
    };
    let started = Instant::now();
    let (org, api_key) = organisation(&store, a.lines).await?;
    let leases = leases(&store, org, a.leases + 1).await?;
    let (old, paying) = leases.split_first().context("no lease")?;
    let own = store
        .org(org)
        .charges()
        .lease_ledger(*old)
        .await?
        .lines
        .len();
    let db = Db::connect(&a.db, &opts).await?;
    let before = count_lines(&db, org).await?;
    ensure!(
        before <= a.lines,
        "the leases alone post {before} lines, more than --lines"
    );
    filler(&db, store.backend(), org, (a.lines - before) / 2).await?;
    let lines = count_lines(&db, org).await?;
    db.close().await;
    store.close().await;
    let file = LedgerFile {
        backend,
        org_id: org.to_string(),
        api_key,
        ledger_lease_id: old.to_string(),
        ledger_lease_lines: own,
        lease_ids: paying.iter().map(ToString::to_string).collect(),
        lines,
        seconds: started.elapsed().as_secs_f64(),
    };
    if let Some(dir) = a.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&a.out, serde_json::to_vec_pretty(&file)?)
        .with_context(|| format!("writing {}", a.out.display()))?;
    eprintln!(
        "seeded the {backend} ledger: {lines} lines in {:.1} s",
        file.seconds
    );
    Ok(())
}

fn cad(minor: i64) -> MoneyDto {
    MoneyDto {
        amount_minor: minor,
        currency: "CAD".into(),
    }
}

/// `count` active leases of new units: the first from ten years ago with every month's rent
/// paid, the others from 1 January this year, their rent owed.
async fn leases(
    store: &Store,
    org: OrgId,
    count: usize,
) -> anyhow::Result<Vec<lintel_domain::LeaseId>> {
    let scope = store.org(org);
    let actor = Actor::system();
    let plan = Plan::Business;
    let new = data::property(0)
        .validate()
        .map_err(|e| invalid("the ledger's property".into(), e))?;
    let property = scope
        .properties()
        .create(&actor, new, plan.cap(Limit::Properties))
        .await?;
    let rows: Vec<UnitInput> = (0..count)
        .map(|i| UnitInput {
            name: Some(format!("L{:04}", i + 1)),
            rent: Some(cad(150_000)),
            ..Default::default()
        })
        .collect();
    let rows = BulkUnitsInput { units: Some(rows) }
        .validate()
        .map_err(|e| invalid("the ledger's units".into(), e))?;
    let units = scope
        .units()
        .create_many(&actor, property.id, rows, plan.cap(Limit::Units))
        .await?;
    let today = lintel_domain::Date::today_in("UTC");
    let this_year = format!("{}-01-01", &today.to_string()[..4]);
    let decade_ago = today.add_days(-3650);
    let mut out = Vec::with_capacity(count);
    for (i, unit) in units.iter().enumerate() {
        let tenant = TenantInput {
            first_name: Some("Bench".into()),
            last_name: Some(format!("Tenant {}", i + 1)),
            ..Default::default()
        }
        .validate()
        .map_err(|e| invalid("a ledger tenant".into(), e))?;
        let tenant = scope.tenants().create(&actor, tenant).await?;
        let start = if i == 0 {
            format!("{}-01", &decade_ago.to_string()[..7])
        } else {
            this_year.clone()
        };
        let input = LeaseInput {
            unit_id: Some(unit.id.to_string()),
            tenant_ids: Some(vec![tenant.id.to_string()]),
            start_date: Some(start),
            rent: Some(cad(150_000)),
            ..Default::default()
        }
        .validate()
        .map_err(|e| invalid("a ledger lease".into(), e))?;
        let lease = scope.leases().create(&actor, &input).await?;
        let active = StatusChangeRequest {
            status: LeaseStatus::Active,
            reason: None,
            effective_date: None,
        };
        scope
            .leases()
            .change_status(&actor, lease.id, &active, Cap::Unlimited)
            .await?;
        out.push(lease.id);
    }
    // The old lease's rent, paid on the 3rd of each month by bank transfer.
    let charges = scope.charges().lease_ledger(out[0]).await?;
    for line in charges.lines.iter().filter(|l| l.amount_minor > 0) {
        let pay = PaymentInput {
            lease_id: Some(out[0].to_string()),
            amount: Some(cad(line.amount_minor)),
            method: Some("bank_transfer".into()),
            received_on: Some(line.date.add_days(2).to_string()),
            ..Default::default()
        }
        .validate()
        .map_err(|e| invalid("a ledger payment".into(), e))?;
        scope.payments().create(&actor, &pay).await?;
    }
    Ok(out)
}

#[derive(serde::Deserialize)]
struct N {
    n: i64,
}

async fn count_lines(db: &Db, org: OrgId) -> anyhow::Result<usize> {
    let q = sea_query::Query::select()
        .expr_as(
            sea_query::Expr::cust("COUNT(*)"),
            sea_query::Alias::new("n"),
        )
        .from(sea_query::Alias::new("journal_lines"))
        .and_where(sea_query::Expr::col(sea_query::Alias::new("org_id")).eq(org.to_string()))
        .to_owned();
    let n: N = db.one(&q).await?;
    Ok(n.n as usize)
}

#[derive(serde::Deserialize)]
struct AccountRow {
    id: String,
    system_key: Option<String>,
}

/// `entries` two-line entries: the bank against owner equity, other income or maintenance,
/// dated over the last ten years, then each account's daily totals for them.
async fn filler(db: &Db, backend: Backend, org: OrgId, entries: usize) -> anyhow::Result<()> {
    let q = sea_query::Query::select()
        .columns([
            sea_query::Alias::new("id"),
            sea_query::Alias::new("system_key"),
        ])
        .from(sea_query::Alias::new("accounts"))
        .and_where(sea_query::Expr::col(sea_query::Alias::new("org_id")).eq(org.to_string()))
        .to_owned();
    let accounts: Vec<AccountRow> = db.all(&q).await?;
    let id_of = |k: SystemAccount| {
        accounts
            .iter()
            .find(|a| a.system_key.as_deref() == Some(k.as_str()))
            .map(|a| a.id.clone())
            .context("a system account is missing")
    };
    let bank = id_of(SystemAccount::OperatingBank)?;
    let others = [
        id_of(SystemAccount::OwnerEquity)?,
        id_of(SystemAccount::OtherIncome)?,
        id_of(SystemAccount::MaintenanceExpense)?,
    ];
    let first = lintel_domain::Date::today_in("UTC")
        .add_days(-3650)
        .to_string();
    let (date, digits) = match backend {
        Backend::Sqlite => (
            format!("date('{first}', '+' || (i % 3650) || ' days')"),
            "printf('%016d', i)".to_string(),
        ),
        Backend::Postgres => (
            format!("to_char(DATE '{first}' + (i % 3650)::int, 'YYYY-MM-DD')"),
            "lpad(i::text, 16, '0')".to_string(),
        ),
    };
    let entry = format!("'{FILLER_PREFIX}' || {digits}");
    let other = format!(
        "CASE i % 3 WHEN 0 THEN '{}' WHEN 1 THEN '{}' ELSE '{}' END",
        others[0], others[1], others[2]
    );
    // Contributions and income into the bank; expenses out of it.
    let bank_side = "CASE i % 3 WHEN 2 THEN 'credit' ELSE 'debit' END";
    let other_side = "CASE i % 3 WHEN 2 THEN 'debit' ELSE 'credit' END";
    let mut from = 0;
    while from < entries {
        let to = (from + BULK).min(entries);
        let numbers = format!(
            "WITH RECURSIVE n(i) AS (SELECT {from} UNION ALL SELECT i + 1 FROM n WHERE i < {})",
            to - 1
        );
        let sql = format!(
            "BEGIN;
             {numbers} INSERT INTO journal_lines (id, org_id, entry_id, position, account_id, side,
                 amount_minor, currency, entry_date)
             SELECT {entry} || '_' || p.pos, '{org}', {entry}, p.pos,
                 CASE p.pos WHEN 0 THEN '{bank}' ELSE {other} END,
                 CASE p.pos WHEN 0 THEN {bank_side} ELSE {other_side} END,
                 1000 + i % 5000, 'CAD', {date}
             FROM n CROSS JOIN (SELECT 0 AS pos UNION ALL SELECT 1) p;
             {numbers} INSERT INTO journal_entries (id, org_id, entry_date, memo, source, created_at)
             SELECT {entry}, '{org}', {date}, 'Owner contribution or expense', 'manual', 0 FROM n;
             COMMIT;"
        );
        db.raw(&sql).await.context("writing filler entries")?;
        from = to;
    }
    let totals = format!(
        "INSERT INTO account_day_totals (org_id, account_id, currency, entry_date, shard,
             debits_minor, credits_minor)
         SELECT org_id, account_id, currency, entry_date, 15,
             CAST(SUM(CASE WHEN side = 'debit' THEN amount_minor ELSE 0 END) AS BIGINT),
             CAST(SUM(CASE WHEN side = 'credit' THEN amount_minor ELSE 0 END) AS BIGINT)
         FROM journal_lines WHERE org_id = '{org}' AND entry_id LIKE '{FILLER_PREFIX}%'
         GROUP BY org_id, account_id, currency, entry_date
         ON CONFLICT (org_id, account_id, currency, entry_date, shard) DO UPDATE SET
             debits_minor = account_day_totals.debits_minor + excluded.debits_minor,
             credits_minor = account_day_totals.credits_minor + excluded.credits_minor"
    );
    db.raw(&totals)
        .await
        .context("adding up the filler's totals")?;
    let analyze = match backend {
        Backend::Sqlite => "ANALYZE",
        Backend::Postgres => {
            "ANALYZE journal_lines; ANALYZE journal_entries; ANALYZE account_day_totals"
        }
    };
    db.raw(analyze).await?;
    Ok(())
}
