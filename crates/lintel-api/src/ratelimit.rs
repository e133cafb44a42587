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
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use lintel_domain::Role;
use redis::aio::ConnectionManager;

use crate::auth::{Principal, Via};
use crate::config::RateLimits;
use crate::error::ApiError;
use crate::AppState;

const WINDOW_MS: i64 = 60_000;
/// The in-process table drops expired windows every this many calls.
const EVICT_EVERY: u64 = 1024;
const REDIS_TIMEOUT: Duration = Duration::from_millis(500);
/// After a Redis failure, requests skip Redis (and are allowed) for this long.
const REDIS_BACKOFF_MS: i64 = 5000;
const INCR_SCRIPT: &str = r"local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
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
        ][self as usize]
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
    fn new(limit: u32, count: u64, window_start: i64, now_ms: i64) -> Decision {
        let reset_ms = window_start + WINDOW_MS;
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
    /// (scope, key) → (window start, count).
    windows: HashMap<(Scope, String), (i64, u64)>,
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

    async fn hit_at(&self, scope: Scope, key: &str, now_ms: i64) -> Option<Decision> {
        let start = now_ms - now_ms.rem_euclid(WINDOW_MS);
        let count = match &self.backend {
            Backend::Memory(m) => {
                let mut m = m.lock().unwrap_or_else(|e| e.into_inner());
                m.calls += 1;
                if m.calls % EVICT_EVERY == 0 {
                    m.windows.retain(|_, (s, _)| *s >= start);
                }
                let entry = m.windows.entry((scope, key.to_string()));
                let w = entry.or_insert((start, 0));
                if w.0 != start {
                    *w = (start, 0);
                }
                w.1 += 1;
                w.1
            }
            Backend::Redis(redis) => {
                let (conn, script, retry_at) = &**redis;
                if now_ms < retry_at.load(Ordering::Relaxed) {
                    return None; // Redis failed moments ago: fail open without waiting on it
                }
                let rkey = format!("lintel:rl:{}:{key}:{start}", scope.as_str());
                let ttl = start + WINDOW_MS - now_ms + 1000;
                let mut conn = conn.clone();
                let mut call = script.key(rkey);
                let call = call.arg(ttl).invoke_async::<u64>(&mut conn);
                let error = match tokio::time::timeout(REDIS_TIMEOUT, call).await {
                    Ok(Ok(n)) => return Some(Decision::new(self.limit(scope), n, start, now_ms)),
                    Ok(Err(e)) => e.to_string(),
                    Err(_) => "timed out".to_string(),
                };
                retry_at.store(now_ms + REDIS_BACKOFF_MS, Ordering::Relaxed);
                tracing::warn!(%error, "rate limit: Redis failed; allowing requests for 5 s");
                return None;
            }
        };
        Some(Decision::new(self.limit(scope), count, start, now_ms))
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
        Some(IpAddr::V4(v4)) => format!("ip:{v4}"),
        Some(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("ip:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        None => "ip:unknown".into(),
    }
}

fn request_ip_key(ext: &Extensions) -> String {
    ip_key(ext.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()))
}

/// The middleware: see the module documentation.
pub async fn layer(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let limiter = state.limiter.clone();
    if !limiter.enabled() {
        return next.run(req).await;
    }
    let ip_key = request_ip_key(req.extensions());
    let slot = Slot(Arc::new(Mutex::new(Charge::Nothing)));
    req.extensions_mut().insert(slot.clone());
    let before = match (req.method() == Method::POST, req.uri().path()) {
        (true, "/api/auth/login") => Some(Scope::Login),
        (true, "/api/auth/register") => Some(Scope::Registration),
        _ => None,
    };
    if let Some(scope) = before {
        let d = limiter.check(scope, &ip_key).await;
        if let Some(d) = d.filter(|d| !d.allowed) {
            return d.deny();
        }
        slot.set(Charge::Done(d));
    }
    let mut res = next.run(req).await;
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

/// Charges an authenticated caller's bucket (once per request); 429 when over the limit.
pub async fn charge_principal(
    parts: &Parts,
    state: &AppState,
    p: &Principal,
) -> Result<(), ApiError> {
    let slot = parts.extensions.get::<Slot>();
    let decision = match slot.map(Slot::get) {
        Some(Charge::Done(d)) => d,
        _ => {
            let key = match (p.via, p.user) {
                (Via::ApiKey(k), _) => format!("key:{k}"),
                (Via::Session(_), Some(u)) => format!("user:{u}"),
                (Via::Session(s), None) => format!("session:{s}"),
            };
            let d = state.limiter.check(Scope::for_role(p.role), &key).await;
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
pub(crate) mod tests {
    use super::*;
    use axum::{body::Body, http::StatusCode, routing, Router};
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use tower::ServiceExt;

    const NOW: i64 = 1_700_000_012_345; // 12.345 s into the window starting at ..._000_000

    async fn limiter(general: u32, url: Option<&str>) -> RateLimiter {
        let mut l = RateLimits::default();
        (l.general, l.login) = (general, 2);
        RateLimiter::new(&l, url).await.unwrap()
    }

    async fn hit(rl: &RateLimiter, scope: Scope, key: &str, now: i64) -> Decision {
        rl.hit_at(scope, key, now).await.unwrap()
    }

    #[tokio::test]
    async fn allows_exactly_the_limit_then_denies() {
        let rl = limiter(3, None).await;
        for i in 1..=3u32 {
            let d = hit(&rl, Scope::General, "ip:a", NOW).await;
            assert!(d.allowed, "request {i} should pass");
            let expected = (3, 3 - i, 1_700_000_040_000);
            assert_eq!((d.limit, d.remaining, d.reset_ms), expected);
        }
        let d = hit(&rl, Scope::General, "ip:a", NOW).await;
        assert!(!d.allowed);
        // 27.655 s left, rounded up.
        assert_eq!((d.remaining, d.retry_after_secs), (0, 28));
        let next = hit(&rl, Scope::General, "ip:a", 1_700_000_040_000).await;
        assert!(next.allowed, "a new window starts afresh");
        assert_eq!((next.remaining, next.reset_ms), (2, 1_700_000_100_000));
    }

    #[tokio::test]
    async fn keys_and_scopes_are_independent_and_windows_evicted() {
        let rl = limiter(1, None).await;
        assert!(hit(&rl, Scope::General, "ip:a", NOW).await.allowed);
        assert!(!hit(&rl, Scope::General, "ip:a", NOW).await.allowed);
        assert!(hit(&rl, Scope::General, "ip:b", NOW).await.allowed);
        let login = hit(&rl, Scope::Login, "ip:a", NOW).await;
        assert_eq!((login.allowed, login.limit, login.remaining), (true, 2, 1));
        assert_eq!(hit(&rl, Scope::Admin, "user:x", NOW).await.limit, 120);
        assert_eq!(Scope::for_role(Role::Landlord), Scope::General);
        assert_eq!(Scope::for_role(Role::Broker).as_str(), "broker");
        let rl = limiter(1, None).await;
        for i in 1..EVICT_EVERY {
            hit(&rl, Scope::General, &format!("ip:{i}"), NOW).await;
        }
        hit(&rl, Scope::General, "ip:new", NOW + WINDOW_MS).await;
        let Backend::Memory(m) = &rl.backend else {
            unreachable!()
        };
        let live = m.lock().unwrap().windows.len();
        assert_eq!(live, 1, "only the live window is kept");
        let off = RateLimits {
            enabled: false,
            ..Default::default()
        };
        let off = RateLimiter::new(&off, None).await.unwrap();
        assert_eq!(off.check(Scope::General, "ip:a").await, None);
    }

    async fn send(app: &Router, method: Method, path: &str) -> (StatusCode, HeaderMap, String) {
        let req = Request::builder().method(method).uri(path);
        let res = app
            .clone()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let (parts, body) = res.into_parts();
        let body = axum::body::to_bytes(body, 1 << 16).await.unwrap();
        let body = String::from_utf8_lossy(&body).into_owned();
        (parts.status, parts.headers, body)
    }

    fn hdr<'a>(h: &'a HeaderMap, name: &str) -> &'a str {
        h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    async fn tenant(State(st): State<AppState>, parts: Parts) -> Result<(), ApiError> {
        let p = Principal {
            org: lintel_domain::OrgId::new(),
            role: Role::Tenant,
            plan: lintel_domain::Plan::Business,
            user: Some(lintel_domain::UserId::new()),
            via: Via::Session(lintel_domain::SessionId::new()),
            request_id: None,
        };
        charge_principal(&parts, &st, &p).await
    }

    /// An application state on an in-memory database (unmigrated: for routes that don't use it).
    pub(crate) async fn state(limits: RateLimits) -> AppState {
        let opts = lintel_store::ConnectOptions::default();
        let store = lintel_store::Store::connect("sqlite::memory:", &opts).await;
        let config = crate::ApiConfig {
            rate_limits: limits,
            ..Default::default()
        };
        AppState::new(store.unwrap(), config).await.unwrap()
    }

    #[tokio::test]
    async fn layer_limits_login_before_public_after_and_principals_by_role() {
        let mut l = RateLimits::default();
        (l.general, l.login, l.tenant) = (2, 1, 1);
        let state = state(l).await;
        let hits = Arc::new(AtomicUsize::new(0));
        let h = hits.clone();
        let login = move || async move {
            h.fetch_add(1, SeqCst);
            "in"
        };
        let app = Router::new()
            .route("/api/auth/login", routing::post(login))
            .route("/api/health", routing::get(|| async { "ok" }))
            .route("/api/me", routing::get(tenant))
            .layer(axum::middleware::from_fn_with_state(state.clone(), layer))
            .with_state(state);

        let (status, h, _) = send(&app, Method::POST, "/api/auth/login").await;
        assert_eq!(status, StatusCode::OK);
        let pair = (
            hdr(&h, "x-ratelimit-limit"),
            hdr(&h, "x-ratelimit-remaining"),
        );
        assert_eq!(pair, ("1", "0"));
        let (status, h, body) = send(&app, Method::POST, "/api/auth/login").await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert!(body.contains("RATE_LIMITED") && !hdr(&h, "retry-after").is_empty());
        assert!(hdr(&h, "x-ratelimit-reset").parse::<i64>().unwrap() > NOW);
        assert_eq!(hits.load(SeqCst), 1, "the handler does not run when over");

        // The principal's own bucket (a new user each time), not the IP's.
        let (status, h, _) = send(&app, Method::GET, "/api/me").await;
        assert_eq!(
            (status, hdr(&h, "x-ratelimit-limit")),
            (StatusCode::OK, "1")
        );
        for remaining in ["1", "0"] {
            let (status, h, _) = send(&app, Method::GET, "/api/health").await;
            let got = (status, hdr(&h, "x-ratelimit-remaining"));
            assert_eq!(got, (StatusCode::OK, remaining));
        }
        let (status, h, body) = send(&app, Method::GET, "/api/health").await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(hdr(&h, "x-ratelimit-limit"), "2");
        assert!(body.contains("RATE_LIMITED"), "{body}");
    }

    #[tokio::test]
    async fn redis_unreachable_fails_at_start_and_counts_are_shared() {
        let bad = RateLimiter::new(&RateLimits::default(), Some("redis://127.0.0.1:1/")).await;
        let err = bad.err().unwrap().to_string();
        assert!(err.contains("rate-limit Redis"), "{err}");
        let Ok(url) = std::env::var("LINTEL_TEST_REDIS_URL") else {
            eprintln!("skipping the shared Redis rate-limit test: LINTEL_TEST_REDIS_URL is unset");
            return;
        };
        let a = limiter(3, Some(&url)).await;
        let b = limiter(3, Some(&url)).await;
        let key = format!("test:{:x}", rand::random::<u64>());
        let now = chrono::Utc::now().timestamp_millis();
        assert_eq!(hit(&a, Scope::General, &key, now).await.remaining, 2);
        assert_eq!(hit(&b, Scope::General, &key, now).await.remaining, 1);
        assert!(hit(&a, Scope::General, &key, now).await.allowed);
        let d = hit(&b, Scope::General, &key, now).await;
        assert!(
            !d.allowed,
            "the fourth request in the window is over the shared limit"
        );
        assert_eq!(d.reset_ms, now - now.rem_euclid(WINDOW_MS) + WINDOW_MS);
        assert!(
            hit(&b, Scope::Login, &key, now).await.allowed,
            "scopes are separate"
        );
    }
}
