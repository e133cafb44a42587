//! What a sign-in costs and how often it may be tried: every sign-in verifies a password hash
//! (known email or not), failed sign-ins are limited per account as well as per client, the
//! client is who the trusted proxies say it is, and the sign-in form reports its own limit.

use axum::http::{Method, StatusCode};
use lintel_api::ApiConfig;
use serde_json::json;

use super::helpers::*;

/// Rate limits count in fixed windows (one minute; fifteen for failed sign-ins per account),
/// aligned on UTC: a test that counts attempts across a window's end would see its count start
/// again. Waits for a new window when the current one ends within `need`.
async fn fresh_window(window_ms: i64, need: std::time::Duration) {
    let now = chrono::Utc::now().timestamp_millis();
    let left = window_ms - now.rem_euclid(window_ms);
    let need = i64::try_from(need.as_millis()).unwrap_or(i64::MAX);
    if left < need {
        tokio::time::sleep(std::time::Duration::from_millis(left as u64 + 50)).await;
    }
}

backend_test_with!(
    unknown_emails_cost_one_hash_verification_too,
    relaxed(),
    |app| {
        let (email, _, _) = person(&app, "oracle").await;
        let checks = || app.state.metrics.password_checks();
        let cases = [
            (
                "an unknown email",
                unique_email("nobody"),
                PASSWORD,
                StatusCode::UNAUTHORIZED,
            ),
            (
                "a wrong password",
                email.clone(),
                "not-the-password-9",
                StatusCode::UNAUTHORIZED,
            ),
            (
                "the right password",
                email.clone(),
                PASSWORD,
                StatusCode::OK,
            ),
        ];
        for (what, email, password, status) in cases {
            let before = checks();
            let r = sign_in(&app, &email, password, None).await;
            assert_eq!(r.status, status, "{what}: {}", r.text);
            assert_eq!(checks() - before, 1, "{what}: one Argon2 verification");
        }
    }
);

fn account_limited() -> ApiConfig {
    let mut c = relaxed();
    c.rate_limits.login_account = 3;
    c
}

backend_test_with!(
    failed_sign_ins_are_limited_per_account_from_any_address,
    account_limited(),
    |app| {
        fresh_window(15 * 60_000, std::time::Duration::from_secs(20)).await;
        let (email, _, _) = person(&app, "locked").await;
        let (other, _, _) = person(&app, "free").await;
        let attempt = |peer: &'static str, email: String, password: &'static str| {
            let body = json!({"email": email, "password": password});
            send(
                &app,
                from_peer(Method::POST, "/api/auth/login", peer, &[], Some(body)),
            )
        };
        for (i, peer) in ["198.51.100.1", "198.51.100.2", "198.51.100.3"]
            .into_iter()
            .enumerate()
        {
            let r = attempt(peer, email.to_uppercase(), "wrong-password-zz").await;
            assert_eq!(
                r.status,
                StatusCode::UNAUTHORIZED,
                "attempt {i}: {}",
                r.text
            );
        }
        // Now even the right password from a fresh address is refused, with the account bucket's
        // headers; unknown and known emails are limited alike.
        let r = attempt("203.0.113.9", email.clone(), PASSWORD).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
        assert_eq!(r.code(), "RATE_LIMITED");
        assert_eq!(r.header("x-ratelimit-limit"), "3");
        let retry: u64 = r.header("retry-after").parse().unwrap();
        assert!((1..=900).contains(&retry), "{retry}");
        let ghost = unique_email("ghost");
        for _ in 0..3 {
            attempt("198.51.100.7", ghost.clone(), "wrong-password-zz").await;
        }
        let r = attempt("198.51.100.8", ghost, "wrong-password-zz").await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
        // Other accounts are not affected.
        let r = attempt("198.51.100.1", other, PASSWORD).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
);

fn behind_proxy() -> ApiConfig {
    let mut c = relaxed();
    c.rate_limits.login = 2;
    c.trusted_proxies = lintel_api::client_ip::parse_trusted(&["10.0.0.0/8".into()]).unwrap();
    c
}

backend_test_with!(
    clients_behind_a_trusted_proxy_have_their_own_login_bucket,
    behind_proxy(),
    |app| {
        fresh_window(60_000, std::time::Duration::from_secs(20)).await;
        let attempt = |peer: &'static str, xff: &'static str| {
            let body = json!({"email": unique_email("p"), "password": "wrong-password-zz"});
            let headers = [("x-forwarded-for", xff)];
            send(
                &app,
                from_peer(Method::POST, "/api/auth/login", peer, &headers, Some(body)),
            )
        };
        // Through the proxy, each client counts alone: two each, the third refused.
        for client in ["203.0.113.1", "203.0.113.2"] {
            for _ in 0..2 {
                let r = attempt("10.0.0.5", client).await;
                assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
            }
        }
        let r = attempt("10.0.0.5", "203.0.113.1").await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
        // A client may not pick its own address: left of the proxy's entry does not count.
        let r = attempt("10.0.0.5", "198.51.100.50, 203.0.113.2").await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
        // From an untrusted peer the header is ignored: the peer is the client.
        let r = attempt("192.0.2.10", "203.0.113.99").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
        let r = attempt("192.0.2.10", "203.0.113.98").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
        let r = attempt("192.0.2.10", "203.0.113.97").await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
        // The session records the client's address, not the proxy's.
        let (email, _, _) = person(&app, "proxied").await;
        let body = json!({"email": email, "password": PASSWORD});
        let headers = [("forwarded", "for=\"[2001:db8::7]:5000\"")];
        let r = send(
            &app,
            from_peer(
                Method::POST,
                "/api/auth/login",
                "10.1.2.3",
                &headers,
                Some(body),
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let sessions = app.get("/api/auth/sessions", &client_of(&r)).await;
        let ips: Vec<_> = sessions
            .data()
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["ip"].clone())
            .collect();
        assert!(ips.contains(&json!("2001:db8::7")), "{ips:?}");
    }
);

fn form_limited() -> ApiConfig {
    let mut c = relaxed();
    c.rate_limits.login = 2;
    c
}

backend_test_with!(
    the_sign_in_form_reports_its_own_limit,
    form_limited(),
    |app| {
        fresh_window(60_000, std::time::Duration::from_secs(20)).await;
        let form = format!(
            "email={}&password=wrong-password-zz",
            unique_email("f").replace('@', "%40")
        );
        let first = crate::support::auth::post_form(&app, &form, None).await;
        assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.text);
        assert_eq!(
            (
                first.header("x-ratelimit-limit"),
                first.header("x-ratelimit-remaining")
            ),
            ("2", "1")
        );
        crate::support::auth::post_form(&app, &form, None).await;
        let r = crate::support::auth::post_form(&app, &form, None).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
        assert_eq!(
            (
                r.header("x-ratelimit-limit"),
                r.header("x-ratelimit-remaining")
            ),
            ("2", "0")
        );
        assert!(!r.header("retry-after").is_empty() && r.text.contains("Too many"));
    }
);
