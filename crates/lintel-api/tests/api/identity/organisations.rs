//! One person, several organisations: create another, list them, switch the session, sign in to
//! a chosen one, and leave one without losing the others.

use axum::http::StatusCode;
use lintel_domain::{Plan, Role};
use serde_json::json;

use super::helpers::*;

backend_test_with!(a_person_works_in_several_organisations, relaxed(), |app| {
    let (email, maria, first) = person(&app, "multi").await;
    let r = create_property(&app, &maria, "First Org House").await;
    assert!(!r.is_empty());

    let r = app
        .post(
            "/api/organisations",
            &maria,
            json!({"name": "  Second Lettings "}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let second = r.data()["organisation"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        (
            r.data()["organisation"]["name"].as_str(),
            r.data()["role"].as_str(),
            r.data()["current"].as_bool()
        ),
        (Some("Second Lettings"), Some("admin"), Some(false))
    );
    assert_eq!(r.data()["organisation"]["plan"], "free");
    let r = app
        .post("/api/organisations", &maria, json!({"name": " "}))
        .await;
    assert_eq!(r.fields(), ["name"], "{}", r.text);

    let list = app.get("/api/auth/organisations", &maria).await;
    let orgs: Vec<_> = list
        .data()
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["organisation"]["id"].as_str().unwrap().to_string(),
                m["current"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        orgs,
        [(first.clone(), true), (second.clone(), false)],
        "{}",
        list.text
    );

    // Switching moves the session: reads and writes act in the second organisation.
    let r = app
        .post(
            "/api/auth/switch-organisation",
            &maria,
            json!({"organisationId": second}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        (
            r.data()["organisation"]["id"].as_str(),
            r.data()["user"]["role"].as_str()
        ),
        (Some(second.as_str()), Some("admin"))
    );
    let props = app.get("/api/properties", &maria).await;
    assert_eq!(props.data()["total"], 0, "{}", props.text);
    let session = app.get("/api/auth/session", &maria).await;
    assert_eq!(session.data()["organisation"]["id"], second.as_str());

    // Someone else's organisation cannot be switched to, and looks like no organisation.
    let (_, _, stranger_org) = person(&app, "stranger").await;
    let r = app
        .post(
            "/api/auth/switch-organisation",
            &maria,
            json!({"organisationId": stranger_org}),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::NOT_FOUND, "NOT_FOUND"),
        "{}",
        r.text
    );
    let r = app
        .post(
            "/api/auth/switch-organisation",
            &maria,
            json!({"organisationId": "prop_01jdc8k5m3q7r9t1v3x5z7b9d1"}),
        )
        .await;
    assert_eq!(r.fields(), ["organisationId"], "{}", r.text);
    let Client::Session { cookie, .. } = &maria else {
        unreachable!()
    };
    let no_csrf = Client::SessionNoCsrf {
        cookie: cookie.clone(),
    };
    let r = app
        .post(
            "/api/auth/switch-organisation",
            &no_csrf,
            json!({"organisationId": first}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "switching needs the CSRF token: {}",
        r.text
    );

    // A new sign-in lands where the person worked last, or where they ask.
    let r = sign_in(&app, &email, PASSWORD, None).await;
    assert_eq!(
        r.data()["organisation"]["id"],
        second.as_str(),
        "{}",
        r.text
    );
    let r = sign_in(&app, &email, PASSWORD, Some(&first)).await;
    assert_eq!(r.data()["organisation"]["id"], first.as_str(), "{}", r.text);
    let r = sign_in(&app, &email, PASSWORD, Some(&stranger_org)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);

    // Registering again with the same email is told to sign in and add the organisation.
    let r = app
        .post(
            "/api/auth/register",
            &Client::Anon,
            crate::support::auth::register_body(&email),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "ACCOUNT_EXISTS"),
        "{}",
        r.text
    );
});

backend_test!(keys_stay_in_their_organisation, |app| {
    let org = app.org(Plan::Business).await;
    let key = app.key(&org, Role::Admin).await;
    let r = app.get("/api/auth/organisations", &key).await;
    let ids: Vec<_> = r
        .data()
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["organisation"]["id"].clone())
        .collect();
    assert_eq!(ids, [json!(org.id.to_string())], "{}", r.text);
    for (path, body) in [
        (
            "/api/auth/switch-organisation",
            json!({"organisationId": org.id.to_string()}),
        ),
        ("/api/organisations", json!({"name": "Key Org"})),
    ] {
        let r = app.post(path, &key, body).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::FORBIDDEN, "NOT_APPLICABLE"),
            "{path}: {}",
            r.text
        );
    }
});

backend_test_with!(
    leaving_one_organisation_keeps_the_others,
    relaxed(),
    |app| {
        let org = app.org(Plan::Pro).await;
        let (email, person_client, own) = person(&app, "two-hats").await;
        let inv = invite(&app, &org.admin, &email, "property_manager").await;
        let token = inv["token"].as_str().unwrap();
        let r = app
            .post(
                "/api/auth/accept-invite",
                &Client::Anon,
                json!({"token": token, "password": PASSWORD}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let in_org = client_of(&r);
        let user_id = r.data()["user"]["id"].as_str().unwrap().to_string();
        // Org A's member list shows the person with A's role only.
        let members = app.get("/api/members", &org.admin).await;
        let me = members.data()["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == user_id.as_str())
            .cloned()
            .unwrap();
        assert_eq!(
            (me["role"].as_str(), me["organisationId"].as_str()),
            (Some("property_manager"), Some(org.id.to_string().as_str()))
        );

        let r = app
            .delete(&format!("/api/members/{user_id}"), &org.admin)
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
        assert_eq!(
            app.get("/api/properties", &in_org).await.status,
            StatusCode::UNAUTHORIZED
        );
        // The session in their own organisation, and the account, live on.
        assert_eq!(
            app.get("/api/properties", &person_client).await.status,
            StatusCode::OK
        );
        let r = sign_in(&app, &email, PASSWORD, None).await;
        assert_eq!(
            (r.status, r.data()["organisation"]["id"].as_str()),
            (StatusCode::OK, Some(own.as_str())),
            "{}",
            r.text
        );

        // Removed from their last organisation, the account itself goes.
        let lonely = app.member(&org, Role::Tenant).await;
        let who = app.get("/api/auth/session", &lonely).await;
        let (id, lonely_email) = (
            who.data()["user"]["id"].as_str().unwrap().to_string(),
            who.data()["user"]["email"].as_str().unwrap().to_string(),
        );
        assert_eq!(
            app.delete(&format!("/api/members/{id}"), &org.admin)
                .await
                .status,
            StatusCode::NO_CONTENT
        );
        assert!(app
            .store()
            .credentials()
            .login(&lonely_email)
            .await
            .unwrap()
            .is_none());
    }
);
