//! Settings, layered: built-in defaults, then `lintel.toml`, then `LINTEL_*` environment variables
//! (nested keys with `__`: `LINTEL_RATE_LIMITS__GENERAL=200`), then command-line flags.
//!
//! Secrets (`database_url`, `redis_url`) are held in [`Secret`], whose `Debug` is redacted, so
//! they cannot end up in a log line by accident.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use figment::providers::{Env, Format, Toml};
use figment::Figment;
use lintel_api::config::{ApiConfig, RateLimits};
use lintel_api::server::ServerLimits;
use lintel_store::ConnectOptions;
use serde::{Deserialize, Deserializer};

mod storage;
mod stripe;
pub use storage::Storage;
pub use stripe::Stripe;

/// The configuration file read when `--config` is not given (if it exists).
pub const DEFAULT_CONFIG_FILE: &str = "lintel.toml";

/// Every top-level key. `LINTEL_*` variables that name none of them (such as
/// `LINTEL_CONFIG` or a test suite's own variables) are not configuration and are left alone.
pub const KEYS: &[&str] = &[
    "bind",
    "data_dir",
    "database_url",
    "log_format",
    "log_level",
    "body_limit",
    "cors_origins",
    "secure_cookies",
    "session_ttl_secs",
    "upgrade_url",
    "redis_url",
    "rate_limits",
    "server",
    "max_connections",
    "acquire_timeout_secs",
    "trusted_proxies",
    "public_url",
    "metrics_bind",
    "metrics_token",
    "storage",
    "stripe",
];

/// A credential-bearing setting. Never printed: `Debug` and `Display` show `[redacted]`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Readable lines for a terminal.
    #[default]
    Human,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Everything `lintel` can be configured with; see `lintel.example.toml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub bind: String,
    pub data_dir: PathBuf,
    pub database_url: Option<Secret>,
    pub log_format: LogFormat,
    pub log_level: String,
    pub body_limit: usize,
    #[serde(deserialize_with = "string_or_list")]
    pub cors_origins: Vec<String>,
    pub secure_cookies: bool,
    pub session_ttl_secs: i64,
    pub upgrade_url: String,
    pub redis_url: Option<Secret>,
    pub rate_limits: RateLimits,
    /// Client connections: timeouts and the cap (`[server]`).
    pub server: ServerLimits,
    /// Database pool size.
    pub max_connections: u32,
    pub acquire_timeout_secs: u64,
    /// Reverse proxies (CIDR blocks or addresses) whose `Forwarded` / `X-Forwarded-For` are
    /// believed; see `lintel_api::client_ip`.
    #[serde(deserialize_with = "string_or_list")]
    pub trusted_proxies: Vec<String>,
    /// The address people reach Lintel at, for links (invitations).
    pub public_url: Option<String>,
    /// A separate address serving `/metrics` (e.g. `127.0.0.1:9090`); the API port then has none.
    pub metrics_bind: Option<String>,
    /// A bearer token `/metrics` requires; alone, it serves `/metrics` on the API port.
    pub metrics_token: Option<Secret>,
    /// Document storage (`[storage]`).
    pub storage: Storage,
    /// Stripe (`[stripe]`).
    pub stripe: Stripe,
}

impl Default for Config {
    fn default() -> Self {
        let api = ApiConfig::default();
        let db = ConnectOptions::default();
        Config {
            bind: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./lintel-data"),
            database_url: None,
            log_format: LogFormat::Human,
            log_level: "info".into(),
            body_limit: api.body_limit,
            cors_origins: api.cors_origins,
            secure_cookies: api.secure_cookies,
            session_ttl_secs: api.session_ttl_secs,
            upgrade_url: api.upgrade_url,
            redis_url: None,
            rate_limits: api.rate_limits,
            server: api.server,
            max_connections: db.max_connections,
            acquire_timeout_secs: db.acquire_timeout.as_secs(),
            trusted_proxies: Vec::new(),
            public_url: None,
            metrics_bind: None,
            metrics_token: None,
            storage: Storage::default(),
            stripe: Stripe::default(),
        }
    }
}

/// Accepts `["a", "b"]` or a comma-separated string (handy in an environment variable).
pub(crate) fn string_or_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        One(String),
        Many(Vec<String>),
    }
    let list = match Raw::deserialize(d)? {
        Raw::One(s) => s.split(',').map(str::to_string).collect(),
        Raw::Many(v) => v,
    };
    Ok(list
        .into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect())
}

/// Which database the configuration names, without its credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    Sqlite,
    Postgres,
}

impl Config {
    /// Loads the layers. `file` is `--config`; without it `lintel.toml` is read if present.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
        Self::figment(file)?
            .extract()
            .map_err(|e| anyhow::anyhow!(describe(e)))
            .and_then(|c: Config| c.checked())
    }

    /// The layered providers, before extraction (tests add their own on top).
    pub fn figment(file: Option<&Path>) -> anyhow::Result<Figment> {
        let mut fig = Figment::new();
        match file {
            Some(path) => {
                if !path.is_file() {
                    bail!("configuration file {} does not exist", path.display());
                }
                fig = fig.merge(Toml::file_exact(path));
            }
            None => {
                if Path::new(DEFAULT_CONFIG_FILE).is_file() {
                    fig = fig.merge(Toml::file_exact(DEFAULT_CONFIG_FILE));
                }
            }
        }
        Ok(fig.merge(env_provider()))
    }

    fn checked(self) -> anyhow::Result<Config> {
        if self.bind.trim().is_empty() {
            bail!("configuration key `bind` must not be empty");
        }
        if self.body_limit == 0 {
            bail!("configuration key `body_limit` must be at least 1 byte");
        }
        if self.session_ttl_secs <= 0 {
            bail!("configuration key `session_ttl_secs` must be positive");
        }
        if self.max_connections == 0 {
            bail!("configuration key `max_connections` must be at least 1");
        }
        if let Some(key) = self.server.invalid_key() {
            bail!("configuration key `server.{key}` must be at least 1");
        }
        if let Some(url) = &self.database_url {
            db_kind(url.expose()).context("configuration key `database_url`")?;
        }
        if self
            .metrics_bind
            .as_deref()
            .is_some_and(|b| b.trim().is_empty())
        {
            bail!("configuration key `metrics_bind` must not be empty (leave it out instead)");
        }
        if let Some(t) = &self.metrics_token {
            if t.expose().trim().len() < 16 {
                bail!("configuration key `metrics_token` must be at least 16 characters");
            }
        }
        self.storage.check()?;
        lintel_api::client_ip::parse_trusted(&self.trusted_proxies)
            .map_err(|e| anyhow::anyhow!("configuration key `trusted_proxies`: {e}"))?;
        if let Some(url) = &self.public_url {
            let ok = (url.starts_with("https://") || url.starts_with("http://"))
                && url.len() > "https://".len()
                && !url.contains(char::is_whitespace);
            if !ok {
                bail!("configuration key `public_url` must be an http(s) address, e.g. https://lintel.example.com");
            }
        }
        Ok(self)
    }

    /// The database to connect to: `database_url`, or `lintel.db` inside `data_dir`.
    pub fn database_url(&self) -> Secret {
        match &self.database_url {
            Some(url) => url.clone(),
            None => {
                let path = self.data_dir.join("lintel.db");
                Secret(format!("sqlite://{}?mode=rwc", path.display()))
            }
        }
    }

    /// The backend `database_url` names (safe to log).
    pub fn db_kind(&self) -> DbKind {
        db_kind(self.database_url().expose()).unwrap_or(DbKind::Sqlite)
    }

    pub fn connect_options(&self) -> ConnectOptions {
        ConnectOptions {
            max_connections: self.max_connections,
            acquire_timeout: Duration::from_secs(self.acquire_timeout_secs.max(1)),
        }
    }

    pub fn api_config(&self) -> ApiConfig {
        ApiConfig {
            body_limit: self.body_limit,
            cors_origins: self.cors_origins.clone(),
            secure_cookies: self.secure_cookies,
            session_ttl_secs: self.session_ttl_secs,
            rate_limits: self.rate_limits.clone(),
            server: self.server.clone(),
            redis_url: self.redis_url.as_ref().map(|s| s.expose().to_string()),
            upgrade_url: self.upgrade_url.clone(),
            trusted_proxies: lintel_api::client_ip::parse_trusted(&self.trusted_proxies)
                .unwrap_or_default(),
            public_url: self.public_url.clone(),
            metrics_on_api: self.metrics_bind.is_none() && self.metrics_token.is_some(),
            metrics_token: self.metrics_token.as_ref().map(|t| t.expose().to_string()),
            documents: lintel_api::config::DocumentsConfig {
                backend: self.storage.backend(&self.data_dir),
                link_key_file: Some(self.data_dir.join("keys").join("download-links.key")),
                signed_url_ttl_secs: self.storage.signed_url_ttl_secs,
                max_upload_bytes: self.storage.max_upload_bytes,
            },
            stripe: self.stripe.api_config(),
        }
    }
}

fn db_kind(url: &str) -> anyhow::Result<DbKind> {
    if url.starts_with("sqlite:") {
        Ok(DbKind::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(DbKind::Postgres)
    } else {
        let scheme = url.split(':').next().unwrap_or_default();
        bail!("unsupported database URL scheme `{scheme}:` (use sqlite:// or postgres://)")
    }
}

/// `LINTEL_*` variables that name a configuration key; `__` separates nested keys.
fn env_provider() -> Env {
    Env::prefixed("LINTEL_").split("__").filter(|key| {
        let top = key.as_str().split('.').next().unwrap_or_default();
        KEYS.iter().any(|k| k.eq_ignore_ascii_case(top))
    })
}

/// Figment's errors, one per line, each naming the key and where its value came from.
fn describe(err: figment::Error) -> String {
    // Figment names keys with their profile (`default.foo`); Lintel has no profiles.
    let lines: Vec<String> = err
        .into_iter()
        .map(|e| e.to_string().replace("for key \"default.", "for key \""))
        .collect();
    format!("invalid configuration: {}", lines.join("; "))
}

#[cfg(test)]
mod tests;
