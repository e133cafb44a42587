//! Input strictness on both backends: JSON bodies only as JSON (415 otherwise), duplicate keys
//! and arrays in place of objects refused, integral floats taken as integers, errors worded in
//! JSON terms; unknown query parameters named in a 422; text in NFC, blank when only whitespace
//! or zero-width, without control or bidirectional characters.

use crate::reliability::rust_type_named;
use crate::support::units::*;
use crate::support::*;
use axum::http::{Method, StatusCode};
use lintel_domain::Plan;
use serde_json::{json, Value};

/// A POST of `body` (raw text) with `content_type`.
async fn post_as(app: &TestApp, path: &str, c: &Client, ct: Option<&str>, body: &str) -> Resp {
    let body = Some(body.as_bytes().to_vec());
    app.raw_as(Method::POST, path, c, ct, body).await
}

fn unit_path(prop: &str) -> String {
    format!("/api/properties/{prop}/units")
}

backend_test!(bodies_must_be_sent_as_json, |app| {
    let org = app.org(Plan::Pro).await;
    let body = property_body("Harbour").to_string();
    for ct in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        Some("application/jsonp"),
        None,
    ] {
        let r = post_as(&app, "/api/properties", &org.admin, ct, &body).await;
        assert_eq!(
            r.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{ct:?}: {}",
            r.text
        );
        assert_eq!(r.code(), "UNSUPPORTED_MEDIA_TYPE");
        let error = r.body["error"].as_str().unwrap();
        assert!(error.contains("Content-Type: application/json"), "{error}");
    }
    for ct in [
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/merge-patch+json",
    ] {
        let body = property_body(&format!("Harbour {ct}")).to_string();
        let r = post_as(&app, "/api/properties", &org.admin, Some(ct), &body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{ct}: {}", r.text);
    }
    // Nothing was created by the refused requests.
    let list = app.get("/api/properties", &org.admin).await;
    assert_eq!(list.data()["total"], 3);
    // A required body that is missing altogether is still a 400 naming the problem; a route
    // that takes no body does not care about its absence.
    let r = app
        .raw_as(Method::POST, "/api/properties", &org.admin, None, None)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(r.body["error"], "Request body must be a JSON object.");
    let id = list.data()["items"][0]["id"].as_str().unwrap().to_string();
    let r = app
        .post_empty(&format!("/api/properties/{id}/archive"), &org.admin)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
});

backend_test!(duplicate_keys_are_refused_at_any_depth, |app| {
    let org = app.org(Plan::Pro).await;
    let address = r#"{"line1":"1 A St","city":"Halifax","country":"CA"}"#;
    let twice_city = r#"{"line1":"1 A St","city":"Halifax","city":"Truro","country":"CA"}"#;
    let cases = [
        (
            format!(r#"{{"name":"A","name":"B","type":"residential","address":{address}}}"#),
            "name",
        ),
        (
            format!(r#"{{"name":"A","type":"residential","address":{twice_city}}}"#),
            "address.city",
        ),
    ];
    for (body, field) in cases {
        let r = post_as(
            &app,
            "/api/properties",
            &org.admin,
            Some("application/json"),
            &body,
        )
        .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.text);
        assert_eq!(r.fields(), [field], "{}", r.text);
        assert_eq!(r.body["details"][0]["message"], "is given more than once");
    }
    let prop = create_property(&app, &org.admin, "P").await;
    let body = r#"{"units":[{"name":"1"},{"name":"2","suite":"a","suite":"b"}]}"#;
    let path = format!("{}/bulk", unit_path(&prop));
    let r = post_as(&app, &path, &org.admin, Some("application/json"), body).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(r.fields(), ["units[1].suite"]);
    assert_eq!(
        app.get("/api/properties", &org.admin).await.data()["total"],
        1
    );
    assert_eq!(units_total(&app, &org.admin, "").await, 0);
});

backend_test!(arrays_never_stand_in_for_objects, |app| {
    let org = app.org(Plan::Pro).await;
    let prop = create_property(&app, &org.admin, "P").await;
    let unit = create_unit(&app, &org.admin, &prop, json!({"name": "1"})).await;
    let status_path = format!("/api/units/{}/status", unit["id"].as_str().unwrap());
    // `["maintenance"]` once set the status, read as the struct's fields in order.
    let r = app
        .patch(&status_path, &org.admin, json!(["maintenance"]))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(
        r.body["error"],
        "Invalid request body: expected a JSON object, got a JSON array."
    );
    let u = app
        .get(
            &format!("/api/units/{}", unit["id"].as_str().unwrap()),
            &org.admin,
        )
        .await;
    assert_eq!(u.data()["status"], "vacant");
    let mut body = property_body("Q");
    body["address"] = json!(["1 A St", "Halifax", null, null, null, "CA"]);
    let r = app.post("/api/properties", &org.admin, body).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(r.fields(), ["address"]);
    assert_eq!(
        r.body["details"][0]["message"],
        "expected a JSON object, got a JSON array"
    );
    let r = app
        .post(
            &unit_path(&prop),
            &org.admin,
            json!({"name": "2", "rent": [100, "CAD"]}),
        )
        .await;
    assert_eq!(
        (r.status, r.fields()),
        (StatusCode::BAD_REQUEST, vec!["rent".to_string()])
    );
    let r = app
        .post(
            &format!("{}/bulk", unit_path(&prop)),
            &org.admin,
            json!({"units": [["3"]]}),
        )
        .await;
    assert_eq!(
        (r.status, r.fields()),
        (StatusCode::BAD_REQUEST, vec!["units[0]".to_string()])
    );
    assert_eq!(units_total(&app, &org.admin, "").await, 1);
});

backend_test!(
    integral_floats_are_integers_and_messages_speak_json,
    |app| {
        let org = app.org(Plan::Pro).await;
        let prop = create_property(&app, &org.admin, "P").await;
        let body = r#"{"name":"1","areaSqft":850.0,"parkingStalls":-0.0,"maxOccupancy":1e1,
        "bedrooms":1.5,"rent":{"amountMinor":7281.0,"currency":"CAD"}}"#;
        let r = post_as(
            &app,
            &unit_path(&prop),
            &org.admin,
            Some("application/json"),
            body,
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let u = r.data();
        assert_eq!(u["areaSqft"], json!(850));
        assert_eq!(u["parkingStalls"], json!(0));
        assert_eq!(u["maxOccupancy"], json!(10));
        assert_eq!(u["bedrooms"], json!(1.5));
        assert_eq!(u["rent"]["amountMinor"], json!(7281));
        let refused: [(&str, Value, &str); 6] = [
            ("areaSqft", json!(7281.5), "expected an integer, got 7281.5"),
            ("areaSqft", json!("12"), "expected an integer, got a string"),
            ("bedrooms", json!("2"), "expected a number, got a string"),
            ("name", json!(12345), "expected a string, got 12345"),
            ("suite", json!({}), "expected a string, got a JSON object"),
            (
                "rent",
                json!("CAD 10"),
                "expected a JSON object, got a string",
            ),
        ];
        for (field, value, message) in refused {
            let mut body = json!({"name": "2"});
            body[field] = value;
            let r = app.post(&unit_path(&prop), &org.admin, body).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{field}: {}", r.text);
            assert_eq!(r.fields(), [field]);
            assert_eq!(r.body["details"][0]["message"], message);
            assert_eq!(rust_type_named(&r.body), None);
        }
        // A field missing inside an object is a 422 on it, like any required field.
        let body = json!({"name": "3", "rent": {"currency": "CAD"}});
        let r = app.post(&unit_path(&prop), &org.admin, body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert_eq!(r.fields(), ["rent.amountMinor"]);
        assert_eq!(r.body["details"][0]["message"], "is required");
        assert_eq!(units_total(&app, &org.admin, "").await, 1);
    }
);

backend_test!(unknown_query_parameters_are_named, |app| {
    let org = app.org(Plan::Business).await;
    let prop = create_property(&app, &org.admin, "P").await;
    let other = create_property(&app, &org.admin, "Q").await;
    create_unit(&app, &org.admin, &other, json!({"name": "1"})).await;
    // `propertyid` (wrong case) once listed every unit of the organisation.
    let r = app
        .get(&format!("/api/units?propertyid={prop}"), &org.admin)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.fields(), ["propertyid"]);
    assert_eq!(r.body["details"][0]["message"], "is not a known parameter");
    assert_eq!(
        units_total(&app, &org.admin, &format!("propertyId={prop}")).await,
        0
    );
    let ids = format!("ids={prop},{other}");
    for (path, query) in [
        ("/api/properties", "page=1"),
        ("/api/buildings", "page=1"),
        ("/api/units", "page=1"),
        ("/api/members", "page=1"),
        ("/api/api-keys", "page=1"),
        ("/api/audit-log", "page=1"),
        ("/api/properties/compare", ids.as_str()),
    ] {
        let ok = app.get(&format!("{path}?{query}"), &org.admin).await;
        assert_eq!(ok.status, StatusCode::OK, "{path}: {}", ok.text);
        let r = app
            .get(&format!("{path}?{query}&Page=2&x%20y=1&q2"), &org.admin)
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {}",
            r.text
        );
        assert_eq!(r.fields(), ["Page", "x y", "q2"], "{path}");
    }
    // Operations that take no query at all refuse any parameter, named.
    let unit = create_unit(&app, &org.admin, &prop, json!({"name": "2"})).await;
    let unit = unit["id"].as_str().unwrap().to_string();
    for path in [
        format!("/api/properties/{prop}?expand=units"),
        format!("/api/units/{unit}?expand=units"),
        "/api/auth/session?expand=units".to_string(),
        "/api/health?expand=units".to_string(),
    ] {
        let r = app.get(&path, &org.admin).await;
        assert_eq!(
            (r.status, r.fields()),
            (StatusCode::UNPROCESSABLE_ENTITY, vec!["expand".to_string()]),
            "{path}: {}",
            r.text
        );
    }
    let r = app
        .patch(
            &format!("/api/units/{unit}?dryRun=1"),
            &org.admin,
            json!({"name": "3"}),
        )
        .await;
    assert_eq!(r.fields(), ["dryRun"], "{}", r.text);
    let unchanged = app.get(&format!("/api/units/{unit}"), &org.admin).await;
    assert_eq!(unchanged.data()["name"], "2");
    // Pages outside the API and redirect targets keep ignoring what they do not know.
    let page = app
        .get("/login?error=invalid_code&utm_source=mail", &Client::Anon)
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let cb = app
        .get("/api/auth/callback?code=x&state=abc", &Client::Anon)
        .await;
    assert_eq!(cb.status, StatusCode::FOUND);
});

backend_test!(text_is_normalised_and_checked, |app| {
    let org = app.org(Plan::Pro).await;
    let prop = create_property(&app, &org.admin, "Caf\u{e9} Lofts").await;
    let refused: [(&str, &str, &str); 6] = [
        ("name", " \u{200b}\u{feff} ", "must not be empty"),
        ("name", "\u{a0}\u{3000}\u{2060}", "must not be empty"),
        (
            "name",
            "Unit\u{202e}1",
            "must not contain control characters",
        ),
        ("name", "Unit\t1", "must not contain control characters"),
        ("suite", "4\u{85}B", "must not contain control characters"),
        (
            "description",
            "bell\u{7}",
            "must not contain control characters",
        ),
    ];
    for (field, value, message) in refused {
        let mut body = json!({"name": "1"});
        body[field] = json!(value);
        let r = app.post(&unit_path(&prop), &org.admin, body).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {}",
            r.text
        );
        assert_eq!(r.fields(), [field]);
        assert_eq!(
            r.body["details"][0]["message"], message,
            "{field} {value:?}"
        );
    }
    let body = json!({
        "name": "\u{200b} Cafe\u{301} 1 \u{feff}",
        "suite": " \u{200b} ",
        "description": "Two lines:\n\tsecond\r\n",
    });
    let u = create_unit(&app, &org.admin, &prop, body).await;
    assert_eq!(u["name"], "Caf\u{e9} 1");
    assert_eq!(u["suite"], Value::Null);
    assert_eq!(u["description"], "Two lines:\n\tsecond");
    // Search compares the normalised text: decomposed input finds the precomposed name.
    let found = app.get("/api/properties?q=cafe%CC%81", &org.admin).await;
    assert_eq!(found.data()["total"], 1, "{}", found.text);
    let r = app.get("/api/properties?q=a%E2%80%AEb", &org.admin).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    // Names compare in NFC: a building name sent decomposed is the one already there.
    let r = app
        .post("/api/buildings", &org.admin, json!({"name": "Caf\u{e9}"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = app
        .post("/api/buildings", &org.admin, json!({"name": "Cafe\u{301}"}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    // E-mail addresses refuse invisible and bidirectional characters.
    for email in ["a\u{200b}@example.com", "a\u{202e}b@example.com"] {
        let body = json!({"email": email, "name": "N", "role": "tenant", "password": PASSWORD});
        let r = app.post("/api/members", &org.admin, body).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{email:?}: {}",
            r.text
        );
        assert_eq!(r.fields(), ["email"]);
    }
});
