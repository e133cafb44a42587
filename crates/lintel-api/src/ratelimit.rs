//! Rate limits: fixed one-minute windows per (scope, key), counted in-process or in Redis.
//!
//! Unauthenticated requests count against the general per-IP bucket; `POST /api/auth/login` and
//! `POST /api/auth/register` against their own per-IP buckets, charged before the handler runs;
//! authenticated callers against their user (or API key) bucket, in the scope of their role,
//! charged by the [`crate::auth::Auth`] extractor through [`charge_principal`].
//!
//! Every response carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`
//! (Unix ms). With `enabled = false` nothing is counted and no rate-limit headers are sent. If
//! Redis fails at request time the request is allowed (fail open) without rate-limit headers.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
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
        ["general", "login", "registration", "tenant", "broker", "admin"][self as usize]
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
        ApiError::RateLimited { retry_after_secs: self.retry_after_secs }
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
    Redis(ConnectionManager, redis::Script),
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
            Some(url) => Backend::Redis(connect(url).await?, redis::Script::new(INCR_SCRIPT)),
        };
        Ok(RateLimiter { limits: cfg.clone(), backend })
    }

    pub fn enabled(&self) -> bool {
        self.limits.enabled
    }

    pub fn limit(&self, scope: Scope) -> u32 {
        let l = &self.limits;
        [l.general, l.login, l.registration, l.tenant, l.broker, l.admin][scope as usize]
    }

    /// Charges one request to `(scope, key)` now. `None` when limiting is off or Redis failed.
    pub async fn check(&self, scope: Scope, key: &str) -> Option<Decision> {
        if !self.enabled() {
            return None;
        }
        self.hit_at(scope, key, chrono::Utc::now().timestamp_millis()).await
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
                let w = m.windows.entry((scope, key.to_string())).or_insert((start, 0));
                if w.0 != start {
                    *w = (start, 0);
                }
                w.1 += 1;
                w.1
            }
            Backend::Redis(conn, script) => {
                let rkey = format!("lintel:rl:{}:{key}:{start}", scope.as_str());
                let ttl = start + WINDOW_MS - now_ms + 1000;
                let mut conn = conn.clone();
                let mut call = script.key(rkey);
                let call = call.arg(ttl).invoke_async::<u64>(&mut conn);
                match tokio::time::timeout(REDIS_TIMEOUT, call).await {
                    Ok(Ok(n)) => n,
                    Ok(Err(e)) => {
                        tracing::warn!(error = %e, "rate limit: Redis failed, allowing the request");
                        return None;
                    }
                    Err(_) => {
                        tracing::warn!("rate limit: Redis timed out, allowing the request");
                        return None;
                    }
                }
            }
        };
        Some(Decision::new(self.limit(scope), count, start, now_ms))
    }
}

async fn connect(url: &str) -> anyhow::Result<ConnectionManager> {
    use anyhow::Context;
    let client = redis::Client::open(url).context("invalid rate-limit Redis URL")?;
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_connection_timeout(Duration::from_secs(3))
        .set_response_timeout(REDIS_TIMEOUT)
        .set_number_of_retries(2);
    let fut = async {
        let mut conn = ConnectionManager::new_with_config(client, config).await?;
        redis::cmd("PING").query_async::<String>(&mut conn).await?;
        Ok::<_, redis::RedisError>(conn)
    };
    match tokio::time::timeout(Duration::from_secs(5), fut).await {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(e)) => Err(anyhow::anyhow!("cannot reach the rate-limit Redis server: {e}")),
        Err(_) => Err(anyhow::anyhow!("cannot reach the rate-limit Redis server: timed out")),
    }
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

/// The caller's address, IPv6 grouped by /64 (one host's block); "unknown" without connect info.
fn client_ip(ext: &Extensions) -> String {
    match ext.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_canonical()) {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        None => "unknown".into(),
    }
}

/// The middleware: see the module documentation.
pub async fn layer(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let limiter = state.limiter.clone();
    if !limiter.enabled() {
        return next.run(req).await;
    }
    let ip_key = format!("ip:{}", client_ip(req.extensions()));
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
pub async fn charge_principal(parts: &Parts, state: &AppState, p: &Principal) -> Result<(), ApiError> {
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
mod tests {
    use super::*;
    use axum::{body::Body, http::StatusCode, routing::get, Router};
    use tower::ServiceExt;

    fn limits(general: u32) -> RateLimits {
        RateLimits { general, login: 2, ..RateLimits::default() }
    }

    async fn memory(l: RateLimits) -> RateLimiter {
        RateLimiter::new(&l, None).await.unwrap()
    }

    #[tokio::test]
    async fn allows_exactly_the_limit_then_denies() {
        let rl = memory(limits(3)).await;
        let now = 1_700_000_012_345; // 12.345 s into the window starting at ..._000_000
        for i in 1..=3u32 {
            let d = rl.hit_at(Scope::General, "ip:a", now).await.unwrap();
            assert!(d.allowed, "request {i} should pass");
            assert_eq!((d.limit, d.remaining, d.reset_ms), (3, 3 - i, 1_700_000_040_000));
        }
        let d = rl.hit_at(Scope::General, "ip:a", now).await.unwrap();
        assert!(!d.allowed);
        assert_eq!((d.remaining, d.retry_after_secs), (0, 28)); // 27.655 s left, rounded up
        let next = rl.hit_at(Scope::General, "ip:a", 1_700_000_040_000).await.unwrap();
        assert!(next.allowed, "a new window starts afresh");
        assert_eq!((next.remaining, next.reset_ms), (2, 1_700_000_100_000));
    }

    #[tokio::test]
    async fn keys_and_scopes_are_independent_and_windows_evicted() {
        let rl = memory(limits(1)).await;
        let now = 1_700_000_000_000;
        assert!(rl.hit_at(Scope::General, "ip:a", now).await.unwrap().allowed);
        assert!(!rl.hit_at(Scope::General, "ip:a", now).await.unwrap().allowed);
        assert!(rl.hit_at(Scope::General, "ip:b", now).await.unwrap().allowed);
        let login = rl.hit_at(Scope::Login, "ip:a", now).await.unwrap();
        assert_eq!((login.allowed, login.limit, login.remaining), (true, 2, 1));
        assert_eq!(rl.hit_at(Scope::Admin, "user:x", now).await.unwrap().limit, 120);
        assert_eq!(Scope::for_role(Role::Landlord), Scope::General);
        assert_eq!(Scope::for_role(Role::Broker).as_str(), "broker");
        for i in 4..EVICT_EVERY {
            rl.hit_at(Scope::General, &format!("ip:{i}"), now).await;
        }
        rl.hit_at(Scope::General, "ip:new", now + WINDOW_MS).await;
        let Backend::Memory(m) = &rl.backend else { unreachable!() };
        assert_eq!(m.lock().unwrap().windows.len(), 1, "only the live window is kept");
        let off = memory(RateLimits { enabled: false, ..limits(1) }).await;
        assert_eq!(off.check(Scope::General, "ip:a").await, None);
    }

    async fn send(app: &Router, method: Method, path: &str) -> Response {
        let req = Request::builder().method(method).uri(path).body(Body::empty()).unwrap();
        app.clone().oneshot(req).await.unwrap()
    }

    fn hdr<'a>(res: &'a Response, name: &str) -> &'a str {
        res.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    #[tokio::test]
    async fn layer_limits_login_before_public_after_and_principals_by_role() {
        let l = RateLimits { general: 2, login: 1, tenant: 1, ..RateLimits::default() };
        let opts = lintel_store::ConnectOptions::default();
        let state = AppState {
            store: lintel_store::Store::connect("sqlite::memory:", &opts).await.unwrap(),
            config: Arc::new(crate::ApiConfig { rate_limits: l.clone(), ..Default::default() }),
            limiter: Arc::new(memory(l).await),
            metrics: Arc::new(crate::metrics::Metrics::new()),
        };
        let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let h = hits.clone();
        let login = move || async move { h.fetch_add(1, std::sync::atomic::Ordering::SeqCst) > 0 };
        let tenant = |State(st): State<AppState>, parts: Parts| async move {
            let p = Principal {
                org: lintel_domain::OrgId::new(),
                role: Role::Tenant,
                plan: lintel_domain::Plan::Business,
                user: Some(lintel_domain::UserId::new()),
                via: Via::Session(lintel_domain::SessionId::new()),
                request_id: None,
            };
            charge_principal(&parts, &st, &p).await
        };
        let app = Router::new()
            .route("/api/auth/login", axum::routing::post(login))
            .route("/api/health", get(|| async { "ok" }))
            .route("/api/me", get(tenant))
            .layer(axum::middleware::from_fn_with_state(state.clone(), layer))
            .with_state(state);

        let ok = send(&app, Method::POST, "/api/auth/login").await;
        assert_eq!(ok.status(), StatusCode::OK);
        assert_eq!((hdr(&ok, "x-ratelimit-limit"), hdr(&ok, "x-ratelimit-remaining")), ("1", "0"));
        let denied = send(&app, Method::POST, "/api/auth/login").await;
        assert_eq!(denied.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(!hdr(&denied, "retry-after").is_empty());
        assert!(hdr(&denied, "x-ratelimit-reset").parse::<i64>().unwrap() > 1_700_000_000_000);
        assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 1, "handler not run when over");

        // A principal's (new) user bucket, not the IP's, even though the user differs each time.
        let me = send(&app, Method::GET, "/api/me").await;
        assert_eq!((me.status(), hdr(&me, "x-ratelimit-limit")), (StatusCode::OK, "1"));
        for remaining in ["1", "0"] {
            let res = send(&app, Method::GET, "/api/health").await;
            assert_eq!((res.status(), hdr(&res, "x-ratelimit-remaining")), (StatusCode::OK, remaining));
        }
        let over = send(&app, Method::GET, "/api/health").await;
        assert_eq!(over.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(hdr(&over, "x-ratelimit-limit"), "2");
        let body = axum::body::to_bytes(over.into_body(), 1 << 16).await.unwrap();
        assert!(String::from_utf8_lossy(&body).contains("RATE_LIMITED"));
    }

    #[tokio::test]
    async fn redis_unreachable_fails_at_start_and_counts_are_shared() {
        let err = RateLimiter::new(&limits(1), Some("redis://127.0.0.1:1/")).await.err().unwrap();
        assert!(err.to_string().contains("rate-limit Redis"), "{err}");
        let Ok(url) = std::env::var("LINTEL_TEST_REDIS_URL") else {
            eprintln!("skipping the shared Redis rate-limit test: LINTEL_TEST_REDIS_URL is not set");
            return;
        };
        let a = RateLimiter::new(&limits(3), Some(&url)).await.unwrap();
        let b = RateLimiter::new(&limits(3), Some(&url)).await.unwrap();
        let key = format!("test:{:x}", rand::random::<u64>());
        let now = chrono::Utc::now().timestamp_millis();
        assert_eq!(a.hit_at(Scope::General, &key, now).await.unwrap().remaining, 2);
        assert_eq!(b.hit_at(Scope::General, &key, now).await.unwrap().remaining, 1);
        assert!(a.hit_at(Scope::General, &key, now).await.unwrap().allowed);
        let d = b.hit_at(Scope::General, &key, now).await.unwrap();
        assert!(!d.allowed);
        assert_eq!(d.reset_ms, now - now.rem_euclid(WINDOW_MS) + WINDOW_MS);
        assert!(b.hit_at(Scope::Login, &key, now).await.unwrap().allowed, "scopes are separate");
    }
}
