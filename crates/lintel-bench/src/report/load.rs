//! Reads the results directory `scripts/bench` fills:
//!
//! ```text
//! meta.txt                     key=value lines (date, commit, cores, mode, wrk settings, …)
//! seed/<backend>-<set>.json    the seed files (rates included)
//! wrk/<scenario>.<backend>.<server>/run-<n>.txt   wrk --latency reports
//! wrk/<scenario>.<backend>.<server>/cpu-<n>.txt   CPU ticks of the server and of PostgreSQL
//! insert/<backend>/run-<n>.json                   insert-loop summaries
//! payloop/<backend>/run-<n>.json                  payment-loop summaries (same shape)
//! rss/<backend>.txt            VmHWM of `lintel serve` after scenario 2, in kB
//! ready/<backend>.txt          start → /api/ready 200, one figure (ms) per line
//! instr/<scenario>.<backend>.<server>.txt   marginal instructions per request (callgrind)
//! ```

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use serde::Deserialize;

use super::wrk::{self, WrkRun};

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InsertRun {
    pub rate: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub errors: u64,
    pub writes: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedStat {
    #[serde(default)]
    pub name: String,
    pub backend: String,
    #[serde(default)]
    pub properties: u64,
    #[serde(default)]
    pub units: u64,
    pub seconds: f64,
    #[serde(default)]
    pub units_per_second: f64,
    /// A ledger seed's journal lines (`seed-ledger`).
    #[serde(default)]
    pub lines: Option<u64>,
}

#[derive(Debug, Default)]
pub struct Results {
    pub meta: BTreeMap<String, String>,
    pub wrk: BTreeMap<String, Vec<WrkRun>>,
    pub inserts: BTreeMap<String, Vec<InsertRun>>,
    /// `lintel-bench payment-loop` runs, by backend.
    pub payment_loops: BTreeMap<String, Vec<InsertRun>>,
    pub seeds: Vec<SeedStat>,
    pub rss_kb: BTreeMap<String, u64>,
    pub ready_ms: BTreeMap<String, Vec<f64>>,
    /// Marginal instructions per request, by `<scenario>.<backend>.<server>`.
    pub instr: BTreeMap<String, f64>,
}

impl Results {
    pub fn meta(&self, key: &str) -> &str {
        self.meta.get(key).map(String::as_str).unwrap_or("?")
    }
}

/// Files in `dir` (sorted), or none when it does not exist.
fn entries(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.sort();
    v
}

fn stem(p: &Path) -> String {
    p.file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_string()
}

pub fn load(dir: &Path) -> anyhow::Result<Results> {
    let mut r = Results::default();
    if let Ok(text) = fs::read_to_string(dir.join("meta.txt")) {
        for line in text.lines() {
            if let Some((k, v)) = line.split_once('=') {
                r.meta.insert(k.trim().to_string(), v.trim().to_string());
            }
        }
    }
    for f in entries(&dir.join("seed")) {
        if f.extension().is_some_and(|e| e == "json") {
            let mut s: SeedStat = serde_json::from_slice(&fs::read(&f)?)?;
            s.name = stem(&f);
            r.seeds.push(s);
        }
    }
    for d in entries(&dir.join("wrk")) {
        let runs: Vec<WrkRun> = entries(&d)
            .iter()
            .filter(|f| stem(f).starts_with("run-"))
            .filter_map(|f| {
                let run = wrk::parse(&fs::read_to_string(f).ok()?)?;
                let cpu = f.with_file_name(stem(f).replacen("run-", "cpu-", 1) + ".txt");
                Some(match fs::read_to_string(cpu) {
                    Ok(t) => run.with_cpu(&t),
                    Err(_) => run,
                })
            })
            .collect();
        if !runs.is_empty() {
            r.wrk.insert(stem_full(&d), runs);
        }
    }
    r.inserts = loop_runs(&dir.join("insert"));
    r.payment_loops = loop_runs(&dir.join("payloop"));
    for f in entries(&dir.join("rss")) {
        if let Some(kb) = fs::read_to_string(&f)
            .ok()
            .and_then(|t| t.trim().parse().ok())
        {
            r.rss_kb.insert(stem(&f), kb);
        }
    }
    for f in entries(&dir.join("ready")) {
        let ms: Vec<f64> = fs::read_to_string(&f)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect();
        if !ms.is_empty() {
            r.ready_ms.insert(stem(&f), ms);
        }
    }
    for f in entries(&dir.join("instr")) {
        if let Some(n) = fs::read_to_string(&f)
            .ok()
            .and_then(|t| t.trim().parse().ok())
        {
            r.instr.insert(stem(&f), n);
        }
    }
    Ok(r)
}

/// A directory's whole name (scenario IDs contain dots).
fn stem_full(p: &Path) -> String {
    p.file_name()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_string()
}

/// The loop summaries under `dir` (`<backend>/run-<n>.json`), by backend.
fn loop_runs(dir: &Path) -> BTreeMap<String, Vec<InsertRun>> {
    let mut out = BTreeMap::new();
    for d in entries(dir) {
        let runs: Vec<InsertRun> = entries(&d)
            .iter()
            .filter_map(|f| fs::read(f).ok())
            .filter_map(|b| serde_json::from_slice(&b).ok())
            .collect();
        if !runs.is_empty() {
            out.insert(stem_full(&d), runs);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_results_directory() {
        let dir = std::env::temp_dir().join(format!("lintel-bench-load-{}", std::process::id()));
        let w = dir.join("wrk/s1-health.sqlite.lintel");
        fs::create_dir_all(&w).unwrap();
        fs::write(
            w.join("run-1.txt"),
            "  Latency Distribution\n 50% 1.00ms\n 99% 2.00ms\nRequests/sec: 100.0\n",
        )
        .unwrap();
        fs::create_dir_all(dir.join("ready")).unwrap();
        fs::write(dir.join("ready/sqlite.txt"), "120.5\n130\n").unwrap();
        fs::write(dir.join("meta.txt"), "commit=abc123\ncores=2\n").unwrap();
        fs::create_dir_all(dir.join("instr")).unwrap();
        fs::write(dir.join("instr/s2-property.sqlite.floor.txt"), "68340\n").unwrap();
        let r = load(&dir).unwrap();
        fs::remove_dir_all(&dir).unwrap();
        assert_eq!(r.meta("commit"), "abc123");
        assert_eq!(r.wrk["s1-health.sqlite.lintel"][0].rps, 100.0);
        assert_eq!(r.ready_ms["sqlite"], vec![120.5, 130.0]);
        assert_eq!(r.meta("missing"), "?");
        assert_eq!(r.instr["s2-property.sqlite.floor"], 68340.0);
    }
}
