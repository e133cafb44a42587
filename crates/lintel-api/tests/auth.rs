mod common;
use common::*;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use http_body_util::BodyExt;
use lintel_api::auth::secrets;
use lintel_api::ApiConfig;
use lintel_domain::{Plan, Role, Timestamp};
use lintel_store::identity::NewSession;
use serde_json::{json, Value};
use tower::ServiceExt;

/// Login and registration limits high enough for tests that sign in many times.
fn relaxed() -> ApiConfig {
    let mut c = test_config();
    c.rate_limits.login = 1000;
    c.rate_limits.registration = 1000;
    c
}

/// Like `backend_test!`, with [`relaxed`] rate limits.
macro_rules! relaxed_test {
    ($name:ident, |$app:ident| $body:block) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $app = TestApp::sqlite_with(relaxed()).await;
                $body
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some($app) = TestApp::postgres_with(relaxed()).await else {
                    return;
                };
                $body
            }
        }
    };
}

fn unique_email(tag: &str) -> String {
    format!(
        "{tag}-{}@example.com",
        ulid::Ulid::new().to_string().to_lowercase()
    )
}

fn register_body(email: &str) -> Value {
    json!({"email": email, "password": PASSWORD, "name": "Maria Lopez", "organisationName": "Lopez Lettings"})
}

/// The session token in a response's `Set-Cookie`.
fn cookie_of(r: &Resp) -> String {
    let c = r.header("set-cookie");
    let v = c
        .strip_prefix("lintel_session=")
        .unwrap_or_else(|| panic!("no session cookie: {c:?}"));
    v.split(';').next().unwrap().to_string()
}

/// The client a sign-in answer describes (cookie + CSRF token).
fn client_of(r: &Resp) -> Client {
    Client::Session {
        cookie: cookie_of(r),
        csrf: r.data()["csrfToken"].as_str().unwrap().to_string(),
    }
}

async fn register(app: &TestApp, email: &str) -> Client {
    let r = app
        .post("/api/auth/register", &Client::Anon, register_body(email))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    client_of(&r)
}

async fn login(app: &TestApp, email: &str, password: &str) -> Resp {
    app.post(
        "/api/auth/login",
        &Client::Anon,
        json!({"email": email, "password": password}),
    )
    .await
}

/// Sends a request built by hand (forms, extra headers).
async fn send(app: &TestApp, req: Request<Body>) -> Resp {
    let res = app.router.clone().oneshot(req).await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&bytes).to_string();
    Resp {
        status,
        headers,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        text,
    }
}

async fn post_form(app: &TestApp, form: &str, extra: Option<(&str, &str)>) -> Resp {
    let mut b = Request::builder()
        .method(Method::POST)
        .uri("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some((k, v)) = extra {
        b = b.header(k, v);
    }
    send(app, b.body(Body::from(form.to_string())).unwrap()).await
}

backend_test!(register_signs_in_with_a_safe_cookie, |app| {
    let email = unique_email("Maria");
    let r = app
        .post(
            "/api/auth/register",
            &Client::Anon,
            register_body(&email.to_uppercase()),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let d = r.data();
    assert_eq!(d["user"]["email"], email.to_lowercase());
    assert_eq!(d["user"]["role"], "admin");
    assert_eq!(d["organisation"]["plan"], "free");
    assert_eq!(d["organisation"]["name"], "Lopez Lettings");
    assert_eq!(d["user"]["organisationId"], d["organisation"]["id"]);
    assert!(d["user"].get("passwordHash").is_none() && !r.text.contains("argon2"));
    let cookie = r.header("set-cookie").to_string();
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=604800"] {
        assert!(cookie.contains(attr), "{attr} missing from {cookie}");
    }
    assert!(!cookie.contains("Secure"), "no TLS in tests: {cookie}");
    let client = client_of(&r);
    let Client::Session {
        cookie: token,
        csrf,
    } = &client
    else {
        unreachable!()
    };
    // Only hashes are stored.
    let creds = app.store().credentials();
    assert!(creds.session(token).await.unwrap().is_none());
    let s = creds
        .session(&secrets::lookup_hash(token))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.csrf_hash, secrets::lookup_hash(csrf));
    let rec = creds.login(&email.to_lowercase()).await.unwrap().unwrap();
    assert!(
        rec.password_hash.starts_with("$argon2id$"),
        "{}",
        rec.password_hash
    );
    // The cookie authenticates; the CSRF token allows a write.
    let me = app.get("/api/auth/session", &client).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    assert_eq!(me.data()["user"]["email"], email.to_lowercase());
    assert_eq!(me.data()["sessionId"], d["sessionId"]);
    assert_eq!(me.data()["role"], "admin");
    create_property(&app, &client, "Harbour View").await;
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secure_cookies_are_marked_secure() {
    let mut cfg = test_config();
    cfg.secure_cookies = true;
    cfg.session_ttl_secs = 3600;
    let app = TestApp::sqlite_with(cfg).await;
    let r = app
        .post(
            "/api/auth/register",
            &Client::Anon,
            register_body(&unique_email("s")),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let cookie = r.header("set-cookie");
    assert!(
        cookie.contains("; Secure") && cookie.contains("Max-Age=3600"),
        "{cookie}"
    );
}

backend_test!(register_lists_every_bad_field, |app| {
    let r = app
        .post("/api/auth/register", &Client::Anon, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.code(), "VALIDATION_ERROR");
    assert_eq!(
        r.fields(),
        ["email", "password", "name", "organisationName"]
    );
    let bad = json!({"email": "not-an-email", "password": "short", "name": "  ", "organisationName": "x".repeat(121)});
    let r = app.post("/api/auth/register", &Client::Anon, bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(
        r.fields(),
        ["email", "password", "name", "organisationName"]
    );
    let r = app
        .post("/api/auth/register", &Client::Anon, json!({"email": 5}))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "VALIDATION_ERROR"),
        "{}",
        r.text
    );
    let mut extra = register_body(&unique_email("x"));
    extra["role"] = json!("admin");
    let r = app.post("/api/auth/register", &Client::Anon, extra).await;
    assert_eq!(
        (r.status, r.fields()),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["role".to_string()])
    );
    assert!(app
        .store()
        .credentials()
        .login("not-an-email")
        .await
        .unwrap()
        .is_none());
});

backend_test!(weak_passwords_are_refused, |app| {
    for (pw, hint) in [
        ("aaaaaaaaaaaa", "weak"),
        ("password123", "common"),
        ("abc12", "at least 10"),
    ] {
        let mut body = register_body(&unique_email("w"));
        body["password"] = json!(pw);
        let r = app.post("/api/auth/register", &Client::Anon, body).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{pw}: {}",
            r.text
        );
        assert_eq!(r.fields(), ["password"]);
        assert!(
            r.body["details"][0]["message"]
                .as_str()
                .unwrap()
                .contains(hint),
            "{}",
            r.text
        );
    }
});

backend_test!(duplicate_email_is_409_email_taken, |app| {
    let email = unique_email("dup");
    register(&app, &email).await;
    let r = app
        .post(
            "/api/auth/register",
            &Client::Anon,
            register_body(&email.to_uppercase()),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "EMAIL_TAKEN"),
        "{}",
        r.text
    );
    assert!(r.header("set-cookie").is_empty());
});

backend_test!(wrong_password_and_unknown_email_answer_alike, |app| {
    let email = unique_email("l");
    register(&app, &email).await;
    let wrong = login(&app, &email, "not-the-password-1").await;
    let unknown = login(&app, &unique_email("nobody"), PASSWORD).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{}", wrong.text);
    assert_eq!(wrong.body, unknown.body);
    assert_eq!(wrong.status, unknown.status);
    assert_eq!(wrong.code(), "UNAUTHORIZED");
    assert_eq!(wrong.body["error"], "Invalid email or password.");
    assert!(wrong.header("set-cookie").is_empty() && unknown.header("set-cookie").is_empty());
    let r = app.post("/api/auth/login", &Client::Anon, json!({})).await;
    assert_eq!(
        (r.status, r.fields()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["email".into(), "password".into()]
        )
    );
    // The right password works, whatever the email's case.
    let ok = login(&app, &format!("  {}", email.to_uppercase()), PASSWORD).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    assert_eq!(ok.data()["user"]["email"], email);
    assert!(ok.data()["csrfToken"].as_str().unwrap().len() >= 43);
    let client = client_of(&ok);
    assert_eq!(
        app.get("/api/auth/session", &client).await.status,
        StatusCode::OK
    );
});

backend_test!(cookie_writes_need_the_csrf_token, |app| {
    let client = register(&app, &unique_email("c")).await;
    let Client::Session { cookie, .. } = client.clone() else {
        unreachable!()
    };
    let no_csrf = Client::SessionNoCsrf {
        cookie: cookie.clone(),
    };
    let r = app
        .post("/api/properties", &no_csrf, property_body("X"))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "FORBIDDEN"),
        "{}",
        r.text
    );
    assert!(r.body["message"].as_str().unwrap().contains("CSRF"));
    let wrong = Client::Session {
        cookie,
        csrf: secrets::random_token(),
    };
    assert_eq!(
        app.post("/api/properties", &wrong, property_body("X"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // Reads need no token, and nothing was written.
    let list = app.get("/api/properties", &no_csrf).await;
    assert_eq!(
        (list.status, list.data()["total"].as_u64()),
        (StatusCode::OK, Some(0))
    );
    assert_eq!(
        app.post("/api/properties", &client, property_body("X"))
            .await
            .status,
        StatusCode::CREATED
    );
});

backend_test!(signout_ends_the_session_and_redirects, |app| {
    let client = register(&app, &unique_email("o")).await;
    let Client::Session { cookie, .. } = client.clone() else {
        unreachable!()
    };
    let r = app
        .get("/api/auth/signout", &Client::SessionNoCsrf { cookie })
        .await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(r.header("location"), "/login");
    assert!(
        r.header("set-cookie").starts_with("lintel_session=;")
            && r.header("set-cookie").contains("Max-Age=0")
    );
    let me = app.get("/api/auth/session", &client).await;
    assert_eq!(
        (me.status, me.code()),
        (StatusCode::UNAUTHORIZED, "UNAUTHORIZED")
    );
    // Always redirects: POST, and without any session.
    for method in [Method::POST, Method::GET] {
        let r = app
            .raw(method, "/api/auth/signout", &Client::Anon, None)
            .await;
        assert_eq!(
            (r.status, r.header("location")),
            (StatusCode::FOUND, "/login")
        );
    }
    let r = app.post_empty("/api/auth/signout", &client).await;
    assert_eq!(
        (r.status, r.header("location")),
        (StatusCode::FOUND, "/login")
    );
});

relaxed_test!(users_list_and_revoke_their_sessions, |app| {
    let email = unique_email("s");
    let first = register(&app, &email).await;
    let second = client_of(&login(&app, &email, PASSWORD).await);
    let r = app.get("/api/auth/sessions", &first).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let items = r.data().as_array().unwrap().clone();
    assert_eq!(items.len(), 2);
    assert_eq!(items.iter().filter(|s| s["current"] == true).count(), 1);
    let me = app.get("/api/auth/session", &first).await.data()["sessionId"].clone();
    let current = items.iter().find(|s| s["current"] == true).unwrap();
    assert_eq!(current["id"], me);
    let other = items.iter().find(|s| s["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Another user's session is not found, and stays valid.
    let stranger = register(&app, &unique_email("t")).await;
    let r = app
        .delete(&format!("/api/auth/sessions/{other}"), &stranger)
        .await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("Session not found."))
    );
    assert_eq!(
        app.get("/api/auth/session", &second).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.delete("/api/auth/sessions/sess_nonsense", &first)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // The owner revokes it: it stops working.
    let r = app
        .delete(&format!("/api/auth/sessions/{other}"), &first)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(
        app.get("/api/auth/session", &second).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/api/auth/sessions", &first)
            .await
            .data()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Revoking the current session also clears the cookie.
    let r = app
        .delete(
            &format!("/api/auth/sessions/{}", me.as_str().unwrap()),
            &first,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(r.header("set-cookie").contains("Max-Age=0"));
    assert_eq!(
        app.get("/api/auth/session", &first).await.status,
        StatusCode::UNAUTHORIZED
    );
});

backend_test!(
    session_endpoint_for_anonymous_expired_and_key_callers,
    |app| {
        assert_eq!(
            app.get("/api/auth/session", &Client::Anon).await.status,
            StatusCode::UNAUTHORIZED
        );
        let org = app.org(Plan::Business).await;
        let key = app.key(&org, Role::Landlord).await;
        let r = app.get("/api/auth/session", &key).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.data()["user"], Value::Null);
        assert_eq!(r.data()["sessionId"], Value::Null);
        assert_eq!(
            (
                r.data()["organisation"]["id"].as_str(),
                r.data()["role"].as_str()
            ),
            (Some(org.id.to_string().as_str()), Some("landlord"))
        );
        let r = app.get("/api/auth/sessions", &key).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::FORBIDDEN, "NOT_APPLICABLE")
        );
        // An expired session is refused.
        let token = secrets::random_token();
        let new = NewSession {
            user_id: org.admin_id,
            token_hash: secrets::lookup_hash(&token),
            csrf_hash: secrets::lookup_hash("x"),
            user_agent: None,
            ip: None,
            expires_at: Timestamp(Timestamp::now().0 - 1000),
        };
        app.store()
            .org(org.id)
            .sessions()
            .create(new)
            .await
            .unwrap();
        let expired = Client::Session {
            cookie: token,
            csrf: "x".into(),
        };
        assert_eq!(
            app.get("/api/auth/session", &expired).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
);

backend_test!(login_page_renders_banners_and_escapes, |app| {
    let r = app.get("/login", &Client::Anon).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("content-type").starts_with("text/html"));
    assert_eq!(r.header("x-frame-options"), "DENY");
    let csp = r.header("content-security-policy");
    assert!(
        csp.contains("default-src 'none'")
            && csp.contains("form-action 'self'")
            && !csp.contains("script"),
        "{csp}"
    );
    assert!(
        r.text.contains("<form method=\"post\" action=\"/login\">") && !r.text.contains("<script")
    );
    assert!(!r.text.contains("role=\"alert\""));
    let r = app
        .get("/login?error=invalid_credentials", &Client::Anon)
        .await;
    assert!(r.text.contains("Invalid email or password."));
    let r = app
        .get("/login?auth=temporarily_unavailable", &Client::Anon)
        .await;
    assert!(r
        .text
        .contains("Sign-in is temporarily unavailable. Please try again in a minute."));
    let r = app
        .get(
            "/login?error=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
            &Client::Anon,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.text.contains("alert(1)") && r.text.contains("Sign-in failed. Please try again."));
    let r = app
        .get(
            "/login?email=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E",
            &Client::Anon,
        )
        .await;
    assert!(
        !r.text.contains("<script>") && r.text.contains("value=\"&quot;&gt;&lt;script&gt;alert(1)"),
        "{}",
        r.text
    );
    let r = app.get("/api/auth/callback", &Client::Anon).await;
    assert_eq!(
        (r.status, r.header("location")),
        (StatusCode::FOUND, "/login?error=missing_code")
    );
    let r = app
        .get("/api/auth/callback?code=abc123", &Client::Anon)
        .await;
    assert_eq!(
        (r.status, r.header("location")),
        (StatusCode::FOUND, "/login?error=invalid_code")
    );
});

backend_test!(login_form_signs_in_without_javascript, |app| {
    let email = unique_email("f");
    register(&app, &email).await;
    let ok = post_form(
        &app,
        &format!("email={}&password={PASSWORD}", email.replace('@', "%40")),
        None,
    )
    .await;
    assert_eq!(
        (ok.status, ok.header("location")),
        (StatusCode::SEE_OTHER, "/api/docs/ui"),
        "{}",
        ok.text
    );
    assert!(ok.header("set-cookie").contains("HttpOnly"));
    let client = Client::SessionNoCsrf {
        cookie: cookie_of(&ok),
    };
    let me = app.get("/api/auth/session", &client).await;
    assert_eq!(me.data()["user"]["email"], email);
    let bad = post_form(
        &app,
        &format!("email={email}&password=wrong-password-1"),
        None,
    )
    .await;
    assert_eq!(
        (bad.status, bad.header("location")),
        (StatusCode::SEE_OTHER, "/login?error=invalid_credentials")
    );
    assert!(bad.header("set-cookie").is_empty());
    let empty = post_form(&app, "email=&password=", None).await;
    assert_eq!(empty.header("location"), "/login?error=invalid_request");
    let cross = post_form(
        &app,
        &format!("email={email}&password={PASSWORD}"),
        Some(("sec-fetch-site", "cross-site")),
    )
    .await;
    assert_eq!(
        (cross.header("location"), cross.header("set-cookie")),
        ("/login?error=invalid_request", "")
    );
});

backend_test!(sixth_login_in_a_minute_is_rate_limited, |app| {
    for i in 0..5 {
        let r = login(&app, &unique_email("r"), "wrong-password-1").await;
        assert_eq!(
            r.status,
            StatusCode::UNAUTHORIZED,
            "attempt {i}: {}",
            r.text
        );
    }
    let r = login(&app, &unique_email("r"), "wrong-password-1").await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED"),
        "{}",
        r.text
    );
    let retry: u64 = r.header("retry-after").parse().unwrap();
    assert!((1..=60).contains(&retry));
    // The sign-in form shares the per-IP login bucket.
    let form = post_form(
        &app,
        "email=a%40example.com&password=wrong-password-1",
        None,
    )
    .await;
    assert_eq!(form.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        !form.header("retry-after").is_empty() && form.text.contains("Too many sign-in attempts")
    );
});
