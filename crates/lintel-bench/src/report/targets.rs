//! The targets next to the measured figures. Reported, never asserted: the script does
//! not fail on a miss.

use std::fmt::Write;

use super::load::Results;
use super::tables::{ms, BACKENDS};
use crate::stats::Spread;

/// One target: the figure measured (if any) and whether it meets the goal.
struct Row {
    what: String,
    figure: Option<f64>,
    shown: String,
    goal: &'static str,
    met: Option<bool>,
}

fn median(v: &[f64]) -> Option<f64> {
    Spread::of(v).map(|s| s.median)
}

fn rps(r: &Results, id: &str) -> Option<f64> {
    median(&r.wrk.get(id)?.iter().map(|x| x.rps).collect::<Vec<_>>())
}

fn p50(r: &Results, id: &str) -> Option<f64> {
    median(&r.wrk.get(id)?.iter().map(|x| x.p50_ms).collect::<Vec<_>>())
}

fn p99(r: &Results, id: &str) -> Option<f64> {
    median(&r.wrk.get(id)?.iter().map(|x| x.p99_ms).collect::<Vec<_>>())
}

/// Median server CPU per request (µs).
fn cpu(r: &Results, id: &str) -> Option<f64> {
    median(
        &r.wrk
            .get(id)?
            .iter()
            .filter_map(|x| x.server_cpu_us)
            .collect::<Vec<_>>(),
    )
}

/// The median rate of a loop's runs on `backend` (`lintel-bench insert-loop`, `payment-loop`).
fn loop_rate(
    runs: &std::collections::BTreeMap<String, Vec<super::load::InsertRun>>,
    backend: &str,
) -> Option<f64> {
    median(
        &runs
            .get(backend)?
            .iter()
            .map(|x| x.rate)
            .collect::<Vec<_>>(),
    )
}

fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    }
}

fn row(
    what: String,
    figure: Option<f64>,
    fmt: impl Fn(f64) -> String,
    goal: &'static str,
    ok: impl Fn(f64) -> bool,
) -> Row {
    Row {
        what,
        shown: figure.map(&fmt).unwrap_or_else(|| "not measured".into()),
        met: figure.map(&ok),
        figure,
        goal,
    }
}

fn rows(r: &Results) -> Vec<Row> {
    let mut out = Vec::new();
    let times = |v: f64| format!("{v:.2}×");
    let pct = |v: f64| format!("{:.0} %", v * 100.0);
    out.push(row(
        "2: Lintel ÷ PostgREST, req/s (PostgreSQL)".into(),
        ratio(
            rps(r, "s2-property.postgres.lintel"),
            rps(r, "s2-property.postgres.postgrest"),
        ),
        times,
        "≥ 10×",
        |v| v >= 10.0,
    ));
    for (b, db) in BACKENDS {
        out.push(row(
            format!("2: Lintel ÷ floor, req/s ({db})"),
            ratio(
                rps(r, &format!("s2-property.{b}.lintel")),
                rps(r, &format!("s2-property.{b}.floor")),
            ),
            pct,
            "≥ 70 %",
            |v| v >= 0.7,
        ));
    }
    for (b, db) in BACKENDS {
        out.push(row(
            format!("2: the same by server CPU per request, floor ÷ Lintel ({db}; less sensitive to other load)"),
            ratio(cpu(r, &format!("s2-property.{b}.floor")), cpu(r, &format!("s2-property.{b}.lintel"))),
            pct,
            "≥ 70 %",
            |v| v >= 0.7,
        ));
    }
    for (b, db) in BACKENDS {
        out.push(row(
            format!("2: server instructions per request, Lintel ÷ floor ({db}; callgrind)"),
            ratio(
                r.instr.get(&format!("s2-property.{b}.lintel")).copied(),
                r.instr.get(&format!("s2-property.{b}.floor")).copied(),
            ),
            times,
            "≤ 1.5×",
            |v| v <= 1.5,
        ));
    }
    for (b, db) in BACKENDS {
        out.push(row(
            format!("2: Lintel p99 ({db})"),
            p99(r, &format!("s2-property.{b}.lintel")),
            |v| format!("{} ms", ms(v)),
            "≤ 5 ms",
            |v| v <= 5.0,
        ));
    }
    for (b, db) in BACKENDS {
        out.push(row(
            format!("3: Lintel ÷ floor, req/s, page 1 of 1M ({db})"),
            ratio(
                rps(r, &format!("s3-units-1m.{b}.lintel")),
                rps(r, &format!("s3-units-1m.{b}.floor")),
            ),
            pct,
            "≥ 70 %",
            |v| v >= 0.7,
        ));
    }
    for (b, db) in BACKENDS {
        out.push(row(
            format!("3: server instructions per request, Lintel ÷ floor, page 1 of 1M ({db}; callgrind)"),
            ratio(
                r.instr.get(&format!("s3-units-1m.{b}.lintel")).copied(),
                r.instr.get(&format!("s3-units-1m.{b}.floor")).copied(),
            ),
            times,
            "≤ 1.5×",
            |v| v <= 1.5,
        ));
    }
    for (b, db) in BACKENDS {
        out.push(row(
            format!("3: p50 on 1M ÷ p50 on 10k, page 1 ({db})"),
            ratio(
                p50(r, &format!("s3-units-1m.{b}.lintel")),
                p50(r, &format!("s3-units-10k.{b}.lintel")),
            ),
            times,
            "≤ 1.5×",
            |v| v <= 1.5,
        ));
    }
    for (b, db) in BACKENDS {
        out.push(row(
            format!("3: p50 of the deep page by cursor ÷ p50 of page 1, 1M ({db})"),
            ratio(
                p50(r, &format!("s3-units-1m-cursor.{b}.lintel")),
                p50(r, &format!("s3-units-1m.{b}.lintel")),
            ),
            times,
            "≤ 1.5×",
            |v| v <= 1.5,
        ));
    }
    for (b, db) in BACKENDS {
        let raw = loop_rate(&r.inserts, b);
        // Durable writes: at least half the raw rate on SQLite, 60 % on PostgreSQL.
        let (goal, min): (&'static str, f64) = match *b {
            "sqlite" => ("≥ 50 %", 0.5),
            _ => ("≥ 60 %", 0.6),
        };
        out.push(row(
            format!("4: POST /api/properties ÷ raw insert loop, writes/s ({db})"),
            ratio(rps(r, &format!("s4-create.{b}.lintel")), raw),
            pct,
            goal,
            move |v| v >= min,
        ));
    }
    for (b, db) in BACKENDS {
        let raw = loop_rate(&r.inserts, b);
        out.push(row(
            format!("7: POST /api/payments (fresh keys) ÷ raw insert loop, writes/s ({db})"),
            ratio(rps(r, &format!("s7-payment.{b}.lintel")), raw),
            pct,
            "≥ 50 %",
            |v| v >= 0.5,
        ));
    }
    for (b, db) in BACKENDS {
        let looped = loop_rate(&r.payment_loops, b);
        // What the HTTP layer costs a payment: at most a third of the rate.
        out.push(row(
            format!("7: POST /api/payments ÷ the same payments without HTTP, writes/s ({db})"),
            ratio(rps(r, &format!("s7-payment.{b}.lintel")), looped),
            pct,
            "≥ 67 %",
            |v| v >= 0.67,
        ));
    }
    for (b, db) in BACKENDS {
        out.push(row(
            format!("6: trial balance p99, 1M-line journal ({db})"),
            p99(r, &format!("s6-trial-balance-1m.{b}.lintel")),
            |v| format!("{} ms", ms(v)),
            "≤ 200 ms",
            |v| v <= 200.0,
        ));
    }
    for (b, db) in BACKENDS {
        for what in ["trial-balance", "lease-ledger"] {
            out.push(row(
                format!("6: {what} p50 on 1M lines ÷ p50 on 10k lines ({db})"),
                ratio(
                    p50(r, &format!("s6-{what}-1m.{b}.lintel")),
                    p50(r, &format!("s6-{what}-10k.{b}.lintel")),
                ),
                times,
                "≤ 2×",
                |v| v <= 2.0,
            ));
        }
    }
    out.push(row(
        "4: server CPU per POST /api/properties (SQLite)".into(),
        cpu(r, "s4-create.sqlite.lintel").map(|us| us / 1000.0),
        |v| format!("{v:.3} ms"),
        "≤ 0.2 ms",
        |v| v <= 0.2,
    ));
    for (b, db) in BACKENDS {
        out.push(row(
            format!("5: peak RSS of `lintel serve` under scenario 2 ({db})"),
            r.rss_kb.get(*b).map(|kb| *kb as f64 / 1024.0),
            |v| format!("{v:.1} MB"),
            "≤ 100 MB",
            |v| v <= 100.0,
        ));
    }
    for (b, db) in BACKENDS {
        out.push(row(
            format!("5: start → `/api/ready` 200, median ({db})"),
            r.ready_ms.get(*b).and_then(|v| median(v)),
            |v| format!("{} ms", ms(v)),
            "≤ 500 ms",
            |v| v <= 500.0,
        ));
    }
    out
}

/// The targets table.
pub fn table(r: &Results) -> String {
    let mut out = String::from("| Target | Measured | Goal | |\n|---|---:|---:|---|\n");
    for t in rows(r) {
        let mark = match t.met {
            Some(true) => "met",
            Some(false) => "**missed**",
            None => "–",
        };
        let _ = writeln!(out, "| {} | {} | {} | {mark} |", t.what, t.shown, t.goal);
    }
    out
}

/// How many targets were measured and how many of those were missed.
pub fn tally(r: &Results) -> (usize, usize) {
    let all = rows(r);
    let measured = all.iter().filter(|t| t.figure.is_some()).count();
    let missed = all.iter().filter(|t| t.met == Some(false)).count();
    (measured, missed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::wrk::WrkRun;

    fn runs(rps: f64, p50: f64, p99: f64) -> Vec<WrkRun> {
        vec![WrkRun {
            rps,
            p50_ms: p50,
            p99_ms: p99,
            requests: 1,
            errors: 0,
            ..WrkRun::default()
        }]
    }

    #[test]
    fn ratios_against_their_goals() {
        let mut r = Results::default();
        r.wrk.insert(
            "s2-property.postgres.lintel".into(),
            runs(20_000.0, 0.5, 2.0),
        );
        r.wrk.insert(
            "s2-property.postgres.postgrest".into(),
            runs(1_000.0, 5.0, 9.0),
        );
        r.wrk.insert(
            "s2-property.postgres.floor".into(),
            runs(40_000.0, 0.3, 1.0),
        );
        let t = table(&r);
        assert!(
            t.contains("| 2: Lintel ÷ PostgREST, req/s (PostgreSQL) | 20.00× | ≥ 10× | met |"),
            "{t}"
        );
        assert!(
            t.contains("| 2: Lintel ÷ floor, req/s (PostgreSQL) | 50 % | ≥ 70 % | **missed** |"),
            "{t}"
        );
        assert!(
            t.contains("| 2: Lintel ÷ floor, req/s (SQLite) | not measured |"),
            "{t}"
        );
        assert_eq!(tally(&r), (3, 1));
    }

    #[test]
    fn durable_writes_have_their_own_goals_per_database() {
        let mut r = Results::default();
        for (b, rate) in [("sqlite", 900.0), ("postgres", 1_100.0)] {
            let mut run = runs(rate, 2.0, 4.0);
            run[0].server_cpu_us = Some(250.0);
            r.wrk.insert(format!("s4-create.{b}.lintel"), run);
        }
        let t = table(&r);
        // No raw-loop figures: the ratios are not measured; the CPU figure is.
        assert!(
            t.contains("| 4: server CPU per POST /api/properties (SQLite) | 0.250 ms | ≤ 0.2 ms | **missed** |"),
            "{t}"
        );
        assert!(t.contains("(PostgreSQL) | not measured | ≥ 60 % |"), "{t}");
    }

    #[test]
    fn the_units_page_is_set_against_the_floor() {
        let mut r = Results::default();
        r.wrk
            .insert("s3-units-1m.sqlite.lintel".into(), runs(6_000.0, 2.0, 4.0));
        r.wrk
            .insert("s3-units-1m.sqlite.floor".into(), runs(10_000.0, 1.0, 2.0));
        r.instr
            .insert("s3-units-1m.sqlite.lintel".into(), 300_000.0);
        r.instr.insert("s3-units-1m.sqlite.floor".into(), 250_000.0);
        r.instr
            .insert("s3-units-1m.postgres.lintel".into(), 400_000.0);
        r.instr
            .insert("s3-units-1m.postgres.floor".into(), 200_000.0);
        let t = table(&r);
        assert!(
            t.contains(
                "| 3: Lintel ÷ floor, req/s, page 1 of 1M (SQLite) | 60 % | ≥ 70 % | **missed** |"
            ),
            "{t}"
        );
        assert!(
            t.contains("| 3: Lintel ÷ floor, req/s, page 1 of 1M (PostgreSQL) | not measured |"),
            "{t}"
        );
        assert!(
            t.contains("| 3: server instructions per request, Lintel ÷ floor, page 1 of 1M (SQLite; callgrind) | 1.20× | ≤ 1.5× | met |"),
            "{t}"
        );
        assert!(
            t.contains("| 3: server instructions per request, Lintel ÷ floor, page 1 of 1M (PostgreSQL; callgrind) | 2.00× | ≤ 1.5× | **missed** |"),
            "{t}"
        );
        assert_eq!(tally(&r), (3, 2));
    }
}
