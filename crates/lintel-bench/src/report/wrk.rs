//! Reads what `wrk --latency` prints.

/// One wrk run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WrkRun {
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub requests: u64,
    /// Non-2xx/3xx answers plus socket errors (connect, read, write, timeout).
    pub errors: u64,
    /// CPU time (user + system) per request of the server process, in µs.
    pub server_cpu_us: Option<f64>,
    /// CPU time per request of all PostgreSQL processes, in µs.
    pub pg_cpu_us: Option<f64>,
    /// The 1-minute load average when the run ended.
    pub load: Option<f64>,
}

impl WrkRun {
    /// Adds what `cpu-N.txt` holds: `server_ticks postgres_ticks ticks_per_second load`.
    pub fn with_cpu(mut self, text: &str) -> WrkRun {
        let f: Vec<f64> = text
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect();
        if let [server, pg, tck, load] = f[..] {
            if self.requests > 0 && tck > 0.0 {
                let per = |ticks: f64| ticks / tck * 1e6 / self.requests as f64;
                self.server_cpu_us = Some(per(server));
                self.pg_cpu_us = Some(per(pg));
            }
            self.load = Some(load);
        }
        self
    }
}

/// `240.00us`, `1.23ms`, `2.00s`, `1.00m` → milliseconds.
fn duration_ms(s: &str) -> Option<f64> {
    let s = s.trim();
    let (num, factor) = if let Some(n) = s.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = s.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1000.0)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60_000.0)
    } else {
        return None;
    };
    num.trim().parse::<f64>().ok().map(|v| v * factor)
}

/// Parses wrk's report; `None` when it has no `Requests/sec` or no latency distribution.
pub fn parse(text: &str) -> Option<WrkRun> {
    let mut run = WrkRun::default();
    let (mut rps, mut p50, mut p99) = (None, None, None);
    for line in text.lines().map(str::trim) {
        if let Some(v) = line.strip_prefix("Requests/sec:") {
            rps = v.trim().parse::<f64>().ok();
        } else if let Some(v) = line.strip_prefix("50%") {
            p50 = duration_ms(v);
        } else if let Some(v) = line.strip_prefix("99%") {
            p99 = duration_ms(v);
        } else if let Some(v) = line.strip_prefix("Non-2xx or 3xx responses:") {
            run.errors += v.trim().parse::<u64>().unwrap_or(0);
        } else if let Some(v) = line.strip_prefix("Socket errors:") {
            // "connect 0, read 0, write 0, timeout 0"
            run.errors += v
                .split(',')
                .filter_map(|part| part.split_whitespace().nth(1)?.parse::<u64>().ok())
                .sum::<u64>();
        } else if line.contains(" requests in ") {
            run.requests = line
                .split_whitespace()
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
        }
    }
    run.rps = rps?;
    run.p50_ms = p50?;
    run.p99_ms = p99?;
    Some(run)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "Running 10s test @ http://127.0.0.1:18080/api/health
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   255.32us  100.21us   5.22ms   90.12%
    Req/Sec    60.12k     2.11k   65.00k    80.00%
  Latency Distribution
     50%  240.00us
     75%  280.00us
     90%  320.00us
     99%    1.60ms
  601234 requests in 10.00s, 100.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 12
Requests/sec:  60123.40
Transfer/sec:     10.00MB
";

    #[test]
    fn reads_rate_percentiles_and_errors() {
        let r = parse(SAMPLE).unwrap();
        assert_eq!(r.rps, 60123.40);
        assert!((r.p50_ms - 0.24).abs() < 1e-9);
        assert!((r.p99_ms - 1.6).abs() < 1e-9);
        assert_eq!(r.requests, 601_234);
        assert_eq!(r.errors, 17);
        let r = r.with_cpu("1202 300 100 1.5\n");
        assert!((r.server_cpu_us.unwrap() - 20.0).abs() < 0.01);
        assert!((r.pg_cpu_us.unwrap() - 4.99).abs() < 0.01);
        assert_eq!(r.load, Some(1.5));
    }

    #[test]
    fn units_and_incomplete_reports() {
        assert_eq!(duration_ms("2.00s"), Some(2000.0));
        assert_eq!(duration_ms("1.00m"), Some(60_000.0));
        assert_eq!(duration_ms("12"), None);
        assert!(parse("Requests/sec: 10").is_none());
    }
}
