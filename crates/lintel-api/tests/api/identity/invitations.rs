//! Member invitations: created by admins, accepted once by link or API, within seven days.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use lintel_domain::{Plan, Role};
use serde_json::json;

use super::helpers::*;

backend_test_with!(someone_new_joins_by_invitation, relaxed(), |app| {
    let org = app.org(Plan::Pro).await;
    let email = unique_email("newcomer");
    let data = invite(&app, &org.admin, &email.to_uppercase(), "landlord").await;
    let inv = &data["invitation"];
    assert_eq!(
        (
            inv["email"].as_str(),
            inv["role"].as_str(),
            inv["status"].as_str()
        ),
        (Some(email.as_str()), Some("landlord"), Some("pending"))
    );
    let token = data["token"].as_str().unwrap().to_string();
    assert_eq!(data["url"], format!("/invite/{token}"));
    let days = (chrono::DateTime::parse_from_rfc3339(inv["expiresAt"].as_str().unwrap()).unwrap()
        - chrono::DateTime::parse_from_rfc3339(inv["createdAt"].as_str().unwrap()).unwrap())
    .num_days();
    assert_eq!(days, 7);

    // The link's page names the organisation and asks a newcomer for a name and password.
    let page = app.get(&format!("/invite/{token}"), &Client::Anon).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("Test Org")
            && page.text.contains("name=\"name\"")
            && page.text.contains("landlord")
    );

    let accept = |body| app.post("/api/auth/accept-invite", &Client::Anon, body);
    let r = accept(json!({"token": token, "password": "short"})).await;
    assert_eq!(r.fields(), ["name", "password"], "{}", r.text);
    let r = accept(json!({"token": token, "password": PASSWORD, "name": "Nia Brooks"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        (
            r.data()["user"]["role"].as_str(),
            r.data()["organisation"]["id"].as_str()
        ),
        (Some("landlord"), Some(org.id.to_string().as_str()))
    );
    let nia = client_of(&r);
    assert_eq!(
        app.post("/api/properties", &nia, property_body("Nia's"))
            .await
            .status,
        StatusCode::CREATED
    );
    // Used up: a second try, or the page, says so.
    let r = accept(json!({"token": token, "password": PASSWORD, "name": "Nia Brooks"})).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::GONE, "INVITATION_UNAVAILABLE"),
        "{}",
        r.text
    );
    assert_eq!(
        app.get(&format!("/invite/{token}"), &Client::Anon)
            .await
            .status,
        StatusCode::GONE
    );
    let r = accept(json!({"token": "no-such-token", "password": PASSWORD})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    let list = app.get("/api/members/invitations", &org.admin).await;
    assert_eq!(
        list.data()["items"][0]["status"],
        "accepted",
        "{}",
        list.text
    );
    let trail = audit(&app, &org.admin).await;
    assert!(trail.iter().any(|e| e["action"] == "invitation.accept"));
    assert!(trail
        .iter()
        .any(|e| e["action"] == "member.create" && e["after"]["email"] == email.as_str()));
});

backend_test_with!(
    someone_with_an_account_joins_with_their_password,
    relaxed(),
    |app| {
        let org = app.org(Plan::Pro).await;
        let (email, _, _) = person(&app, "existing").await;
        let token = invite(&app, &org.admin, &email, "tenant").await["token"]
            .as_str()
            .unwrap()
            .to_string();
        let page = app.get(&format!("/invite/{token}"), &Client::Anon).await;
        assert!(
            page.text.contains("already have a Lintel account")
                && !page.text.contains("name=\"name\"")
        );
        let accept = |password: &str| {
            app.post(
                "/api/auth/accept-invite",
                &Client::Anon,
                json!({"token": token, "password": password}),
            )
        };
        let r = accept("wrong-password-zz").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
        let r = accept(PASSWORD).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.data()["user"]["role"], "tenant");
        let orgs = app.get("/api/auth/organisations", &client_of(&r)).await;
        assert_eq!(orgs.data().as_array().unwrap().len(), 2, "{}", orgs.text);
    }
);

backend_test_with!(
    the_invitation_form_signs_in_without_javascript,
    relaxed(),
    |app| {
        let org = app.org(Plan::Pro).await;
        let token = invite(&app, &org.admin, &unique_email("form"), "broker").await["token"]
            .as_str()
            .unwrap()
            .to_string();
        let post = |form: &str| {
            Request::builder()
                .method(Method::POST)
                .uri(format!("/invite/{token}"))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(form.to_string()))
                .unwrap()
        };
        let r = send(&app, post("name=&password=short")).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.text.contains("name: is required") && r.text.contains("password:"),
            "{}",
            r.text
        );
        let r = send(&app, post(&format!("name=Ola+Berg&password={PASSWORD}"))).await;
        assert_eq!(
            (r.status, r.header("location")),
            (StatusCode::SEE_OTHER, "/account"),
            "{}",
            r.text
        );
        assert!(crate::support::auth::set_cookie(&r, "lintel_session").contains("HttpOnly"));
    }
);

backend_test!(invitations_expire_can_be_revoked_and_are_replaced, |app| {
    let org = app.org(Plan::Pro).await;
    let email = unique_email("later");
    let first = invite(&app, &org.admin, &email, "tenant").await;
    let second = invite(&app, &org.admin, &email, "broker").await;
    // The newer invitation to the same email replaces the pending one.
    let old = app
        .get(
            &format!(
                "/api/members/invitations/{}",
                first["invitation"]["id"].as_str().unwrap()
            ),
            &org.admin,
        )
        .await;
    assert_eq!(old.data()["status"], "revoked", "{}", old.text);
    let accept = |token: &str| {
        app.post(
            "/api/auth/accept-invite",
            &Client::Anon,
            json!({"token": token, "password": PASSWORD, "name": "Later"}),
        )
    };
    let r = accept(first["token"].as_str().unwrap()).await;
    assert_eq!(r.status, StatusCode::GONE, "{}", r.text);
    assert!(r.text.contains("withdrawn"));

    // An admin revokes; revoking twice is fine.
    let id = second["invitation"]["id"].as_str().unwrap().to_string();
    let path = format!("/api/members/invitations/{id}");
    let r = app.delete(&path, &org.admin).await;
    assert_eq!(
        (r.status, r.data()["status"].as_str()),
        (StatusCode::OK, Some("revoked")),
        "{}",
        r.text
    );
    assert_eq!(app.delete(&path, &org.admin).await.status, StatusCode::OK);
    assert_eq!(
        accept(second["token"].as_str().unwrap()).await.status,
        StatusCode::GONE
    );

    // After seven days the link no longer works.
    let third = invite(&app, &org.admin, &unique_email("slow"), "tenant").await;
    let url = app.database_url();
    let id = third["invitation"]["id"].as_str().unwrap();
    expire(&url, id).await;
    let r = accept(third["token"].as_str().unwrap()).await;
    assert_eq!(r.status, StatusCode::GONE, "{}", r.text);
    assert!(r.text.contains("expired"), "{}", r.text);
    let got = app
        .get(&format!("/api/members/invitations/{id}"), &org.admin)
        .await;
    assert_eq!(got.data()["status"], "expired");
});

/// Moves an invitation's expiry into the past, directly in the database.
async fn expire(url: &str, id: &str) {
    let sql = format!("UPDATE invitations SET expires_at = 1 WHERE id = '{id}'");
    if url.starts_with("sqlite:") {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::Executor::execute(&mut c, sql.as_str()).await.unwrap();
    } else {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::Executor::execute(&mut c, sql.as_str()).await.unwrap();
    }
}

backend_test!(invitations_are_admin_only_scoped_and_counted, |app| {
    let org = app.org(Plan::Free).await;
    // Members: only admins invite; an invitation of another organisation does not exist.
    let landlord = app.member(&org, Role::Landlord).await;
    let r = app
        .post(
            "/api/members/invitations",
            &landlord,
            json!({"email": unique_email("x"), "role": "tenant"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(
        app.get("/api/members/invitations", &landlord).await.status,
        StatusCode::FORBIDDEN
    );
    let other = app.org(Plan::Free).await;
    let theirs = invite(&app, &other.admin, &unique_email("theirs"), "tenant").await;
    let theirs = format!(
        "/api/members/invitations/{}",
        theirs["invitation"]["id"].as_str().unwrap()
    );
    assert_eq!(
        app.get(&theirs, &org.admin).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.delete(&theirs, &org.admin).await.status,
        StatusCode::NOT_FOUND
    );
    // Validation, and someone already a member.
    let r = app
        .post(
            "/api/members/invitations",
            &org.admin,
            json!({"email": "nope", "role": "owner"}),
        )
        .await;
    assert_eq!(r.fields(), ["email", "role"], "{}", r.text);
    let who = app.get("/api/auth/session", &landlord).await;
    let r = app
        .post(
            "/api/members/invitations",
            &org.admin,
            json!({"email": who.data()["user"]["email"], "role": "tenant"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    // FREE allows 5 members: 2 members + 3 pending invitations fill it.
    for _ in 0..3 {
        invite(&app, &org.admin, &unique_email("fill"), "tenant").await;
    }
    let r = app
        .post(
            "/api/members/invitations",
            &org.admin,
            json!({"email": unique_email("over"), "role": "tenant"}),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "PLAN_LIMIT_EXCEEDED"),
        "{}",
        r.text
    );
    // Pagination bounds.
    let r = app
        .get("/api/members/invitations?pageSize=101", &org.admin)
        .await;
    assert_eq!(r.fields(), ["pageSize"], "{}", r.text);
    let r = app
        .get("/api/members/invitations?pageSize=2&page=2", &org.admin)
        .await;
    assert_eq!(
        (
            r.data()["total"].as_u64(),
            r.data()["items"].as_array().map(Vec::len)
        ),
        (Some(3), Some(1)),
        "{}",
        r.text
    );
});
