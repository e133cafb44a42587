//! Unit names are unique within a property regardless of case and Unicode composition, on both
//! backends: one create, a rename, a bulk create and a concurrent create all answer the same
//! 422 on the name.

use crate::support::units::*;
use crate::support::*;
use axum::http::StatusCode;
use lintel_domain::Plan;
use serde_json::json;

/// The answer to a name already used in the property.
fn assert_taken(r: &Resp, field: &str) {
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.fields(), [field], "{}", r.text);
    assert_eq!(
        r.body["details"][0]["message"], "already exists in this property",
        "{}",
        r.text
    );
}

backend_test!(
    create_refuses_a_name_in_another_case_or_composition,
    |app| {
        let org = app.org(Plan::Pro).await;
        let prop = create_property(&app, &org.admin, "A").await;
        let path = format!("/api/properties/{prop}/units");
        create_unit(&app, &org.admin, &prop, json!({"name": "Harbour"})).await;
        create_unit(&app, &org.admin, &prop, json!({"name": "\u{e9}t\u{e9}"})).await;
        for name in [
            "HARBOUR",
            "harbour",
            " hArBoUr\u{200b}",
            "E\u{301}TE\u{301}",
        ] {
            let r = app.post(&path, &org.admin, json!({"name": name})).await;
            assert_taken(&r, "name");
        }
        // The suite is part of the name, compared the same way.
        create_unit(
            &app,
            &org.admin,
            &prop,
            json!({"name": "Harbour", "suite": "4b"}),
        )
        .await;
        let r = app
            .post(&path, &org.admin, json!({"name": "harbour", "suite": "4B"}))
            .await;
        assert_taken(&r, "name");
        // Another property is another namespace; accents still matter.
        let other = create_property(&app, &org.admin, "B").await;
        create_unit(&app, &org.admin, &other, json!({"name": "HARBOUR"})).await;
        let ete = create_unit(&app, &org.admin, &prop, json!({"name": "ete"})).await;
        assert_eq!(ete["name"], "ete");
        // Stored as sent, in NFC.
        let decomposed =
            create_unit(&app, &org.admin, &other, json!({"name": "Cafe\u{301}"})).await;
        assert_eq!(decomposed["name"], "Caf\u{e9}");
        assert_eq!(
            units_total(&app, &org.admin, &format!("propertyId={prop}")).await,
            4
        );
    }
);

backend_test!(rename_refuses_a_name_in_another_case, |app| {
    let org = app.org(Plan::Pro).await;
    let prop = create_property(&app, &org.admin, "A").await;
    create_unit(&app, &org.admin, &prop, json!({"name": "Harbour"})).await;
    let other = create_unit(&app, &org.admin, &prop, json!({"name": "Bay"})).await;
    let path = format!("/api/units/{}", other["id"].as_str().unwrap());
    let r = app
        .patch(&path, &org.admin, json!({"name": "HARBOUR"}))
        .await;
    assert_taken(&r, "name");
    // A unit may change the case of its own name.
    let r = app.patch(&path, &org.admin, json!({"name": "BAY"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.data()["name"], "BAY");
    // Renamed again, its old name (in any case) is free.
    let r = app.patch(&path, &org.admin, json!({"name": "Cove"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    create_unit(&app, &org.admin, &prop, json!({"name": "bay "})).await;
});

backend_test!(bulk_refuses_names_in_another_case, |app| {
    let org = app.org(Plan::Pro).await;
    let prop = create_property(&app, &org.admin, "A").await;
    create_unit(&app, &org.admin, &prop, json!({"name": "Harbour"})).await;
    let r = bulk(
        &app,
        &org.admin,
        &prop,
        vec![json!({"name": "Bay"}), json!({"name": "HARBOUR"})],
    )
    .await;
    assert_taken(&r, "units[1].name");
    let r = bulk(
        &app,
        &org.admin,
        &prop,
        vec![json!({"name": "Bay"}), json!({"name": "BAY"})],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.fields(), ["units[1].name"]);
    assert_eq!(r.body["details"][0]["message"], "duplicates units[0].name");
    assert_eq!(
        units_total(&app, &org.admin, &format!("propertyId={prop}")).await,
        1
    );
});

backend_test!(concurrent_creates_of_one_name_answer_alike, |app| {
    let org = app.org(Plan::Business).await;
    let prop = create_property(&app, &org.admin, "A").await;
    let path = format!("/api/properties/{prop}/units");
    // Many requests for the same name in different cases at once: one wins; every other one
    // gets the 422 on `name`, whether the check or the unique index stopped it.
    let names = [
        "Harbour", "HARBOUR", "harbour", "HarBour", "hARBOUR", "Harbour ",
    ];
    let requests = names.iter().enumerate().map(|(i, n)| {
        let body = if i % 2 == 0 {
            json!({"name": n})
        } else {
            json!({"units": [{"name": format!("Other {i}")}, {"name": n}]})
        };
        let path = if i % 2 == 0 {
            path.clone()
        } else {
            format!("{path}/bulk")
        };
        let (app, client) = (&app, &org.admin);
        async move { app.post(&path, client, body).await }
    });
    let answers = futures::future::join_all(requests).await;
    let won = answers
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    assert_eq!(won, 1, "{answers:#?}");
    for (i, r) in answers.iter().enumerate() {
        if r.status != StatusCode::CREATED {
            let field = if i % 2 == 0 { "name" } else { "units[1].name" };
            assert_taken(r, field);
        }
    }
});

/// A unit row inserted by another transaction, in the backend's SQL.
fn clashing_insert(org: &str, prop: &str) -> String {
    format!(
        "INSERT INTO units (id, org_id, property_id, name, name_key, unit_type, bedrooms, \
         bathrooms, furnishing, storage, max_occupancy, max_occupancy_set, status, created_at, \
         updated_at) VALUES ('unit_01jd9x4m2k8q7v5t3r1n0p6w8y', '{org}', '{prop}', 'HARBOUR', \
         'harbour', 'apartment', 0, 0, 'unfurnished', 'not_available', 1, 0, 'vacant', 0, 0)"
    )
}

/// Inserts `HARBOUR` into `prop` in another transaction, committed after half a second, while
/// `request` runs (started a little later). On PostgreSQL the request's check cannot see the
/// uncommitted row, so its write waits on the unique index and fails once the other commits;
/// SQLite serialises writers, so there the check sees it. Either way the answer must be the
/// check's 422.
async fn race<F: std::future::Future<Output = Resp>>(
    app: &TestApp,
    org: &TestOrg,
    prop: &str,
    request: F,
) -> Resp {
    use sqlx::Connection;
    let insert = clashing_insert(&org.id.to_string(), prop);
    let url = app.database_url();
    let hold = std::time::Duration::from_millis(500);
    let other = async {
        if app.backend == "postgres" {
            let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
            let mut tx = c.begin().await.unwrap();
            sqlx::query(&insert).execute(&mut *tx).await.unwrap();
            tokio::time::sleep(hold).await;
            tx.commit().await.unwrap();
        } else {
            let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
            let mut tx = c.begin_with("BEGIN IMMEDIATE").await.unwrap();
            sqlx::query(&insert).execute(&mut *tx).await.unwrap();
            tokio::time::sleep(hold).await;
            tx.commit().await.unwrap();
        }
    };
    let later = async {
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        request.await
    };
    tokio::join!(later, other).0
}

// BUSINESS has no unit cap, so a create takes no organisation lock (which would wait for the
// other transaction and then see its row in the check).

backend_test!(a_name_taken_after_the_check_is_the_same_422, |app| {
    let org = app.org(Plan::Business).await;
    let prop = create_property(&app, &org.admin, "A").await;
    let path = format!("/api/properties/{prop}/units");
    let create = app.post(&path, &org.admin, json!({"name": "Harbour"}));
    assert_taken(&race(&app, &org, &prop, create).await, "name");
});

backend_test!(
    a_rename_onto_a_name_taken_after_the_check_is_the_same_422,
    |app| {
        let org = app.org(Plan::Business).await;
        let prop = create_property(&app, &org.admin, "A").await;
        let unit = create_unit(&app, &org.admin, &prop, json!({"name": "Bay"})).await;
        let path = format!("/api/units/{}", unit["id"].as_str().unwrap());
        let rename = app.patch(&path, &org.admin, json!({"name": "harbour"}));
        assert_taken(&race(&app, &org, &prop, rename).await, "name");
    }
);
