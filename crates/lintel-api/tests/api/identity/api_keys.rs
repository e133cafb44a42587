use crate::support::*;

use axum::http::StatusCode;
use lintel_api::auth::secrets;
use lintel_domain::{Actor, Plan, Role};
use serde_json::json;

async fn create_key(app: &TestApp, client: &Client, role: &str) -> (String, String) {
    let r = app
        .post(
            "/api/api-keys",
            client,
            json!({"name": format!("{role} sync"), "role": role}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let secret = r.data()["secret"].as_str().unwrap().to_string();
    (
        r.data()["apiKey"]["id"].as_str().unwrap().to_string(),
        secret,
    )
}

backend_test!(api_keys_need_the_business_plan, |app| {
    for (plan, label) in [(Plan::Free, "FREE"), (Plan::Pro, "PRO")] {
        let org = app.org(plan).await;
        let r = app
            .post(
                "/api/api-keys",
                &org.admin,
                json!({"name": "Sync", "role": "landlord"}),
            )
            .await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::FORBIDDEN, "PLAN_UPGRADE_REQUIRED"),
            "{}",
            r.text
        );
        assert_eq!(r.body["currentPlan"], label);
        assert_eq!(r.body["requiredPlan"], "BUSINESS");
        assert_eq!(r.body["upgradeUrl"], "/settings/billing");
        let r = app.get("/api/api-keys", &org.admin).await;
        assert_eq!(r.code(), "PLAN_UPGRADE_REQUIRED");
        let r = app
            .delete("/api/api-keys/key_01jd9x4m2k8q7v5t3r1n0p6w8y", &org.admin)
            .await;
        assert_eq!(r.code(), "PLAN_UPGRADE_REQUIRED");
        let page = app
            .store()
            .org(org.id)
            .api_keys()
            .list(lintel_domain::PageRequest {
                page: 1,
                page_size: 10,
            })
            .await;
        assert_eq!(page.unwrap().total, 0, "nothing was created");
    }
});

backend_test!(api_keys_are_admin_only, |app| {
    let org = app.org(Plan::Business).await;
    assert_eq!(
        app.get("/api/api-keys", &Client::Anon).await.status,
        StatusCode::UNAUTHORIZED
    );
    for role in [Role::Landlord, Role::PropertyManager, Role::Tenant] {
        let member = app.member(&org, role).await;
        let r = app
            .post(
                "/api/api-keys",
                &member,
                json!({"name": "Sync", "role": "landlord"}),
            )
            .await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::FORBIDDEN, "FORBIDDEN"),
            "{}",
            r.text
        );
        assert_eq!(
            r.body["message"],
            "Forbidden: requires admin role or higher"
        );
        assert_eq!(
            app.get("/api/api-keys", &member).await.status,
            StatusCode::FORBIDDEN
        );
    }
    // A landlord key cannot manage keys either.
    let key = app.key(&org, Role::Landlord).await;
    assert_eq!(
        app.get("/api/api-keys", &key).await.status,
        StatusCode::FORBIDDEN
    );
});

backend_test!(created_secret_works_once_and_is_stored_hashed, |app| {
    let org = app.org(Plan::Business).await;
    let r = app
        .post(
            "/api/api-keys",
            &org.admin,
            json!({"name": "Accounting sync", "role": "property_manager"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let secret = r.data()["secret"].as_str().unwrap().to_string();
    let key = &r.data()["apiKey"];
    assert!(secret.starts_with("lk_") && secret.starts_with(key["prefix"].as_str().unwrap()));
    assert_eq!(
        (key["name"].as_str(), key["role"].as_str()),
        (Some("Accounting sync"), Some("property_manager"))
    );
    assert_eq!(key["createdBy"], org.admin_id.to_string());
    assert!(key["revokedAt"].is_null());
    let creds = app.store().credentials();
    assert!(
        creds.api_key(&secret).await.unwrap().is_none(),
        "the secret itself is not stored"
    );
    assert!(creds
        .api_key(&secrets::lookup_hash(&secret))
        .await
        .unwrap()
        .is_some());
    // The secret authenticates as a Bearer token with the key's role.
    let client = Client::Key(secret.clone());
    let list = app.get("/api/properties", &client).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    let r = app
        .post("/api/properties", &client, property_body("X"))
        .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "property_manager cannot create: {}",
        r.text
    );
    // A tenant key reads no properties; a landlord key writes, recorded as the key.
    let (_, tenant) = create_key(&app, &org.admin, "tenant").await;
    assert_eq!(
        app.get("/api/properties", &Client::Key(tenant))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let (landlord_id, landlord) = create_key(&app, &org.admin, "landlord").await;
    let prop = create_property(&app, &Client::Key(landlord), "Keyed").await;
    let audit = app
        .get(&format!("/api/audit-log?entityId={prop}"), &org.admin)
        .await;
    assert_eq!(audit.data()["items"][0]["actorType"], "api_key");
    assert_eq!(audit.data()["items"][0]["actorId"], landlord_id);
    // Wrong or malformed secrets are 401.
    for bad in [format!("{secret}x"), "lk_nope".to_string(), String::new()] {
        assert_eq!(
            app.get("/api/properties", &Client::Key(bad)).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
});

backend_test!(listing_never_shows_secrets_and_paginates, |app| {
    let org = app.org(Plan::Business).await;
    let mut secrets_seen = Vec::new();
    for role in ["tenant", "broker", "landlord"] {
        secrets_seen.push(create_key(&app, &org.admin, role).await.1);
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    let r = app.get("/api/api-keys", &org.admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        (r.data()["total"].as_u64(), r.data()["pageSize"].as_u64()),
        (Some(3), Some(20))
    );
    for s in &secrets_seen {
        assert!(
            !r.text.contains(s.as_str()),
            "a secret leaked into the list"
        );
    }
    assert!(r.data()["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|k| k.get("secret").is_none() && k["prefix"].is_string()));
    assert_eq!(r.data()["items"][0]["role"], "landlord", "newest first");
    let p = app.get("/api/api-keys?page=2&pageSize=2", &org.admin).await;
    assert_eq!(p.data()["items"].as_array().unwrap().len(), 1);
    assert_eq!(p.data()["totalPages"], 2);
    let bad = app
        .get("/api/api-keys?page=0&pageSize=101", &org.admin)
        .await;
    assert_eq!(
        (bad.status, bad.fields()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["page".into(), "pageSize".into()]
        )
    );
    let bad = app.get("/api/api-keys?pageSize=abc", &org.admin).await;
    assert_eq!(
        (bad.status, bad.fields()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["pageSize".to_string()]
        )
    );
});

backend_test!(revoked_keys_stop_working, |app| {
    let org = app.org(Plan::Business).await;
    let (id, secret) = create_key(&app, &org.admin, "landlord").await;
    let client = Client::Key(secret);
    assert_eq!(
        app.get("/api/properties", &client).await.status,
        StatusCode::OK
    );
    let r = app.delete(&format!("/api/api-keys/{id}"), &org.admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.data()["id"], id);
    let revoked_at = r.data()["revokedAt"].clone();
    assert!(revoked_at.is_string());
    let r = app.get("/api/properties", &client).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNAUTHORIZED, "UNAUTHORIZED")
    );
    let again = app.delete(&format!("/api/api-keys/{id}"), &org.admin).await;
    assert_eq!(
        (again.status, &again.data()["revokedAt"]),
        (StatusCode::OK, &revoked_at)
    );
    let listed = app.get("/api/api-keys", &org.admin).await;
    assert_eq!(listed.data()["items"][0]["revokedAt"], revoked_at);
    // A key stops working when its organisation leaves the BUSINESS plan.
    let (_, other) = create_key(&app, &org.admin, "landlord").await;
    app.store()
        .orgs()
        .set_plan(&Actor::system(), org.id, Plan::Pro)
        .await
        .unwrap();
    let r = app.get("/api/properties", &Client::Key(other)).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "PLAN_UPGRADE_REQUIRED")
    );
});

backend_test!(other_organisations_keys_are_not_found, |app| {
    let mine = app.org(Plan::Business).await;
    let theirs = app.org(Plan::Business).await;
    let (id, secret) = create_key(&app, &theirs.admin, "landlord").await;
    let r = app
        .delete(&format!("/api/api-keys/{id}"), &mine.admin)
        .await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("API key not found."))
    );
    assert_eq!(
        app.get("/api/properties", &Client::Key(secret))
            .await
            .status,
        StatusCode::OK,
        "still valid"
    );
    let r = app.get("/api/api-keys", &mine.admin).await;
    assert_eq!(r.data()["total"], 0);
    assert_eq!(
        app.delete("/api/api-keys/prop_01jd9x4m2k8q7v5t3r1n0p6w8y", &mine.admin)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
});

backend_test!(new_key_input_is_validated, |app| {
    let org = app.org(Plan::Business).await;
    let r = app.post("/api/api-keys", &org.admin, json!({})).await;
    assert_eq!(
        (r.status, r.fields()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["name".into(), "role".into()]
        )
    );
    let r = app
        .post(
            "/api/api-keys",
            &org.admin,
            json!({"name": " ", "role": "superuser"}),
        )
        .await;
    assert_eq!(
        (r.status, r.fields()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["name".into(), "role".into()]
        )
    );
    let r = app
        .post(
            "/api/api-keys",
            &org.admin,
            json!({"name": "x", "role": "admin", "secret": "mine"}),
        )
        .await;
    assert_eq!(
        (r.status, r.fields()),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["secret".to_string()])
    );
    let admin_key = app.key(&org, Role::Admin).await;
    let r = app
        .post(
            "/api/api-keys",
            &admin_key,
            json!({"name": "child", "role": "tenant"}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "an admin key may manage keys: {}",
        r.text
    );
});

backend_test!(key_use_is_recorded_at_most_once_a_minute, |app| {
    let org = app.org(Plan::Business).await;
    let key = app.key(&org, Role::Admin).await;
    let listed = app.get("/api/api-keys", &org.admin).await;
    assert!(listed.data()["items"][0]["lastUsedAt"].is_null());
    assert_eq!(
        app.get("/api/properties", &key).await.status,
        StatusCode::OK
    );
    let first = app.get("/api/api-keys", &org.admin).await.data()["items"][0]["lastUsedAt"].clone();
    assert!(first.is_string(), "use recorded");
    assert_eq!(
        app.get("/api/properties", &key).await.status,
        StatusCode::OK
    );
    let second =
        app.get("/api/api-keys", &org.admin).await.data()["items"][0]["lastUsedAt"].clone();
    assert_eq!(first, second, "not rewritten within a minute");
});
