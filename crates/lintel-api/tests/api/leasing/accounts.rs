//! Tenants' own accounts: invited from their profile, signed in, they see their own profile,
//! leases, documents and notifications, and nobody else's; one person renting from two
//! organisations keeps one account.

use crate::support::auth::{client_of, relaxed};
use crate::support::*;
use axum::http::StatusCode;
use lintel_domain::{Plan, Role};
use serde_json::json;

use super::{create_lease, create_tenant, lease_body, set_status, unit};

/// Invites tenant `id` and accepts as a new account; answers the tenant's client.
pub(crate) async fn tenant_account(app: &TestApp, admin: &Client, id: &str) -> Client {
    let r = app
        .post_empty(&format!("/api/tenants/{id}/invite"), admin)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.data()["invitation"]["role"], "tenant");
    assert_eq!(r.data()["invitation"]["tenantId"], id);
    let token = r.data()["token"].as_str().unwrap().to_string();
    let body = json!({"token": token, "password": PASSWORD, "name": "Tenant Person"});
    let r = app
        .post("/api/auth/accept-invite", &Client::Anon, body)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.data()["user"]["role"], "tenant");
    client_of(&r)
}

backend_test_with!(a_tenant_sees_only_their_own, relaxed(), |app| {
    let org = app.org(Plan::Pro).await;
    let (_, u) = unit(&app, &org.admin, "Own House").await;
    let me = create_tenant(&app, &org.admin, "Mia", "Own").await;
    let other = create_tenant(&app, &org.admin, "Oli", "Else").await;
    let mine = create_lease(
        &app,
        &org.admin,
        lease_body(&u, &[&me], "2026-01-01", Some("2026-06-30")),
    )
    .await;
    let theirs = create_lease(
        &app,
        &org.admin,
        lease_body(&u, &[&other], "2026-07-01", None),
    )
    .await;
    let my_doc = app.upload_pdf(&org.admin, "lease", &mine, "mine.pdf").await;
    let their_doc = app
        .upload_pdf(&org.admin, "lease", &theirs, "theirs.pdf")
        .await;
    let unit_doc = app.upload_pdf(&org.admin, "unit", &u, "unit.pdf").await;

    // No account yet: 404 on their profile for a plain tenant member.
    let stranger = app.member(&org, Role::Tenant).await;
    let r = app.get("/api/me/tenant", &stranger).await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("Tenant profile not found"))
    );

    let tenant = tenant_account(&app, &org.admin, &me).await;
    let r = app.get("/api/me/tenant", &tenant).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.data()["id"], me);
    assert_eq!(r.data()["leases"][0]["id"], mine);
    assert!(r.data()["userId"].is_string());
    // The profile is bound: a second invitation is refused.
    let r = app
        .post_empty(&format!("/api/tenants/{me}/invite"), &org.admin)
        .await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (
            StatusCode::CONFLICT,
            Some("This tenant already has an account.")
        )
    );

    let r = app.get("/api/leases", &tenant).await;
    assert_eq!(r.data()["total"], 1, "{}", r.text);
    assert_eq!(r.data()["items"][0]["id"], mine);
    let r = app
        .get(&format!("/api/leases?tenantId={other}"), &tenant)
        .await;
    assert_eq!(r.data()["total"], 0);
    assert_eq!(
        app.get(&format!("/api/leases/{mine}"), &tenant)
            .await
            .status,
        StatusCode::OK
    );
    let r = app.get(&format!("/api/leases/{theirs}"), &tenant).await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("Lease not found."))
    );

    let r = app.get("/api/documents", &tenant).await;
    let ids: Vec<&str> = r.data()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [my_doc.as_str()]);
    assert_eq!(
        app.get(&format!("/api/documents/{my_doc}"), &tenant)
            .await
            .status,
        StatusCode::OK
    );
    for doc in [&their_doc, &unit_doc] {
        let r = app.get(&format!("/api/documents/{doc}"), &tenant).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
    // Managers' routes stay closed to them.
    for r in [
        app.get("/api/tenants", &tenant).await,
        set_status(&app, &tenant, &mine, "active").await,
    ] {
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
    // Their ID document is theirs to read; brokers never read ID documents.
    let form = crate::support::form::Form::new().file(
        "file",
        Some("id.pdf"),
        None,
        crate::support::form::PDF,
    );
    let r = app
        .upload(
            &format!("/api/tenants/{me}/id-documents"),
            &org.admin,
            &form,
        )
        .await;
    let id_doc = r.data()["id"].as_str().unwrap().to_string();
    assert_eq!(
        app.get(&format!("/api/documents/{id_doc}"), &tenant)
            .await
            .status,
        StatusCode::OK
    );
    let broker = app.member(&org, Role::Broker).await;
    assert_eq!(
        app.get(&format!("/api/documents/{id_doc}"), &broker)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/api/documents/{unit_doc}"), &broker)
            .await
            .status,
        StatusCode::OK
    );
    let r = app
        .get("/api/documents?category=id_verification", &broker)
        .await;
    assert_eq!(r.data()["total"], 0);
});

backend_test_with!(notifications_follow_the_changes, relaxed(), |app| {
    let org = app.org(Plan::Pro).await;
    let (_, u) = unit(&app, &org.admin, "Notes").await;
    let me = create_tenant(&app, &org.admin, "Noa", "Tify").await;
    let lease = create_lease(&app, &org.admin, lease_body(&u, &[&me], "2026-01-01", None)).await;
    let tenant = tenant_account(&app, &org.admin, &me).await;

    // The inviter hears that the invitation was accepted.
    let r = app.get("/api/notifications", &org.admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.data()["items"][0]["kind"], "invitation_accepted");
    assert_eq!(r.data()["pageSize"], 25);

    for status in ["active", "notice_given"] {
        assert_eq!(
            set_status(&app, &org.admin, &lease, status).await.status,
            StatusCode::OK
        );
    }
    let r = app.get("/api/notifications?unread=true", &tenant).await;
    assert_eq!(r.data()["total"], 2, "{}", r.text);
    let newest = r.data()["items"][0].clone();
    assert_eq!(newest["kind"], "lease_status_changed");
    assert_eq!(newest["entityType"], "lease");
    assert_eq!(newest["entityId"], lease);
    assert_eq!(newest["title"], "Your lease is now notice given");
    assert!(newest["readAt"].is_null());
    let id = newest["id"].as_str().unwrap().to_string();

    let r = app
        .post_empty(&format!("/api/notifications/{id}/read"), &tenant)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.data()["readAt"].is_string());
    assert_eq!(
        app.get("/api/notifications?unread=true", &tenant)
            .await
            .data()["total"],
        1
    );
    // Someone else's notification does not exist for them.
    for r in [
        app.post_empty(&format!("/api/notifications/{id}/read"), &org.admin)
            .await,
        app.delete(&format!("/api/notifications/{id}"), &org.admin)
            .await,
    ] {
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
    let r = app.post_empty("/api/notifications/read-all", &tenant).await;
    assert_eq!(r.data()["updated"], 1);
    assert_eq!(
        app.get("/api/notifications?unread=true", &tenant)
            .await
            .data()["total"],
        0
    );
    let r = app
        .delete(&format!("/api/notifications/{id}"), &tenant)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/notifications", &tenant).await.data()["total"],
        1
    );
    // The page size is fixed; anything else is refused.
    let r = app
        .get("/api/notifications?pageSize=50&unread=maybe", &tenant)
        .await;
    let mut fields = r.fields();
    fields.sort();
    assert_eq!(fields, ["pageSize", "unread"]);
    assert_eq!(
        app.get("/api/notifications", &Client::Anon).await.status,
        StatusCode::UNAUTHORIZED
    );
});

backend_test_with!(
    one_account_renting_from_two_organisations,
    relaxed(),
    |app| {
        let first = app.org(Plan::Pro).await;
        let second = app.org(Plan::Pro).await;
        let email = crate::support::auth::unique_email("renter");
        let body = json!({"firstName": "Rui", "lastName": "Twice", "email": email});
        let a = app
            .post("/api/tenants", &first.admin, body.clone())
            .await
            .data()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let b = app.post("/api/tenants", &second.admin, body).await.data()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let tenant = tenant_account(&app, &first.admin, &a).await;

        // The second organisation's invitation is accepted with the same account's password.
        let r = app
            .post_empty(&format!("/api/tenants/{b}/invite"), &second.admin)
            .await;
        let token = r.data()["token"].as_str().unwrap().to_string();
        let r = app
            .post(
                "/api/auth/accept-invite",
                &Client::Anon,
                json!({"token": token, "password": PASSWORD}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let in_second = client_of(&r);
        let mine_a = app.get("/api/me/tenant", &tenant).await;
        let mine_b = app.get("/api/me/tenant", &in_second).await;
        assert_eq!(
            (mine_a.data()["id"].as_str(), mine_b.data()["id"].as_str()),
            (Some(a.as_str()), Some(b.as_str()))
        );
        assert_eq!(mine_a.data()["userId"], mine_b.data()["userId"]);
        let orgs = app.get("/api/auth/organisations", &in_second).await;
        assert_eq!(orgs.data().as_array().unwrap().len(), 2, "{}", orgs.text);
    }
);

backend_test!(inviting_needs_an_email_and_a_manager, |app| {
    let org = app.org(Plan::Free).await;
    let r = app
        .post(
            "/api/tenants",
            &org.admin,
            json!({"firstName": "No", "lastName": "Mail"}),
        )
        .await;
    let id = r.data()["id"].as_str().unwrap().to_string();
    let r = app
        .post_empty(&format!("/api/tenants/{id}/invite"), &org.admin)
        .await;
    assert_eq!(r.fields(), ["email"]);
    let broker = app.member(&org, Role::Broker).await;
    let r = app
        .post_empty(&format!("/api/tenants/{id}/invite"), &broker)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Tenants' accounts take no member seat: FREE allows 5 members, and 6 tenants can be invited.
    for i in 0..6 {
        let body = json!({"firstName": "T", "lastName": format!("{i}"), "email": crate::support::auth::unique_email("seat")});
        let t = app.post("/api/tenants", &org.admin, body).await.data()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let r = app
            .post_empty(&format!("/api/tenants/{t}/invite"), &org.admin)
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{i}: {}", r.text);
    }
    let other = app.org(Plan::Free).await;
    let r = app
        .post_empty(&format!("/api/tenants/{id}/invite"), &other.admin)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
});
