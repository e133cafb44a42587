use crate::support::*;

use axum::http::StatusCode;
use lintel_domain::{Plan, Role};
use serde_json::json;

/// IDs sort by creation time to the millisecond: keeps "newest first" observable.
async fn tick() {
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
}

backend_test!(writes_appear_with_actor_and_before_after, |app| {
    let org = app.org(Plan::Pro).await;
    let prop = create_property(&app, &org.admin, "Harbour View").await;
    tick().await;
    let r = app
        .patch(
            &format!("/api/properties/{prop}"),
            &org.admin,
            json!({"name": "Harbour Lofts"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .get(
            &format!("/api/audit-log?entityType=property&entityId={prop}"),
            &org.admin,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        (r.data()["total"].as_u64(), r.data()["pageSize"].as_u64()),
        (Some(2), Some(25))
    );
    let items = r.data()["items"].as_array().unwrap();
    let (update, create) = (&items[0], &items[1]);
    assert_eq!(
        (update["action"].as_str(), create["action"].as_str()),
        (Some("property.update"), Some("property.create"))
    );
    for e in items {
        assert_eq!(
            (e["actorType"].as_str(), e["actorId"].as_str()),
            (Some("user"), Some(org.admin_id.to_string().as_str()))
        );
        assert_eq!(
            (e["entityType"].as_str(), e["entityId"].as_str()),
            (Some("property"), Some(prop.as_str()))
        );
        assert!(
            e["requestId"].is_string() && e["createdAt"].is_string(),
            "{e}"
        );
    }
    assert!(create["before"].is_null());
    assert_eq!(create["after"]["name"], "Harbour View");
    assert_eq!(
        (
            update["before"]["name"].as_str(),
            update["after"]["name"].as_str()
        ),
        (Some("Harbour View"), Some("Harbour Lofts"))
    );
    // Identity writes are audited too.
    let member = app.post("/api/members", &org.admin, json!({"email": "sam@example.com", "name": "Sam", "role": "broker", "password": "initial-secret-42"})).await;
    let uid = member.data()["id"].as_str().unwrap().to_string();
    tick().await;
    app.patch(
        &format!("/api/members/{uid}"),
        &org.admin,
        json!({"role": "landlord"}),
    )
    .await;
    let r = app
        .get(&format!("/api/audit-log?entityId={uid}"), &org.admin)
        .await;
    let actions: Vec<&str> = r.data()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["member.role", "member.create"]);
    assert_eq!(r.data()["items"][0]["before"]["role"], "broker");
    assert_eq!(r.data()["items"][0]["after"]["role"], "landlord");
    // Unfiltered: everything, newest first, including the organisation's creation.
    let all = app.get("/api/audit-log", &org.admin).await;
    let all_items = all.data()["items"].as_array().unwrap();
    assert_eq!(all_items[0]["action"], "member.role");
    // The organisation and its admin are created in one transaction (same millisecond: any order).
    let mut first: Vec<&str> = all_items[all_items.len() - 2..]
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    first.sort_unstable();
    assert_eq!(first, ["member.create", "organisation.create"]);
    let none = app.get("/api/audit-log?entityType=lease", &org.admin).await;
    assert_eq!(
        (none.status, none.data()["total"].as_u64()),
        (StatusCode::OK, Some(0))
    );
});

backend_test!(page_size_is_fixed_at_25, |app| {
    let org = app.org(Plan::Business).await;
    let r = app.get("/api/audit-log?pageSize=25", &org.admin).await;
    assert_eq!(
        (r.status, r.fields()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["pageSize".to_string()]
        ),
        "{}",
        r.text
    );
    assert!(r.body["details"][0]["message"]
        .as_str()
        .unwrap()
        .contains("fixed at 25"));
    let r = app
        .get("/api/audit-log?page=0&pageSize=10", &org.admin)
        .await;
    assert_eq!(r.fields(), ["page", "pageSize"]);
    let long = "x".repeat(101);
    let r = app
        .get(&format!("/api/audit-log?entityType={long}"), &org.admin)
        .await;
    assert_eq!(
        (r.status, r.fields()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["entityType".to_string()]
        )
    );
    // 31 entries (organisation + admin, then 29 keys): pages of 25 and 6.
    let _key = app.key(&org, Role::Landlord).await;
    for i in 0..28 {
        let r = app
            .post(
                "/api/api-keys",
                &org.admin,
                json!({"name": format!("k{i}"), "role": "tenant"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    let p1 = app.get("/api/audit-log", &org.admin).await;
    assert_eq!(
        (
            p1.data()["total"].as_u64(),
            p1.data()["totalPages"].as_u64()
        ),
        (Some(31), Some(2))
    );
    assert_eq!(p1.data()["items"].as_array().unwrap().len(), 25);
    let p2 = app.get("/api/audit-log?page=2", &org.admin).await;
    assert_eq!(p2.data()["items"].as_array().unwrap().len(), 6);
});

backend_test!(audit_log_is_admin_only_and_org_scoped, |app| {
    let org = app.org(Plan::Business).await;
    assert_eq!(
        app.get("/api/audit-log", &Client::Anon).await.status,
        StatusCode::UNAUTHORIZED
    );
    for role in [Role::Landlord, Role::PropertyManager] {
        let member = app.member(&org, role).await;
        let r = app.get("/api/audit-log", &member).await;
        assert_eq!(
            (r.status, r.body["message"].as_str()),
            (
                StatusCode::FORBIDDEN,
                Some("Forbidden: requires admin role or higher")
            )
        );
    }
    let key = app.key(&org, Role::Landlord).await;
    assert_eq!(
        app.get("/api/audit-log", &key).await.status,
        StatusCode::FORBIDDEN
    );
    let admin_key = app.key(&org, Role::Admin).await;
    assert_eq!(
        app.get("/api/audit-log", &admin_key).await.status,
        StatusCode::OK
    );
    // Another organisation's entries are invisible, even by entity ID.
    let other = app.org(Plan::Pro).await;
    let prop = create_property(&app, &other.admin, "Theirs").await;
    let r = app
        .get(&format!("/api/audit-log?entityId={prop}"), &org.admin)
        .await;
    assert_eq!(
        (r.status, r.data()["total"].as_u64()),
        (StatusCode::OK, Some(0))
    );
    let mine = app.get("/api/audit-log", &org.admin).await;
    assert!(!mine.text.contains(&prop) && !mine.text.contains(&other.id.to_string()));
});
