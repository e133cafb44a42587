//! The lease state machine through HTTP: every pair of statuses; occupancy following the leases;
//! overlapping leases of one unit, also racing; the FREE plan's cap on leases in force; the
//! organisation's time zone for "today".

use std::sync::Arc;

use crate::support::units::bulk;
use crate::support::*;
use axum::http::StatusCode;
use lintel_domain::Plan;
use serde_json::json;

use super::{create_lease, create_tenant, lease_body, set_status, unit};

const STATUSES: [&str; 8] = [
    "draft",
    "pending_signature",
    "active",
    "renewed",
    "notice_given",
    "ended",
    "terminated",
    "cancelled",
];

/// The moves the lease issue allows, written out here independently of the code.
const ALLOWED: &[(&str, &str)] = &[
    ("draft", "pending_signature"),
    ("draft", "active"),
    ("draft", "cancelled"),
    ("pending_signature", "draft"),
    ("pending_signature", "active"),
    ("pending_signature", "cancelled"),
    ("active", "renewed"),
    ("active", "notice_given"),
    ("active", "terminated"),
    ("active", "ended"),
    ("renewed", "notice_given"),
    ("renewed", "terminated"),
    ("renewed", "ended"),
    ("notice_given", "ended"),
    ("notice_given", "active"),
];

/// The moves that take a new lease to `status`.
fn path_to(status: &str) -> &'static [&'static str] {
    match status {
        "draft" => &[],
        "pending_signature" => &["pending_signature"],
        "active" => &["active"],
        "renewed" => &["active", "renewed"],
        "notice_given" => &["active", "notice_given"],
        "ended" => &["active", "ended"],
        "terminated" => &["active", "terminated"],
        "cancelled" => &["cancelled"],
        other => panic!("{other}"),
    }
}

/// `n` new units of `property`, named `{prefix}00`…; answers their IDs.
async fn units(
    app: &TestApp,
    org: &TestOrg,
    property: &str,
    prefix: &str,
    n: usize,
) -> Vec<String> {
    let names: Vec<_> = (0..n)
        .map(|i| json!({"name": format!("{prefix}{i:02}")}))
        .collect();
    let r = bulk(app, &org.admin, property, names).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.data()
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect()
}

/// A periodic draft lease from 2026-01-01 for `tenant` on each of `units`.
async fn leases_on(app: &TestApp, org: &TestOrg, units: &[String], tenant: &str) -> Vec<String> {
    let mut leases = Vec::new();
    for u in units {
        let body = lease_body(u, &[tenant], "2026-01-01", None);
        leases.push(create_lease(app, &org.admin, body).await);
    }
    leases
}

/// Moves every lease to `status` at once; the answers, in order.
async fn all_at_once(
    app: &Arc<TestApp>,
    org: &Arc<TestOrg>,
    leases: &[String],
    status: &'static str,
) -> Vec<Resp> {
    let tasks: Vec<_> = leases
        .iter()
        .map(|id| {
            let (app, org, id) = (app.clone(), org.clone(), id.clone());
            tokio::spawn(async move { set_status(&app, &org.admin, &id, status).await })
        })
        .collect();
    let mut out = Vec::new();
    for task in tasks {
        out.push(task.await.unwrap());
    }
    out
}

backend_test_with!(every_pair_of_statuses, unlimited_config(), |app| {
    let org = app.org(Plan::Pro).await;
    let property = create_property(&app, &org.admin, "Machine").await;
    let units = units(&app, &org, &property, "M", 64).await;
    let t = create_tenant(&app, &org.admin, "State", "Machine").await;
    let mut n = 0;
    for from in STATUSES {
        for to in STATUSES {
            let mut body = lease_body(&units[n], &[&t], "2026-01-01", None);
            body["rent"]["currency"] = json!("CAD");
            n += 1;
            let id = create_lease(&app, &org.admin, body).await;
            for step in path_to(from) {
                let r = set_status(&app, &org.admin, &id, step).await;
                assert_eq!(r.status, StatusCode::OK, "{from}: {step}: {}", r.text);
            }
            let r = set_status(&app, &org.admin, &id, to).await;
            let want = if from == to {
                (
                    StatusCode::CONFLICT,
                    "ALREADY_IN_STATUS",
                    "Lease is already in this status.".to_string(),
                )
            } else if ALLOWED.contains(&(from, to)) {
                (StatusCode::OK, "", String::new())
            } else {
                let msg = format!("Invalid status transition: {from} -> {to}");
                (StatusCode::CONFLICT, "INVALID_STATUS_TRANSITION", msg)
            };
            assert_eq!(r.status, want.0, "{from} -> {to}: {}", r.text);
            if want.0 == StatusCode::OK {
                assert_eq!(r.data()["status"], to);
            } else {
                assert_eq!(
                    (r.code(), r.body["error"].as_str().unwrap()),
                    (want.1, want.2.as_str())
                );
                let r = app.get(&format!("/api/leases/{id}"), &org.admin).await;
                assert_eq!(r.data()["status"], from, "a refused move changes nothing");
            }
        }
    }
    // The status field of PATCH /api/leases/{id} is not a way around the machine.
    let id = create_lease(
        &app,
        &org.admin,
        lease_body(&units[0], &[&t], "2030-01-01", None),
    )
    .await;
    let r = app
        .patch(
            &format!("/api/leases/{id}"),
            &org.admin,
            json!({"status": "active"}),
        )
        .await;
    assert_eq!(r.fields(), ["status"]);
});

/// The property's `occupiedUnits`.
async fn occupied(app: &TestApp, org: &TestOrg, property: &str) -> i64 {
    let r = app
        .get(&format!("/api/properties/{property}"), &org.admin)
        .await;
    r.data()["occupiedUnits"].as_i64().unwrap()
}

backend_test!(occupancy_follows_the_leases, |app| {
    let org = app.org(Plan::Pro).await;
    let (property, u) = unit(&app, &org.admin, "Occupancy").await;
    let t = create_tenant(&app, &org.admin, "Occu", "Pant").await;
    let unit_status = |r: Resp| r.data()["status"].as_str().unwrap().to_string();

    // A future lease comes into force without occupying the unit yet.
    let future = create_lease(&app, &org.admin, lease_body(&u, &[&t], "2099-01-01", None)).await;
    assert_eq!(
        set_status(&app, &org.admin, &future, "active").await.status,
        StatusCode::OK
    );
    assert_eq!(
        unit_status(app.get(&format!("/api/units/{u}"), &org.admin).await),
        "vacant"
    );
    assert_eq!(
        set_status(&app, &org.admin, &future, "terminated")
            .await
            .status,
        StatusCode::OK
    );

    let id = create_lease(
        &app,
        &org.admin,
        lease_body(&u, &[&t], "2026-01-01", Some("2098-12-31")),
    )
    .await;
    assert_eq!(
        set_status(&app, &org.admin, &id, "active").await.status,
        StatusCode::OK
    );
    assert_eq!(
        unit_status(app.get(&format!("/api/units/{u}"), &org.admin).await),
        "occupied"
    );
    assert_eq!(occupied(&app, &org, &property).await, 1);
    assert_eq!(
        set_status(&app, &org.admin, &id, "notice_given")
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(occupied(&app, &org, &property).await, 1);
    let r = app
        .patch(
            &format!("/api/leases/{id}/status"),
            &org.admin,
            json!({"status": "ended", "reason": "Moved out", "effectiveDate": "2026-11-01"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        unit_status(app.get(&format!("/api/units/{u}"), &org.admin).await),
        "vacant"
    );
    assert_eq!(occupied(&app, &org, &property).await, 0);
    let r = app.get(&format!("/api/leases/{id}"), &org.admin).await;
    let last = r.data()["statusHistory"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["from"], "notice_given");
    assert_eq!(last["to"], "ended");
    assert_eq!(last["reason"], "Moved out");
    assert_eq!(last["effectiveDate"], "2026-11-01");
    assert_eq!(last["changedBy"], org.admin_id.to_string());

    // A unit under maintenance stays so when its lease ends.
    let again = create_lease(&app, &org.admin, lease_body(&u, &[&t], "2026-01-01", None)).await;
    assert_eq!(
        set_status(&app, &org.admin, &again, "active").await.status,
        StatusCode::OK
    );
    let r = app
        .patch(
            &format!("/api/units/{u}/status"),
            &org.admin,
            json!({"status": "maintenance"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        set_status(&app, &org.admin, &again, "terminated")
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        unit_status(app.get(&format!("/api/units/{u}"), &org.admin).await),
        "maintenance"
    );
});

backend_test!(overlapping_leases_of_a_unit, |app| {
    let org = app.org(Plan::Pro).await;
    let (_, u) = unit(&app, &org.admin, "Overlap").await;
    let t = create_tenant(&app, &org.admin, "Over", "Lap").await;
    let first = create_lease(
        &app,
        &org.admin,
        lease_body(&u, &[&t], "2026-01-01", Some("2026-12-31")),
    )
    .await;
    let clash = create_lease(&app, &org.admin, lease_body(&u, &[&t], "2026-12-31", None)).await;
    let after = create_lease(
        &app,
        &org.admin,
        lease_body(&u, &[&t], "2027-01-01", Some("2027-12-31")),
    )
    .await;
    assert_eq!(
        set_status(&app, &org.admin, &first, "active").await.status,
        StatusCode::OK
    );
    let r = set_status(&app, &org.admin, &clash, "active").await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "LEASE_OVERLAP"),
        "{}",
        r.text
    );
    assert_eq!(
        r.body["error"],
        format!("The lease overlaps lease {first} of the same unit, which is in force.")
    );
    assert_eq!(
        set_status(&app, &org.admin, &after, "active").await.status,
        StatusCode::OK
    );
    // Drafts overlap freely; once the first ends, the clash can come into force... except that
    // it still overlaps the one after it.
    assert_eq!(
        set_status(&app, &org.admin, &first, "ended").await.status,
        StatusCode::OK
    );
    let r = set_status(&app, &org.admin, &clash, "active").await;
    assert_eq!(r.code(), "LEASE_OVERLAP");
    assert!(r.body["error"].as_str().unwrap().contains(&after));
});

backend_test!(racing_activations_of_overlapping_leases, |app| {
    let app = Arc::new(app);
    let org = Arc::new(app.org(Plan::Pro).await);
    let (_, u) = unit(&app, &org.admin, "Race").await;
    let t = create_tenant(&app, &org.admin, "Ra", "Ce").await;
    let leases = leases_on(&app, &org, &vec![u; 6], &t).await;
    let mut won = 0;
    for r in all_at_once(&app, &org, &leases, "active").await {
        match r.status {
            StatusCode::OK => won += 1,
            StatusCode::CONFLICT => assert_eq!(r.code(), "LEASE_OVERLAP", "{}", r.text),
            s => panic!("{s}: {}", r.text),
        }
    }
    assert_eq!(won, 1);
    let r = app.get("/api/leases?status=active", &org.admin).await;
    assert_eq!(r.data()["total"], 1);
});

backend_test!(occupied_units_stay_exact_under_concurrent_changes, |app| {
    let app = Arc::new(app);
    let org = Arc::new(app.org(Plan::Pro).await);
    let property = create_property(&app, &org.admin, "Busy").await;
    let units = units(&app, &org, &property, "B", 8).await;
    let t = create_tenant(&app, &org.admin, "Busy", "Bee").await;
    let leases = leases_on(&app, &org, &units, &t).await;
    for (status, want) in [("active", 8), ("terminated", 0)] {
        for r in all_at_once(&app, &org, &leases, status).await {
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        }
        assert_eq!(
            occupied(&app, &org, &property).await,
            want,
            "after {status}"
        );
        let r = app
            .get(
                &format!("/api/units?propertyId={property}&status=occupied"),
                &org.admin,
            )
            .await;
        assert_eq!(r.data()["total"], want);
    }
});

backend_test!(free_plan_allows_ten_leases_in_force, |app| {
    let org = app.org(Plan::Free).await;
    let property = create_property(&app, &org.admin, "Free").await;
    let units = units(&app, &org, &property, "F", 11).await;
    let t = create_tenant(&app, &org.admin, "Free", "Plan").await;
    let leases = leases_on(&app, &org, &units, &t).await;
    for id in &leases[..10] {
        assert_eq!(
            set_status(&app, &org.admin, id, "active").await.status,
            StatusCode::OK
        );
    }
    // Drafts do not count; the eleventh in force does.
    let r = set_status(&app, &org.admin, &leases[10], "active").await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "PLAN_LIMIT_EXCEEDED"),
        "{}",
        r.text
    );
    assert_eq!(r.body["error"], "Plan limit reached: 10 leases in force.");
    assert_eq!(r.body["currentPlan"], "FREE");
    // Moves within force do not count again; one ending makes room.
    assert_eq!(
        set_status(&app, &org.admin, &leases[0], "notice_given")
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        set_status(&app, &org.admin, &leases[0], "ended")
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        set_status(&app, &org.admin, &leases[10], "active")
            .await
            .status,
        StatusCode::OK
    );
});

backend_test!(today_is_the_organisations, |app| {
    let org = app.org(Plan::Pro).await;
    let r = app.get("/api/organisations/current", &org.admin).await;
    assert_eq!(r.data()["timezone"], "UTC", "{}", r.text);
    let r = app
        .patch(
            "/api/organisations/current",
            &org.admin,
            json!({"timezone": "Mars/Olympus"}),
        )
        .await;
    assert_eq!(r.fields(), ["timezone"]);
    let zone = "Pacific/Kiritimati";
    let r = app
        .patch(
            "/api/organisations/current",
            &org.admin,
            json!({"timezone": zone}),
        )
        .await;
    assert_eq!(
        (r.status, r.data()["timezone"].as_str()),
        (StatusCode::OK, Some(zone)),
        "{}",
        r.text
    );
    let (_, u) = unit(&app, &org.admin, "Zones").await;
    let t = create_tenant(&app, &org.admin, "Time", "Zone").await;
    let id = create_lease(&app, &org.admin, lease_body(&u, &[&t], "2026-01-01", None)).await;
    assert_eq!(
        set_status(&app, &org.admin, &id, "active").await.status,
        StatusCode::OK
    );
    let r = app.get(&format!("/api/leases/{id}"), &org.admin).await;
    let today = chrono::Utc::now()
        .with_timezone(&zone.parse::<chrono_tz::Tz>().unwrap())
        .date_naive()
        .format("%Y-%m-%d")
        .to_string();
    assert_eq!(r.data()["statusHistory"][1]["effectiveDate"], today);
    let pm = app.member(&org, lintel_domain::Role::Landlord).await;
    let r = app
        .patch(
            "/api/organisations/current",
            &pm,
            json!({"timezone": "UTC"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
});
