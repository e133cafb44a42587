//! Rate limits: fixed one-minute windows per (scope, key), counted in-process or in Redis.
//!
//! Unauthenticated requests count against the general per-IP bucket; `POST /api/auth/login` and
//! `POST /api/auth/register` against their own per-IP buckets, charged before the handler runs;
//! authenticated callers against their user (or API key) bucket, in the scope of their role,
//! charged by the [`crate::auth::Auth`] extractor through [`charge_principal`].
//!
//! Every response carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`
//! (Unix time in milliseconds). With `enabled = false` nothing is counted and no rate-limit headers are sent. If
//! Redis fails at request time the request is allowed (fail open) without rate-limit headers.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{ConnectInfo, Request};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, HeaderName, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use lintel_domain::Role;
use redis::aio::ConnectionManager;

use crate::client_ip::ClientIp;
use crate::config::RateLimits;
use crate::error::ApiError;
use crate::AppState;

const WINDOW_MS: i64 = 60_000;
/// The window of the per-account failed sign-in limit.
const ACCOUNT_WINDOW_MS: i64 = 15 * 60_000;
/// The in-process table drops expired windows every this many calls.
const EVICT_EVERY: u64 = 1024;
const REDIS_TIMEOUT: Duration = Duration::from_millis(500);
/// After a Redis failure, requests skip Redis (and are allowed) for this long.
const REDIS_BACKOFF_MS: i64 = 5000;
const INCR_SCRIPT: &str = r"local n = redis.call('INCRBY', KEYS[1], ARGV[2])
if n == tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n";

/// A rate-limit bucket family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    General,
    Login,
    Registration,
    Tenant,
    Broker,
    Admin,
    /// Failed sign-ins per account (keyed by email), in 15-minute windows.
    LoginAccount,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        [
            "general",
            "login",
            "registration",
            "tenant",
            "broker",
            "admin",
            "login_account",
        ][self as usize]
    }

    /// The length of this scope's fixed window.
    pub fn window_ms(self) -> i64 {
        match self {
            Scope::LoginAccount => ACCOUNT_WINDOW_MS,
            _ => WINDOW_MS,
        }
    }

    /// The scope an authenticated caller is counted in.
    pub fn for_role(role: Role) -> Scope {
        match role {
            Role::Tenant => Scope::Tenant,
            Role::Broker => Scope::Broker,
            Role::Admin => Scope::Admin,
            Role::PropertyManager | Role::Landlord => Scope::General,
        }
    }
}

/// The outcome of charging one request to a bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Unix ms when the window resets.
    pub reset_ms: i64,
    /// Whole seconds until the window resets (at least 1).
    pub retry_after_secs: u64,
}

impl Decision {
    fn new(limit: u32, count: u64, window_start: i64, window_ms: i64, now_ms: i64) -> Decision {
        let reset_ms = window_start + window_ms;
        let left = u64::try_from(reset_ms - now_ms).unwrap_or(0);
        Decision {
            allowed: count <= u64::from(limit),
            limit,
            remaining: u32::try_from(u64::from(limit).saturating_sub(count)).unwrap_or(0),
            reset_ms,
            retry_after_secs: left.div_ceil(1000).max(1),
        }
    }

    /// Sets the three `X-RateLimit-*` headers.
    pub fn apply(&self, headers: &mut HeaderMap) {
        let set = [
            ("x-ratelimit-limit", i64::from(self.limit)),
            ("x-ratelimit-remaining", i64::from(self.remaining)),
            ("x-ratelimit-reset", self.reset_ms),
        ];
        for (name, value) in set {
            headers.insert(HeaderName::from_static(name), HeaderValue::from(value));
        }
    }

    fn error(&self) -> ApiError {
        let retry_after_secs = self.retry_after_secs;
        ApiError::RateLimited { retry_after_secs }
    }

    /// The 429 answer, with its headers.
    fn deny(&self) -> Response {
        let mut res = self.error().into_response();
        self.apply(res.headers_mut());
        res
    }
}

#[derive(Default)]
struct Memory {
    /// scope → key → (window start, count).
    windows: HashMap<Scope, HashMap<String, (i64, u64)>>,
    calls: u64,
}

enum Backend {
    Memory(Mutex<Memory>),
    /// The connection, the script and, after a failure, when to try Redis again (Unix ms).
    Redis(Box<(ConnectionManager, redis::Script, AtomicI64)>),
}

/// Counts requests per (scope, key) in fixed one-minute windows.
pub struct RateLimiter {
    limits: RateLimits,
    backend: Backend,
}

impl RateLimiter {
    /// In-process counters, or Redis ones when `redis_url` is set; fails when Redis is unreachable.
    pub async fn new(cfg: &RateLimits, redis_url: Option<&str>) -> anyhow::Result<RateLimiter> {
        let backend = match redis_url {
            None => Backend::Memory(Mutex::default()),
            Some(url) => {
                let script = redis::Script::new(INCR_SCRIPT);
                Backend::Redis(Box::new((connect(url).await?, script, AtomicI64::new(0))))
            }
        };
        let limits = cfg.clone();
        Ok(RateLimiter { limits, backend })
    }

    pub fn enabled(&self) -> bool {
        self.limits.enabled
    }

    pub fn limit(&self, scope: Scope) -> u32 {
        let l = &self.limits;
        [
            l.general,
            l.login,
            l.registration,
            l.tenant,
            l.broker,
            l.admin,
            l.login_account,
        ][scope as usize]
    }

    /// Charges one request to `(scope, key)` now. `None` when limiting is off or Redis failed.
    pub async fn check(&self, scope: Scope, key: &str) -> Option<Decision> {
        if !self.enabled() {
            return None;
        }
        let now = chrono::Utc::now().timestamp_millis();
        self.hit_at(scope, key, now).await
    }

    /// The bucket's state without charging it: `allowed` is whether one more request would
    /// pass. `None` when limiting is off or Redis failed.
    pub async fn peek(&self, scope: Scope, key: &str) -> Option<Decision> {
        if !self.enabled() {
            return None;
        }
        let now = chrono::Utc::now().timestamp_millis();
        self.count_at(scope, key, now, 0).await.map(|mut d| {
            d.allowed = d.remaining > 0;
            d
        })
    }

    async fn hit_at(&self, scope: Scope, key: &str, now_ms: i64) -> Option<Decision> {
        self.count_at(scope, key, now_ms, 1).await
    }

    /// Adds `add` (0 or 1) to the bucket's count in the current window and decides.
    async fn count_at(&self, scope: Scope, key: &str, now_ms: i64, add: u64) -> Option<Decision> {
        match &self.backend {
            Backend::Memory(m) => {
                let window = scope.window_ms();
                let start = now_ms - now_ms.rem_euclid(window);
                let count = m
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .add(scope, key, start, now_ms, add);
                let limit = self.limit(scope);
                Some(Decision::new(limit, count, start, window, now_ms))
            }
            // Boxed: the Redis call's future is large, and every request's future would carry
            // its size even when limits are counted in memory.
            Backend::Redis(redis) => {
                Box::pin(self.redis_count(redis, scope, key, now_ms, add)).await
            }
        }
    }

    async fn redis_count(
        &self,
        redis: &(ConnectionManager, redis::Script, AtomicI64),
        scope: Scope,
        key: &str,
        now_ms: i64,
        add: u64,
    ) -> Option<Decision> {
        let window = scope.window_ms();
        let start = now_ms - now_ms.rem_euclid(window);
        let (conn, script, retry_at) = redis;
        if now_ms < retry_at.load(Ordering::Relaxed) {
            return None; // Redis failed moments ago: fail open without waiting on it
        }
        let rkey = format!("lintel:rl:{}:{key}:{start}", scope.as_str());
        let ttl = start + window - now_ms + 1000;
        let mut conn = conn.clone();
        let mut call = script.key(rkey);
        let call = call.arg(ttl).arg(add).invoke_async::<u64>(&mut conn);
        let error = match tokio::time::timeout(REDIS_TIMEOUT, call).await {
            Ok(Ok(n)) => {
                let limit = self.limit(scope);
                return Some(Decision::new(limit, n, start, window, now_ms));
            }
            Ok(Err(e)) => e.to_string(),
            Err(_) => "timed out".to_string(),
        };
        retry_at.store(now_ms + REDIS_BACKOFF_MS, Ordering::Relaxed);
        tracing::warn!(%error, "rate limit: Redis failed; allowing requests for 5 s");
        None
    }
}

impl Memory {
    /// Adds `add` to the count of `key`'s window starting at `start`; returns the new count.
    /// A known key is found without allocating.
    fn add(&mut self, scope: Scope, key: &str, start: i64, now_ms: i64, add: u64) -> u64 {
        self.calls += 1;
        if self.calls.is_multiple_of(EVICT_EVERY) {
            for (scope, keys) in &mut self.windows {
                let window = scope.window_ms();
                keys.retain(|_, (s, _)| *s + window > now_ms);
            }
        }
        let keys = self.windows.entry(scope).or_default();
        let w = match keys.get_mut(key) {
            Some(w) => w,
            None => keys.entry(key.to_string()).or_insert((start, 0)),
        };
        if w.0 != start {
            *w = (start, 0);
        }
        w.1 += add;
        w.1
    }
}

async fn connect(url: &str) -> anyhow::Result<ConnectionManager> {
    use anyhow::Context;
    let client = redis::Client::open(url).context("invalid rate-limit Redis URL")?;
    let probe = async {
        let mut conn = client.get_multiplexed_async_connection().await?;
        redis::cmd("PING").query_async::<String>(&mut conn).await
    };
    let why = match tokio::time::timeout(Duration::from_secs(5), probe).await {
        Ok(Ok(_)) => None,
        Ok(Err(e)) => Some(e.to_string()),
        Err(_) => Some("timed out".to_string()),
    };
    if let Some(why) = why {
        anyhow::bail!("cannot reach the rate-limit Redis server: {why}");
    }
    // Reconnects back off 1 s, 2 s, 2 s; requests meanwhile fail open (see `hit_at`).
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_connection_timeout(Duration::from_secs(2))
        .set_response_timeout(REDIS_TIMEOUT)
        .set_factor(2)
        .set_max_delay(2000)
        .set_number_of_retries(3);
    let conn = ConnectionManager::new_with_config(client, config).await;
    conn.context("cannot reach the rate-limit Redis server")
}

/// What the request has been charged with so far.
#[derive(Clone, Copy)]
enum Charge {
    Nothing,
    /// Charged; `None` when limiting is off or failed open (no headers then).
    Done(Option<Decision>),
}

/// The per-request slot the extractor fills and the middleware reads.
#[derive(Clone)]
struct Slot(Arc<Mutex<Charge>>);

impl Slot {
    fn get(&self) -> Charge {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
    fn set(&self, c: Charge) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = c;
    }
}

/// The per-IP bucket key (what login, registration and anonymous calls count in): IPv6 grouped
/// by /64 (one host's block); "ip:unknown" without an address.
pub fn ip_key(ip: Option<IpAddr>) -> String {
    match ip.map(|ip| ip.to_canonical()) {
        Some(IpAddr::V4(v4)) => {
            // By hand: the formatter's `Display` for addresses costs more than the request's
            // whole rate-limit check.
            let mut key = String::with_capacity(18);
            key.push_str("ip:");
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    key.push('.');
                }
                if octet >= 100 {
                    key.push(char::from(b'0' + octet / 100));
                }
                if octet >= 10 {
                    key.push(char::from(b'0' + octet / 10 % 10));
                }
                key.push(char::from(b'0' + octet % 10));
            }
            key
        }
        Some(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("ip:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        None => "ip:unknown".into(),
    }
}

/// The bucket key of the request's client (see [`crate::client_ip`]).
fn request_ip_key(ext: &Extensions) -> String {
    match ext.get::<ClientIp>() {
        Some(ClientIp(ip)) => ip_key(*ip),
        None => ip_key(ext.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())),
    }
}

/// The bucket key of one account's failed sign-ins: the email as typed, trimmed and lower-cased
/// (whether or not an account has it, so the limit says nothing about which emails exist).
pub fn account_key(email: &str) -> String {
    format!("account:{}", email.trim().to_lowercase())
}

/// Lets a handler that charges its own bucket (the sign-in form, the per-account limit) say so,
/// so the answer carries that bucket's `X-RateLimit-*` headers and the general bucket is not
/// charged as well.
pub struct RateSlot(Option<Slot>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for RateSlot {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(RateSlot(parts.extensions.get::<Slot>().cloned()))
    }
}

impl RateSlot {
    /// Records `d` as the request's charge (its headers go on the answer).
    pub fn record(&self, d: Option<Decision>) {
        if let (Some(slot), Some(d)) = (&self.0, d) {
            slot.set(Charge::Done(Some(d)));
        }
    }
}

/// The request's limiting, begun by [`Gate::open`] before the request is routed and finished by
/// [`Gate::around`]: see the module documentation.
pub struct Gate {
    limiter: Arc<RateLimiter>,
    ip_key: String,
    slot: Slot,
    /// The per-IP bucket charged before the handler runs (sign-in, registration).
    before: Option<Scope>,
}

impl Gate {
    /// Puts the request's charge slot in its extensions; `None` when limiting is off.
    pub fn open(state: &AppState, req: &mut Request) -> Option<Gate> {
        if !state.limiter.enabled() {
            return None;
        }
        let ip_key = request_ip_key(req.extensions());
        let slot = Slot(Arc::new(Mutex::new(Charge::Nothing)));
        req.extensions_mut().insert(slot.clone());
        let before = match (req.method() == Method::POST, req.uri().path()) {
            (true, "/api/auth/login" | "/api/auth/accept-invite") => Some(Scope::Login),
            (true, "/api/auth/register") => Some(Scope::Registration),
            _ => None,
        };
        Some(Gate {
            limiter: state.limiter.clone(),
            ip_key,
            slot,
            before,
        })
    }

    /// Runs `handler` (the request's routed future) unless a bucket charged before it is over
    /// its limit, then charges the general per-IP bucket if nobody else was charged, and puts
    /// the charged bucket's `X-RateLimit-*` headers on the answer.
    pub async fn around(self, handler: impl Future<Output = Response>) -> Response {
        let Gate {
            limiter,
            ip_key,
            slot,
            before,
        } = self;
        if let Some(scope) = before {
            let d = limiter.check(scope, &ip_key).await;
            if let Some(d) = d.filter(|d| !d.allowed) {
                return d.deny();
            }
            slot.set(Charge::Done(d));
        }
        let mut res = handler.await;
        let decision = match slot.get() {
            Charge::Done(d) => d,
            Charge::Nothing => {
                // Nobody authenticated: count it against the IP (these routes have no side effects).
                let d = limiter.check(Scope::General, &ip_key).await;
                if let Some(d) = d.filter(|d| !d.allowed) {
                    return d.deny();
                }
                d
            }
        };
        if let Some(d) = decision {
            d.apply(res.headers_mut());
        }
        res
    }
}

/// Charges an authenticated caller's bucket — `key` in the scope of their `role` — once per
/// request; 429 when over the limit.
pub async fn charge_caller(
    parts: &Parts,
    state: &AppState,
    role: Role,
    key: &str,
) -> Result<(), ApiError> {
    let slot = parts.extensions.get::<Slot>();
    let decision = match slot.map(Slot::get) {
        Some(Charge::Done(d)) => d,
        _ => {
            let d = state.limiter.check(Scope::for_role(role), key).await;
            if let Some(slot) = slot {
                slot.set(Charge::Done(d));
            }
            d
        }
    };
    match decision {
        Some(d) if !d.allowed => Err(d.error()),
        _ => Ok(()),
    }
}

#[cfg(test)]
pub(crate) mod tests;
