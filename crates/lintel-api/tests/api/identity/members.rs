use crate::support::*;

use axum::http::StatusCode;
use lintel_domain::{Plan, Role};
use serde_json::{json, Value};

fn member_body(role: &str) -> Value {
    let n = ulid::Ulid::new().to_string().to_lowercase();
    json!({"email": format!("Sam-{n}@Example.com"), "name": "Sam Okafor", "role": role, "password": "initial-secret-42"})
}

async fn add(app: &TestApp, org: &TestOrg, role: &str) -> Value {
    let r = app
        .post("/api/members", &org.admin, member_body(role))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.data().clone()
}

backend_test!(admins_add_list_and_read_members, |app| {
    let org = app.org(Plan::Pro).await;
    let body = member_body("landlord");
    let r = app.post("/api/members", &org.admin, body.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let user = r.data().clone();
    let email = body["email"].as_str().unwrap().to_lowercase();
    assert_eq!(
        (user["email"].as_str(), user["role"].as_str()),
        (Some(email.as_str()), Some("landlord"))
    );
    assert_eq!(user["organisationId"], org.id.to_string());
    assert!(user.get("password").is_none() && user.get("passwordHash").is_none());
    // The password was hashed with Argon2id, and works for sign-in.
    let rec = app
        .store()
        .credentials()
        .login(&email)
        .await
        .unwrap()
        .unwrap();
    assert!(rec.password_hash.starts_with("$argon2id$"));
    let login = app
        .post(
            "/api/auth/login",
            &Client::Anon,
            json!({"email": email, "password": "initial-secret-42"}),
        )
        .await;
    assert_eq!(
        (login.status, &login.data()["user"]["role"]),
        (StatusCode::OK, &json!("landlord"))
    );
    let list = app.get("/api/members", &org.admin).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    assert_eq!(
        (
            list.data()["total"].as_u64(),
            list.data()["pageSize"].as_u64()
        ),
        (Some(2), Some(20))
    );
    let id = user["id"].as_str().unwrap();
    let one = app.get(&format!("/api/members/{id}"), &org.admin).await;
    assert_eq!(
        (one.status, &one.data()["email"]),
        (StatusCode::OK, &json!(email))
    );
    let page = app.get("/api/members?pageSize=1&page=2", &org.admin).await;
    assert_eq!(
        (
            page.data()["items"][0]["id"].as_str(),
            page.data()["totalPages"].as_u64()
        ),
        (Some(id), Some(2))
    );
    let bad = app.get("/api/members?pageSize=0", &org.admin).await;
    assert_eq!(
        (bad.status, bad.fields()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["pageSize".to_string()]
        )
    );
});

backend_test!(member_input_is_validated, |app| {
    let org = app.org(Plan::Pro).await;
    let r = app.post("/api/members", &org.admin, json!({})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.fields(), ["email", "name", "role", "password"]);
    let bad = json!({"email": "nope", "name": "", "role": "owner", "password": "aaaaaaaaaaaa"});
    assert_eq!(
        app.post("/api/members", &org.admin, bad).await.fields(),
        ["email", "name", "role", "password"]
    );
    let body = member_body("broker");
    add_ok(&app, &org, body.clone()).await;
    let r = app.post("/api/members", &org.admin, body).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "EMAIL_TAKEN"));
    let r = app
        .patch(
            &format!("/api/members/{}", org.admin_id),
            &org.admin,
            json!({"role": "king"}),
        )
        .await;
    assert_eq!(
        (r.status, r.fields()),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["role".to_string()])
    );
    assert_eq!(app.get("/api/members", &org.admin).await.data()["total"], 2);
});

async fn add_ok(app: &TestApp, org: &TestOrg, body: Value) {
    let r = app.post("/api/members", &org.admin, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

backend_test!(member_routes_check_roles, |app| {
    let org = app.org(Plan::Pro).await;
    let target = add(&app, &org, "tenant").await;
    let path = format!("/api/members/{}", target["id"].as_str().unwrap());
    for r in [
        app.get("/api/members", &Client::Anon).await,
        app.post("/api/members", &Client::Anon, member_body("tenant"))
            .await,
    ] {
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::UNAUTHORIZED, "UNAUTHORIZED")
        );
    }
    let manager = app.member(&org, Role::PropertyManager).await;
    assert_eq!(
        app.get("/api/members", &manager).await.status,
        StatusCode::OK
    );
    assert_eq!(app.get(&path, &manager).await.status, StatusCode::OK);
    let broker = app.member(&org, Role::Broker).await;
    let r = app.get("/api/members", &broker).await;
    assert_eq!(
        (r.status, r.body["message"].as_str()),
        (
            StatusCode::FORBIDDEN,
            Some("Forbidden: requires property_manager role or higher")
        )
    );
    let landlord = app.member(&org, Role::Landlord).await;
    let writes = [
        app.post("/api/members", &landlord, member_body("tenant"))
            .await,
        app.patch(&path, &landlord, json!({"role": "admin"})).await,
        app.delete(&path, &landlord).await,
    ];
    for r in writes {
        assert_eq!(
            (r.status, r.body["message"].as_str()),
            (
                StatusCode::FORBIDDEN,
                Some("Forbidden: requires admin role or higher")
            )
        );
    }
    let still = app.get(&path, &org.admin).await;
    assert_eq!(still.data()["role"], "tenant", "nothing changed");
});

backend_test!(other_organisations_members_are_not_found, |app| {
    let mine = app.org(Plan::Pro).await;
    let theirs = app.org(Plan::Pro).await;
    let stranger = add(&app, &theirs, "landlord").await;
    let path = format!("/api/members/{}", stranger["id"].as_str().unwrap());
    let r = app.get(&path, &mine.admin).await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("User not found."))
    );
    assert_eq!(
        app.patch(&path, &mine.admin, json!({"role": "tenant"}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.delete(&path, &mine.admin).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&path, &theirs.admin).await.data()["role"],
        "landlord",
        "untouched"
    );
    assert_eq!(
        app.get("/api/members/usr_garbage", &mine.admin)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/api/members/{}", mine.id), &mine.admin)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
});

backend_test!(
    role_changes_apply_at_once_and_removal_ends_sessions,
    |app| {
        let org = app.org(Plan::Pro).await;
        let user = add(&app, &org, "landlord").await;
        let id = user["id"].as_str().unwrap().to_string();
        let session = app.session_for(org.id, id.parse().unwrap()).await;
        assert_eq!(
            app.post("/api/properties", &session, property_body("A"))
                .await
                .status,
            StatusCode::CREATED
        );
        let r = app
            .patch(
                &format!("/api/members/{id}"),
                &org.admin,
                json!({"role": "broker"}),
            )
            .await;
        assert_eq!(
            (r.status, &r.data()["role"]),
            (StatusCode::OK, &json!("broker")),
            "{}",
            r.text
        );
        assert_eq!(
            app.post("/api/properties", &session, property_body("B"))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        let r = app.delete(&format!("/api/members/{id}"), &org.admin).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
        assert_eq!(
            app.get("/api/auth/session", &session).await.status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            app.get(&format!("/api/members/{id}"), &org.admin)
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            app.delete(&format!("/api/members/{id}"), &org.admin)
                .await
                .status,
            StatusCode::NOT_FOUND
        );
    }
);

backend_test!(the_last_admin_stays, |app| {
    let org = app.org(Plan::Pro).await;
    let me = format!("/api/members/{}", org.admin_id);
    let r = app
        .patch(&me, &org.admin, json!({"role": "landlord"}))
        .await;
    assert_eq!(
        (r.status, r.fields()),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["role".to_string()]),
        "{}",
        r.text
    );
    let r = app.delete(&me, &org.admin).await;
    assert_eq!(
        (r.status, r.fields()),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["role".to_string()])
    );
    assert_eq!(app.get(&me, &org.admin).await.data()["role"], "admin");
    // With a second admin, the first may step down or leave.
    let other = add(&app, &org, "admin").await;
    let r = app.patch(&me, &org.admin, json!({"role": "admin"})).await;
    assert_eq!(r.status, StatusCode::OK, "admin to admin is a no-op");
    let r = app.delete(&me, &org.admin).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let list = app
        .store()
        .org(org.id)
        .members()
        .list(lintel_domain::PageRequest {
            page: 1,
            page_size: 10,
        })
        .await
        .unwrap();
    assert_eq!(list.total, 1);
    assert_eq!(list.items[0].id.to_string(), other["id"].as_str().unwrap());
});

backend_test!(plan_caps_members, |app| {
    let org = app.org(Plan::Free).await;
    for _ in 0..4 {
        add(&app, &org, "tenant").await;
    }
    let r = app
        .post("/api/members", &org.admin, member_body("tenant"))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "PLAN_LIMIT_EXCEEDED"),
        "{}",
        r.text
    );
    assert_eq!(r.body["upgradeUrl"], "/settings/billing");
    assert_eq!(r.body["currentPlan"], "FREE");
    assert_eq!(app.get("/api/members", &org.admin).await.data()["total"], 5);
});
