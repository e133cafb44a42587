//! Sign-in through HTTP on both backends: registration, login, CSRF.

use crate::support::auth::*;
use crate::support::*;

use axum::http::StatusCode;
use lintel_api::auth::secrets;
use serde_json::json;

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

backend_test!(registering_a_known_email_says_sign_in_instead, |app| {
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
        (StatusCode::CONFLICT, "ACCOUNT_EXISTS"),
        "{}",
        r.text
    );
    assert!(r.body["message"]
        .as_str()
        .unwrap()
        .contains("POST /api/organisations"));
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
