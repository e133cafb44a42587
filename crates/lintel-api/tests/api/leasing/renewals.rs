//! Renewal offers: made on leases in force, answered by their tenants (or a manager for them),
//! accepted into a successor lease in one transaction, withdrawn, lapsed, reminded once a day.

use crate::support::auth::{client_of, relaxed};
use crate::support::*;
use axum::http::StatusCode;
use lintel_domain::{Plan, Role};
use serde_json::{json, Value};

use super::{create_lease, create_tenant, lease_body, set_status, unit};

/// An active lease of a new unit, ending 2027-08-31, with one tenant who has an account.
async fn leased(app: &TestApp, org: &TestOrg, name: &str) -> (String, String, Client) {
    let (_, u) = unit(app, &org.admin, name).await;
    let t = create_tenant(app, &org.admin, name, "Renter").await;
    let lease = create_lease(
        app,
        &org.admin,
        lease_body(&u, &[&t], "2026-09-01", Some("2027-08-31")),
    )
    .await;
    assert_eq!(
        set_status(app, &org.admin, &lease, "active").await.status,
        StatusCode::OK
    );
    let r = app
        .post_empty(&format!("/api/tenants/{t}/invite"), &org.admin)
        .await;
    let token = r.data()["token"].as_str().unwrap().to_string();
    let body = json!({"token": token, "password": PASSWORD, "name": "Renter"});
    let r = app
        .post("/api/auth/accept-invite", &Client::Anon, body)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    (lease, t, client_of(&r))
}

fn offer(lease: &str) -> Value {
    json!({
        "leaseId": lease, "rent": {"amountMinor": 192500, "currency": "CAD"},
        "endDate": "2028-08-31", "offerExpiresOn": "2027-07-31", "message": "Happy to keep you."
    })
}

async fn make_offer(app: &TestApp, org: &TestOrg, lease: &str) -> String {
    let r = app
        .post("/api/lease-renewals", &org.admin, offer(lease))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.data()["id"].as_str().unwrap().to_string()
}

async fn respond(app: &TestApp, client: &Client, id: &str, decision: &str) -> Resp {
    let body = json!({"decision": decision, "comment": "Thanks"});
    app.post(&format!("/api/lease-renewals/{id}/respond"), client, body)
        .await
}

backend_test_with!(an_accepted_offer_becomes_the_next_lease, relaxed(), |app| {
    let org = app.org(Plan::Pro).await;
    let (lease, tenant_id, tenant) = leased(&app, &org, "Accept").await;
    let r = app
        .post("/api/lease-renewals", &org.admin, offer(&lease))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let o = r.data().clone();
    let id = o["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("ren_"));
    assert_eq!(
        (o["status"].as_str(), o["startDate"].as_str()),
        (Some("pending"), Some("2027-09-01"))
    );
    assert_eq!(o["rent"], json!({"amountMinor": 192500, "currency": "CAD"}));

    // The tenant is told, reads the offer, and accepts it.
    let r = app.get("/api/notifications?unread=true", &tenant).await;
    let kinds: Vec<&str> = r.data()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds[0], "renewal_offered", "{}", r.text);
    assert_eq!(
        app.get(&format!("/api/lease-renewals/{id}"), &tenant)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.get("/api/lease-renewals", &tenant).await.data()["total"],
        1
    );
    let r = respond(&app, &tenant, &id, "accept").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.data()["status"], "accepted");
    assert_eq!(r.data()["responseComment"], "Thanks");
    let next = r.data()["successorLeaseId"].as_str().unwrap().to_string();

    let r = app.get(&format!("/api/leases/{next}"), &org.admin).await;
    let n = r.data();
    assert_eq!(n["status"], "pending_signature");
    assert_eq!(n["renewalOfLeaseId"], lease);
    assert_eq!(
        (n["startDate"].as_str(), n["endDate"].as_str()),
        (Some("2027-09-01"), Some("2028-08-31"))
    );
    assert_eq!(n["rent"]["amountMinor"], 192500);
    assert_eq!(n["tenantIds"], json!([tenant_id]));
    let r = app.get(&format!("/api/leases/{lease}"), &org.admin).await;
    assert_eq!(r.data()["status"], "renewed");
    assert_eq!(
        r.data()["statusHistory"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()["reason"],
        format!("Renewal offer {id} accepted.")
    );

    // A second answer, by anyone, is refused; the offer's maker hears the answer.
    for client in [&tenant, &org.admin] {
        let r = respond(&app, client, &id, "decline").await;
        assert_eq!(
            (r.status, r.body["error"].as_str()),
            (
                StatusCode::CONFLICT,
                Some("Renewal offer already processed.")
            )
        );
    }
    let r = app.get("/api/notifications", &org.admin).await;
    assert!(r.data()["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["kind"] == "renewal_answered"));
    // The successor can be signed and follows the original into force once it ends.
    assert_eq!(
        set_status(&app, &org.admin, &next, "active").await.status,
        StatusCode::OK
    );
});

backend_test_with!(declined_withdrawn_and_lapsed_offers, relaxed(), |app| {
    let org = app.org(Plan::Pro).await;
    let (lease, _, tenant) = leased(&app, &org, "Close").await;
    let id = make_offer(&app, &org, &lease).await;
    // One open offer per lease.
    let r = app
        .post("/api/lease-renewals", &org.admin, offer(&lease))
        .await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (
            StatusCode::CONFLICT,
            Some("This lease already has an open renewal offer.")
        )
    );
    let r = respond(&app, &tenant, &id, "decline").await;
    assert_eq!(r.data()["status"], "declined", "{}", r.text);
    let r = app.get(&format!("/api/leases/{lease}"), &org.admin).await;
    assert_eq!(r.data()["status"], "active");

    let id = make_offer(&app, &org, &lease).await;
    let r = app
        .post_empty(&format!("/api/lease-renewals/{id}/withdraw"), &org.admin)
        .await;
    assert_eq!(r.data()["status"], "withdrawn", "{}", r.text);
    for r in [
        respond(&app, &tenant, &id, "accept").await,
        app.post_empty(&format!("/api/lease-renewals/{id}/withdraw"), &org.admin)
            .await,
        app.post_empty(&format!("/api/lease-renewals/{id}/reminders"), &org.admin)
            .await,
    ] {
        assert_eq!(
            (r.status, r.body["error"].as_str()),
            (
                StatusCode::CONFLICT,
                Some("Renewal offer is no longer open.")
            )
        );
    }

    // An offer past its last day has lapsed.
    let id = make_offer(&app, &org, &lease).await;
    let db = lintel_store::Db::connect(&app.database_url(), &Default::default())
        .await
        .unwrap();
    db.raw(&format!(
        "UPDATE lease_renewals SET offer_expires_on = '2026-01-01' WHERE id = '{id}'"
    ))
    .await
    .unwrap();
    let r = app
        .get(&format!("/api/lease-renewals/{id}"), &org.admin)
        .await;
    assert_eq!(r.data()["status"], "expired");
    let r = respond(&app, &org.admin, &id, "accept").await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (
            StatusCode::CONFLICT,
            Some("Renewal offer is no longer open.")
        )
    );
    for (status, n) in [
        ("expired", 1),
        ("pending", 0),
        ("declined", 1),
        ("withdrawn", 1),
    ] {
        let r = app
            .get(
                &format!("/api/lease-renewals?status={status}&leaseId={lease}"),
                &org.admin,
            )
            .await;
        assert_eq!(r.data()["total"], n, "{status}");
    }
    // A new offer can follow a lapsed one.
    make_offer(&app, &org, &lease).await;
});

backend_test_with!(who_may_answer_and_remind, relaxed(), |app| {
    let org = app.org(Plan::Pro).await;
    let (lease, _, tenant) = leased(&app, &org, "Who").await;
    let (other_lease, _, stranger) = leased(&app, &org, "Other").await;
    let id = make_offer(&app, &org, &lease).await;
    make_offer(&app, &org, &other_lease).await;

    // A tenant not on the lease, or a member with no tenant profile.
    let broker = app.member(&org, Role::Broker).await;
    for c in [&stranger, &broker] {
        let r = respond(&app, c, &id, "accept").await;
        assert_eq!(
            (r.status, r.body["error"].as_str()),
            (
                StatusCode::NOT_FOUND,
                Some("Lease not found for current tenant.")
            )
        );
    }
    assert_eq!(
        app.get(&format!("/api/lease-renewals/{id}"), &stranger)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/api/lease-renewals", &stranger).await.data()["total"],
        1
    );
    assert_eq!(
        app.get("/api/lease-renewals", &org.admin).await.data()["total"],
        2
    );
    assert_eq!(
        app.post("/api/lease-renewals", &broker, offer(&lease))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post("/api/lease-renewals", &tenant, offer(&lease))
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // Reminders: once a day.
    let path = format!("/api/lease-renewals/{id}/reminders");
    let r = app.post_empty(&path, &org.admin).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    assert_eq!(r.data()["recipients"], 1);
    let r = app.post_empty(&path, &org.admin).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED"),
        "{}",
        r.text
    );
    let wait: u64 = r.header("retry-after").parse().unwrap();
    assert!((86_000..=86_400).contains(&wait), "{wait}");
    let r = app.get("/api/notifications?unread=true", &tenant).await;
    assert!(r.data()["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["kind"] == "renewal_reminder"));
    assert_eq!(
        app.post_empty(&path, &tenant).await.status,
        StatusCode::FORBIDDEN
    );

    // Another organisation sees none of it.
    let other = app.org(Plan::Pro).await;
    for r in [
        app.get(&format!("/api/lease-renewals/{id}"), &other.admin)
            .await,
        respond(&app, &other.admin, &id, "accept").await,
        app.post_empty(&format!("/api/lease-renewals/{id}/withdraw"), &other.admin)
            .await,
        app.post_empty(&path, &other.admin).await,
        app.post("/api/lease-renewals", &other.admin, offer(&lease))
            .await,
    ] {
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    }
    assert_eq!(
        app.get("/api/lease-renewals", &Client::Anon).await.status,
        StatusCode::UNAUTHORIZED
    );
});

backend_test!(offers_need_a_lease_in_force_with_an_end, |app| {
    let org = app.org(Plan::Pro).await;
    let (_, u) = unit(&app, &org.admin, "Rules").await;
    let t = create_tenant(&app, &org.admin, "Rule", "Book").await;
    let draft = create_lease(
        &app,
        &org.admin,
        lease_body(&u, &[&t], "2026-09-01", Some("2027-08-31")),
    )
    .await;
    let refused = "Only an active or renewed lease with an end date can be renewed.";
    let r = app
        .post("/api/lease-renewals", &org.admin, offer(&draft))
        .await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (StatusCode::CONFLICT, Some(refused))
    );
    assert_eq!(
        set_status(&app, &org.admin, &draft, "active").await.status,
        StatusCode::OK
    );
    let mut body = offer(&draft);
    body["startDate"] = json!("2027-08-31");
    body["rent"]["currency"] = json!("USD");
    body["offerExpiresOn"] = json!("2020-01-01");
    let r = app.post("/api/lease-renewals", &org.admin, body).await;
    assert_eq!(
        r.fields(),
        ["startDate", "rent.currency", "offerExpiresOn"],
        "{}",
        r.text
    );
    let r = app.post("/api/lease-renewals", &org.admin, json!({})).await;
    assert_eq!(r.fields(), ["leaseId", "rent", "offerExpiresOn"]);
    let r = app
        .get(
            "/api/lease-renewals?pageSize=101&status=maybe&leaseId=x",
            &org.admin,
        )
        .await;
    let mut fields = r.fields();
    fields.sort();
    assert_eq!(fields, ["leaseId", "pageSize", "status"]);
    let (_, u2) = unit(&app, &org.admin, "Periodic").await;
    let periodic = create_lease(&app, &org.admin, lease_body(&u2, &[&t], "2026-09-01", None)).await;
    assert_eq!(
        set_status(&app, &org.admin, &periodic, "active")
            .await
            .status,
        StatusCode::OK
    );
    let r = app
        .post("/api/lease-renewals", &org.admin, offer(&periodic))
        .await;
    assert_eq!(r.body["error"], refused);
});
