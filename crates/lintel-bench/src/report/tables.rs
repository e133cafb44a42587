//! The figures tables: every scenario × database × server, and the seeding rates.

use std::fmt::Write;

use super::load::Results;
use crate::stats::Spread;

/// `(scenario id, number, what is asked)`, in report order.
pub const SCENARIOS: &[(&str, &str, &str)] = &[
    ("s1-health", "1", "`GET /api/health`"),
    (
        "s2-property",
        "2",
        "`GET /api/properties/{id}`, API key, random IDs (1M-unit org)",
    ),
    (
        "s3-units-10k",
        "3",
        "`GET /api/units?page=1&pageSize=20`, 10k-unit org",
    ),
    (
        "s3-units-1m",
        "3",
        "`GET /api/units?page=1&pageSize=20`, 1M-unit org",
    ),
    (
        "s3-units-1m-deep",
        "3",
        "`GET /api/units?page={deep}&pageSize=20`, 1M-unit org",
    ),
    (
        "s3-units-1m-cursor",
        "3",
        "`GET /api/units?cursor=…&pageSize=20`, the same page {deep} by its cursor, 1M-unit org",
    ),
    (
        "s4-create",
        "4",
        "`POST /api/properties` (durable, with audit entry)",
    ),
    (
        "s6-lease-ledger-10k",
        "6",
        "`GET /api/leases/{id}/ledger` (ten years of rent and payments), 10k-line journal",
    ),
    (
        "s6-lease-ledger-1m",
        "6",
        "`GET /api/leases/{id}/ledger`, the same lease, 1M-line journal",
    ),
    (
        "s6-trial-balance-10k",
        "6",
        "`GET /api/ledger/trial-balance`, 10k-line journal",
    ),
    (
        "s6-trial-balance-1m",
        "6",
        "`GET /api/ledger/trial-balance`, 1M-line journal",
    ),
    (
        "s7-payment",
        "7",
        "`POST /api/payments`, a fresh `Idempotency-Key` each (durable: entry, allocations, receipt number, event)",
    ),
    (
        "s7-payment-replay",
        "7",
        "`POST /api/payments`, one `Idempotency-Key` again and again (replays)",
    ),
];
pub const BACKENDS: &[(&str, &str)] = &[("sqlite", "SQLite"), ("postgres", "PostgreSQL")];
pub const SERVERS: &[(&str, &str)] = &[
    ("lintel", "Lintel"),
    ("floor", "floor (`lintel-bench floor`)"),
    ("postgrest", "PostgREST 12"),
];

/// `1234.5` → `1,235`; small figures keep a decimal.
pub fn rate(v: f64) -> String {
    if v < 100.0 {
        return format!("{v:.1}");
    }
    let s = format!("{:.0}", v);
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `242441.0` → `242k` (instruction counts).
pub fn thousands(v: f64) -> String {
    format!("{}k", rate(v / 1000.0))
}

/// Milliseconds with sensible precision.
pub fn ms(v: f64) -> String {
    if v < 1.0 {
        format!("{v:.3}")
    } else if v < 100.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.0}")
    }
}

fn spread(values: &[f64], fmt: fn(f64) -> String) -> String {
    match Spread::of(values) {
        Some(s) if s.n > 1 => format!("{} ({}–{})", fmt(s.median), fmt(s.min), fmt(s.max)),
        Some(s) => fmt(s.median),
        None => "–".into(),
    }
}

/// Whole microseconds.
fn us(v: f64) -> String {
    format!("{v:.0}")
}

/// The median alone (the CPU columns: their spread follows the rate's).
fn median_of(values: &[f64], fmt: fn(f64) -> String) -> String {
    Spread::of(values)
        .map(|s| fmt(s.median))
        .unwrap_or_else(|| "–".into())
}

/// The main table.
pub fn figures(r: &Results) -> String {
    let mut out = String::new();
    out.push_str(
        "| # | Request | DB | Server | req/s: median (min–max) | p50 ms | p99 ms | errors | server CPU µs/req | PostgreSQL CPU µs/req | server instructions/req |\n",
    );
    out.push_str("|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
    let deep = r
        .meta
        .get("deep_page")
        .map(String::as_str)
        .unwrap_or("5000");
    for (id, n, what) in SCENARIOS {
        let what = what.replace("{deep}", deep);
        for (b, db) in BACKENDS {
            for (s, server) in SERVERS {
                let Some(runs) = r.wrk.get(&format!("{id}.{b}.{s}")) else {
                    continue;
                };
                let col =
                    |f: fn(&super::wrk::WrkRun) -> f64| runs.iter().map(f).collect::<Vec<_>>();
                let errors: u64 = runs.iter().map(|x| x.errors).sum();
                let requests: u64 = runs.iter().map(|x| x.requests).sum();
                let server_cpu: Vec<f64> = runs.iter().filter_map(|x| x.server_cpu_us).collect();
                let pg_cpu: Vec<f64> = runs.iter().filter_map(|x| x.pg_cpu_us).collect();
                let _ =
                    writeln!(
                    out,
                    "| {n} | {what} | {db} | {server} | {} | {} | {} | {errors} / {} | {} | {} | {} |",
                    spread(&col(|x| x.rps), rate),
                    spread(&col(|x| x.p50_ms), ms),
                    spread(&col(|x| x.p99_ms), ms),
                    rate(requests as f64),
                    median_of(&server_cpu, us),
                    if *b == "postgres" { median_of(&pg_cpu, us) } else { "–".into() },
                    r.instr.get(&format!("{id}.{b}.{s}")).map_or("–".into(), |n| thousands(*n)),
                );
            }
            let looped = match *id {
                "s4-create" => r.inserts.get(*b).map(|runs| {
                    (
                        runs,
                        "raw single-row `INSERT`, one durable transaction each",
                        "`lintel-bench insert-loop`",
                    )
                }),
                "s7-payment" => r.payment_loops.get(*b).map(|runs| {
                    (
                        runs,
                        "the same payments through `lintel_store`, no HTTP (claim the key, record, number, keep the answer)",
                        "`lintel-bench payment-loop`",
                    )
                }),
                _ => None,
            };
            if let Some((runs, what, source)) = looped {
                let col =
                    |f: fn(&super::load::InsertRun) -> f64| runs.iter().map(f).collect::<Vec<_>>();
                let errors: u64 = runs.iter().map(|x| x.errors).sum();
                let writes: u64 = runs.iter().map(|x| x.writes).sum();
                let _ = writeln!(
                    out,
                    "| {n} | {what} | {db} | {source} | {} | {} | {} | {errors} / {} | | | |",
                    spread(&col(|x| x.rate), rate),
                    spread(&col(|x| x.p50_ms), ms),
                    spread(&col(|x| x.p99_ms), ms),
                    rate(writes as f64),
                );
            }
        }
    }
    for (b, db) in BACKENDS {
        if let Some(kb) = r.rss_kb.get(*b) {
            let _ = writeln!(
                out,
                "| 5 | peak RSS (VmHWM) of `lintel serve` after scenario 2 | {db} | Lintel | {:.1} MB | | | | | | |",
                *kb as f64 / 1024.0
            );
        }
        if let Some(v) = r.ready_ms.get(*b) {
            let _ = writeln!(
                out,
                "| 5 | process start → `/api/ready` 200 ({} starts, 1M-unit database) | {db} | Lintel | {} ms | | | | | | |",
                v.len(),
                spread(v, ms)
            );
        }
    }
    out
}

/// The seeding rates.
pub fn seeding(r: &Results) -> String {
    let mut out = String::new();
    out.push_str(
        "| Seed | DB | Properties | Units | Journal lines | Time | Units/s |\n|---|---|---:|---:|---:|---:|---:|\n",
    );
    for s in &r.seeds {
        let db = BACKENDS
            .iter()
            .find(|(b, _)| *b == s.backend)
            .map(|(_, d)| *d)
            .unwrap_or(&s.backend);
        let _ = writeln!(
            out,
            "| `{}` | {db} | {} | {} | {} | {:.1} s | {} |",
            s.name,
            rate(s.properties as f64),
            rate(s.units as f64),
            s.lines.map_or_else(|| "–".into(), |l| rate(l as f64)),
            s.seconds,
            if s.lines.is_some() {
                "–".into()
            } else {
                rate(s.units_per_second)
            }
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_has_as_many_cells_as_the_header() {
        let mut r = Results::default();
        r.wrk.insert(
            "s2-property.postgres.lintel".into(),
            vec![Default::default()],
        );
        r.inserts.insert("postgres".into(), vec![]);
        r.rss_kb.insert("sqlite".into(), 1024);
        r.ready_ms.insert("sqlite".into(), vec![10.0]);
        let t = figures(&r);
        let cells: Vec<usize> = t.lines().map(|l| l.matches('|').count()).collect();
        assert!(cells.len() >= 5, "{t}");
        assert!(cells.iter().all(|&c| c == cells[0]), "{t}");
    }

    #[test]
    fn the_floor_stands_beside_lintel_on_the_units_page() {
        let mut r = Results::default();
        for s in ["lintel", "floor"] {
            r.wrk.insert(
                format!("s3-units-1m.postgres.{s}"),
                vec![Default::default()],
            );
            r.instr
                .insert(format!("s3-units-1m.postgres.{s}"), 123_456.0);
        }
        r.wrk.insert(
            "s3-units-1m-deep.postgres.lintel".into(),
            vec![Default::default()],
        );
        let t = figures(&r);
        let rows: Vec<&str> = t.lines().skip(2).collect();
        assert_eq!(rows.len(), 3, "{t}");
        assert!(
            rows[0].contains("1M-unit org | PostgreSQL | Lintel |"),
            "{t}"
        );
        assert!(rows[1].contains("1M-unit org | PostgreSQL | floor"), "{t}");
        assert!(rows[1].ends_with("| 123k |"), "{t}");
        assert!(rows[2].contains("page=5000"), "{t}");
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(rate(1234567.8), "1,234,568");
        assert_eq!(rate(999.0), "999");
        assert_eq!(rate(12.34), "12.3");
        assert_eq!(ms(0.25), "0.250");
        assert_eq!(ms(12.5), "12.50");
        assert_eq!(ms(1234.5), "1234");
        assert_eq!(spread(&[1.0, 3.0, 2.0], ms), "2.00 (1.00–3.00)");
        assert_eq!(spread(&[], ms), "–");
    }
}
