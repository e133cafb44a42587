//! Settings the HTTP layer needs. The binary fills them from defaults, `lintel.toml` and the
//! `LINTEL_*` environment; tests build them directly.

use serde::{Deserialize, Serialize};

use crate::server::ServerLimits;

/// Requests allowed per minute in each rate-limit scope (seed table defaults).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimits {
    /// General API: per user (or API key), or per IP when unauthenticated.
    pub general: u32,
    /// Sign-in attempts (`POST /api/auth/login`, the `/login` form, accepting an invitation),
    /// per client IP, per minute.
    pub login: u32,
    /// Failed sign-ins per account (email) in a 15-minute window, whatever the IP; past it that
    /// account's sign-ins answer 429 until the window ends.
    pub login_account: u32,
    /// `POST /api/auth/register`, per IP.
    pub registration: u32,
    /// Per tenant user.
    pub tenant: u32,
    /// Per broker user.
    pub broker: u32,
    /// Per admin user.
    pub admin: u32,
    /// Set to false to turn rate limiting off (benchmarks, trusted networks).
    pub enabled: bool,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            general: 100,
            login: 5,
            login_account: 10,
            registration: 5,
            tenant: 30,
            broker: 60,
            admin: 120,
            enabled: true,
        }
    }
}

/// Stripe (decision 0018): the API key for Checkout Sessions, where its API is, the signing
/// secrets of webhook endpoints (several while one is rotated), and the prices of the plans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StripeConfig {
    pub secret_key: Option<String>,
    /// `https://api.stripe.com`, or a stand-in for tests.
    pub api_base: String,
    pub webhook_secrets: Vec<String>,
    /// The price ID of the PRO plan's subscription.
    pub price_pro: Option<String>,
    /// The price ID of the BUSINESS plan's subscription.
    pub price_business: Option<String>,
}

impl Default for StripeConfig {
    fn default() -> Self {
        StripeConfig {
            secret_key: None,
            api_base: "https://api.stripe.com".into(),
            webhook_secrets: Vec::new(),
            price_pro: None,
            price_business: None,
        }
    }
}

impl StripeConfig {
    /// Stripe's API with the configured secret key (`None` without one).
    pub fn client(&self) -> Option<lintel_app::stripe::Stripe> {
        Some(lintel_app::stripe::Stripe {
            secret_key: self.secret_key.clone()?,
            api_base: self.api_base.clone(),
        })
    }

    /// The plan a subscription to `price` buys.
    pub fn plan_of_price(&self, price: &str) -> Option<lintel_domain::Plan> {
        if self.price_business.as_deref() == Some(price) {
            Some(lintel_domain::Plan::Business)
        } else if self.price_pro.as_deref() == Some(price) {
            Some(lintel_domain::Plan::Pro)
        } else {
            None
        }
    }
}

/// Where document bytes go and how their download links behave (decision 0013).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentsConfig {
    pub backend: lintel_blobs::Backend,
    /// The file holding the key that signs local download links (made on first use); `None`:
    /// a random key per process.
    pub link_key_file: Option<std::path::PathBuf>,
    /// How long a download link works, in seconds.
    pub signed_url_ttl_secs: u64,
    /// Largest accepted upload, in bytes.
    pub max_upload_bytes: u64,
}

impl Default for DocumentsConfig {
    /// Files under the system's temporary directory: for tests and tools that build an
    /// [`ApiConfig`] by hand; `lintel serve` always sets the configured storage.
    fn default() -> Self {
        DocumentsConfig {
            backend: lintel_blobs::Backend::Local {
                dir: std::env::temp_dir().join("lintel-documents"),
            },
            link_key_file: None,
            signed_url_ttl_secs: 15 * 60,
            max_upload_bytes: 25 * 1024 * 1024,
        }
    }
}

/// The HTTP layer's configuration.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// Largest accepted request body in bytes (default 1 MiB).
    pub body_limit: usize,
    /// Origins allowed by CORS on the API (exact matches); `/api/docs` always allows `*`.
    pub cors_origins: Vec<String>,
    /// Mark session cookies `Secure` (set when served over TLS).
    pub secure_cookies: bool,
    /// Session lifetime in seconds (default 7 days).
    pub session_ttl_secs: i64,
    pub rate_limits: RateLimits,
    /// Connection and request-reading limits of the server.
    pub server: ServerLimits,
    /// `redis://…` to share rate-limit counters between processes; in-process when `None`.
    pub redis_url: Option<String>,
    /// Where plan errors send the user to upgrade.
    pub upgrade_url: String,
    /// Reverse proxies whose `Forwarded` / `X-Forwarded-For` headers are believed (see
    /// [`crate::client_ip`]); empty: the peer address is the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Serve `/metrics` on the API's port (only sensible with [`ApiConfig::metrics_token`]).
    pub metrics_on_api: bool,
    /// The bearer token `/metrics` requires, wherever it is served.
    pub metrics_token: Option<String>,
    /// The address people reach Lintel at (`https://lintel.example.com`), for links such as
    /// invitations; without it links are relative paths.
    pub public_url: Option<String>,
    pub documents: DocumentsConfig,
    pub stripe: StripeConfig,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            body_limit: 1024 * 1024,
            cors_origins: Vec::new(),
            secure_cookies: false,
            session_ttl_secs: 7 * 24 * 3600,
            rate_limits: RateLimits::default(),
            server: ServerLimits::default(),
            redis_url: None,
            upgrade_url: "/settings/billing".to_string(),
            trusted_proxies: Vec::new(),
            public_url: None,
            metrics_on_api: false,
            metrics_token: None,
            documents: DocumentsConfig::default(),
            stripe: StripeConfig::default(),
        }
    }
}
