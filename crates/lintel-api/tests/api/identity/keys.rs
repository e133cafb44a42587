//! A key never outranks the person it acts for, and dies with their membership.

use axum::http::StatusCode;
use lintel_domain::{Plan, Role};
use serde_json::json;

use super::helpers::*;

/// An admin (a second one, so they can be demoted) and a key they create through the API.
async fn admin_with_key(app: &TestApp, org: &TestOrg) -> (Client, String, String) {
    let email = unique_email("keyowner");
    let r = app
        .post(
            "/api/members",
            &org.admin,
            json!({"email": email, "name": "Key Owner", "role": "admin", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let owner_id = r.data()["id"].as_str().unwrap().to_string();
    let owner = client_of(&sign_in(app, &email, PASSWORD, None).await);
    let r = app
        .post(
            "/api/api-keys",
            &owner,
            json!({"name": "Owner's key", "role": "admin"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.data()["apiKey"]["ownedBy"], owner_id.as_str());
    let secret = r.data()["secret"].as_str().unwrap().to_string();
    (owner, owner_id, secret)
}

backend_test!(a_key_acts_at_most_with_its_owners_current_role, |app| {
    let org = app.org(Plan::Business).await;
    let (_, owner_id, secret) = admin_with_key(&app, &org).await;
    let key = Client::Key(secret);
    let new_member = || json!({"email": unique_email("m"), "name": "New", "role": "tenant", "password": PASSWORD});
    let r = app.post("/api/members", &key, new_member()).await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "an admin's key adds members: {}",
        r.text
    );

    // The owner is demoted to landlord: the key, though created as admin, acts as a landlord.
    let r = app
        .patch(
            &format!("/api/members/{owner_id}"),
            &org.admin,
            json!({"role": "landlord"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app.post("/api/members", &key, new_member()).await;
    assert_eq!(
        (r.status, r.body["message"].as_str()),
        (
            StatusCode::FORBIDDEN,
            Some("Forbidden: requires admin role or higher")
        ),
        "{}",
        r.text
    );
    let session = app.get("/api/auth/session", &key).await;
    assert_eq!(session.data()["role"], "landlord", "{}", session.text);
    let r = app
        .post("/api/properties", &key, property_body("Key House"))
        .await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "landlord writes still work: {}",
        r.text
    );

    // A key the system made (command line) has no owner and keeps its role.
    let system_key = app.key(&org, Role::Admin).await;
    let r = app.post("/api/members", &system_key, new_member()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
});

backend_test!(
    removing_a_member_revokes_their_keys_with_an_audit_entry,
    |app| {
        let org = app.org(Plan::Business).await;
        let (owner, owner_id, secret) = admin_with_key(&app, &org).await;
        // A key made with the owner's key belongs to the owner too.
        let r = app
            .post(
                "/api/api-keys",
                &Client::Key(secret.clone()),
                json!({"name": "Made by a key", "role": "landlord"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!(r.data()["apiKey"]["ownedBy"], owner_id.as_str());
        let second = r.data()["secret"].as_str().unwrap().to_string();
        let second_id = r.data()["apiKey"]["id"].as_str().unwrap().to_string();
        let other = app.key(&org, Role::Admin).await;

        // Demoted, then removed: sessions and keys stop at once.
        let member = format!("/api/members/{owner_id}");
        let r = app
            .patch(&member, &org.admin, json!({"role": "tenant"}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let r = app.delete(&member, &org.admin).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
        for (what, client) in [
            ("session", owner),
            ("key", Client::Key(secret)),
            ("key made by the key", Client::Key(second)),
        ] {
            let r = app.get("/api/properties", &client).await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{what}: {}", r.text);
        }
        let r = app.get("/api/properties", &other).await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "keys of others live on: {}",
            r.text
        );

        // Both revocations are in the audit log, done by the admin who removed the member.
        let keys = app.get("/api/api-keys", &org.admin).await;
        let revoked: Vec<_> = keys.data()["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|k| k["ownedBy"] == owner_id.as_str())
            .map(|k| k["revokedAt"].is_string())
            .collect();
        assert_eq!(revoked, [true, true], "{}", keys.text);
        let trail = audit(&app, &org.admin).await;
        let revocations: Vec<_> = trail
            .iter()
            .filter(|e| e["action"] == "api_key.revoke")
            .collect();
        assert_eq!(revocations.len(), 2, "{trail:?}");
        assert!(revocations
            .iter()
            .all(|e| e["actorId"] == org.admin_id.to_string()));
        assert!(revocations
            .iter()
            .any(|e| e["entityId"] == second_id.as_str()));
    }
);
