//! Sign-in through HTTP on both backends: sign-out, sessions, the sign-in page, rate limits.

use crate::support::auth::*;
use crate::support::*;

use axum::http::{Method, StatusCode};
use lintel_api::auth::secrets;
use lintel_domain::{Plan, Role, Timestamp};
use lintel_store::identity::NewSession;
use serde_json::Value;

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
        (StatusCode::SEE_OTHER, "/account"),
        "{}",
        ok.text
    );
    assert!(ok.header("set-cookie").contains("HttpOnly"));
    // It lands on a page that says who is signed in and shows the CSRF token writes need.
    let csrf = crate::support::auth::set_cookie(&ok, "lintel_csrf");
    assert!(
        csrf.contains("SameSite=Strict") && !csrf.contains("HttpOnly"),
        "{csrf}"
    );
    let csrf = csrf["lintel_csrf=".len()..]
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let page = axum::http::Request::get("/account")
        .header(
            "cookie",
            format!("lintel_session={}; lintel_csrf={csrf}", cookie_of(&ok)),
        )
        .body(axum::body::Body::empty())
        .unwrap();
    let page = crate::support::auth::send(&app, page).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("Maria Lopez") && page.text.contains(&email));
    assert!(page.text.contains(&csrf) && page.text.contains("X-CSRF-Token"));
    // Signed out, the page sends the browser to the sign-in form.
    let anon = crate::support::auth::send(
        &app,
        axum::http::Request::get("/account")
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(
        (anon.status, anon.header("location")),
        (StatusCode::SEE_OTHER, "/login")
    );
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
