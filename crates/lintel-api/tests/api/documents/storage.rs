//! Storage and records kept in agreement: an upload the storage refuses leaves no record, a
//! delete whose file cannot be removed leaves the record; the upload limit.

use crate::support::form::{Form, PDF};
use crate::support::*;
use axum::http::StatusCode;
use lintel_domain::Plan;

use super::{audit_actions, stored_files};

/// Where the app's local storage keeps an organisation's documents.
fn org_dir(app: &TestApp, org: &TestOrg) -> std::path::PathBuf {
    app.documents
        .path()
        .join("documents")
        .join("documents")
        .join(org.id.to_string())
}

backend_test!(storage_failures_leave_records_as_they_were, |app| {
    let org = app.org(Plan::Pro).await;
    let property = create_property(&app, &org.admin, "Oak Terrace").await;
    let id = app
        .upload_pdf(&org.admin, "property", &property, "a.pdf")
        .await;
    let file = org_dir(&app, &org).join(&id);
    assert!(file.is_file(), "{} holds the upload", file.display());

    // The file cannot be removed (a directory with something in it sits in its place): the
    // delete fails with a 503 and the record stays, unaudited.
    std::fs::remove_file(&file).unwrap();
    std::fs::create_dir_all(file.join("stuck")).unwrap();
    let r = app
        .delete(&format!("/api/documents/{id}"), &org.admin)
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE"),
        "{}",
        r.text
    );
    assert_eq!(
        r.body["error"],
        "The document storage is temporarily unavailable. Please retry shortly."
    );
    assert!(!r.header("retry-after").is_empty());
    let r = app.get(&format!("/api/documents/{id}"), &org.admin).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(audit_actions(&app, &org, &id).await, ["document.create"]);

    // Once the storage works again, the delete goes through.
    std::fs::remove_dir_all(&file).unwrap();
    let r = app
        .delete(&format!("/api/documents/{id}"), &org.admin)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);

    // The organisation's folder cannot be made (a file sits in its place): the upload fails
    // with a 503 and leaves no record.
    let dir = org_dir(&app, &org);
    std::fs::remove_dir_all(&dir).ok();
    std::fs::write(&dir, b"in the way").unwrap();
    let form = Form::new()
        .file("file", Some("b.pdf"), None, PDF)
        .text("entityType", "property")
        .text("entityId", &property)
        .text("category", "lease");
    let r = app.upload("/api/documents", &org.admin, &form).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text);
    let r = app.get("/api/documents", &org.admin).await;
    assert_eq!(r.data()["total"], 0);
    std::fs::remove_file(&dir).unwrap();
    assert_eq!(stored_files(&app), 0);
});

fn small_uploads() -> lintel_api::ApiConfig {
    let mut config = test_config();
    config.documents.max_upload_bytes = 1024;
    config
}

backend_test_with!(uploads_over_the_limit_are_refused, small_uploads(), |app| {
    let org = app.org(Plan::Pro).await;
    let property = create_property(&app, &org.admin, "Pine Hall").await;
    let form = |size: usize| {
        let mut bytes = PDF.to_vec();
        bytes.resize(size, b' ');
        Form::new()
            .text("entityType", "property")
            .text("entityId", &property)
            .text("category", "report")
            .file("file", Some("big.pdf"), None, &bytes)
    };
    let r = app.upload("/api/documents", &org.admin, &form(1024)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.data()["sizeBytes"], 1024);
    for size in [1025, 64 * 1024, 2 * 1024 * 1024] {
        let r = app.upload("/api/documents", &org.admin, &form(size)).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE"),
            "{size}: {}",
            r.text
        );
        assert_eq!(
            r.body["error"],
            "File is larger than the limit of 1024 bytes."
        );
    }
    let r = app.get("/api/documents", &org.admin).await;
    assert_eq!(r.data()["total"], 1);
    assert_eq!(stored_files(&app), 1);
});
