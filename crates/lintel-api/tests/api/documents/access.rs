//! Who may upload, read and delete documents; other organisations; lists and their bounds;
//! refused uploads.

use crate::support::form::{Form, PDF, PNG};
use crate::support::*;
use axum::http::StatusCode;
use lintel_domain::{Plan, Role};

use super::stored_files;

fn pdf_form(kind: &str, id: &str) -> Form {
    Form::new()
        .file("file", Some("lease.pdf"), Some("application/pdf"), PDF)
        .text("entityType", kind)
        .text("entityId", id)
        .text("category", "lease")
}

backend_test!(auth_roles_and_other_organisations, |app| {
    let org = app.org(Plan::Pro).await;
    let other = app.org(Plan::Pro).await;
    let property = create_property(&app, &org.admin, "Ash Row").await;
    let id = app
        .upload_pdf(&org.admin, "property", &property, "a.pdf")
        .await;
    let path = format!("/api/documents/{id}");

    let form = pdf_form("property", &property);
    for r in [
        app.get("/api/documents", &Client::Anon).await,
        app.get(&path, &Client::Anon).await,
        app.delete(&path, &Client::Anon).await,
        app.upload("/api/documents", &Client::Anon, &form).await,
    ] {
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::UNAUTHORIZED, "UNAUTHORIZED")
        );
    }
    // A tenant without a profile reads no document; a broker reads them but cannot write.
    let tenant = app.member(&org, Role::Tenant).await;
    assert_eq!(app.get("/api/documents", &tenant).await.data()["total"], 0);
    assert_eq!(app.get(&path, &tenant).await.status, StatusCode::NOT_FOUND);
    let broker = app.member(&org, Role::Broker).await;
    assert_eq!(app.get(&path, &broker).await.status, StatusCode::OK);
    for c in [&tenant, &broker] {
        for r in [
            app.delete(&path, c).await,
            app.upload("/api/documents", c, &form).await,
        ] {
            assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "FORBIDDEN"));
            assert_eq!(
                r.body["message"],
                "Forbidden: requires property_manager role or higher"
            );
        }
    }
    let pm = app.member(&org, Role::PropertyManager).await;
    let r = app.upload("/api/documents", &pm, &form).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let pm_doc = r.data()["id"].as_str().unwrap().to_string();
    assert_eq!(app.get(&path, &pm).await.status, StatusCode::OK);
    assert_eq!(app.get("/api/documents", &pm).await.data()["total"], 2);

    // Another organisation sees none of it, and cannot attach to its records.
    let r = app.get(&path, &other.admin).await;
    assert_eq!((r.status, r.code()), (StatusCode::NOT_FOUND, "NOT_FOUND"));
    assert_eq!(r.body["error"], "Document not found.");
    let r = app.delete(&path, &other.admin).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("/api/documents", &other.admin).await.data()["total"],
        0
    );
    let r = app.upload("/api/documents", &other.admin, &form).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::NOT_FOUND, "NOT_FOUND"),
        "{}",
        r.text
    );
    assert_eq!(r.body["error"], "Property not found.");
    let r = app
        .get(&format!("/api/documents?entityId={property}"), &other.admin)
        .await;
    assert_eq!(r.data()["total"], 0);
    // Still there for its owner; the refused upload left no file.
    let r = app.delete(&format!("/api/documents/{pm_doc}"), &pm).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&path, &org.admin).await.status, StatusCode::OK);
    assert_eq!(stored_files(&app), 1);
});

backend_test!(refused_uploads_say_why_and_store_nothing, |app| {
    let org = app.org(Plan::Pro).await;
    let property = create_property(&app, &org.admin, "Elm Yard").await;
    let missing_unit = lintel_domain::UnitId::new().to_string();
    let upload = |form: Form| {
        let app = &app;
        let admin = org.admin.clone();
        async move { app.upload("/api/documents", &admin, &form).await }
    };

    // Every missing field at once.
    let r = upload(Form::new()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.fields(), ["file", "entityType", "entityId", "category"]);

    let bad = Form::new()
        .file("file", Some("empty.pdf"), None, b"")
        .text("entityType", "tenant_thing")
        .text("entityId", "x")
        .text("category", "lease_pdf");
    let r = upload(bad).await;
    assert_eq!(r.fields(), ["file", "entityType", "category"], "{}", r.text);
    assert_eq!(r.body["details"][0]["message"], "must not be empty");
    assert!(r.body["details"][1]["message"]
        .as_str()
        .unwrap()
        .contains("property, building, unit"));

    let r = upload(pdf_form("unit", &property)).await;
    assert_eq!(r.fields(), ["entityId"]);
    assert_eq!(r.body["details"][0]["message"], "is not a unit ID");
    let r = upload(pdf_form("unit", &missing_unit)).await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("Unit not found."))
    );

    // A name that hides a path, or a file name with a NUL in it.
    let r = upload(pdf_form("property", &property).text("name", "../../etc/passwd")).await;
    assert_eq!(r.fields(), ["name"]);
    let nul = Form::new()
        .file("file", Some("a\0b.pdf"), None, PDF)
        .text("entityType", "property")
        .text("entityId", &property)
        .text("category", "lease");
    // A NUL cannot even be carried in a part header: the body is malformed.
    let r = upload(nul).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "VALIDATION_ERROR"),
        "{}",
        r.text
    );
    assert!(r.body["error"]
        .as_str()
        .unwrap()
        .starts_with("The multipart/form-data body is malformed"));
    let encoded = Form::new()
        .text("entityType", "property")
        .text("entityId", &property)
        .text("category", "lease")
        .file("file\"; filename*=\"UTF-8''a%00b.pdf", None, None, PDF);
    let r = upload(encoded).await;
    assert!(r.status.is_client_error(), "{}", r.text);

    // Kinds Lintel does not store, whatever the client calls them.
    for (bytes, declared) in [
        (
            &b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00"[..],
            "application/pdf",
        ),
        (
            &b"PK\x03\x04\x14\x00\x00\x00\x08\x00not-a-docx"[..],
            "application/zip",
        ),
        (&b"GIF89a\x01\x00\x01\x00"[..], "image/gif"),
        (&[0xff, 0xfe, 0x00, 0x01][..], "text/plain"),
    ] {
        let form = Form::new()
            .file("file", Some("x.pdf"), Some(declared), bytes)
            .text("entityType", "property")
            .text("entityId", &property)
            .text("category", "other");
        let r = upload(form).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE"),
            "{declared}: {}",
            r.text
        );
        assert_eq!(
            r.body["error"],
            "Unsupported file type: upload a PDF, PNG, JPEG, WebP, HEIC, plain text, CSV or DOCX file."
        );
    }

    // Not multipart at all; an unknown part; a part twice.
    let r = app
        .post(
            "/api/documents",
            &org.admin,
            serde_json::json!({"file": "x"}),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE")
    );
    let r = upload(pdf_form("property", &property).text("owner", "me")).await;
    assert_eq!(
        (r.status, r.fields()),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["owner".to_string()])
    );
    let r = upload(pdf_form("property", &property).text("category", "photo")).await;
    assert_eq!(r.fields(), ["category"]);
    assert_eq!(r.body["details"][0]["message"], "is given more than once");
    let twice = pdf_form("property", &property).file("file", Some("b.png"), None, PNG);
    assert_eq!(upload(twice).await.fields(), ["file"]);

    assert_eq!(stored_files(&app), 0);
    let r = app.get("/api/documents", &org.admin).await;
    assert_eq!(r.data()["total"], 0);
});

backend_test!(lists_filter_and_page, |app| {
    let org = app.org(Plan::Pro).await;
    let a = create_property(&app, &org.admin, "List A").await;
    let b = create_property(&app, &org.admin, "List B").await;
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(
            app.upload_pdf(&org.admin, "property", &a, &format!("a{i}.pdf"))
                .await,
        );
    }
    ids.push(app.upload_pdf(&org.admin, "property", &b, "b.pdf").await);

    // Newest first, 20 by default, at most 100.
    let r = app.get("/api/documents", &org.admin).await;
    let page = r.data();
    assert_eq!(
        (page["total"].as_i64(), page["pageSize"].as_i64()),
        (Some(4), Some(20))
    );
    let got: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    let want: Vec<&str> = ids.iter().rev().map(String::as_str).collect();
    assert_eq!(got, want);
    let r = app
        .get(
            &format!("/api/documents?entityType=property&entityId={a}&category=lease"),
            &org.admin,
        )
        .await;
    assert_eq!(r.data()["total"], 3);
    let r = app
        .get(&format!("/api/documents?entityId={b}"), &org.admin)
        .await;
    assert_eq!(r.data()["total"], 1);
    let r = app.get("/api/documents?category=photo", &org.admin).await;
    assert_eq!(r.data()["total"], 0);
    let r = app
        .get("/api/documents?pageSize=2&page=2", &org.admin)
        .await;
    assert_eq!(r.data()["items"].as_array().unwrap().len(), 2);
    let r = app.get("/api/documents?pageSize=2", &org.admin).await;
    let cursor = r.data()["nextCursor"].as_str().unwrap().to_string();
    let r = app
        .get(
            &format!("/api/documents?pageSize=2&cursor={cursor}"),
            &org.admin,
        )
        .await;
    assert_eq!(r.data()["items"][0]["id"], ids[1]);

    let r = app
        .get(
            "/api/documents?pageSize=101&page=0&entityType=garage&entityId=x&category=y",
            &org.admin,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let mut fields = r.fields();
    fields.sort();
    assert_eq!(
        fields,
        ["category", "entityId", "entityType", "page", "pageSize"]
    );
    let r = app
        .get(
            &format!("/api/documents?entityType=unit&entityId={a}"),
            &org.admin,
        )
        .await;
    assert_eq!(r.fields(), ["entityId"]);
    assert_eq!(r.body["details"][0]["message"], "is not a unit ID");
});
