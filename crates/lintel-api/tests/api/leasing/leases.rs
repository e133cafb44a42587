//! Leases: create with every term, read with tenants, unit, property and history, list with
//! filters and sorts, change terms only while unsigned; refused input; other organisations.

use crate::support::units::{create_unit, unit_body};
use crate::support::*;
use axum::http::StatusCode;
use lintel_domain::{Plan, Role};
use serde_json::json;

use super::{create_lease, create_tenant, lease_body, set_status, unit};

backend_test!(create_read_and_change_terms, |app| {
    let org = app.org(Plan::Pro).await;
    let (property, u) = unit(&app, &org.admin, "Lease House").await;
    let a = create_tenant(&app, &org.admin, "Rui", "Alves").await;
    let b = create_tenant(&app, &org.admin, "Lia", "Alves").await;
    let doc = app.upload_pdf(&org.admin, "unit", &u, "lease.pdf").await;
    let body = json!({
        "unitId": u, "tenantIds": [a, b], "startDate": "2026-09-01", "endDate": "2027-08-31",
        "rent": {"amountMinor": 185000, "currency": "CAD"}, "rentFrequency": "monthly", "rentDueDay": 5,
        "deposit": {"amountMinor": 185000, "currency": "CAD"},
        "lateFee": {"graceDays": 5, "kind": "percent", "basisPoints": 500},
        "notes": "Pets allowed.", "documentIds": [doc]
    });
    let r = app.post("/api/leases", &org.admin, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let l = r.data().clone();
    let id = l["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("lease_"));
    assert_eq!(l["status"], "draft");
    assert_eq!(l["propertyId"], property);
    assert_eq!(l["tenantIds"], json!([a, b]));
    assert_eq!(l["primaryTenantId"], a);
    assert_eq!(l["rent"], json!({"amountMinor": 185000, "currency": "CAD"}));
    assert_eq!(l["rentDueDay"], 5);
    assert_eq!(
        l["lateFee"],
        json!({"graceDays": 5, "kind": "percent", "amount": null, "basisPoints": 500})
    );
    assert_eq!(l["documentIds"], json!([doc]));
    assert_eq!(l["createdBy"], org.admin_id.to_string());

    let r = app.get(&format!("/api/leases/{id}"), &org.admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let d = r.data();
    assert_eq!(d["tenants"][0]["primary"], true);
    assert_eq!(d["tenants"][1]["firstName"], "Lia");
    assert_eq!(d["unit"]["name"], "101");
    assert_eq!(d["unit"]["status"], "vacant");
    assert_eq!(d["property"]["id"], property);
    assert_eq!(d["statusHistory"].as_array().unwrap().len(), 1);
    assert_eq!(d["statusHistory"][0]["to"], "draft");
    assert!(d["statusHistory"][0]["from"].is_null());

    // Terms change while unsigned; null clears; the whole is checked again.
    let path = format!("/api/leases/{id}");
    let r = app
        .patch(
            &path,
            &org.admin,
            json!({"endDate": null, "lateFee": null, "tenantIds": [b]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.data()["endDate"].is_null() && r.data()["lateFee"].is_null());
    assert_eq!(r.data()["primaryTenantId"], b);
    let r = app
        .patch(
            &path,
            &org.admin,
            json!({"startDate": "2028-01-01", "endDate": "2027-01-01"}),
        )
        .await;
    assert_eq!(r.fields(), ["endDate"]);
    assert_eq!(
        set_status(&app, &org.admin, &id, "pending_signature")
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.patch(&path, &org.admin, json!({"rentDueDay": 1}))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        set_status(&app, &org.admin, &id, "active").await.status,
        StatusCode::OK
    );
    let r = app.patch(&path, &org.admin, json!({"rentDueDay": 2})).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "CONFLICT"),
        "{}",
        r.text
    );
    assert_eq!(
        r.body["error"],
        "Lease terms can only change while the lease is draft or pending_signature; it is active."
    );
    let r = app.get(&path, &org.admin).await;
    let history: Vec<&str> = r.data()["statusHistory"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["to"].as_str().unwrap())
        .collect();
    assert_eq!(history, ["draft", "pending_signature", "active"]);
});

backend_test!(refused_input, |app| {
    let org = app.org(Plan::Pro).await;
    let other = app.org(Plan::Pro).await;
    let (property, u) = unit(&app, &org.admin, "Refusals").await;
    let t = create_tenant(&app, &org.admin, "Noa", "Ray").await;
    let stranger = create_tenant(&app, &other.admin, "Other", "Org").await;

    let r = app.post("/api/leases", &org.admin, json!({})).await;
    assert_eq!(r.fields(), ["unitId", "tenantIds", "startDate", "rent"]);
    let mut body = lease_body(&u, &[&t], "2026-09-01", Some("2026-08-01"));
    body["rentDueDay"] = json!(29);
    body["rent"]["currency"] = json!("USD");
    let r = app.post("/api/leases", &org.admin, body).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.fields(), ["endDate", "rentDueDay", "rent.currency"]);
    assert_eq!(
        r.body["details"][2]["message"],
        "must be the unit's currency, CAD"
    );
    let body = json!({"unitId": u, "tenantIds": [t, t, "x"], "startDate": "soon", "rent": {"amountMinor": 1, "currency": "CAD"}, "rentFrequency": "daily"});
    let r = app.post("/api/leases", &org.admin, body).await;
    assert_eq!(
        r.fields(),
        ["tenantIds[1]", "tenantIds[2]", "startDate", "rentFrequency"]
    );

    // Another organisation's tenant or unit is not there.
    let r = app
        .post(
            "/api/leases",
            &org.admin,
            lease_body(&u, &[&t, &stranger], "2026-09-01", None),
        )
        .await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("Tenant not found."))
    );
    let r = app
        .post(
            "/api/leases",
            &other.admin,
            lease_body(&u, &[&stranger], "2026-09-01", None),
        )
        .await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("Unit not found."))
    );

    // A unit of an archived property takes no new lease.
    let r = app
        .post_empty(&format!("/api/properties/{property}/archive"), &org.admin)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .post(
            "/api/leases",
            &org.admin,
            lease_body(&u, &[&t], "2026-09-01", Some("2026-01-01")),
        )
        .await;
    assert_eq!(r.fields(), ["unitId", "endDate"]);
    assert_eq!(
        r.body["details"][0]["message"],
        "is in an archived property"
    );
});

backend_test!(lists_filter_and_sort, |app| {
    let org = app.org(Plan::Pro).await;
    let (property, u1) = unit(&app, &org.admin, "List One").await;
    let u2 = create_unit(&app, &org.admin, &property, unit_body("102")).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let t = create_tenant(&app, &org.admin, "Ola", "Berg").await;
    let s = create_tenant(&app, &org.admin, "Per", "Dahl").await;
    let a = create_lease(
        &app,
        &org.admin,
        lease_body(&u1, &[&t], "2025-01-01", Some("2025-12-31")),
    )
    .await;
    let b = create_lease(&app, &org.admin, lease_body(&u1, &[&t], "2026-01-01", None)).await;
    let c = create_lease(
        &app,
        &org.admin,
        lease_body(&u2, &[&s], "2026-03-01", Some("2027-02-28")),
    )
    .await;
    for id in [&a, &c] {
        assert_eq!(
            set_status(&app, &org.admin, id, "active").await.status,
            StatusCode::OK
        );
    }
    let ids = |r: &Resp| -> Vec<String> {
        r.data()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["id"].as_str().unwrap().to_string())
            .collect()
    };
    let r = app.get("/api/leases", &org.admin).await;
    assert_eq!(ids(&r), [c.clone(), b.clone(), a.clone()], "{}", r.text);
    assert_eq!(r.data()["pageSize"], 20);
    let r = app.get("/api/leases?sort=endDate", &org.admin).await;
    assert_eq!(ids(&r), [a.clone(), c.clone(), b.clone()]);
    let r = app
        .get("/api/leases?sort=-endDate&pageSize=1", &org.admin)
        .await;
    assert_eq!(ids(&r), [b.as_str()]);
    let cursor = r.data()["nextCursor"].as_str().unwrap().to_string();
    let r = app
        .get(
            &format!("/api/leases?sort=-endDate&pageSize=1&cursor={cursor}"),
            &org.admin,
        )
        .await;
    assert_eq!(ids(&r), [c.as_str()]);
    let r = app.get("/api/leases?status=draft", &org.admin).await;
    assert_eq!(ids(&r), [b.as_str()]);
    let r = app
        .get(
            &format!("/api/leases?unitId={u1}&sort=startDate"),
            &org.admin,
        )
        .await;
    assert_eq!(ids(&r), [a.clone(), b.clone()]);
    let r = app
        .get(&format!("/api/leases?tenantId={s}"), &org.admin)
        .await;
    assert_eq!(ids(&r), [c.as_str()]);
    let r = app
        .get(&format!("/api/leases?propertyId={property}"), &org.admin)
        .await;
    assert_eq!(r.data()["total"], 3);
    let r = app.get("/api/leases?activeOn=2026-06-01", &org.admin).await;
    assert_eq!(ids(&r), [c.as_str()]);
    let r = app.get("/api/leases?activeOn=2025-06-01", &org.admin).await;
    assert_eq!(ids(&r), [a.as_str()]);
    let r = app
        .get("/api/leases?expiringBefore=2027-01-01", &org.admin)
        .await;
    assert_eq!(ids(&r), [a.as_str()]);
    let r = app
        .get(
            "/api/leases?pageSize=101&sort=rent&activeOn=today&status=x&tenantId=y",
            &org.admin,
        )
        .await;
    let mut fields = r.fields();
    fields.sort();
    assert_eq!(
        fields,
        ["activeOn", "pageSize", "sort", "status", "tenantId"]
    );
});

backend_test!(access_and_other_organisations, |app| {
    let org = app.org(Plan::Business).await;
    let other = app.org(Plan::Business).await;
    let (_, u) = unit(&app, &org.admin, "Access").await;
    let t = create_tenant(&app, &org.admin, "Uma", "Holt").await;
    let id = create_lease(&app, &org.admin, lease_body(&u, &[&t], "2026-09-01", None)).await;
    let path = format!("/api/leases/{id}");
    for r in [
        app.get("/api/leases", &Client::Anon).await,
        app.get(&path, &Client::Anon).await,
        app.post("/api/leases", &Client::Anon, json!({})).await,
        set_status(&app, &Client::Anon, &id, "active").await,
    ] {
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let broker = app.member(&org, Role::Broker).await;
    assert_eq!(app.get("/api/leases", &broker).await.data()["total"], 1);
    assert_eq!(app.get(&path, &broker).await.status, StatusCode::OK);
    for r in [
        app.post(
            "/api/leases",
            &broker,
            lease_body(&u, &[&t], "2026-09-01", None),
        )
        .await,
        set_status(&app, &broker, &id, "active").await,
    ] {
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::FORBIDDEN, "FORBIDDEN"),
            "{}",
            r.text
        );
        assert_eq!(
            r.body["message"],
            "Forbidden: requires property_manager role or higher"
        );
    }
    // A tenant member without a tenant profile sees no lease.
    let tenant = app.member(&org, Role::Tenant).await;
    assert_eq!(app.get("/api/leases", &tenant).await.data()["total"], 0);
    assert_eq!(app.get(&path, &tenant).await.status, StatusCode::NOT_FOUND);
    for r in [
        app.get(&path, &other.admin).await,
        app.patch(&path, &other.admin, json!({"notes": "x"})).await,
        set_status(&app, &other.admin, &id, "active").await,
    ] {
        assert_eq!(
            (r.status, r.body["error"].as_str()),
            (StatusCode::NOT_FOUND, Some("Lease not found."))
        );
    }
    assert_eq!(
        app.get("/api/leases", &other.admin).await.data()["total"],
        0
    );
});
