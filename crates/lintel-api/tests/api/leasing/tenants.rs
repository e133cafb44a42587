//! Tenants: create, read with leases, list and search, change, replace; ID documents and their
//! review; who may do what.

use crate::support::form::{Form, PDF};
use crate::support::*;
use axum::http::StatusCode;
use lintel_domain::{Plan, Role};
use serde_json::json;

use super::{create_lease, create_tenant, lease_body, put, set_status, unit};

backend_test!(create_read_change_and_replace, |app| {
    let org = app.org(Plan::Pro).await;
    let body = json!({
        "firstName": " Maria ", "lastName": "Costa", "email": "Maria.Costa@Example.com",
        "phone": "+1 (902) 555-0199", "dateOfBirth": "1990-04-17",
        "address": {"line1": "12 Spring St", "city": "Halifax", "country": "ca"},
        "emergencyContact": {"name": "Ana Costa", "relationship": "Sister", "phone": "+1 902 555 0142"},
        "references": [{"name": "Sam Ortiz", "relationship": "Previous landlord", "email": "sam@example.com", "notes": "Paid on time"}],
        "notes": "Prefers email."
    });
    let r = app.post("/api/tenants", &org.admin, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let t = r.data().clone();
    let id = t["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("ten_"));
    assert_eq!(t["firstName"], "Maria");
    assert_eq!(t["email"], "maria.costa@example.com");
    assert_eq!(t["dateOfBirth"], "1990-04-17");
    assert_eq!(t["address"]["country"], "CA");
    assert_eq!(t["emergencyContact"]["relationship"], "Sister");
    assert_eq!(t["references"][0]["notes"], "Paid on time");
    assert_eq!(t["status"], "prospect");
    assert_eq!(t["idVerification"]["status"], "not_started");
    assert!(t["userId"].is_null());

    let r = app.get(&format!("/api/tenants/{id}"), &org.admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.data()["leases"], json!([]));
    assert_eq!(r.data()["payments"], json!([]));
    assert_eq!(r.data()["lastName"], "Costa");

    // PATCH changes what is sent; null clears.
    let r = app
        .patch(
            &format!("/api/tenants/{id}"),
            &org.admin,
            json!({"phone": null, "notes": "Call after 5."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.data()["phone"].is_null());
    assert_eq!(r.data()["notes"], "Call after 5.");
    assert_eq!(r.data()["email"], "maria.costa@example.com");

    // PUT replaces the whole tenant: what it leaves out is cleared.
    let r = put(
        &app,
        &format!("/api/tenants/{id}"),
        &org.admin,
        json!({"firstName": "Maria", "lastName": "Costa-Reis"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.data()["lastName"], "Costa-Reis");
    assert!(r.data()["email"].is_null() && r.data()["address"].is_null());
    assert_eq!(r.data()["references"], json!([]));
    let r = put(
        &app,
        &format!("/api/tenants/{id}"),
        &org.admin,
        json!({"firstName": "Maria"}),
    )
    .await;
    assert_eq!(r.fields(), ["lastName"]);

    // The lease history shows on the tenant, newest first; the status follows the leases.
    let (_, u) = unit(&app, &org.admin, "Tenant House").await;
    let old = create_lease(
        &app,
        &org.admin,
        lease_body(&u, &[&id], "2024-01-01", Some("2024-12-31")),
    )
    .await;
    let new = create_lease(&app, &org.admin, lease_body(&u, &[&id], "2025-01-01", None)).await;
    assert_eq!(
        set_status(&app, &org.admin, &old, "active").await.status,
        StatusCode::OK
    );
    let r = app.get(&format!("/api/tenants/{id}"), &org.admin).await;
    assert_eq!(r.data()["status"], "current");
    let leases: Vec<&str> = r.data()["leases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert_eq!(leases, [new.as_str(), old.as_str()]);
    assert_eq!(
        set_status(&app, &org.admin, &old, "ended").await.status,
        StatusCode::OK
    );
    let r = app.get(&format!("/api/tenants/{id}"), &org.admin).await;
    assert_eq!(r.data()["status"], "past");
    let r = app.get("/api/tenants?status=past", &org.admin).await;
    assert_eq!(r.data()["total"], 1);
});

backend_test!(fields_are_checked, |app| {
    let org = app.org(Plan::Pro).await;
    let r = app
        .post(
            "/api/tenants",
            &org.admin,
            json!({"firstName": "", "email": "nope", "phone": "12", "dateOfBirth": "2999-01-01",
                   "emergencyContact": {"name": "X"}, "references": [{}, {}, {}, {}, {}, {}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(
        r.fields(),
        [
            "firstName",
            "lastName",
            "email",
            "phone",
            "dateOfBirth",
            "emergencyContact.phone",
            "references"
        ]
    );
    let r = app
        .post(
            "/api/tenants",
            &org.admin,
            json!({"firstName": "A", "lastName": "B", "ssn": "1"}),
        )
        .await;
    assert_eq!(r.fields(), ["ssn"]);
    let r = app.get("/api/tenants/ten_nope", &org.admin).await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("Tenant not found."))
    );
});

backend_test!(lists_search_filter_and_page, |app| {
    let org = app.org(Plan::Pro).await;
    for (f, l) in [
        ("Ana", "Zed"),
        ("Bo", "Young"),
        ("Cy", "Xu"),
        ("Di", "Wong"),
    ] {
        create_tenant(&app, &org.admin, f, l).await;
    }
    let r = app.get("/api/tenants", &org.admin).await;
    let names: Vec<&str> = r.data()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["lastName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Wong", "Xu", "Young", "Zed"]);
    assert_eq!(r.data()["pageSize"], 20);
    let r = app.get("/api/tenants?q=YOUNG", &org.admin).await;
    assert_eq!(r.data()["total"], 1);
    let r = app.get("/api/tenants?q=bo.young@", &org.admin).await;
    assert_eq!(r.data()["total"], 1);
    let r = app.get("/api/tenants?q=9025550100", &org.admin).await;
    assert_eq!(r.data()["total"], 4);
    let r = app.get("/api/tenants?pageSize=3", &org.admin).await;
    let cursor = r.data()["nextCursor"].as_str().unwrap().to_string();
    let r = app
        .get(
            &format!("/api/tenants?pageSize=3&cursor={cursor}"),
            &org.admin,
        )
        .await;
    assert_eq!(r.data()["items"][0]["lastName"], "Zed");
    let r = app
        .get(
            "/api/tenants?pageSize=101&page=0&status=gone&propertyId=x",
            &org.admin,
        )
        .await;
    let mut fields = r.fields();
    fields.sort();
    assert_eq!(fields, ["page", "pageSize", "propertyId", "status"]);

    // By property and unit: through their leases.
    let (property, u) = unit(&app, &org.admin, "Filter House").await;
    let t = create_tenant(&app, &org.admin, "Ed", "Vance").await;
    create_lease(&app, &org.admin, lease_body(&u, &[&t], "2026-01-01", None)).await;
    for q in [format!("propertyId={property}"), format!("unitId={u}")] {
        let r = app.get(&format!("/api/tenants?{q}"), &org.admin).await;
        assert_eq!(r.data()["total"], 1, "{q}");
        assert_eq!(r.data()["items"][0]["id"], t);
    }
});

backend_test!(access_and_other_organisations, |app| {
    let org = app.org(Plan::Business).await;
    let other = app.org(Plan::Business).await;
    let id = create_tenant(&app, &org.admin, "Kim", "Lee").await;
    let path = format!("/api/tenants/{id}");
    for r in [
        app.get("/api/tenants", &Client::Anon).await,
        app.get(&path, &Client::Anon).await,
        app.post("/api/tenants", &Client::Anon, json!({})).await,
    ] {
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    for role in [Role::Tenant, Role::Broker] {
        let c = app.member(&org, role).await;
        for r in [app.get("/api/tenants", &c).await, app.get(&path, &c).await] {
            assert_eq!(
                (r.status, r.code()),
                (StatusCode::FORBIDDEN, "FORBIDDEN"),
                "{role}"
            );
        }
    }
    let pm = app.key(&org, Role::PropertyManager).await;
    assert_eq!(app.get(&path, &pm).await.status, StatusCode::OK);
    let r = app.patch(&path, &pm, json!({"notes": "ok"})).await;
    assert_eq!(r.status, StatusCode::OK);
    for r in [
        app.get(&path, &other.admin).await,
        app.patch(&path, &other.admin, json!({"notes": "x"})).await,
        put(
            &app,
            &path,
            &other.admin,
            json!({"firstName": "A", "lastName": "B"}),
        )
        .await,
    ] {
        assert_eq!(
            (r.status, r.body["error"].as_str()),
            (StatusCode::NOT_FOUND, Some("Tenant not found."))
        );
    }
    assert_eq!(
        app.get("/api/tenants", &other.admin).await.data()["total"],
        0
    );
});

backend_test!(id_documents_and_their_review, |app| {
    let org = app.org(Plan::Pro).await;
    let other = app.org(Plan::Pro).await;
    let id = create_tenant(&app, &org.admin, "Ines", "Park").await;
    let path = format!("/api/tenants/{id}/id-documents");
    let form = Form::new().file("file", Some("passport.pdf"), None, PDF);
    let r = app.upload(&path, &org.admin, &form).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.data()["category"], "id_verification");
    assert_eq!(r.data()["entityType"], "tenant");
    assert_eq!(r.data()["entityId"], id);
    let t = app.get(&format!("/api/tenants/{id}"), &org.admin).await;
    assert_eq!(t.data()["idVerification"]["status"], "pending");
    let r = app
        .get(
            &format!("/api/documents?entityType=tenant&entityId={id}"),
            &org.admin,
        )
        .await;
    assert_eq!(r.data()["total"], 1);

    // Not another organisation's tenant; not a category of the client's choosing.
    let r = app.upload(&path, &other.admin, &form).await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("Tenant not found."))
    );
    let r = app
        .upload(&path, &org.admin, &form.clone().text("category", "photo"))
        .await;
    assert_eq!(r.fields(), ["category"]);

    // The review: landlord and up; verified or rejected.
    let review = format!("/api/tenants/{id}/id-verification");
    let pm = app.member(&org, Role::PropertyManager).await;
    let r = app.patch(&review, &pm, json!({"status": "verified"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .patch(&review, &org.admin, json!({"status": "pending"}))
        .await;
    assert_eq!(r.fields(), ["status"]);
    let r = app
        .patch(
            &review,
            &org.admin,
            json!({"status": "verified", "note": "Passport seen in person."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let v = &r.data()["idVerification"];
    assert_eq!(v["status"], "verified");
    assert_eq!(v["note"], "Passport seen in person.");
    assert_eq!(v["reviewedBy"], org.admin_id.to_string());
    assert!(v["reviewedAt"].is_string());
    let r = app
        .patch(&review, &other.admin, json!({"status": "rejected"}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
});
