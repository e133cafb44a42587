//! Rate-limit tests: counting, windows, the layer and Redis.
use super::*;
use axum::extract::State;
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
    let live: usize = m.lock().unwrap().windows.values().map(|k| k.len()).sum();
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
    let key = format!("user:{}", lintel_domain::UserId::new());
    charge_caller(&parts, &st, Role::Tenant, &key).await
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

/// The gate as a layer of its own, as the application's request layer runs it.
async fn gate(
    State(state): State<AppState>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    match Gate::open(&state, &mut req) {
        Some(gate) => gate.around(next.run(req)).await,
        None => next.run(req).await,
    }
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
        .layer(axum::middleware::from_fn_with_state(state.clone(), gate))
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

#[test]
fn ip_keys_write_addresses_as_display_does() {
    for ip in [
        "0.0.0.0",
        "10.0.0.1",
        "127.0.0.1",
        "192.168.100.255",
        "8.80.9.99",
    ] {
        let v4: std::net::Ipv4Addr = ip.parse().unwrap();
        assert_eq!(ip_key(Some(IpAddr::V4(v4))), format!("ip:{v4}"));
    }
    let mapped: IpAddr = "::ffff:1.2.3.4".parse().unwrap();
    assert_eq!(ip_key(Some(mapped)), "ip:1.2.3.4");
    let v6: IpAddr = "2001:db8:1:2:3:4:5:6".parse().unwrap();
    assert_eq!(ip_key(Some(v6)), "ip:2001:db8:1:2::/64");
    assert_eq!(ip_key(None), "ip:unknown");
}
