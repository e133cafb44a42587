//! `POST /api/auth/password`: a person changes their own password.

use axum::http::StatusCode;
use lintel_domain::{Plan, Role};
use serde_json::json;

use super::helpers::*;

const NEW: &str = "staple-orbit-lantern-9";

backend_test_with!(
    changing_the_password_ends_the_other_sessions,
    relaxed(),
    |app| {
        let (email, here, _) = person(&app, "pw").await;
        let elsewhere = client_of(&sign_in(&app, &email, PASSWORD, None).await);
        let change =
            |current: &str, new: &str| json!({"currentPassword": current, "newPassword": new});

        let r = app
            .post("/api/auth/password", &here, change("not-it-at-all", NEW))
            .await;
        assert_eq!(
            (r.status, r.fields()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                vec!["currentPassword".to_string()]
            ),
            "{}",
            r.text
        );
        let r = app
            .post("/api/auth/password", &here, change(PASSWORD, "password123"))
            .await;
        assert_eq!(r.fields(), ["newPassword"], "{}", r.text);
        let r = app
            .post("/api/auth/password", &here, change(PASSWORD, PASSWORD))
            .await;
        assert_eq!(r.fields(), ["newPassword"], "{}", r.text);
        let r = app.post("/api/auth/password", &here, json!({})).await;
        assert_eq!(r.fields(), ["currentPassword", "newPassword"], "{}", r.text);
        // A cookie without the CSRF token cannot change it.
        let Client::Session { cookie, .. } = &here else {
            unreachable!()
        };
        let no_csrf = Client::SessionNoCsrf {
            cookie: cookie.clone(),
        };
        let r = app
            .post("/api/auth/password", &no_csrf, change(PASSWORD, NEW))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);

        let r = app
            .post("/api/auth/password", &here, change(PASSWORD, NEW))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.data()["otherSessionsEnded"], 1);
        assert_eq!(
            app.get("/api/auth/session", &here).await.status,
            StatusCode::OK
        );
        assert_eq!(
            app.get("/api/auth/session", &elsewhere).await.status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            sign_in(&app, &email, PASSWORD, None).await.status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            sign_in(&app, &email, NEW, None).await.status,
            StatusCode::OK
        );
        // Audited, without any trace of either password.
        let trail = audit(&app, &here).await;
        let entry = trail
            .iter()
            .find(|e| e["action"] == "user.password")
            .expect("audited");
        let text = entry.to_string();
        assert!(
            !text.contains(NEW) && !text.contains(PASSWORD) && !text.contains("argon2"),
            "{text}"
        );
    }
);

backend_test!(api_keys_have_no_password_to_change, |app| {
    let org = app.org(Plan::Business).await;
    let key = app.key(&org, Role::Admin).await;
    let r = app
        .post(
            "/api/auth/password",
            &key,
            json!({"currentPassword": PASSWORD, "newPassword": NEW}),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "NOT_APPLICABLE"),
        "{}",
        r.text
    );
    let r = app
        .post(
            "/api/auth/password",
            &Client::Anon,
            json!({"currentPassword": PASSWORD, "newPassword": NEW}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
});
