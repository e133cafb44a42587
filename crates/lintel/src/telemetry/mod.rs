//! Structured logs on standard error: readable by default, JSON with `log_format = "json"`.
//! The readable format is coloured on a terminal and written by [`lean`] everywhere else.
//!
//! Standard output is kept for what commands print (IDs, keys, the OpenAPI document), so it stays
//! machine-readable whatever the log level.

use std::io::IsTerminal;

use tracing_subscriber::filter::EnvFilter;
use tracing_subscriber::prelude::*;

use crate::config::{Config, LogFormat};

mod lean;

/// The crates whose logs `log_level` sets; everything else logs warnings and errors only.
const OUR_CRATES: &[&str] = &[
    "lintel",
    "lintel_api",
    "lintel_store",
    "lintel_domain",
    "lintel_jobs",
];

/// The filter directives: `RUST_LOG` when set, else `log_level` applied to Lintel's crates.
/// A `log_level` that is already a directive list (`info,sqlx=debug`) is used as it is.
pub fn directives(log_level: &str, rust_log: Option<&str>) -> String {
    if let Some(r) = rust_log.map(str::trim).filter(|r| !r.is_empty()) {
        return r.to_string();
    }
    let level = log_level.trim();
    if level.contains('=') || level.contains(',') {
        return level.to_string();
    }
    let level = if level.is_empty() { "info" } else { level };
    let mut parts = vec!["warn".to_string()];
    parts.extend(OUR_CRATES.iter().map(|c| format!("{c}={level}")));
    parts.join(",")
}

/// Installs the global subscriber. Fails on a `log_level` that is not a valid filter.
pub fn init(config: &Config) -> anyhow::Result<()> {
    let rust_log = std::env::var("RUST_LOG").ok();
    let spec = directives(&config.log_level, rust_log.as_deref());
    let filter = EnvFilter::try_new(&spec)
        .map_err(|e| anyhow::anyhow!("invalid log filter `{spec}` (log_level / RUST_LOG): {e}"))?;
    let registry = tracing_subscriber::registry().with(filter);
    match config.log_format {
        LogFormat::Human if std::io::stderr().is_terminal() => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(std::io::stderr)
                    .with_ansi(true),
            )
            .try_init()?,
        LogFormat::Human => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(std::io::stderr)
                    .with_ansi(false)
                    .event_format(lean::Lean)
                    .fmt_fields(lean::LeanFields),
            )
            .try_init()?,
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_span_list(false)
                    .with_writer(std::io::stderr),
            )
            .try_init()?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::directives;

    #[test]
    fn rust_log_wins_then_log_level_for_our_crates() {
        assert_eq!(directives("debug", Some("sqlx=trace")), "sqlx=trace");
        let d = directives("debug", None);
        assert!(d.starts_with("warn,lintel=debug,lintel_api=debug"), "{d}");
        assert_eq!(
            directives("info,tower_http=debug", Some("  ")),
            "info,tower_http=debug"
        );
        assert!(directives("", None).contains("lintel_store=info"));
    }
}
